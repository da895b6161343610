//! Item 4 of the edge hardening, for the actor record: `Pid::forget_name` compares names
//! with the registry's and the key's `PartialEq` (user code) outside the record's lock, so
//! that code may look at the actor.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actor_core::{Actor, Context, InitError, Name, NameRegistry, Pid, RegisterError};

/// A registry whose `PartialEq` inspects the actor it watches (and so takes its record's
/// lock): on the old code, comparing it under that lock deadlocked.
#[derive(Clone)]
struct Nosy {
    map: Arc<Mutex<HashMap<String, Pid>>>,
    watched: Arc<Mutex<Option<Pid>>>,
}

impl PartialEq for Nosy {
    fn eq(&self, other: &Self) -> bool {
        let watched = self.watched.lock().unwrap().clone();
        if let Some(pid) = watched {
            let _ = pid.info();
        }
        Arc::ptr_eq(&self.map, &other.map)
    }
}

impl NameRegistry<String> for Nosy {
    fn register_name(&self, key: &String, pid: &Pid) -> Result<(), RegisterError> {
        self.map.lock().unwrap().insert(key.clone(), pid.clone());
        Ok(())
    }
    fn unregister_name(&self, key: &String, _: &Pid) {
        self.map.lock().unwrap().remove(key);
    }
    fn whereis_name(&self, key: &String) -> Option<Pid> {
        self.map
            .lock()
            .unwrap()
            .get(key)
            .filter(|p| p.is_alive())
            .cloned()
    }
}

struct Idle;
impl Actor for Idle {
    type Args = ();
    async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> {
        Ok(Idle)
    }
}

#[test]
fn item4_forget_name_compares_names_outside_the_actors_lock() {
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let nosy = Nosy {
                map: Arc::default(),
                watched: Arc::default(),
            };
            let w = Idle::start(()).await.unwrap();
            Name::via(nosy.clone(), "job".to_string())
                .register(&w.pid())
                .unwrap();
            *nosy.watched.lock().unwrap() = Some(w.pid());
            nosy.map.lock().unwrap().remove("job");
            w.pid().forget_name(&nosy, &"job".to_string());
            assert!(w.pid().info().names.is_empty());
        });
        let _ = done.send(());
    });
    assert!(
        finished.recv_timeout(Duration::from_secs(20)).is_ok(),
        "a registry's PartialEq that looks at the actor deadlocked"
    );
}
