//! What the runtime tells `tracing`: the level of every actor's span, and panics reported
//! as events instead of the default hook's stderr message.

use std::sync::atomic::{AtomicU8, Ordering};

use tracing::Level;

use crate::pid::ActorId;

/// The level of the `actor` span new actors get; `Level::INFO` until changed.
static SPAN_LEVEL: AtomicU8 = AtomicU8::new(level_code(Level::INFO));

const fn level_code(level: Level) -> u8 {
    match level {
        Level::TRACE => 0,
        Level::DEBUG => 1,
        Level::INFO => 2,
        Level::WARN => 3,
        _ => 4,
    }
}

/// Sets the level of the `actor` span (fields `id` and `name`) that every callback of an
/// actor started from now on runs in, and so every event it logs carries. The default is
/// `INFO`: at `RUST_LOG=info` each log line names its actor. A span a subscriber does not
/// want costs nothing but the check.
///
/// # Examples
///
/// ```
/// actor_core::set_span_level(tracing::Level::DEBUG);
/// assert_eq!(actor_core::span_level(), tracing::Level::DEBUG);
/// # actor_core::set_span_level(tracing::Level::INFO);
/// ```
pub fn set_span_level(level: Level) {
    SPAN_LEVEL.store(level_code(level), Ordering::Relaxed);
}

/// The level of the `actor` span new actors get (see [`set_span_level`]).
///
/// # Examples
///
/// ```
/// assert_eq!(actor_core::span_level(), tracing::Level::INFO);
/// ```
pub fn span_level() -> Level {
    match SPAN_LEVEL.load(Ordering::Relaxed) {
        0 => Level::TRACE,
        1 => Level::DEBUG,
        2 => Level::INFO,
        3 => Level::WARN,
        _ => Level::ERROR,
    }
}

/// A new actor's span, at the level set, or `None` when no subscriber wants it.
pub(crate) fn actor_span(id: ActorId, type_name: &'static str) -> Option<tracing::Span> {
    // `span!` takes its level as a constant: one call site per level.
    let span = match span_level() {
        Level::TRACE => tracing::trace_span!("actor", %id, name = type_name),
        Level::DEBUG => tracing::debug_span!("actor", %id, name = type_name),
        Level::INFO => tracing::info_span!("actor", %id, name = type_name),
        Level::WARN => tracing::warn_span!("actor", %id, name = type_name),
        _ => tracing::error_span!("actor", %id, name = type_name),
    };
    (!span.is_disabled()).then_some(span)
}

/// Reports every panic through `tracing` (an `error` event with the message, the location
/// and, inside an actor, its id) instead of the default hook's message and backtrace on
/// stderr. The actor's exit is logged as well, with the panic as its reason; the runtime
/// contains the panic either way. Replaces the process's panic hook: call it once, at the
/// start of `main`, as a service installs its subscriber.
///
/// # Examples
///
/// ```
/// actor_core::report_panics_with_tracing();
/// let caught = std::panic::catch_unwind(|| panic!("reported, not printed"));
/// assert!(caught.is_err());
/// # let _ = std::panic::take_hook();
/// ```
pub fn report_panics_with_tracing() {
    std::panic::set_hook(Box::new(|info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("a panic with a non-text payload");
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()));
        match crate::context::current_id() {
            Some(actor) => {
                tracing::error!(%actor, location, "panicked: {message}");
            }
            None => tracing::error!(location, "panicked: {message}"),
        }
    }));
}
