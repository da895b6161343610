//! The `Child` trait: a type that knows its own child spec.

use crate::spec::ChildSpec;

/// A type that knows its child spec: Elixir's `child_spec/1`, which `use GenServer` defines.
///
/// Derive it with `#[derive(Child)]` (feature `derive`), or implement it by hand.
///
/// # Examples
///
/// ```
/// use actor_core::{Actor, Context, InitError};
/// use actor_supervisor::{Child, ChildSpec, Restart, Supervisor};
///
/// struct Queue;
/// impl Actor for Queue {
///     type Args = Vec<u32>;
///     async fn init(_: Vec<u32>, _: &mut Context<Self>) -> Result<Self, InitError> { Ok(Queue) }
/// }
/// impl Child for Queue {
///     type Args = Vec<u32>;
///     fn child_spec(items: Vec<u32>) -> ChildSpec {
///         ChildSpec::worker::<Queue>("queue", items).restart(Restart::Permanent)
///     }
/// }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let sup = Supervisor::builder().child(Queue::child_spec(vec![1, 2, 3])).start_link().await.unwrap();
/// assert_eq!(sup.count_children().await.unwrap().active, 1);
/// # }
/// ```
pub trait Child {
    /// What the child starts with.
    type Args;

    /// The child spec for starting with `args`.
    fn child_spec(args: Self::Args) -> ChildSpec;
}
