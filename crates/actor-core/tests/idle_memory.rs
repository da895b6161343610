//! What an idle actor holds on to: not the envelope of the last message it handled.
//!
//! This binary counts live heap bytes with a global allocator of its own, so it holds only
//! tests that measure memory.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]
#![allow(
    unsafe_code,
    reason = "a counting global allocator, forwarding every call to `System`"
)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

use actor_core::{Actor, Cast, Context, Flow, InitError};
use tokio::sync::oneshot;

/// The system allocator, keeping a count of the bytes allocated and not yet freed.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every call is forwarded to `System` with the caller's own arguments, so `System`'s
// guarantees are the caller's; the count is a side effect that touches no memory handed out.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: forwarded as received (see the impl).
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: forwarded as received (see the impl).
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

const BIG: usize = 64 * 1024;

/// A message far over the envelope's inline room: its envelope is a heap allocation of
/// more than `BIG` bytes.
struct Big {
    bytes: [u8; BIG],
    done: oneshot::Sender<u8>,
}

struct Sink;

impl Actor for Sink {
    type Args = ();
    async fn init((): (), _: &mut Context<Self>) -> Result<Self, InitError> {
        Ok(Sink)
    }
}

impl Cast<Big> for Sink {
    async fn handle_cast(&mut self, msg: Big, _: &mut Context<Self>) -> Flow {
        let _ = msg.done.send(msg.bytes[BIG - 1]);
        Flow::Ok
    }
}

// One thread: once the handler's answer wakes the test, the actor's task has already run on
// to its next wait for a message, so what it holds then is what it holds while idle.
#[tokio::test(flavor = "current_thread")]
async fn an_idle_actor_does_not_keep_the_envelope_of_the_last_cast() {
    let sink = Sink::start(()).await.unwrap();
    let (done, answer) = oneshot::channel();
    let before = LIVE.load(Ordering::Relaxed);
    sink.cast(Big {
        bytes: [7; BIG],
        done,
    });
    assert!(
        LIVE.load(Ordering::Relaxed) - before >= BIG as isize,
        "the queued envelope holds the message on the heap"
    );
    assert_eq!(answer.await.unwrap(), 7);
    let held = LIVE.load(Ordering::Relaxed) - before;
    assert!(
        held < BIG as isize / 2,
        "an idle actor still holds {held} bytes more than before the cast"
    );
    drop(sink);
}
