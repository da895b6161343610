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
