//! An HTTP service with one actor per chat room: what embedding the framework in an async
//! service looks like (`examples/rooms.rs`, `docs/embedding.md`).
//!
//! - Each room is a `Room` actor under a `DynamicSupervisor`, named through a `Registry`
//!   by its id (`Room::child_spec_named`): the first message to a room starts it, every later
//!   request finds it by name.
//! - A room that receives nothing for the configured idle time stops itself (`normal`, not
//!   restarted); a room that crashes is restarted empty (transient), the others untouched.
//! - The tree (the registry and the rooms' supervisor) runs as an `Application`; the HTTP
//!   server stops first on SIGTERM, then the tree, in order.
//! - Bad input gets a 400 and starts nothing.

use std::net::SocketAddr;
use std::time::Duration;

use actor_core::{Actor, Call, CallReply, Cast, Context, ExitReason, Flow, InitError};
use actor_registry::{LocalRegistry, Registry};
use actor_supervisor::{
    Application, Child, ChildError, DynamicSupervisor, DynamicSupervisorRef, Outcome, Supervisor,
    SupervisorFlags,
};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

/// The service's configuration file (`examples/config/rooms.json`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where to listen; port 0 picks a free one.
    pub listen: SocketAddr,
    /// A room with no request for this long stops.
    #[serde(with = "actor_supervisor::duration")]
    pub idle: Duration,
    /// At most this many rooms at once.
    pub max_rooms: usize,
    /// The rooms' supervisor's flags.
    pub rooms: SupervisorFlags,
    /// How long the ordered stop may take.
    #[serde(with = "actor_supervisor::duration")]
    pub shutdown_timeout: Duration,
}

/// One chat room: its messages, in order.
#[derive(Child, Debug)]
#[child(restart = "transient")]
pub struct Room {
    messages: Vec<String>,
    idle: Duration,
}

impl Actor for Room {
    type Args = Duration;
    async fn init(idle: Duration, ctx: &mut Context<Self>) -> Result<Self, InitError> {
        ctx.set_timeout(idle);
        Ok(Room {
            messages: Vec::new(),
            idle,
        })
    }

    async fn handle_timeout(&mut self, _: &mut Context<Self>) -> Flow {
        // Idle expiry: a normal exit, so the transient room is not restarted.
        Flow::Stop(ExitReason::Normal)
    }
}

/// Posts a message; replies with the room's message count.
#[derive(Debug)]
pub struct Post(pub String);
/// The room's messages.
#[derive(Debug)]
pub struct Read;
/// Crashes the room (the crash-isolation demo).
#[derive(Debug)]
pub struct Crash;

impl Call<Post> for Room {
    type Reply = usize;
    async fn handle_call(&mut self, Post(text): Post, ctx: &mut Context<Self>) -> CallReply<usize> {
        self.messages.push(text);
        ctx.set_timeout(self.idle);
        CallReply::Reply(self.messages.len())
    }
}

impl Call<Read> for Room {
    type Reply = Vec<String>;
    async fn handle_call(&mut self, _: Read, ctx: &mut Context<Self>) -> CallReply<Vec<String>> {
        ctx.set_timeout(self.idle);
        CallReply::Reply(self.messages.clone())
    }
}

impl Cast<Crash> for Room {
    async fn handle_cast(&mut self, _: Crash, _: &mut Context<Self>) -> Flow {
        panic!("room crashed on request")
    }
}

/// What the HTTP handlers share: the rooms' names and their supervisor.
#[derive(Clone)]
struct Rooms {
    names: Registry<u64, ()>,
    supervisor: actor_core::Name,
    idle: Duration,
}

impl Rooms {
    async fn supervisor(&self) -> Result<DynamicSupervisorRef, Failure> {
        // A handle from the name: the supervisor is a child of the tree, restarted with a
        // new pid if it ever crashes.
        DynamicSupervisorRef::whereis(&self.supervisor)
            .await
            .ok_or(Failure::Unavailable)
    }

    /// The room's actor, started if `start` and it is not running.
    async fn room(
        &self,
        id: u64,
        start: bool,
    ) -> Result<Option<actor_core::ActorRef<Room>>, Failure> {
        let name = self.names.via(id);
        if let Some(room) = name
            .whereis_ref::<Room>()
            .map_err(|_| Failure::Unavailable)?
        {
            return Ok(Some(room));
        }
        if !start {
            return Ok(None);
        }
        let spec = Room::child_spec_named(self.idle, name.clone());
        match self.supervisor().await?.start_child(spec).await {
            Ok(_) | Err(ChildError::AlreadyStarted(_)) => {}
            Err(ChildError::MaxChildren) => return Err(Failure::Full),
            Err(_) => return Err(Failure::Unavailable),
        }
        name.whereis_ref::<Room>().map_err(|_| Failure::Unavailable)
    }
}

/// Why a request failed, as an HTTP answer.
enum Failure {
    NotFound,
    Full,
    Unavailable,
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let (status, error) = match self {
            Failure::NotFound => (StatusCode::NOT_FOUND, "no such room"),
            Failure::Full => (StatusCode::SERVICE_UNAVAILABLE, "too many rooms"),
            Failure::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "rooms unavailable"),
        };
        (status, Json(serde_json::json!({ "error": error }))).into_response()
    }
}

/// A message as posted.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewMessage {
    text: String,
}

#[derive(Serialize)]
struct Posted {
    count: usize,
}

#[derive(Serialize)]
struct Messages {
    messages: Vec<String>,
}

async fn post_message(
    State(rooms): State<Rooms>,
    Path(id): Path<u64>,
    body: Result<Json<NewMessage>, axum::extract::rejection::JsonRejection>,
) -> Response {
    // Bad input is refused before any room is started.
    let text = match body {
        Ok(Json(m)) if !m.text.trim().is_empty() => m.text,
        Ok(_) => return bad_request("the message text is empty"),
        Err(e) => return bad_request(&e.body_text()),
    };
    let result = async {
        let room = rooms.room(id, true).await?.ok_or(Failure::NotFound)?;
        room.call(Post(text))
            .await
            .map_err(|_| Failure::Unavailable)
    }
    .await;
    match result {
        Ok(count) => (StatusCode::CREATED, Json(Posted { count })).into_response(),
        Err(f) => f.into_response(),
    }
}

async fn read_messages(State(rooms): State<Rooms>, Path(id): Path<u64>) -> Response {
    let result = async {
        let room = rooms.room(id, false).await?.ok_or(Failure::NotFound)?;
        room.call(Read).await.map_err(|_| Failure::NotFound)
    }
    .await;
    match result {
        Ok(messages) => Json(Messages { messages }).into_response(),
        Err(f) => f.into_response(),
    }
}

/// How many rooms run: asks the rooms' supervisor, not the rooms (no room's idle time is
/// touched).
async fn count_rooms(State(rooms): State<Rooms>) -> Response {
    let counted = async {
        let sup = rooms.supervisor().await?;
        sup.count_children().await.map_err(|_| Failure::Unavailable)
    }
    .await;
    match counted {
        Ok(counts) => Json(serde_json::json!({ "running": counts.active })).into_response(),
        Err(f) => f.into_response(),
    }
}

async fn crash_room(State(rooms): State<Rooms>, Path(id): Path<u64>) -> Response {
    match rooms.room(id, false).await {
        Ok(Some(room)) => {
            room.cast(Crash);
            StatusCode::ACCEPTED.into_response()
        }
        Ok(None) => Failure::NotFound.into_response(),
        Err(f) => f.into_response(),
    }
}

fn bad_request(why: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(serde_json::json!({ "error": why })),
    )
        .into_response()
}

/// Runs the service on `listener` until SIGTERM or SIGINT (when `signals`) or `shutdown`
/// completes: stops accepting, finishes the requests in flight, then stops the tree in
/// order. Returns how the tree's stop went.
///
/// # Errors
///
/// The tree did not start, or the signal handlers could not be installed.
///
/// # Cancel safety
///
/// Dropping the future drops the HTTP server's task handle but not the task, and leaves
/// the tree running: await it to the end to stop the service.
pub async fn serve(
    config: Config,
    listener: tokio::net::TcpListener,
    signals: bool,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<Outcome, Box<dyn std::error::Error + Send + Sync>> {
    // Installed before anything starts: a signal during startup is not lost.
    let signals = StopSignals::new(signals)?;
    let names = Registry::<u64, ()>::unique("rooms").build();
    let supervisor = LocalRegistry::new().name("rooms-supervisor");
    let tree = Supervisor::builder()
        .child(names.child_spec("rooms-registry"))
        .child(
            DynamicSupervisor::builder()
                .flags(config.rooms)
                .max_children(config.max_rooms)
                .name(supervisor.clone())
                .into_child_spec("rooms"),
        );
    let rooms = Rooms {
        names,
        supervisor,
        idle: config.idle,
    };
    let app = Router::new()
        .route("/health", get(|| async { "ok" }))
        .route("/rooms", get(count_rooms))
        .route(
            "/rooms/{id}/messages",
            post(post_message).get(read_messages),
        )
        .route("/rooms/{id}/crash", post(crash_room))
        .with_state(rooms);

    // The HTTP server starts once the tree runs (this future is polled only then; requests
    // that come sooner wait in the listener's backlog) and stops first: its end is what
    // stops the tree.
    let stop_requested = async move {
        let (stop_http, http_stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = http_stopped.await;
                })
                .await
        });
        tokio::select! {
            () = shutdown => {}
            () = signals.recv() => {}
        }
        let _ = stop_http.send(());
        let _ = server.await;
    };
    let outcome = Application::new(tree)
        .stop_on_signals(false)
        .shutdown_timeout(config.shutdown_timeout)
        .run_until(stop_requested)
        .await?;
    Ok(outcome)
}

/// SIGTERM and SIGINT (Ctrl-C off Unix), or none.
struct StopSignals {
    #[cfg(unix)]
    unix: Option<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)>,
    #[cfg(not(unix))]
    on: bool,
}

impl StopSignals {
    fn new(on: bool) -> std::io::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let unix = if on {
                Some((
                    signal(SignalKind::terminate())?,
                    signal(SignalKind::interrupt())?,
                ))
            } else {
                None
            };
            Ok(Self { unix })
        }
        #[cfg(not(unix))]
        {
            Ok(Self { on })
        }
    }

    /// The next stop signal; never, when off.
    async fn recv(self) {
        #[cfg(unix)]
        {
            let Some((mut term, mut int)) = self.unix else {
                return std::future::pending().await;
            };
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        }
        #[cfg(not(unix))]
        {
            if !self.on || tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }
}
