//! The HTTP side: the page, the JSON API, the event stream and the actions.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use actor_core::{ActorId, ExitReason, find_actor};
use actor_supervisor::{ChildId, SupervisorKind, SupervisorRef, inspect};
use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::mpsc;

use crate::hub::Shared;
use crate::model::{self, ActorJson};

/// The page: one file, no external assets.
const PAGE: &str = include_str!("page.html");

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/", get(page))
        .route("/api/config", get(config))
        .route("/api/tree", get(tree))
        .route("/api/log", get(log))
        .route("/api/actors", get(actors))
        .route("/api/actors/{id}", get(actor))
        .route("/api/events", get(events))
        .route("/api/actors/{id}/kill", post(kill))
        .route(
            "/api/supervisors/{id}/children/{child}/restart",
            post(restart_child),
        )
        .with_state(shared)
}

async fn page() -> impl IntoResponse {
    ([(header::CACHE_CONTROL, "no-store")], Html(PAGE))
}

async fn config(State(shared): State<Arc<Shared>>) -> Json<serde_json::Value> {
    Json(json!({ "actions": shared.allow_actions }))
}

async fn tree(State(shared): State<Arc<Shared>>) -> Response {
    let tree = model::tree(&shared.roots, shared.timeout).await;
    Json(tree).into_response()
}

async fn log(State(shared): State<Arc<Shared>>) -> Response {
    Json(shared.log_snapshot()).into_response()
}

#[derive(Deserialize)]
struct ListQuery {
    /// `mailbox` (default), `handled`, `id` or `type`.
    sort: Option<String>,
    /// At most this many (default 500).
    limit: Option<usize>,
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({ "error": message.into() }))).into_response()
}

async fn actors(Query(q): Query<ListQuery>) -> Response {
    let mut list: Vec<ActorJson> = actor_core::live_actors()
        .iter()
        .map(|pid| ActorJson::of(&pid.info()))
        .collect();
    match q.sort.as_deref().unwrap_or("mailbox") {
        "mailbox" => list.sort_by(|a, b| b.mailbox_len.cmp(&a.mailbox_len).then(a.id.cmp(&b.id))),
        "handled" => list.sort_by(|a, b| {
            b.messages_handled
                .cmp(&a.messages_handled)
                .then(a.id.cmp(&b.id))
        }),
        "id" => list.sort_by_key(|a| a.id),
        "type" => list.sort_by(|a, b| a.actor_type.cmp(b.actor_type).then(a.id.cmp(&b.id))),
        other => {
            return error(
                StatusCode::BAD_REQUEST,
                format!("unknown sort `{other}`: use mailbox, handled, id or type"),
            );
        }
    }
    let total = list.len();
    list.truncate(q.limit.unwrap_or(500));
    Json(json!({ "total": total, "actors": list })).into_response()
}

async fn actor(Path(id): Path<u64>) -> Response {
    match find_actor(ActorId::from_u64(id)) {
        Some(pid) => Json(ActorJson::of(&pid.info())).into_response(),
        None => not_found(id),
    }
}

/// The answer for an actor number that names no live actor.
fn not_found(id: u64) -> Response {
    error(
        StatusCode::NOT_FOUND,
        format!("no live actor {}", ActorId::from_u64(id)),
    )
}

fn refused() -> Response {
    error(
        StatusCode::FORBIDDEN,
        "actions are disabled; start the observer with allow_actions(true) to enable them",
    )
}

async fn kill(State(shared): State<Arc<Shared>>, Path(id): Path<u64>) -> Response {
    if !shared.allow_actions {
        return refused();
    }
    let Some(pid) = find_actor(ActorId::from_u64(id)) else {
        return not_found(id);
    };
    pid.kill();
    let reason: ExitReason = pid.exited().await;
    Json(json!({ "killed": pid.to_string(), "reason": reason.to_string() })).into_response()
}

async fn restart_child(
    State(shared): State<Arc<Shared>>,
    Path((id, child)): Path<(u64, String)>,
) -> Response {
    if !shared.allow_actions {
        return refused();
    }
    let Some(pid) = find_actor(ActorId::from_u64(id)) else {
        return not_found(id);
    };
    match inspect(&pid, shared.timeout).await {
        Ok(report) if report.kind == SupervisorKind::Static => {}
        Ok(_) => {
            return error(
                StatusCode::BAD_REQUEST,
                "restart by id is for static supervisors; kill a dynamic supervisor's child instead",
            );
        }
        Err(_) => return error(StatusCode::NOT_FOUND, format!("{pid} is not a supervisor")),
    }
    let Some(sup) = SupervisorRef::from_pid(&pid).await else {
        return error(StatusCode::NOT_FOUND, format!("{pid} is not a supervisor"));
    };
    let sup = sup.with_timeout(shared.timeout);
    let child = ChildId::from(child.as_str());
    if let Err(e) = sup.terminate_child(child.clone()).await {
        return error(StatusCode::CONFLICT, e.to_string());
    }
    match sup.restart_child(child).await {
        Ok(new) => {
            shared.poke.notify_one();
            Json(json!({ "restarted": new.map(|p| p.to_string()) })).into_response()
        }
        Err(e) => error(StatusCode::CONFLICT, e.to_string()),
    }
}

/// The live stream: the current tree first, then every change of it (`event: tree`) and
/// every supervisor event (`event: log`).
async fn events(State(shared): State<Arc<Shared>>) -> impl IntoResponse {
    let (tx, rx) = mpsc::channel::<Event>(64);
    let mut tree = shared.tree.subscribe();
    let mut log = shared.log_tx.subscribe();
    let mut stopped = shared.stopped.clone();
    shared.poke.notify_one();
    tokio::spawn(async move {
        // The tree as the hub last saw it, once it has looked at all: a stream opened
        // before its first look gets that look, not an empty tree.
        let first = tokio::select! {
            first = tree.wait_for(Option::is_some) => match first {
                Ok(first) => first.clone(),
                Err(_) => return,
            },
            () = crate::hub::until_stopped(&mut stopped) => return,
        };
        let Some(first) = first else { return };
        if tx
            .send(Event::default().event("tree").data(&*first))
            .await
            .is_err()
        {
            return;
        }
        loop {
            let event = tokio::select! {
                changed = tree.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    let Some(text) = tree.borrow_and_update().clone() else {
                        continue;
                    };
                    Event::default().event("tree").data(&*text)
                }
                entry = log.recv() => match entry {
                    Ok(text) => Event::default().event("log").data(&*text),
                    // Fell behind: the page reloads the log.
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                        Event::default().event("lagged").data("{}")
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                },
                // The page went away, or the observer stops.
                () = tx.closed() => return,
                () = crate::hub::until_stopped(&mut stopped) => return,
            };
            if tx.send(event).await.is_err() {
                return;
            }
        }
    });
    Sse::new(ChannelStream(rx)).keep_alive(KeepAlive::default())
}

/// An mpsc receiver as the `Stream` an SSE response reads.
pub(crate) struct ChannelStream(mpsc::Receiver<Event>);

impl futures_core::Stream for ChannelStream {
    type Item = Result<Event, Infallible>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.0.poll_recv(cx).map(|e| e.map(Ok))
    }
}
