//! The actor the crate's unit tests (and its loom checks) run: it accepts a cast, an info
//! and two calls, one small enough to be queued inline and one not, and does nothing with
//! them.

use crate::{Actor, Call, CallReply, Cast, Context, Flow, Info, InitError};

pub(crate) struct Sink;

/// A cast carrying a number, to check order.
pub(crate) struct Note(pub(crate) u32);

/// An info, as a timer sends.
pub(crate) struct Tick;

/// A call whose request and reply fit an envelope inline.
pub(crate) struct Get;

/// A call whose request does not.
pub(crate) struct Lookup(#[allow(dead_code, reason = "only its size matters")] pub(crate) [u64; 2]);

impl Actor for Sink {
    type Args = ();
    async fn init(_: (), _: &mut Context<Self>) -> Result<Self, InitError> {
        Ok(Sink)
    }
}

impl Cast<Note> for Sink {
    async fn handle_cast(&mut self, _: Note, _: &mut Context<Self>) -> Flow {
        Flow::Ok
    }
}

impl Info<Tick> for Sink {
    async fn handle_info(&mut self, _: Tick, _: &mut Context<Self>) -> Flow {
        Flow::Ok
    }
}

impl Call<Get> for Sink {
    type Reply = u64;
    async fn handle_call(&mut self, _: Get, _: &mut Context<Self>) -> CallReply<u64> {
        CallReply::Reply(0)
    }
}

impl Call<Lookup> for Sink {
    type Reply = u64;
    async fn handle_call(&mut self, _: Lookup, _: &mut Context<Self>) -> CallReply<u64> {
        CallReply::Reply(0)
    }
}
