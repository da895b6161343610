//! Seed 000 across nodes: the web client's sessions shared by global name.
//!
//! Each node runs the article's `ClientSupervisor` (a `DynamicSupervisor`) and serves the
//! browsers that reach it over HTTP. A session is named `webclient.{user}.{game}` in the
//! cluster's [`GlobalNames`] (the article's `:global`), given at start, so a browser reaching
//! any node finds the one running session: a reload on another node attaches the new tab to
//! it, across nodes. When a node dies its sessions' names are freed within the lease, and
//! the next connect starts a fresh session on a live node.
//!
//! The HTTP routes, on each node:
//! - `POST /sessions/{user}/{game}`: opens a tab on this node and connects it (attach to the
//!   running session, wherever it runs, or start one here). Answers
//!   `{"tab": N, "session": "<node.id>", "started": bool}`.
//! - `GET /tabs/{tab}/lines`: the lines the tab has received, as a JSON list.
//! - `POST /sessions/{user}/{game}/input` with the line as the body: sends it to the session,
//!   wherever it runs; 404 when none runs.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use actor_cluster::{GlobalNames, Node, RemoteMessage, RemotePid};
use actor_core::{Actor, ActorRef, Cast, Context, Flow};
use actor_supervisor::{ChildError, ChildSpec, DynamicSupervisor, DynamicSupervisorRef, Restart};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use crate::web_client::{
    Attachment, BrowserChannel, Input, Lines, Output, Session, SessionArgs, Tab,
};

impl RemoteMessage for Output {
    const NAME: &'static str = "webclient.output";
}

impl RemoteMessage for Input {
    const NAME: &'static str = "webclient.input";
}

/// Cast from any node: attach this tab (a reload, possibly on another node).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AttachTab(pub RemotePid);

impl RemoteMessage for AttachTab {
    const NAME: &'static str = "webclient.attach_tab";
}

impl Cast<AttachTab> for Session {
    async fn handle_cast(&mut self, AttachTab(tab): AttachTab, _: &mut Context<Self>) -> Flow {
        if let Some(node) = self.attachment.node.clone() {
            let tab = match node.remote_ref::<BrowserChannel>(tab.clone()).local() {
                Some(local) => Tab::Local(local),
                None => Tab::Remote(node.remote_ref(tab)),
            };
            self.attach(tab);
        }
        Flow::Ok
    }
}

/// What a connect did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Connected {
    /// The tab opened on this node.
    pub tab: u64,
    /// The session, as `node.id`.
    pub session: String,
    /// Whether this connect started the session (on this node).
    pub started: bool,
}

/// One node of the clustered web client.
#[derive(Debug, Clone)]
pub struct ClusterWebClient {
    node: Node,
    global: GlobalNames,
    supervisor: DynamicSupervisorRef,
    tabs: Arc<Mutex<HashMap<u64, ActorRef<BrowserChannel>>>>,
}

fn session_name(user: u64, game: u64) -> String {
    format!("webclient.{user}.{game}")
}

fn describe(pid: &RemotePid) -> String {
    format!("{}.{}", pid.node(), pid.id().as_u64())
}

impl ClusterWebClient {
    /// Starts this node's `ClientSupervisor`, and accepts the web client's messages from
    /// the other nodes.
    ///
    /// # Errors
    ///
    /// A message if the supervisor cannot start.
    pub async fn start(node: Node, global: GlobalNames) -> Result<Self, String> {
        node.accept_cast::<Session, Input>();
        node.accept_cast::<Session, AttachTab>();
        node.accept_cast::<BrowserChannel, Output>();
        let supervisor = DynamicSupervisor::builder()
            .start_link()
            .await
            .map_err(|e| e.to_string())?;
        Ok(Self {
            node,
            global,
            supervisor,
            tabs: Arc::default(),
        })
    }

    /// Opens a tab on this node and connects it to the session of `(user, game)`: attach to
    /// the running one on any node, or start one here under its global name.
    ///
    /// # Errors
    ///
    /// Why a new session could not start (the game is unreachable, or NATS is).
    pub async fn connect(
        &self,
        user: u64,
        game: u64,
        addr: SocketAddr,
    ) -> Result<Connected, String> {
        let tab = BrowserChannel::start(format!("tab {user}/{game}"))
            .await
            .map_err(|e| e.to_string())?;
        let tab_id = tab.id().as_u64();
        self.tabs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(tab_id, tab.clone());
        let name = session_name(user, game);
        if let Ok(Some(running)) = self.global.whereis(&name).await {
            self.attach(&running, &tab);
            return Ok(Connected {
                tab: tab_id,
                session: describe(&running),
                started: false,
            });
        }
        let args = SessionArgs {
            user,
            game,
            addr,
            attachment: Attachment::on_node(Tab::Local(tab.clone()), self.node.clone()),
        };
        let spec = ChildSpec::worker_named::<Session>(
            name,
            args,
            self.global.name(session_name(user, game)),
        )
        .restart(Restart::Transient);
        match self.supervisor.start_child(spec).await {
            Ok(Some(pid)) => Ok(Connected {
                tab: tab_id,
                session: describe(&self.node.remote_pid(&pid)),
                started: true,
            }),
            Ok(None) => Err("the session ignored its start".to_owned()),
            // Another tab, on this node or another, started it first: attach to that one.
            Err(ChildError::AlreadyStarted(stand_in)) => {
                let running = self
                    .node
                    .remote_of(&stand_in)
                    .unwrap_or_else(|| self.node.remote_pid(&stand_in));
                self.attach(&running, &tab);
                Ok(Connected {
                    tab: tab_id,
                    session: describe(&running),
                    started: false,
                })
            }
            Err(e) => Err(e.to_string()),
        }
    }

    fn attach(&self, session: &RemotePid, tab: &ActorRef<BrowserChannel>) {
        let tab = self.node.remote_pid(&tab.pid());
        // An attach always encodes; a session that is gone by now drops it.
        let _ = self
            .node
            .remote_ref::<Session>(session.clone())
            .cast(AttachTab(tab));
    }

    /// Sends a line the player typed to the session of `(user, game)`, wherever it runs;
    /// `false` when none runs.
    pub async fn input(&self, user: u64, game: u64, line: String) -> bool {
        match self.global.whereis(&session_name(user, game)).await {
            Ok(Some(session)) => self
                .node
                .remote_ref::<Session>(session)
                .cast(Input(line))
                .is_ok(),
            _ => false,
        }
    }

    /// The lines tab `tab` of this node has received.
    pub async fn lines(&self, tab: u64) -> Option<Vec<String>> {
        let tab = self
            .tabs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&tab)
            .cloned()?;
        tab.call(Lines).await.ok()
    }

    /// The HTTP routes (see the module's documentation).
    pub fn router(self, game: SocketAddr) -> Router {
        Router::new()
            .route("/sessions/{user}/{game}", post(connect_route))
            .route("/sessions/{user}/{game}/input", post(input_route))
            .route("/tabs/{tab}/lines", get(lines_route))
            .with_state((self, game))
    }
}

type Shared = State<(ClusterWebClient, SocketAddr)>;

async fn connect_route(
    State((client, addr)): Shared,
    Path((user, game)): Path<(u64, u64)>,
) -> Result<Json<Connected>, (StatusCode, String)> {
    client
        .connect(user, game, addr)
        .await
        .map(Json)
        .map_err(|e| (StatusCode::SERVICE_UNAVAILABLE, e))
}

async fn input_route(
    State((client, _)): Shared,
    Path((user, game)): Path<(u64, u64)>,
    line: String,
) -> StatusCode {
    if client.input(user, game, line).await {
        StatusCode::ACCEPTED
    } else {
        StatusCode::NOT_FOUND
    }
}

async fn lines_route(
    State((client, _)): Shared,
    Path(tab): Path<u64>,
) -> Result<Json<Vec<String>>, StatusCode> {
    client
        .lines(tab)
        .await
        .map(Json)
        .ok_or(StatusCode::NOT_FOUND)
}
