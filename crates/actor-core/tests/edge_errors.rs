//! Item 9 of the edge hardening: errors that compare by structure, chain their causes,
//! say who timed out, and a reply handle tied to its message.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

use std::error::Error as _;
use std::time::Duration;

use actor_core::{Actor, Call, CallError, CallReply, Context, ExitReason, InitError, StartError};

#[derive(Debug)]
struct DiskFull;
impl std::fmt::Display for DiskFull {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("disk full")
    }
}
impl std::error::Error for DiskFull {}

#[derive(Debug)]
struct OtherDiskFull;
impl std::fmt::Display for OtherDiskFull {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("disk full")
    }
}
impl std::error::Error for OtherDiskFull {}

#[test]
fn item9_exit_reasons_compare_by_structure_not_by_their_text() {
    // Before: compared `to_string()`, so these two unrelated errors were equal.
    assert_ne!(
        ExitReason::error(DiskFull),
        ExitReason::error(OtherDiskFull)
    );
    assert_ne!(ExitReason::error(DiskFull), ExitReason::msg("disk full"));
    let r = ExitReason::error(DiskFull);
    assert_eq!(r, r.clone());
    assert_eq!(ExitReason::msg("boom"), ExitReason::msg("boom"));
    assert_ne!(ExitReason::msg("boom"), ExitReason::shutdown_with("boom"));
    assert_eq!(
        ExitReason::shutdown_with("bye"),
        ExitReason::shutdown_with("bye")
    );
    let json = serde_json::to_string(&ExitReason::msg("boom")).unwrap();
    let back: ExitReason = serde_json::from_str(&json).unwrap();
    assert_eq!(back, ExitReason::msg("boom"));
}

#[test]
fn item9_wrapping_errors_chain_their_causes() {
    // Before: no `source()`, so error reporters showed only the outer message.
    let start = StartError::Failed(ExitReason::error(DiskFull));
    let reason = start.source().unwrap();
    assert_eq!(reason.to_string(), "error: disk full");
    let cause = reason.source().unwrap();
    assert!(cause.downcast_ref::<DiskFull>().is_some());

    let call: CallError<()> = CallError::Exit(ExitReason::error(DiskFull));
    assert!(call.source().unwrap().source().unwrap().is::<DiskFull>());
    let stop = actor_core::StopError::Exit(ExitReason::error(DiskFull));
    assert!(stop.source().unwrap().source().unwrap().is::<DiskFull>());
    // A reason without an error inside ends the chain.
    assert!(
        StartError::Failed(ExitReason::Killed)
            .source()
            .unwrap()
            .source()
            .is_none()
    );
}

struct Server;
struct Get1;
struct Get2;
struct Never;

impl Actor for Server {
    type Args = ();
    async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> {
        Ok(Server)
    }
}

impl Call<Get1> for Server {
    type Reply = u64;
    async fn handle_call(&mut self, _: Get1, ctx: &mut Context<Self>) -> CallReply<u64> {
        // The handle of the call in hand is for `Get1`: asking for `Get2`'s, which replies
        // with the same type, must not take it (before the fix it did).
        if ctx.reply_to::<Get2>().is_some() {
            return CallReply::Reply(2);
        }
        match ctx.reply_to::<Get1>() {
            Some(reply) => {
                reply.send(1);
                CallReply::NoReply
            }
            None => CallReply::Reply(0),
        }
    }
}

impl Call<Get2> for Server {
    type Reply = u64;
    async fn handle_call(&mut self, _: Get2, _: &mut Context<Self>) -> CallReply<u64> {
        CallReply::Reply(22)
    }
}

impl Call<Never> for Server {
    type Reply = ();
    async fn handle_call(&mut self, _: Never, _: &mut Context<Self>) -> CallReply<()> {
        CallReply::NoReply
    }
}

#[tokio::test]
async fn item9_reply_to_is_tied_to_its_message_not_to_its_reply_type() {
    let s = Server::start(()).await.unwrap();
    assert_eq!(s.call(Get1).await.unwrap(), 1);
    assert_eq!(s.call(Get2).await.unwrap(), 22);
}

#[test]
fn item9_a_call_result_is_no_bigger_than_before_its_new_payloads() {
    // `Result<u64, CallError<()>>` was 24 bytes, `Exit(ExitReason)` its largest variant;
    // the callee's pid and the boxed downcast error keep it there (a timeout's duration and
    // an inline `DowncastError` made it 48, moved through every call's future).
    assert!(std::mem::size_of::<Result<u64, CallError<()>>>() <= 24);
}

#[tokio::test(start_paused = true)]
async fn item9_a_timeout_names_the_callee() {
    // Before: `CallError::Timeout` carried nothing.
    let s = Server::start(()).await.unwrap();
    let err = s
        .call_timeout(Never, Duration::from_secs(2))
        .await
        .unwrap_err();
    match &err {
        CallError::Timeout { callee } => assert_eq!(*callee, s.pid()),
        other => panic!("expected Timeout, got {other:?}"),
    }
    assert_eq!(err.to_string(), format!("call to {} timed out", s.pid()));
}
