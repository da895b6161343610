//! Parsing and checking `#[child(...)]`.

use proc_macro2::Span;
use syn::{Attribute, LitBool, LitStr, Path};

const KEYS: &str = "`id`, `restart`, `shutdown`, `type`, `significant`, `crate`";

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Restart {
    Permanent,
    Transient,
    Temporary,
}

#[derive(Clone, Copy)]
pub(crate) enum Shutdown {
    BrutalKill,
    Infinity,
    Millis(u64),
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Worker,
    Supervisor,
}

/// The parsed options, with the spans to point errors at.
pub(crate) struct Options {
    pub(crate) id: Option<LitStr>,
    pub(crate) restart: Option<(Restart, Span)>,
    pub(crate) shutdown: Option<Shutdown>,
    pub(crate) kind: Kind,
    pub(crate) significant: Option<(bool, Span)>,
    pub(crate) krate: Option<Path>,
}

pub(crate) fn parse(attrs: &[Attribute]) -> syn::Result<Options> {
    let mut o = Options {
        id: None,
        restart: None,
        shutdown: None,
        kind: Kind::Worker,
        significant: None,
        krate: None,
    };
    for attr in attrs.iter().filter(|a| a.path().is_ident("child")) {
        attr.parse_nested_meta(|meta| {
            let key = meta.path.get_ident().map(ToString::to_string).unwrap_or_default();
            match key.as_str() {
                "id" => o.id = Some(meta.value()?.parse()?),
                "restart" => {
                    let s: LitStr = meta.value()?.parse()?;
                    let r = match s.value().as_str() {
                        "permanent" => Restart::Permanent,
                        "transient" => Restart::Transient,
                        "temporary" => Restart::Temporary,
                        other => {
                            return Err(syn::Error::new(
                                s.span(),
                                format!("invalid restart `{other}`; expected one of: `permanent`, `transient`, `temporary`"),
                            ));
                        }
                    };
                    o.restart = Some((r, s.span()));
                }
                "shutdown" => {
                    let s: LitStr = meta.value()?.parse()?;
                    o.shutdown = Some(parse_shutdown(&s)?);
                }
                "type" => {
                    let s: LitStr = meta.value()?.parse()?;
                    o.kind = match s.value().as_str() {
                        "worker" => Kind::Worker,
                        "supervisor" => Kind::Supervisor,
                        other => {
                            return Err(syn::Error::new(
                                s.span(),
                                format!("invalid type `{other}`; expected one of: `worker`, `supervisor`"),
                            ));
                        }
                    };
                }
                "significant" => {
                    let b: LitBool = meta.value()?.parse()?;
                    o.significant = Some((b.value, b.span));
                }
                "crate" => {
                    let s: LitStr = meta.value()?.parse()?;
                    o.krate = Some(s.parse()?);
                }
                _ => {
                    return Err(meta.error(format!("unknown attribute `{key}`; expected one of: {KEYS}")));
                }
            }
            Ok(())
        })?;
    }
    // R-CS-2: significant needs a transient or temporary restart.
    if let Some((true, span)) = o.significant {
        let restart = o.restart.map_or(Restart::Permanent, |(r, _)| r);
        if restart == Restart::Permanent {
            return Err(syn::Error::new(
                span,
                "`significant = true` requires `restart = \"transient\"` or `restart = \"temporary\"` (a permanent child cannot be significant)",
            ));
        }
    }
    Ok(o)
}

fn parse_shutdown(s: &LitStr) -> syn::Result<Shutdown> {
    let text = s.value();
    let bad = || {
        syn::Error::new(
            s.span(),
            format!(
                "invalid shutdown `{text}`; expected `brutal_kill`, `infinity`, or a duration such as `500ms`, `10s`, `2m`, `1h`"
            ),
        )
    };
    match text.as_str() {
        "brutal_kill" => return Ok(Shutdown::BrutalKill),
        "infinity" => return Ok(Shutdown::Infinity),
        _ => {}
    }
    let split = text.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (digits, unit) = text.split_at(split);
    let n: u64 = digits.parse().map_err(|_| bad())?;
    let factor = match unit {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        _ => return Err(bad()),
    };
    n.checked_mul(factor).map(Shutdown::Millis).ok_or_else(bad)
}
