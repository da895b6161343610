use std::time::Duration;

use actor_core::{Actor, Context, InitError};
use actor_supervisor::{Child, ChildType, Restart, Shutdown};

#[derive(Child)]
struct Plain;

impl Actor for Plain {
    type Args = ();
    async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> {
        Ok(Plain)
    }
}

#[derive(Child)]
#[child(shutdown = "2m")]
struct Minutes;

impl Actor for Minutes {
    type Args = ();
    async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> {
        Ok(Minutes)
    }
}

fn main() {
    let s = Plain::child_spec(());
    assert_eq!(s.id().as_str(), "Plain");
    assert_eq!(s.get_restart(), Restart::Permanent);
    assert_eq!(s.get_shutdown(), Shutdown::Timeout(Duration::from_secs(5)));
    assert_eq!(s.get_child_type(), ChildType::Worker);
    assert!(!s.is_significant());
    assert_eq!(Minutes::child_spec(()).get_shutdown(), Shutdown::Timeout(Duration::from_secs(120)));
}
