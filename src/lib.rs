//! Support code shared by the workspace's examples and cross-crate tests: the systems of the
//! seed articles (so the examples print transcripts and `tests/` asserts behaviour on the same
//! code) and the examples' check helpers.
#![allow(clippy::print_stdout, reason = "examples report to the terminal")]

pub mod game;
pub mod mentions;
pub mod rooms;
pub mod web_client;
pub mod web_cluster;

/// Prints `ok: what` when `ok` holds; otherwise prints `FAILED: what` and exits with status 1,
/// so an example that misbehaves fails the run that executes it.
///
/// # Examples
///
/// ```
/// otp_actors::check(1 + 1 == 2, "arithmetic still works");
/// ```
pub fn check(ok: bool, what: &str) {
    if ok {
        println!("  ok: {what}");
    } else {
        eprintln!("FAILED: {what}");
        std::process::exit(1);
    }
}

/// Prints a panic inside an actor as one line: the runtime catches it and turns it into the
/// actor's exit reason, so the default hook's report (and backtrace) is noise in a demo.
///
/// # Examples
///
/// ```
/// otp_actors::brief_panics();
/// ```
pub fn brief_panics() {
    std::panic::set_hook(Box::new(|info| {
        let payload = info.payload();
        let msg = payload
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("?");
        println!("  (panic inside an actor: {msg})");
    }));
}
