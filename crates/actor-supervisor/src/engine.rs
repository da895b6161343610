//! The one supervisor engine (R-SUP, R-DYN, R-SOFO, R-RST, R-INT, R-SHUT, R-AUTO): the child
//! table and the one restart executor that every flavour (`Supervisor`, `DynamicSupervisor`,
//! `SimpleOneForOne`, `TaskSupervisor`) runs, as OTP's `supervisor.erl` serves every
//! strategy from one module. The flavours differ only in [`Flavour`]: how a child is
//! addressed (by id or by pid), whether a stopped child keeps its spec, and how the
//! children are shut down.
//!
//! One function each decides what happens to an exited child ([`after_exit`]), maps a
//! failed start ([`child_error`]), restarts (`restart`, through the pure planner of
//! `strategy.rs`) and shuts down (`shutdown`).

mod report;
mod table;

use actor_core::{Context, Exit, ExitReason, Flow, Pid, StartError};
use tokio::time::Instant;

use crate::application::RestartLimit;
use crate::error::{ChildError, FlagsError, SpecError, SupervisorStartError};
use crate::events::{SupervisorEventKind, publish};
use crate::flags::{AutoShutdown, Strategy, SupervisorFlags};
use crate::info::{ChildCounts, ChildInfo, ChildPid};
use crate::intensity::RestartIntensity;
use crate::server::{Retry, Supervisor};
use crate::shutdown::{stop_all_at_once, stop_child};
use crate::spec::{ChildId, ChildSpec, ChildType, ExtraArgs, Restart};
use crate::strategy::{self, Scope};

use table::ChildTable;
pub(crate) use table::Key;

/// How a flavour addresses, keeps and stops its children.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flavour {
    /// `Supervisor`: children by id, in start order; a stopped child keeps its spec
    /// (unless temporary); stopped one at a time, newest first (R-SHUT-1).
    Static,
    /// `DynamicSupervisor` (and `TaskSupervisor`): children by pid; a stopped child is
    /// removed; stopped all at once (R-SHUT-4); no significant children.
    Dynamic,
    /// simple_one_for_one: as `Dynamic`, but one spec is reported, a dead pid may be
    /// terminated, and significant children with auto shutdown are allowed (OTP 24+).
    Simple,
}

/// Told when the supervisor gives up (restart intensity exceeded), before it exits.
pub(crate) type GiveUpHook = std::sync::Arc<dyn Fn(RestartLimit) + Send + Sync>;

/// Everything a supervisor is configured with, whatever its flavour.
#[derive(Clone)]
pub(crate) struct Config {
    pub(crate) flavour: Flavour,
    pub(crate) flags: SupervisorFlags,
    /// At most this many children, restarting ones included (dynamic flavours).
    pub(crate) max_children: Option<usize>,
    /// Passed to every start of a spec made with `ChildSpec::with_extra`.
    pub(crate) extra: ExtraArgs,
    /// Set by an `Application` on its top supervisor.
    pub(crate) on_give_up: Option<GiveUpHook>,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("flavour", &self.flavour)
            .field("flags", &self.flags)
            .field("max_children", &self.max_children)
            .finish_non_exhaustive()
    }
}

impl Config {
    pub(crate) fn new(flavour: Flavour) -> Self {
        Self {
            flavour,
            flags: SupervisorFlags::default(),
            max_children: None,
            extra: ExtraArgs::default(),
            on_give_up: None,
        }
    }

    /// Checks the flags against the flavour (R-FLAG-3).
    pub(crate) fn validate(&self) -> Result<(), FlagsError> {
        self.flags.validate()?;
        if self.flavour != Flavour::Static && self.flags.strategy != Strategy::OneForOne {
            return Err(FlagsError::UnsupportedStrategy(self.flags.strategy));
        }
        if self.flavour == Flavour::Dynamic && self.flags.auto_shutdown != AutoShutdown::Never {
            return Err(FlagsError::InvalidAutoShutdown);
        }
        Ok(())
    }

    /// Whether a child that stopped, and is not restarted, keeps its spec (`undefined`) or
    /// is removed. Also what an `ignore` at start does.
    fn keeps_stopped(&self, restart: Restart) -> bool {
        self.flavour == Flavour::Static && restart != Restart::Temporary
    }
}

/// How a child is named in a request: by id under a static supervisor, by pid under the
/// dynamic flavours (OTP: "if the supervisor is simple_one_for_one, Id must be the pid").
#[derive(Clone, Debug)]
pub(crate) enum ChildKey {
    Id(ChildId),
    Pid(Pid),
}

/// What happens to a child that exited by itself (R-RST-1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AfterExit {
    /// Restarted by the strategy, counted toward intensity.
    Restart,
    /// Not restarted: a temporary child, or a transient one that exited normally.
    Stopped,
}

/// The restart rule: permanent always, transient on an abnormal exit, temporary never.
pub(crate) fn after_exit(restart: Restart, reason: &ExitReason) -> AfterExit {
    match (restart, reason.is_benign()) {
        (Restart::Temporary, _) | (Restart::Transient, true) => AfterExit::Stopped,
        _ => AfterExit::Restart,
    }
}

/// A failed start as a request's answer.
pub(crate) fn child_error(id: &ChildId, e: StartError) -> ChildError {
    match e {
        StartError::AlreadyStarted(pid) => ChildError::AlreadyStarted(pid),
        reason => ChildError::StartFailed {
            id: id.clone(),
            reason,
        },
    }
}

/// A supervisor's state: its configuration, children and restart history.
#[derive(Debug)]
pub(crate) struct Engine {
    config: Config,
    table: ChildTable,
    intensity: RestartIntensity,
}

impl Engine {
    pub(crate) fn new(config: Config) -> Self {
        let intensity = RestartIntensity::new(config.flags.intensity, config.flags.period);
        Self {
            config,
            table: ChildTable::default(),
            intensity,
        }
    }

    pub(crate) fn flavour(&self) -> Flavour {
        self.config.flavour
    }

    /// Starts a static supervisor's children in order (R-SUP-1/2/3); on a failure stops the
    /// started ones newest first and gives up.
    pub(crate) async fn start_initial(
        &mut self,
        children: Vec<ChildSpec>,
        ctx: &mut Context<Supervisor>,
    ) -> Result<(), SupervisorStartError> {
        let mut seen = std::collections::HashSet::new();
        for child in &children {
            child.validate(self.config.flags.auto_shutdown)?;
            if !seen.insert(child.id().clone()) {
                return Err(SpecError::DuplicateChildId(child.id().clone()).into());
            }
        }
        for child in children {
            match child.start(&self.config.extra).await {
                Ok(pid) => self.add(child, pid),
                Err(reason) => {
                    self.shutdown(ctx).await;
                    return Err(SupervisorStartError::FailedToStartChild {
                        id: child.id().clone(),
                        reason,
                    });
                }
            }
        }
        Ok(())
    }

    /// Stores a child that started (`Some(pid)`) or returned ignore (`None`).
    fn add(&mut self, spec: ChildSpec, pid: Option<Pid>) {
        match pid {
            Some(pid) => {
                self.table.push(spec, ChildPid::Running(pid));
            }
            // R-SUP-4, R-DYN-2, R-SOFO-1: ignore keeps the spec only where stopped
            // children are kept.
            None if self.config.keeps_stopped(spec.get_restart()) => {
                self.table.push(spec, ChildPid::Undefined);
            }
            None => {}
        }
    }

    /// Adds a child and starts it (R-SUP-4, R-DYN-2, R-SOFO-1).
    pub(crate) async fn start_child(&mut self, spec: ChildSpec) -> Result<Option<Pid>, ChildError> {
        match self.config.flavour {
            Flavour::Static => {
                spec.validate(self.config.flags.auto_shutdown)?;
                if let Some(key) = self.table.key_of_id(spec.id()) {
                    return Err(match &self.table.get(key).map(|e| &e.state) {
                        Some(ChildPid::Running(pid)) => ChildError::AlreadyStarted(pid.clone()),
                        _ => ChildError::AlreadyPresent,
                    });
                }
            }
            Flavour::Dynamic | Flavour::Simple => {
                if spec.id().as_str().is_empty() {
                    return Err(SpecError::MissingId.into());
                }
                if spec.is_significant() {
                    if self.config.flavour == Flavour::Dynamic {
                        return Err(SpecError::SignificantNotSupported.into());
                    }
                    spec.validate(self.config.flags.auto_shutdown)?;
                }
                if self
                    .config
                    .max_children
                    .is_some_and(|max| self.table.len() >= max)
                {
                    return Err(ChildError::MaxChildren);
                }
            }
        }
        match spec.start(&self.config.extra).await {
            Ok(pid) => {
                self.add(spec, pid.clone());
                Ok(pid)
            }
            Err(e) => Err(child_error(spec.id(), e)),
        }
    }

    /// Stops a child; a static supervisor keeps its spec unless temporary, the dynamic
    /// flavours remove it (R-SUP-5, R-DYN-3, R-SOFO-3). Never restarts it, never counts
    /// toward intensity.
    pub(crate) async fn terminate_child(
        &mut self,
        key: &ChildKey,
        ctx: &mut Context<Supervisor>,
    ) -> Result<(), ChildError> {
        let Some(found) = self.find(key) else {
            // R-SOFO-3: simple_one_for_one answers ok for a dead pid.
            let dead = matches!(key, ChildKey::Pid(pid) if !pid.is_alive());
            let simple = self.config.flavour == Flavour::Simple;
            return if dead && simple {
                Ok(())
            } else {
                Err(ChildError::NotFound)
            };
        };
        self.stop(found, ctx).await;
        let restart = self.table.get(found).map(|e| e.spec.get_restart());
        if !restart.is_some_and(|r| self.config.keeps_stopped(r)) {
            self.table.remove(found);
        }
        Ok(())
    }

    /// Starts a stopped child again at its position (R-SUP-6); static supervisors only.
    pub(crate) async fn restart_child(&mut self, id: &ChildId) -> Result<Option<Pid>, ChildError> {
        let key = self.static_key(id)?;
        let Some(entry) = self.table.get(key) else {
            return Err(ChildError::NotFound);
        };
        match entry.state {
            ChildPid::Running(_) => return Err(ChildError::Running),
            ChildPid::Restarting => return Err(ChildError::Restarting),
            ChildPid::Undefined => {}
        }
        match entry.spec.start(&self.config.extra).await {
            Ok(pid) => {
                let state = pid.clone().map_or(ChildPid::Undefined, ChildPid::Running);
                self.table.set_state(key, state);
                Ok(pid)
            }
            Err(e) => Err(child_error(id, e)),
        }
    }

    /// Removes a stopped child's spec (R-SUP-7); static supervisors only.
    pub(crate) fn delete_child(&mut self, id: &ChildId) -> Result<(), ChildError> {
        let key = self.static_key(id)?;
        match self.table.get(key).map(|e| &e.state) {
            Some(ChildPid::Running(_)) => Err(ChildError::Running),
            Some(ChildPid::Restarting) => Err(ChildError::Restarting),
            _ => {
                self.table.remove(key);
                Ok(())
            }
        }
    }

    /// The child a request names: by id under a static supervisor, by pid (running, or
    /// restarting after it) under the dynamic flavours, which ignore ids.
    fn find(&self, key: &ChildKey) -> Option<Key> {
        match (self.config.flavour, key) {
            (Flavour::Static, ChildKey::Id(id)) => self.table.key_of_id(id),
            (Flavour::Dynamic | Flavour::Simple, ChildKey::Pid(pid)) => self.table.key_of_pid(pid),
            _ => None,
        }
    }

    fn static_key(&self, id: &ChildId) -> Result<Key, ChildError> {
        self.find(&ChildKey::Id(id.clone()))
            .ok_or(ChildError::NotFound)
    }

    /// The spec a child was started with (R-SUP-10).
    pub(crate) fn child_spec(&self, key: &ChildKey) -> Result<ChildSpec, ChildError> {
        self.find(key)
            .and_then(|k| self.table.get(k))
            .map(|e| e.spec.clone())
            .ok_or(ChildError::NotFound)
    }

    /// The children: a static supervisor's newest first with their ids (R-SUP-8), the
    /// dynamic flavours' without ids (R-DYN-4, R-SOFO-2).
    pub(crate) fn which_children(&self) -> Vec<ChildInfo> {
        let with_ids = self.config.flavour == Flavour::Static;
        self.table
            .iter()
            .rev()
            .map(|e| ChildInfo {
                id: with_ids.then(|| e.spec.id().clone()),
                pid: e.state.clone(),
                child_type: e.spec.get_child_type(),
            })
            .collect()
    }

    /// The counts (R-SUP-9, R-DYN-4); simple_one_for_one holds one spec (R-SOFO-2).
    pub(crate) fn count_children(&self) -> ChildCounts {
        let mut counts = ChildCounts {
            specs: if self.config.flavour == Flavour::Simple {
                1
            } else {
                self.table.len()
            },
            ..ChildCounts::default()
        };
        for e in self.table.iter() {
            if matches!(e.state, ChildPid::Running(_)) {
                counts.active += 1;
            }
            match e.spec.get_child_type() {
                ChildType::Worker => counts.workers += 1,
                ChildType::Supervisor => counts.supervisors += 1,
            }
        }
        counts
    }

    /// A child's exit (R-RST-1, R-AUTO-2/3). An exit from a pid that is not a running child
    /// is ignored (R-SUP-11).
    pub(crate) async fn on_exit(&mut self, exit: Exit, ctx: &mut Context<Supervisor>) -> Flow {
        let Some(from) = exit.from else {
            return Flow::Ok;
        };
        let Some(key) = self.table.key_of_pid(&from) else {
            return Flow::Ok;
        };
        let Some(entry) = self.table.get(key) else {
            return Flow::Ok;
        };
        if entry.state.pid() != Some(&from) {
            return Flow::Ok;
        }
        let restart = entry.spec.get_restart();
        let significant = entry.spec.is_significant();
        let id = entry.spec.id().clone();
        self.table.note_exit(key, exit.reason.clone());
        let after = after_exit(restart, &exit.reason);
        publish(ctx.pid(), Some(&id), || SupervisorEventKind::ChildExited {
            pid: from.clone(),
            reason: exit.reason.clone(),
            restarting: after == AfterExit::Restart,
        });
        match after {
            AfterExit::Restart => {
                tracing::warn!(supervisor = %ctx.pid(), child = %id, pid = %from, reason = %exit.reason, "child terminated");
                // Restarting from here on: found by its last pid until it runs again.
                self.table.set_state(key, ChildPid::Restarting);
                self.restart(key, &exit.reason, ctx).await
            }
            AfterExit::Stopped => {
                if !exit.reason.is_benign() {
                    tracing::warn!(supervisor = %ctx.pid(), child = %id, pid = %from, reason = %exit.reason, "temporary child exited");
                }
                if self.config.keeps_stopped(restart) {
                    self.table.set_state(key, ChildPid::Undefined);
                } else {
                    self.table.remove(key);
                }
                self.auto_shutdown(significant)
            }
        }
    }

    /// A queued retry of a failed restart (R-RST-4): a new restart, counted toward
    /// intensity, if the child still waits for one.
    pub(crate) async fn retry(
        &mut self,
        key: Key,
        why: &StartError,
        ctx: &mut Context<Supervisor>,
    ) -> Flow {
        match self.table.get(key) {
            Some(e) if e.state == ChildPid::Restarting => self.restart(key, why, ctx).await,
            _ => Flow::Ok,
        }
    }

    /// Restarts the child at `failed` by the strategy (R-RST-2), counting toward intensity
    /// (R-INT-1): `Stop(Shutdown)` when the intensity is exceeded.
    /// `why` is the child's last exit reason, or the error of its last failed restart: the
    /// give-up event names it.
    async fn restart(
        &mut self,
        failed: Key,
        why: &(dyn std::fmt::Display + Sync),
        ctx: &mut Context<Supervisor>,
    ) -> Flow {
        let id = self.table.get(failed).map(|e| e.spec.id().clone());
        if !self.intensity.add_restart(Instant::now()) {
            tracing::error!(
                supervisor = %ctx.pid(),
                child = ?id,
                reason = %why,
                intensity = self.config.flags.intensity,
                period = ?self.config.flags.period,
                "restart intensity exceeded; shutting down"
            );
            publish(ctx.pid(), id.as_ref(), || SupervisorEventKind::GaveUp {
                reason: why.to_string(),
            });
            if let Some(hook) = &self.config.on_give_up {
                hook(RestartLimit {
                    supervisor: ctx.pid().clone(),
                    child: id,
                    reason: why.to_string(),
                });
            }
            return Flow::Stop(ExitReason::Shutdown);
        }
        tracing::warn!(supervisor = %ctx.pid(), child = ?id, reason = %why, restarts_in_window = self.intensity.in_window(), "restarting child");
        let scope = Scope::of(self.config.flags.strategy);
        if scope == Scope::Failed {
            // The plan is the failed child alone: nothing to stop or remove.
            self.start_again(failed, ctx).await;
            return Flow::Ok;
        }
        let affected: Vec<Key> = self.table.keys_in(scope.range(failed)).collect();
        for &key in affected.iter().rev() {
            if self
                .table
                .get(key)
                .is_some_and(|e| strategy::stops(e.view(), key == failed))
            {
                self.stop(key, ctx).await;
            }
        }
        for &key in &affected {
            if self
                .table
                .get(key)
                .is_some_and(|e| strategy::removes(e.view(), key == failed))
            {
                self.table.remove(key);
            }
        }
        for &key in &affected {
            if self.table.contains(key) && !self.start_again(key, ctx).await {
                // The rest of the plan waits for the retry.
                break;
            }
        }
        Flow::Ok
    }

    /// Starts the child at `key` again. A failed start leaves it restarting with a retry
    /// queued through the mailbox, so the supervisor keeps answering between attempts
    /// (R-RST-4), and returns `false`.
    async fn start_again(&mut self, key: Key, ctx: &mut Context<Supervisor>) -> bool {
        let Some(entry) = self.table.get(key) else {
            return true;
        };
        let restart = entry.spec.get_restart();
        match entry.spec.start(&self.config.extra).await {
            Ok(Some(pid)) => {
                let restarts = self.table.count_restart(key);
                let id = self.table.get(key).map(|e| e.spec.id().clone());
                publish(ctx.pid(), id.as_ref(), || {
                    SupervisorEventKind::ChildRestarted {
                        pid: pid.clone(),
                        restarts,
                    }
                });
                self.table.set_state(key, ChildPid::Running(pid));
            }
            // R-DYN-5: a restart returning ignore removes a dynamic child; a static one
            // stays stopped.
            Ok(None) if self.config.keeps_stopped(restart) => {
                self.table.set_state(key, ChildPid::Undefined);
            }
            Ok(None) => {
                self.table.remove(key);
            }
            Err(e) => {
                let id = self.table.get(key).map(|e| e.spec.id().clone());
                tracing::warn!(supervisor = %ctx.pid(), child = ?id, error = %e, "restart failed; will retry");
                publish(ctx.pid(), id.as_ref(), || {
                    SupervisorEventKind::RestartFailed {
                        error: e.to_string(),
                    }
                });
                self.table.set_state(key, ChildPid::Restarting);
                ctx.myself().cast(Retry(key, e));
                return false;
            }
        }
        true
    }

    /// Stops the child at `key` if it runs, leaving it stopped (`undefined`), and unlinks it
    /// first so that its exit does not also arrive as an `Exit` message (R-SHUT-2/3).
    async fn stop(&mut self, key: Key, ctx: &mut Context<Supervisor>) {
        let Some(entry) = self.table.get(key) else {
            return;
        };
        let (shutdown, restart) = (entry.spec.get_shutdown(), entry.spec.get_restart());
        let running = entry.state.pid().cloned();
        self.table.set_state(key, ChildPid::Undefined);
        if let Some(pid) = running {
            ctx.unlink(&pid);
            let reason = stop_child(&pid, shutdown, restart).await;
            self.table.note_exit(key, reason);
        }
    }

    /// R-AUTO-2/3: a significant child exited by itself and is not restarted.
    fn auto_shutdown(&self, significant: bool) -> Flow {
        if !significant {
            return Flow::Ok;
        }
        let shut = match self.config.flags.auto_shutdown {
            AutoShutdown::Never => false,
            AutoShutdown::AnySignificant => true,
            AutoShutdown::AllSignificant => !self
                .table
                .iter()
                .any(|e| e.spec.is_significant() && matches!(e.state, ChildPid::Running(_))),
        };
        if shut {
            Flow::Stop(ExitReason::Shutdown)
        } else {
            Flow::Ok
        }
    }

    /// Stops every child: a static supervisor one at a time, newest first (R-SHUT-1); the
    /// dynamic flavours all at once (R-SHUT-4). The table is empty afterwards.
    pub(crate) async fn shutdown(&mut self, ctx: &mut Context<Supervisor>) {
        if self.config.flavour == Flavour::Static {
            let keys: Vec<Key> = self.table.keys_in(..).rev().collect();
            for key in keys {
                self.stop(key, ctx).await;
            }
            drop(self.table.drain());
            return;
        }
        let mut running = Vec::new();
        for entry in self.table.drain() {
            if let Some(pid) = entry.state.pid() {
                ctx.unlink(pid);
                running.push((pid.clone(), entry.spec.get_shutdown()));
            }
        }
        stop_all_at_once(running).await;
    }
}

#[cfg(test)]
mod tests;
