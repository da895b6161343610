//! The worker both observer test binaries supervise: it crashes with `boom` on `Crash`.
#![allow(
    dead_code,
    unreachable_pub,
    reason = "each test binary uses a different part"
)]

use actor_core::{Actor, Cast, Context, ExitReason, Flow, InitError};

pub struct Worker;
pub struct Crash;

impl Actor for Worker {
    type Args = ();
    async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> {
        Ok(Worker)
    }
}

impl Cast<Crash> for Worker {
    async fn handle_cast(&mut self, _: Crash, _: &mut Context<Self>) -> Flow {
        Flow::Stop(ExitReason::msg("boom"))
    }
}
