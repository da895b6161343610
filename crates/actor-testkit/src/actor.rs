//! The probe's actor: forwards everything it receives to the test, and runs the test's
//! requests (futures, links, monitors) as itself.

use std::any::Any;
use std::future::Future;
use std::pin::Pin;

use actor_core::{Actor, Cast, Context, Down, Exit, Flow, Info, InitError, MonitorRef, Pid};
use tokio::sync::{mpsc, oneshot};

use crate::message::{Kind, Message};

/// A future run inside the probe's task, so that the probe is the calling actor.
pub(crate) type Job = Pin<Box<dyn Future<Output = ()> + Send>>;

/// What the test asks the probe to do. Private: no one else can send one, so the blanket
/// `Cast` impl tells these apart from the test's own messages by type.
pub(crate) enum Control {
    Run(Job),
    Monitor(Pid, oneshot::Sender<MonitorRef>),
    Demonitor(MonitorRef, oneshot::Sender<bool>),
    Link(Pid, oneshot::Sender<()>),
    Unlink(Pid, oneshot::Sender<()>),
    TrapExit(bool, oneshot::Sender<()>),
    /// Answered once every message queued before it has been forwarded.
    Sync(oneshot::Sender<()>),
}

/// The actor behind a [`Probe`](crate::Probe). It accepts a cast or an info of any type and
/// hands it to the test in arrival order; trapped exits and DOWN notifications go the same
/// way. It answers no calls: a call's reply type depends on its message, so a test that
/// needs to answer calls writes a small actor for it.
///
/// # Examples
///
/// ```
/// use actor_testkit::{Probe, ProbeActor};
/// use actor_core::ActorRef;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let mut probe = Probe::start().await;
/// let me: ActorRef<ProbeActor> = probe.actor_ref().clone();
/// me.send_info(1u8);
/// assert_eq!(probe.assert_receive(|n: &u8| *n == 1).await, 1);
/// # }
/// ```
#[derive(Debug)]
pub struct ProbeActor {
    inbox: mpsc::UnboundedSender<Message>,
}

impl ProbeActor {
    fn forward(&self, msg: Message) {
        // The test dropped its `Probe`: nobody is left to read, and nothing is lost that
        // anyone could observe.
        let _ = self.inbox.send(msg);
    }
}

/// The probe's start arguments: where to forward, and whether to trap exits. Opaque: only
/// [`Probe::start`](crate::Probe::start) and its siblings make one.
///
/// # Examples
///
/// ```
/// // Not built by hand: a probe is started with `Probe::start`.
/// let probe = actor_testkit::Probe::start();
/// # drop(probe);
/// ```
#[derive(Debug)]
pub struct ProbeArgs {
    pub(crate) inbox: mpsc::UnboundedSender<Message>,
    pub(crate) trap_exit: bool,
}

impl Actor for ProbeActor {
    type Args = ProbeArgs;

    async fn init(args: ProbeArgs, ctx: &mut Context<Self>) -> Result<Self, InitError> {
        ctx.trap_exit(args.trap_exit);
        Ok(ProbeActor { inbox: args.inbox })
    }

    async fn handle_exit(&mut self, exit: Exit, _ctx: &mut Context<Self>) -> Flow {
        self.forward(Message::new(Kind::Exit, exit));
        Flow::Ok
    }

    async fn handle_down(&mut self, down: Down, _ctx: &mut Context<Self>) -> Flow {
        self.forward(Message::new(Kind::Down, down));
        Flow::Ok
    }
}

impl<M: Send + 'static> Info<M> for ProbeActor {
    async fn handle_info(&mut self, msg: M, _ctx: &mut Context<Self>) -> Flow {
        self.forward(Message::new(Kind::Info, msg));
        Flow::Ok
    }
}

impl<M: Send + 'static> Cast<M> for ProbeActor {
    async fn handle_cast(&mut self, msg: M, ctx: &mut Context<Self>) -> Flow {
        let mut slot = Some(msg);
        let control = (&mut slot as &mut dyn Any)
            .downcast_mut::<Option<Control>>()
            .and_then(Option::take);
        match (control, slot) {
            (Some(control), _) => run_control(control, ctx).await,
            (None, Some(msg)) => self.forward(Message::new(Kind::Cast, msg)),
            // `take` ran only when the downcast matched, and then `control` is `Some`.
            (None, None) => {}
        }
        Flow::Ok
    }
}

/// Runs one request as the probe. A reply the test stopped waiting for is dropped.
async fn run_control(control: Control, ctx: &mut Context<ProbeActor>) {
    match control {
        Control::Run(job) => job.await,
        Control::Monitor(pid, reply) => {
            let _ = reply.send(ctx.monitor(&pid));
        }
        Control::Demonitor(monitor, reply) => {
            let _ = reply.send(ctx.demonitor(monitor));
        }
        Control::Link(pid, reply) => {
            ctx.link(&pid);
            let _ = reply.send(());
        }
        Control::Unlink(pid, reply) => {
            ctx.unlink(&pid);
            let _ = reply.send(());
        }
        Control::TrapExit(on, reply) => {
            ctx.trap_exit(on);
            let _ = reply.send(());
        }
        Control::Sync(reply) => {
            let _ = reply.send(());
        }
    }
}
