//! A registry whose registrations take a round trip (`NameRegistry::register_name_async`):
//! the start awaits it inside the new actor's task, before `init`, with the same outcomes
//! as a synchronous registry (taken means `AlreadyStarted` and no `init`).
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use actor_core::{
    Actor, Context, InitError, Name, NameRegistry, Pid, RegisterError, RegisterFuture, StartError,
};

/// Registers only through the async path, after a yield (a stand-in for a network round
/// trip); the synchronous path refuses.
#[derive(Clone, Default)]
struct Remote {
    names: Arc<Mutex<HashMap<String, Pid>>>,
    round_trips: Arc<Mutex<u32>>,
}

impl NameRegistry<String> for Remote {
    fn register_name(&self, _: &String, _: &Pid) -> Result<(), RegisterError> {
        Err(RegisterError::Unsupported("register asynchronously"))
    }
    fn unregister_name(&self, key: &String, pid: &Pid) {
        let mut names = self.names.lock().unwrap();
        if names.get(key) == Some(pid) {
            names.remove(key);
        }
    }
    fn whereis_name(&self, key: &String) -> Option<Pid> {
        self.names
            .lock()
            .unwrap()
            .get(key)
            .filter(|p| p.is_alive())
            .cloned()
    }
    fn register_name_async(&self, key: &String, pid: &Pid) -> Option<RegisterFuture> {
        let (this, key, pid) = (self.clone(), key.clone(), pid.clone());
        Some(Box::pin(async move {
            tokio::task::yield_now().await;
            *this.round_trips.lock().unwrap() += 1;
            let mut names = this.names.lock().unwrap();
            match names.get(&key) {
                Some(holder) if holder.is_alive() => Err(RegisterError::Taken(holder.clone())),
                _ => {
                    names.insert(key, pid);
                    Ok(())
                }
            }
        }))
    }
}

/// Checks at `init` that its name is already its own.
struct Named;
impl Actor for Named {
    type Args = Name;
    async fn init(name: Name, ctx: &mut Context<Self>) -> Result<Self, InitError> {
        assert_eq!(
            name.whereis().as_ref(),
            Some(ctx.pid()),
            "registered before init"
        );
        Ok(Named)
    }
}

#[tokio::test]
async fn the_start_awaits_the_registration_before_init() {
    let registry = Remote::default();
    let name = Name::via(registry.clone(), "one".to_string());
    let first = Named::start(name.clone()).name(name.clone()).await.unwrap();
    assert_eq!(*registry.round_trips.lock().unwrap(), 1);
    assert_eq!(name.whereis(), Some(first.pid()));

    // Taken: the start fails with the holder, as with a synchronous registry.
    match Named::start(name.clone()).name(name.clone()).await {
        Err(StartError::AlreadyStarted(holder)) => assert_eq!(holder, first.pid()),
        other => panic!("{other:?}"),
    }

    // Released when the holder dies; then the name can be taken again.
    first.pid().kill();
    first.pid().exited().await;
    assert_eq!(name.whereis(), None);
    let second = Named::start(name.clone()).name(name.clone()).await.unwrap();
    assert_eq!(name.whereis(), Some(second.pid()));
}

#[tokio::test]
async fn a_registration_lost_in_the_race_makes_the_start_fail() {
    let registry = Remote::default();
    let name = Name::via(registry.clone(), "raced".to_string());
    // Both starts pass the early `whereis` check; the round trips decide.
    let (a, b) = tokio::join!(
        async { Named::start(name.clone()).name(name.clone()).await },
        async { Named::start(name.clone()).name(name.clone()).await },
    );
    let winners = [a.is_ok(), b.is_ok()].iter().filter(|ok| **ok).count();
    assert_eq!(winners, 1, "exactly one holder");
    let lost = if a.is_ok() { b } else { a };
    assert!(matches!(lost, Err(StartError::AlreadyStarted(_))));
}
