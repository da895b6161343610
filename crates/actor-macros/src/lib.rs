//! Derive macros for the actor workspace. Use them through `actor-supervisor` with its
//! `derive` feature: `use actor_supervisor::Child;`.

mod attr;
mod expand;

use proc_macro::TokenStream;
use syn::{DeriveInput, parse_macro_input};

/// Derives `actor_supervisor::Child`; see its documentation in `actor-supervisor`.
#[proc_macro_derive(Child, attributes(child))]
pub fn derive_child(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::derive_child(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
