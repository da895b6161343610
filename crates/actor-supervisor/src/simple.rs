//! simple_one_for_one's front (R-SOFO): one template spec, each child started with its own
//! arguments appended. It runs on the one engine with [`Flavour::Simple`].

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;

use actor_core::{Pid, StartError};

use crate::builder::{Setup, common_setters, dynamic_setters, handle_methods};
use crate::engine::Flavour;
use crate::error::{ChildError, SupervisorStartError};
use crate::flags::AutoShutdown;
use crate::server::{StartChild, Supervisor, request};
use crate::spec::{ChildId, ChildSpec, ChildType, Restart, Shutdown, StartFuture};
use actor_core::ActorRef;

type StartWith<T> = Arc<dyn Fn(T) -> StartFuture + Send + Sync>;

/// The one child spec of a simple_one_for_one supervisor, without its arguments.
struct Template<T> {
    id: ChildId,
    start: StartWith<T>,
    restart: Restart,
    shutdown: Option<Shutdown>,
    child_type: ChildType,
    significant: bool,
}

impl<T> Clone for Template<T> {
    fn clone(&self) -> Self {
        Self {
            id: self.id.clone(),
            start: self.start.clone(),
            restart: self.restart,
            shutdown: self.shutdown,
            child_type: self.child_type,
            significant: self.significant,
        }
    }
}

impl<T: Clone + Send + Sync + 'static> Template<T> {
    /// The spec of a child started with `args`.
    fn spec(&self, args: T) -> ChildSpec {
        let start = self.start.clone();
        let mut spec = ChildSpec::new(self.id.clone(), move || start(args.clone()))
            .restart(self.restart)
            .child_type(self.child_type)
            .significant(self.significant);
        if let Some(s) = self.shutdown {
            spec = spec.shutdown(s);
        }
        spec
    }
}

/// A simple_one_for_one supervisor (R-SOFO): one template spec; each
/// [`start_child`](SimpleOneForOne::start_child) appends its arguments to the template's.
///
/// Built on the same actor as [`DynamicSupervisor`](crate::DynamicSupervisor), with OTP's simple_one_for_one answers:
/// ignore gives `Ok(None)`, `terminate_child` accepts a dead pid, `count_children` reports
/// one spec. `restart_child`, `delete_child` and termination by id, which OTP can only answer
/// with `{error, simple_one_for_one}`, are not methods of this type.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use actor_core::{Actor, Context, InitError};
/// use actor_supervisor::{Restart, SimpleOneForOne};
///
/// struct Container { _name: String }
/// impl Actor for Container {
///     type Args = String;
///     async fn init(name: String, _: &mut Context<Self>) -> Result<Self, InitError> { Ok(Container { _name: name }) }
/// }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let sup = SimpleOneForOne::builder("container", |name: String| async move {
///         actor_supervisor::started(Container::start_link(name).await)
///     })
///     .restart(Restart::Transient)
///     .intensity(10, Duration::from_secs(100))
///     .start_link()
///     .await
///     .unwrap();
/// let c1 = sup.start_child("container1".to_string()).await.unwrap().unwrap();
/// assert_eq!(sup.count_children().await.unwrap().specs, 1);
/// sup.terminate_child(&c1).await.unwrap();
/// # }
/// ```
pub struct SimpleOneForOne<T> {
    inner: ActorRef<Supervisor>,
    /// How long each request waits for the supervisor's answer (`with_timeout`).
    timeout: std::time::Duration,
    template: Template<T>,
}

impl<T> Clone for SimpleOneForOne<T> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            timeout: self.timeout,
            template: self.template.clone(),
        }
    }
}

impl<T> fmt::Debug for SimpleOneForOne<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimpleOneForOne")
            .field("id", &self.template.id)
            .field("pid", &self.inner.pid())
            .finish_non_exhaustive()
    }
}

impl<T: Clone + Send + Sync + 'static> SimpleOneForOne<T> {
    handle_methods!(by_pid);

    /// A builder from the template: `id` and the start function that receives each
    /// child's arguments.
    pub fn builder<F, Fut>(id: impl Into<ChildId>, start: F) -> SimpleBuilder<T>
    where
        F: Fn(T) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Option<Pid>, StartError>> + Send + 'static,
    {
        SimpleBuilder {
            setup: Setup::new(Flavour::Simple),
            template: Template {
                id: id.into(),
                start: Arc::new(move |args: T| -> StartFuture { Box::pin(start(args)) }),
                restart: Restart::Permanent,
                shutdown: None,
                child_type: ChildType::Worker,
                significant: false,
            },
            _args: PhantomData,
        }
    }

    /// Starts a child with the template and `args` (R-SOFO-1). `Ok(None)` when it returned
    /// ignore (not stored). A restart reuses the same `args`.
    ///
    /// # Errors
    ///
    /// `MaxChildren`, `AlreadyStarted(pid)`, `StartFailed`, or the supervisor is gone.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future does not withdraw the request: the supervisor still carries it out
    /// (a child may still be started or stopped); only the answer is lost.
    pub async fn start_child(&self, args: T) -> Result<Option<Pid>, ChildError> {
        let spec = self.template.spec(args);
        request(&self.inner, self.timeout, StartChild(spec)).await?
    }
}

/// Configures and starts a [`SimpleOneForOne`].
///
/// # Examples
///
/// See [`SimpleOneForOne`].
#[must_use = "a builder does nothing until started"]
pub struct SimpleBuilder<T> {
    setup: Setup,
    template: Template<T>,
    _args: PhantomData<fn(T)>,
}

impl<T> fmt::Debug for SimpleBuilder<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimpleBuilder")
            .field("id", &self.template.id)
            .field("restart", &self.template.restart)
            .field("setup", &self.setup)
            .finish_non_exhaustive()
    }
}

impl<T: Clone + Send + Sync + 'static> SimpleBuilder<T> {
    common_setters!();
    dynamic_setters!();

    /// The template's restart type (default `Permanent`).
    pub fn restart(mut self, restart: Restart) -> Self {
        self.template.restart = restart;
        self
    }

    /// The template's shutdown (default by child type).
    pub fn shutdown(mut self, shutdown: Shutdown) -> Self {
        self.template.shutdown = Some(shutdown);
        self
    }

    /// The template's child type (default worker).
    pub fn child_type(mut self, child_type: ChildType) -> Self {
        self.template.child_type = child_type;
        self
    }

    /// Marks every child significant for auto shutdown (R-AUTO, OTP 24+): with
    /// [`auto_shutdown`](Self::auto_shutdown), the supervisor stops when any one, or the
    /// last one, of its children exits by itself and is not restarted. Needs a transient
    /// or temporary restart.
    pub fn significant(mut self, significant: bool) -> Self {
        self.template.significant = significant;
        self
    }

    /// Auto shutdown (default `Never`).
    pub fn auto_shutdown(mut self, auto_shutdown: AutoShutdown) -> Self {
        self.setup.config.flags.auto_shutdown = auto_shutdown;
        self
    }

    /// Starts it linked to the calling actor, if any.
    ///
    /// # Errors
    ///
    /// [`SupervisorStartError`] for invalid flags (a zero period, a strategy other than
    /// `one_for_one`), an invalid template (significant and permanent, or significant
    /// without auto shutdown), or a name clash.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future before it returns kills the actor being started, and so its children
    /// (see [`Start`](actor_core::Start)); nothing is left running.
    pub async fn start_link(self) -> Result<SimpleOneForOne<T>, SupervisorStartError> {
        // OTP checks the child spec when the supervisor starts.
        let probe = ChildSpec::new(self.template.id.clone(), || async { Ok(None) })
            .restart(self.template.restart)
            .significant(self.template.significant);
        probe.validate(self.setup.config.flags.auto_shutdown)?;
        let inner = self.setup.start(Vec::new(), true).await?;
        Ok(SimpleOneForOne {
            inner,
            timeout: std::time::Duration::MAX,
            template: self.template,
        })
    }
}
