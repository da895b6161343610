//! What every supervisor builder shares: the configuration it fills, its common setters
//! (one definition, [`common_setters!`]), and starting the supervisor actor, alone or as a
//! child of another supervisor.

use actor_core::{Actor, ActorRef, Name, StartError};

use crate::engine::{Config, Flavour};
use crate::error::SupervisorStartError;
use crate::server::{Supervisor, SupervisorArgs};
use crate::spec::{ChildId, ChildSpec, ChildType, started};

/// A builder's configuration and name.
#[derive(Clone, Debug)]
pub(crate) struct Setup {
    pub(crate) config: Config,
    pub(crate) name: Option<Name>,
}

impl Setup {
    pub(crate) fn new(flavour: Flavour) -> Self {
        Self {
            config: Config::new(flavour),
            name: None,
        }
    }

    /// Starts the supervisor with `children` (static supervisors), linked to the caller or
    /// not.
    pub(crate) async fn start(
        self,
        children: Vec<ChildSpec>,
        link: bool,
    ) -> Result<ActorRef<Supervisor>, SupervisorStartError> {
        self.start_actor(children, link)
            .await
            .map_err(from_start_error)
    }

    async fn start_actor(
        self,
        children: Vec<ChildSpec>,
        link: bool,
    ) -> Result<ActorRef<Supervisor>, StartError> {
        let config = self.config;
        let args = SupervisorArgs::new(move || Some((config, children)));
        start_actor(args, self.name, link).await
    }

    /// A child spec that starts this supervisor under another one, afresh from this
    /// configuration at every restart (a dynamic one starts empty, as in OTP): type
    /// supervisor, shutdown `Infinity`, permanent. A failed start reaches the parent as the
    /// supervisor actor's own start error.
    pub(crate) fn into_child_spec(
        self,
        id: impl Into<ChildId>,
        children: Vec<ChildSpec>,
    ) -> ChildSpec {
        ChildSpec::new(id, move || {
            let setup = self.clone();
            let children = children.clone();
            async move { started(setup.start_actor(children, true).await) }
        })
        .child_type(ChildType::Supervisor)
    }
}

/// Starts the supervisor actor, named if `name` is given.
pub(crate) async fn start_actor(
    args: SupervisorArgs,
    name: Option<Name>,
    link: bool,
) -> Result<ActorRef<Supervisor>, StartError> {
    let mut start = if link {
        Supervisor::start_link(args)
    } else {
        Supervisor::start(args)
    };
    if let Some(name) = name {
        start = start.name(name);
    }
    start.await
}

/// Why the supervisor actor did not start, as a supervisor start error: the one its `init`
/// reported, or the actor-level one.
pub(crate) fn from_start_error(e: StartError) -> SupervisorStartError {
    match e {
        StartError::Ignored => SupervisorStartError::Ignored,
        StartError::Failed(reason) => match reason.downcast_ref::<SupervisorStartError>() {
            Some(inner) => inner.clone(),
            None => SupervisorStartError::Start(StartError::Failed(reason)),
        },
        other => SupervisorStartError::Start(other),
    }
}

/// The setters every supervisor builder has, defined once: `intensity`, `flags` and
/// `name`. The builder has a `setup: Setup` field.
macro_rules! common_setters {
    () => {
        /// At most `max_restarts` restarts within `period` (default 3 in 5 s).
        pub fn intensity(mut self, max_restarts: u32, period: ::std::time::Duration) -> Self {
            self.setup.config.flags.intensity = max_restarts;
            self.setup.config.flags.period = period;
            self
        }

        /// All the flags at once (from a configuration file, for example). A dynamic
        /// flavour refuses at start a strategy other than `one_for_one`
        /// ([`FlagsError::UnsupportedStrategy`](crate::FlagsError::UnsupportedStrategy)).
        pub fn flags(mut self, flags: $crate::SupervisorFlags) -> Self {
            self.setup.config.flags = flags;
            self
        }

        /// Names the supervisor.
        pub fn name(mut self, name: ::actor_core::Name) -> Self {
            self.setup.name = Some(name);
            self
        }
    };
}

/// The setters of the dynamic flavours' builders: `max_children` and `extra_arguments`.
macro_rules! dynamic_setters {
    () => {
        /// At most `max` children, restarting ones included (default: no limit).
        pub fn max_children(mut self, max: usize) -> Self {
            self.setup.config.max_children = Some(max);
            self
        }

        /// Extra arguments passed to every start of specs made with
        /// [`ChildSpec::with_extra`](crate::ChildSpec::with_extra), restarts included.
        pub fn extra_arguments<E: Send + Sync + 'static>(mut self, extra: E) -> Self {
            self.setup.config.extra = $crate::ExtraArgs::new(extra);
            self
        }
    };
}

pub(crate) use {common_setters, dynamic_setters};

/// The methods every supervisor handle has, defined once: `pid`, `actor_ref`,
/// `which_children`, `count_children` and `stop`; with `by_pid`, also the dynamic flavours'
/// `terminate_child` and `child_spec`. The handle has an `inner: ActorRef<Supervisor>`
/// field.
macro_rules! handle_methods {
    (from $flavour:ident) => {
        /// The handle of the supervisor behind `pid` (a child of another supervisor, found
        /// with `which_children`, for example), or `None` when `pid` is not a live
        /// supervisor of this kind (or did not answer within 5 s).
        ///
        /// # Cancel safety
        ///
        /// Cancel safe: asking the supervisor's kind changes nothing.
        ///
        /// # Examples
        ///
        /// ```
        /// use actor_core::ExitReason;
        /// use actor_supervisor::{DynamicSupervisor, DynamicSupervisorRef, Supervisor, SupervisorRef};
        ///
        /// # #[tokio::main(flavor = "current_thread")]
        /// # async fn main() {
        /// let top = Supervisor::builder()
        ///     .child(DynamicSupervisor::builder().into_child_spec("rooms"))
        ///     .start_link()
        ///     .await
        ///     .unwrap();
        /// let rooms_pid = top.which_children().await.unwrap()[0].pid.pid().unwrap().clone();
        /// let rooms = DynamicSupervisorRef::from_pid(&rooms_pid).await.unwrap();
        /// assert_eq!(rooms.count_children().await.unwrap().active, 0);
        /// // Not a static supervisor:
        /// assert!(SupervisorRef::from_pid(&rooms_pid).await.is_none());
        /// top.stop(ExitReason::Shutdown).await.unwrap();
        /// # }
        /// ```
        pub async fn from_pid(pid: &::actor_core::Pid) -> ::std::option::Option<Self> {
            $crate::server::supervisor_of(pid, $crate::engine::Flavour::$flavour)
                .await
                .map(Self::new)
        }

        /// The handle of the supervisor registered under `name`, as
        /// [`from_pid`](Self::from_pid): the supervisor API by name.
        ///
        /// # Cancel safety
        ///
        /// Cancel safe: asking the supervisor's kind changes nothing.
        pub async fn whereis(name: &::actor_core::Name) -> ::std::option::Option<Self> {
            Self::from_pid(&name.whereis()?).await
        }
    };
    () => {
        /// The supervisor's pid.
        pub fn pid(&self) -> ::actor_core::Pid {
            self.inner.pid()
        }

        /// This handle with every request waiting at most `timeout` for the supervisor's
        /// answer, then failing with [`ChildError::Timeout`](crate::ChildError::Timeout)
        /// (the request is not withdrawn: the supervisor still carries it out). The default
        /// is `Duration::MAX`: wait forever, as OTP's supervisor calls do.
        ///
        /// # Examples
        ///
        /// ```
        /// use std::time::Duration;
        /// use actor_supervisor::DynamicSupervisor;
        ///
        /// # #[tokio::main(flavor = "current_thread")]
        /// # async fn main() {
        /// let sup = DynamicSupervisor::builder().start_link().await.unwrap();
        /// let sup = sup.with_timeout(Duration::from_secs(1));
        /// assert_eq!(sup.timeout(), Duration::from_secs(1));
        /// assert_eq!(sup.count_children().await.unwrap().active, 0);
        /// # }
        /// ```
        #[must_use = "this returns a new handle; the old one keeps its timeout"]
        pub fn with_timeout(mut self, timeout: ::std::time::Duration) -> Self {
            self.timeout = timeout;
            self
        }

        /// How long each request waits for the supervisor's answer.
        pub fn timeout(&self) -> ::std::time::Duration {
            self.timeout
        }

        /// The underlying actor reference: the one [`Supervisor`](crate::Supervisor) actor
        /// every flavour runs.
        pub fn actor_ref(&self) -> &::actor_core::ActorRef<$crate::Supervisor> {
            &self.inner
        }

        /// The children, newest first (R-SUP-8, R-DYN-4, R-SOFO-2); ids only under a static
        /// supervisor (the dynamic flavours ignore them).
        ///
        /// # Errors
        ///
        /// The supervisor is gone.
        ///
        /// # Cancel safety
        ///
        /// Cancel safe: the request changes nothing; dropping the future drops the answer.
        pub async fn which_children(
            &self,
        ) -> ::std::result::Result<::std::vec::Vec<$crate::ChildInfo>, $crate::ChildError> {
            $crate::server::request(&self.inner, self.timeout, $crate::server::WhichChildren).await
        }

        /// The counts of specs, live children, supervisors and workers (R-SUP-9,
        /// R-DYN-4); simple_one_for_one holds one spec (R-SOFO-2).
        ///
        /// # Errors
        ///
        /// The supervisor is gone.
        ///
        /// # Cancel safety
        ///
        /// Cancel safe: the request changes nothing; dropping the future drops the answer.
        pub async fn count_children(
            &self,
        ) -> ::std::result::Result<$crate::ChildCounts, $crate::ChildError> {
            $crate::server::request(&self.inner, self.timeout, $crate::server::CountChildren).await
        }

        /// The supervisor's configuration and children with their restart counts and last
        /// exit reasons (see [`inspect`](crate::inspect); [`inspect_tree`](crate::inspect_tree)
        /// walks the tree below).
        ///
        /// # Errors
        ///
        /// The supervisor is gone, or did not answer within the handle's timeout.
        ///
        /// # Cancel safety
        ///
        /// Cancel safe: the request changes nothing; dropping the future drops the answer.
        pub async fn inspect(
            &self,
        ) -> ::std::result::Result<$crate::SupervisorReport, $crate::ChildError> {
            $crate::server::request(&self.inner, self.timeout, $crate::server::Inspect).await
        }

        /// Stops the supervisor: its children stop (a static supervisor's one at a time,
        /// newest first; the dynamic flavours' all at once), then it exits with `reason`.
        ///
        /// # Errors
        ///
        /// As [`ActorRef::stop`](actor_core::ActorRef::stop).
        ///
        /// # Cancel safety
        ///
        /// Dropping the future does not withdraw the stop: the actor still stops; only the
        /// wait for it ends.
        pub async fn stop(
            &self,
            reason: ::actor_core::ExitReason,
        ) -> ::std::result::Result<(), ::actor_core::StopError> {
            self.inner.stop(reason).await
        }

        /// As [`stop`](Self::stop), waiting at most `timeout` for the supervisor to have
        /// stopped its children and exited.
        ///
        /// # Errors
        ///
        /// As [`ActorRef::stop_timeout`](actor_core::ActorRef::stop_timeout):
        /// `StopError::Timeout` when it has not exited in time (it goes on stopping).
        ///
        /// # Cancel safety
        ///
        /// As [`stop`](Self::stop).
        pub async fn stop_timeout(
            &self,
            reason: ::actor_core::ExitReason,
            timeout: ::std::time::Duration,
        ) -> ::std::result::Result<(), ::actor_core::StopError> {
            self.inner.stop_timeout(reason, timeout).await
        }
    };
    (by_pid) => {
        $crate::builder::handle_methods!();

        /// Stops a child and removes it, whatever its restart type (R-DYN-3, R-SOFO-3,
        /// R-TASK-6). Never restarts it and never counts toward intensity.
        ///
        /// # Errors
        ///
        /// `NotFound` for a pid that is not a child (simple_one_for_one answers `Ok` for a
        /// dead one), or the supervisor is gone.
        ///
        /// # Cancel safety
        ///
        /// Dropping the future does not withdraw the request: the supervisor still carries
        /// it out; only the answer is lost.
        pub async fn terminate_child(
            &self,
            pid: &::actor_core::Pid,
        ) -> ::std::result::Result<(), $crate::ChildError> {
            let key = $crate::engine::ChildKey::Pid(pid.clone());
            $crate::server::request(
                &self.inner,
                self.timeout,
                $crate::server::TerminateChild(key),
            )
            .await?
        }

        /// The spec a child was started with (simple_one_for_one: with its arguments bound).
        ///
        /// # Errors
        ///
        /// `NotFound`, or the supervisor is gone.
        ///
        /// # Cancel safety
        ///
        /// Cancel safe: the request changes nothing; dropping the future drops the answer.
        pub async fn child_spec(
            &self,
            pid: &::actor_core::Pid,
        ) -> ::std::result::Result<$crate::ChildSpec, $crate::ChildError> {
            let key = $crate::engine::ChildKey::Pid(pid.clone());
            $crate::server::request(&self.inner, self.timeout, $crate::server::GetChildSpec(key))
                .await?
        }
    };
}

/// What the handles with an `inner` supervisor and a `timeout` share: a constructor with
/// no timeout, and equality by supervisor, whatever the timeouts.
macro_rules! handle_type {
    ($ty:ty) => {
        impl $ty {
            fn new(inner: ::actor_core::ActorRef<$crate::Supervisor>) -> Self {
                Self {
                    inner,
                    timeout: ::std::time::Duration::MAX,
                }
            }
        }

        impl PartialEq for $ty {
            fn eq(&self, other: &Self) -> bool {
                self.inner == other.inner
            }
        }

        impl Eq for $ty {}
    };
}

pub(crate) use {handle_methods, handle_type};
