use std::time::Duration;

use actor_core::{Actor, Context, InitError};
use actor_supervisor::{Child, ChildType, Restart, Shutdown};

#[derive(Child)]
#[child(id = "sessions", restart = "transient", shutdown = "1500ms", type = "worker", significant = true)]
struct Session;

impl Actor for Session {
    type Args = (u64, u64);
    async fn init(_: (u64, u64), _: &mut Context<Self>) -> Result<Self, InitError> {
        Ok(Session)
    }
}

#[derive(Child)]
#[child(restart = "temporary", shutdown = "brutal_kill")]
struct Job;

impl Actor for Job {
    type Args = ();
    async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> {
        Ok(Job)
    }
}

#[derive(Child)]
#[child(shutdown = "infinity")]
#[child(restart = "permanent")]
struct Patient;

impl Actor for Patient {
    type Args = String;
    async fn init(_: String, _: &mut Context<Self>) -> Result<Self, InitError> {
        Ok(Patient)
    }
}

fn main() {
    let s = Session::child_spec((1, 2));
    assert_eq!(s.id().as_str(), "sessions");
    assert_eq!(s.get_restart(), Restart::Transient);
    assert_eq!(s.get_shutdown(), Shutdown::Timeout(Duration::from_millis(1500)));
    assert_eq!(s.get_child_type(), ChildType::Worker);
    assert!(s.is_significant());

    let j = Job::child_spec(());
    assert_eq!(j.id().as_str(), "Job");
    assert_eq!(j.get_shutdown(), Shutdown::BrutalKill);
    assert_eq!(j.get_restart(), Restart::Temporary);

    let p = Patient::child_spec("x".into());
    assert_eq!(p.get_shutdown(), Shutdown::Infinity);
    assert_eq!(p.get_restart(), Restart::Permanent);
}
