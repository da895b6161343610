//! `#[derive(Child)]` with the supervisor crate renamed to `sup`: without
//! `#[child(crate = "sup")]` the generated `::actor_supervisor` path would not resolve here.

use actor_core::{Actor, Context, InitError};
use sup::Child;

/// A worker whose child spec is derived through the renamed crate.
#[derive(Child, Debug)]
#[child(crate = "sup", restart = "transient", shutdown = "250ms")]
pub struct Worker;

impl Actor for Worker {
    type Args = ();
    async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> {
        Ok(Worker)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_derive_resolves_through_the_renamed_crate() {
        let spec = Worker::child_spec(());
        assert_eq!(spec.get_restart(), sup::Restart::Transient);
        assert_eq!(
            spec.get_shutdown(),
            sup::Shutdown::Timeout(std::time::Duration::from_millis(250))
        );
    }
}
