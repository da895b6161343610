//! Handles are Send + Sync + Clone, and their futures are Send (so they can cross
//! `tokio::spawn`).
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]
mod support;

use actor_core::{
    Actor, ActorRef, CallError, ExitReason, Pid, StartError, StopError, TrySendError, WeakActorRef,
};
use support::{Note, Ping, Spy};

fn send_sync_clone<T: Send + Sync + Clone>() {}
fn send<T: Send>(_: &T) {}
fn error<T: std::error::Error + Send + Sync + 'static>() {}

#[test]
fn handles_are_send_sync_clone() {
    send_sync_clone::<ActorRef<Spy>>();
    send_sync_clone::<WeakActorRef<Spy>>();
    send_sync_clone::<Pid>();
    send_sync_clone::<ExitReason>();
}

#[test]
fn errors_are_std_errors_even_for_non_debug_messages() {
    struct NotDebug;
    error::<CallError<NotDebug>>();
    error::<TrySendError<NotDebug>>();
    error::<StopError>();
    error::<StartError>();
}

#[tokio::test]
async fn futures_are_send() {
    let (s, _ev) = support::spy(false).await;
    send(&s.call(Ping));
    send(&s.stop(ExitReason::Normal));
    send(&s.pid().exited());
    send(&Spy::start(support::spy_args(false).0).into_future());
    s.cast(Note(0));
}

use std::future::IntoFuture;
