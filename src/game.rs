//! Seed 001, "Elixir 1.5 simple_one_for_one → Elixir 1.6 DynamicSupervisor": a [`Game`] adds
//! [`Player`]s through a [`PlayerSupervisor`], so a crashing player is restarted instead of
//! lost. The supervisor is shown both ways the article shows it: the one-template
//! `simple_one_for_one` style ([`PlayerSupervisor::simple_one_for_one`]) and a
//! `DynamicSupervisor` that receives a child spec per player ([`PlayerSupervisor::dynamic`]).
//! Players are named `player:<name>` and games `game:<id>` (the article's `{:global, …}`
//! names; this node has one local name table, [`LocalRegistry`]).

use actor_core::{Actor, Call, CallReply, Cast, Context, ExitReason, Flow, InitError, Pid};
use actor_registry::LocalRegistry;
use actor_supervisor::{
    ChildCounts, ChildError, ChildInfo, ChildSpec, DynamicSupervisor, DynamicSupervisorRef,
    SimpleOneForOne, SupervisorStartError, started,
};

/// A player: `%{name: player_name, game_id: game_id}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Player {
    /// The player's name.
    pub name: String,
    /// The game the player joined.
    pub game_id: u64,
}

/// Call: `Player.get/1`, answers the player's state.
#[derive(Debug, Clone, Copy)]
pub struct Get;

/// Cast: the player process hits a bug and panics (to show the supervisor restarting it).
#[derive(Debug, Clone, Copy)]
pub struct Trip;

impl Actor for Player {
    type Args = (String, u64);
    async fn init(
        (name, game_id): (String, u64),
        _: &mut Context<Self>,
    ) -> Result<Self, InitError> {
        Ok(Player { name, game_id })
    }
    async fn terminate(&mut self, reason: &ExitReason, ctx: &mut Context<Self>) {
        println!(
            "    player {} ({}) terminates: {reason}",
            self.name,
            ctx.pid()
        );
    }
}

impl Call<Get> for Player {
    type Reply = Player;
    async fn handle_call(&mut self, _: Get, _: &mut Context<Self>) -> CallReply<Player> {
        CallReply::Reply(self.clone())
    }
}

impl Cast<Trip> for Player {
    async fn handle_cast(&mut self, _: Trip, _: &mut Context<Self>) -> Flow {
        panic!("player {} tripped over a bug", self.name);
    }
}

/// The local name of a player: `"player:<name>"`.
pub fn player_name(name: &str) -> String {
    format!("player:{name}")
}

/// The article's `PlayerSupervisor` / `PlayerDynamicSupervisor`, behind one API.
#[derive(Debug, Clone)]
pub enum PlayerSupervisor {
    /// One template child spec; `start_child` takes the player's arguments.
    SimpleOneForOne(SimpleOneForOne<(String, u64)>),
    /// `start_child` takes a full child spec, built per player.
    Dynamic {
        /// The supervisor.
        supervisor: DynamicSupervisorRef,
        /// Where players are named.
        names: LocalRegistry,
    },
}

impl PlayerSupervisor {
    /// `Supervisor.init([Player], strategy: :simple_one_for_one)`.
    ///
    /// # Errors
    ///
    /// The supervisor's start error.
    pub async fn simple_one_for_one(names: LocalRegistry) -> Result<Self, SupervisorStartError> {
        let sup = SimpleOneForOne::builder("player", move |(name, game_id): (String, u64)| {
            let start =
                Player::start_link((name.clone(), game_id)).name(names.name(player_name(&name)));
            async move { started(start.await) }
        })
        .start_link()
        .await?;
        Ok(PlayerSupervisor::SimpleOneForOne(sup))
    }

    /// `DynamicSupervisor.init(strategy: :one_for_one)`.
    ///
    /// # Errors
    ///
    /// The supervisor's start error.
    pub async fn dynamic(names: LocalRegistry) -> Result<Self, SupervisorStartError> {
        let supervisor = DynamicSupervisor::builder().start_link().await?;
        Ok(PlayerSupervisor::Dynamic { supervisor, names })
    }

    /// `add_player(player_name, game_id)`: starts a supervised, named player.
    ///
    /// # Errors
    ///
    /// `AlreadyStarted(pid)` if the name is taken, or another [`ChildError`].
    pub async fn add_player(&self, name: &str, game_id: u64) -> Result<Pid, ChildError> {
        let started = match self {
            PlayerSupervisor::SimpleOneForOne(sup) => {
                sup.start_child((name.to_owned(), game_id)).await
            }
            PlayerSupervisor::Dynamic { supervisor, names } => {
                // `{Player, {player_name, game_id}}`, i.e. `Player.child_spec({…})`.
                let local = names.name(player_name(name));
                let args = (name.to_owned(), game_id);
                let spec = ChildSpec::new(player_name(name), move || {
                    let start = Player::start_link(args.clone()).name(local.clone());
                    async move { started(start.await) }
                });
                supervisor.start_child(spec).await
            }
        };
        started?.ok_or(ChildError::NoProc)
    }

    /// `remove_player(player_pid)`: terminates the player and removes it from supervision.
    ///
    /// # Errors
    ///
    /// `NotFound` if `pid` is not a child.
    pub async fn remove_player(&self, pid: &Pid) -> Result<(), ChildError> {
        match self {
            PlayerSupervisor::SimpleOneForOne(sup) => sup.terminate_child(pid).await,
            PlayerSupervisor::Dynamic { supervisor, .. } => supervisor.terminate_child(pid).await,
        }
    }

    /// `which_children`.
    ///
    /// # Errors
    ///
    /// The supervisor is gone.
    pub async fn children(&self) -> Result<Vec<ChildInfo>, ChildError> {
        match self {
            PlayerSupervisor::SimpleOneForOne(sup) => sup.which_children().await,
            PlayerSupervisor::Dynamic { supervisor, .. } => supervisor.which_children().await,
        }
    }

    /// `count_children`.
    ///
    /// # Errors
    ///
    /// The supervisor is gone.
    pub async fn count_children(&self) -> Result<ChildCounts, ChildError> {
        match self {
            PlayerSupervisor::SimpleOneForOne(sup) => sup.count_children().await,
            PlayerSupervisor::Dynamic { supervisor, .. } => supervisor.count_children().await,
        }
    }

    /// Stops the supervisor and every player.
    ///
    /// # Errors
    ///
    /// The supervisor was already gone.
    pub async fn stop(&self) -> Result<(), actor_core::StopError> {
        match self {
            PlayerSupervisor::SimpleOneForOne(sup) => sup.stop(ExitReason::Shutdown).await,
            PlayerSupervisor::Dynamic { supervisor, .. } => {
                supervisor.stop(ExitReason::Shutdown).await
            }
        }
    }
}

/// The article's `SupervisedGame`: adds players through the [`PlayerSupervisor`].
#[derive(Debug)]
pub struct Game {
    game_id: u64,
    players: PlayerSupervisor,
}

/// Call: `Game.add_player(pid, player_name)`; replies the supervisor's start result.
#[derive(Debug, Clone)]
pub struct AddPlayer(pub String);

impl Actor for Game {
    type Args = (u64, PlayerSupervisor);
    async fn init(
        (game_id, players): Self::Args,
        _: &mut Context<Self>,
    ) -> Result<Self, InitError> {
        Ok(Game { game_id, players })
    }
}

impl Call<AddPlayer> for Game {
    type Reply = Result<Pid, ChildError>;
    async fn handle_call(
        &mut self,
        AddPlayer(name): AddPlayer,
        _: &mut Context<Self>,
    ) -> CallReply<Result<Pid, ChildError>> {
        CallReply::Reply(self.players.add_player(&name, self.game_id).await)
    }
}

/// The local name of a game: `"game:<id>"`.
pub fn game_name(game_id: u64) -> String {
    format!("game:{game_id}")
}
