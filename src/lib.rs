//! Support code shared by the workspace's examples and cross-crate tests.
#![allow(clippy::print_stdout, reason = "examples report to the terminal")]

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
