//! Seed 002, "Background processes synchronization with GenServer and DynamicSupervisor":
//! GitHub pull-request mentions, synced in the background per client.
//!
//! One [`MentionSync`] actor per client ([`MentionsView`], the LiveView stand-in), started by
//! a `DynamicSupervisor` with restart `temporary` and named via a unique [`Registry`] keyed by
//! the client's id. It monitors the client and stops normally when the client goes DOWN; it
//! refreshes on an interval with `send_after`; it fetches the repository's pull requests and
//! their review comments page by page over HTTP (following the `Link: …; rel="next"`
//! header) and sends each new mention of the user to the client as it is found.
//!
//! [`GitHubServer`] serves the GitHub-REST-shaped JSON on loopback; the sync uses a real HTTP
//! client (hyper) against it.

use std::collections::{BTreeMap, HashSet};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use actor_core::{
    Actor, ActorId, ActorRef, Call, CallReply, Cast, Context, Down, ExitReason, Flow, Info,
    InitError, Pid, ReplyTo, TimerRef,
};
use actor_registry::Registry;
use actor_supervisor::{ChildError, ChildSpec, DynamicSupervisor, DynamicSupervisorRef, Restart};
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode, header};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;

// ---- the GitHub-shaped server ---------------------------------------------------------------

/// A GitHub user as the REST API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// The login.
    pub login: String,
}

/// A pull request (`GET /repos/{owner}/{repo}/pulls`), the fields the sync reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullRequest {
    /// The PR number.
    pub number: u64,
    /// The title.
    pub title: String,
}

/// A review comment (`GET /repos/{owner}/{repo}/pulls/{number}/comments`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comment {
    /// Unique comment id.
    pub id: u64,
    /// The author.
    pub user: User,
    /// Markdown text.
    pub body: String,
    /// Link to the comment.
    pub html_url: String,
}

#[derive(Debug, Default)]
struct Repo {
    pulls: BTreeMap<u64, (PullRequest, Vec<Comment>)>,
    next_comment: u64,
}

#[derive(Debug)]
struct ServerState {
    owner_repo: String,
    token: String,
    repo: Mutex<Repo>,
    requests: AtomicUsize,
}

/// A loopback HTTP server shaped like the GitHub REST API for one repository.
///
/// Routes: `GET /repos/{owner}/{repo}/pulls` and `GET /repos/{owner}/{repo}/pulls/{n}/comments`,
/// both paginated with `page` / `per_page` and a `Link` header with `rel="next"`; requests
/// must carry `Authorization: Bearer <token>` (401 `Bad credentials` otherwise).
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// use otp_actors::mentions::GitHubServer;
/// let github = GitHubServer::start("acme/widgets", "secret").await?;
/// github.add_comment(1, "Fix the widget", "alice", "@bob please look");
/// assert!(github.repo_url().ends_with("/repos/acme/widgets"));
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct GitHubServer {
    addr: SocketAddr,
    state: Arc<ServerState>,
    accept_loop: tokio::task::JoinHandle<()>,
}

impl Drop for GitHubServer {
    fn drop(&mut self) {
        self.accept_loop.abort();
    }
}

impl GitHubServer {
    /// Serves `owner_repo` (`"owner/name"`) on `127.0.0.1:0`, accepting `token`.
    ///
    /// # Errors
    ///
    /// The bind error.
    pub async fn start(owner_repo: &str, token: &str) -> std::io::Result<GitHubServer> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(ServerState {
            owner_repo: owner_repo.to_owned(),
            token: token.to_owned(),
            repo: Mutex::new(Repo::default()),
            requests: AtomicUsize::new(0),
        });
        let shared = state.clone();
        let accept_loop = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let state = shared.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        let state = state.clone();
                        async move { Ok::<_, Infallible>(route(&state, addr, &req)) }
                    });
                    // A client that goes away mid-request is not the server's problem.
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(GitHubServer {
            addr,
            state,
            accept_loop,
        })
    }

    /// The repository's API URL, `http://127.0.0.1:<port>/repos/<owner>/<repo>`.
    pub fn repo_url(&self) -> String {
        format!("http://{}/repos/{}", self.addr, self.state.owner_repo)
    }

    /// Adds a review comment to pull request `number` (creating the PR with `title` if new);
    /// returns the comment's id.
    pub fn add_comment(&self, number: u64, title: &str, author: &str, body: &str) -> u64 {
        let mut repo = self
            .state
            .repo
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        repo.next_comment += 1;
        let id = repo.next_comment;
        let (_, comments) = repo.pulls.entry(number).or_insert_with(|| {
            (
                PullRequest {
                    number,
                    title: title.to_owned(),
                },
                Vec::new(),
            )
        });
        comments.push(Comment {
            id,
            user: User {
                login: author.to_owned(),
            },
            body: body.to_owned(),
            html_url: format!(
                "https://github.com/{}/pull/{number}#r{id}",
                self.state.owner_repo
            ),
        });
        id
    }

    /// How many HTTP requests the server has answered.
    pub fn requests(&self) -> usize {
        self.state.requests.load(Ordering::SeqCst)
    }
}

fn route(state: &ServerState, addr: SocketAddr, req: &Request<Incoming>) -> Response<Full<Bytes>> {
    state.requests.fetch_add(1, Ordering::SeqCst);
    let authorized = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == format!("Bearer {}", state.token));
    if !authorized {
        return json(
            StatusCode::UNAUTHORIZED,
            &serde_json::json!({"message": "Bad credentials"}),
            None,
        );
    }
    let path = req.uri().path();
    let query = req.uri().query().unwrap_or("");
    let param = |name: &str| {
        query
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == name)
            .and_then(|(_, v)| v.parse::<usize>().ok())
    };
    let page = param("page").unwrap_or(1).max(1);
    let per_page = param("per_page").unwrap_or(30).clamp(1, 100);
    let prefix = format!("/repos/{}/pulls", state.owner_repo);
    let Some(rest) = path.strip_prefix(&prefix) else {
        return not_found();
    };
    let repo = state.repo.lock().unwrap_or_else(PoisonError::into_inner);
    let (items, total) = if rest.is_empty() || rest == "/" {
        let pulls: Vec<&PullRequest> = repo.pulls.values().map(|(pr, _)| pr).rev().collect();
        (page_of(&pulls, page, per_page), pulls.len())
    } else if let Some(number) = rest
        .strip_prefix('/')
        .and_then(|r| r.strip_suffix("/comments"))
        .and_then(|n| n.parse::<u64>().ok())
    {
        let Some((_, comments)) = repo.pulls.get(&number) else {
            return not_found();
        };
        let comments: Vec<&Comment> = comments.iter().collect();
        (page_of(&comments, page, per_page), comments.len())
    } else {
        return not_found();
    };
    let next = (page * per_page < total).then(|| {
        format!(
            "<http://{addr}{path}?page={}&per_page={per_page}>; rel=\"next\"",
            page + 1
        )
    });
    json(StatusCode::OK, &items, next)
}

fn page_of<T: Serialize>(items: &[T], page: usize, per_page: usize) -> serde_json::Value {
    let from = (page - 1).saturating_mul(per_page).min(items.len());
    let to = (from + per_page).min(items.len());
    serde_json::json!(&items[from..to])
}

fn not_found() -> Response<Full<Bytes>> {
    json(
        StatusCode::NOT_FOUND,
        &serde_json::json!({"message": "Not Found"}),
        None,
    )
}

fn json<T: Serialize>(status: StatusCode, body: &T, link: Option<String>) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(
        serde_json::to_vec(body).unwrap_or_default(),
    )));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    if let Some(link) = link.and_then(|l| header::HeaderValue::from_str(&l).ok()) {
        headers.insert(header::LINK, link);
    }
    response
}

// ---- the HTTP client side -------------------------------------------------------------------

type Http = Client<HttpConnector, Empty<Bytes>>;

/// Fetches one page of a GitHub list endpoint: its items and the `rel="next"` URL, if any.
async fn get_page<T: for<'de> Deserialize<'de>>(
    http: &Http,
    url: &str,
    token: &str,
) -> Result<(Vec<T>, Option<String>), String> {
    let request = Request::get(url)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::ACCEPT, "application/vnd.github+json")
        .body(Empty::new())
        .map_err(|e| e.to_string())?;
    let response = http
        .request(request)
        .await
        .map_err(|e| format!("GET {url}: {e}"))?;
    let status = response.status();
    let next = response
        .headers()
        .get(header::LINK)
        .and_then(|v| v.to_str().ok())
        .and_then(next_link);
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    if !status.is_success() {
        return Err(format!(
            "GET {url}: {status} {}",
            String::from_utf8_lossy(&body)
        ));
    }
    let items = serde_json::from_slice(&body).map_err(|e| format!("GET {url}: {e}"))?;
    Ok((items, next))
}

/// Fetches every page of a GitHub list endpoint, following `Link: <…>; rel="next"`.
async fn get_all<T: for<'de> Deserialize<'de>>(
    http: &Http,
    first: String,
    token: &str,
) -> Result<Vec<T>, String> {
    let mut url = Some(first);
    let mut all = Vec::new();
    while let Some(current) = url.take() {
        let (items, next) = get_page(http, &current, token).await?;
        all.extend(items);
        url = next;
    }
    Ok(all)
}

/// The `rel="next"` URL of a `Link` header.
fn next_link(link: &str) -> Option<String> {
    link.split(',').find_map(|part| {
        let (url, rel) = part.split_once(';')?;
        rel.contains("rel=\"next\"").then(|| {
            url.trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_owned()
        })
    })
}

// ---- the client (LiveView stand-in) ---------------------------------------------------------

/// A mention of the user in a pull-request comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mention {
    /// The pull request.
    pub pr: u64,
    /// The comment.
    pub comment: Comment,
}

/// Info: `{:new_mentions, pr_number, mentions}`.
#[derive(Debug, Clone)]
pub struct NewMentions {
    /// The pull request.
    pub pr: u64,
    /// Mentions not sent before.
    pub mentions: Vec<Comment>,
}

/// The LiveView process: shows mentions as they arrive.
#[derive(Debug)]
pub struct MentionsView {
    label: String,
    mentions: Vec<Mention>,
    waiting: Vec<(usize, ReplyTo<Vec<Mention>>)>,
}

/// Call: reply with the mentions once at least this many have arrived.
#[derive(Debug, Clone, Copy)]
pub struct WaitMentions(pub usize);

impl Actor for MentionsView {
    type Args = String;
    async fn init(label: String, _: &mut Context<Self>) -> Result<Self, InitError> {
        Ok(MentionsView {
            label,
            mentions: Vec::new(),
            waiting: Vec::new(),
        })
    }
}

impl Info<NewMentions> for MentionsView {
    async fn handle_info(&mut self, new: NewMentions, _: &mut Context<Self>) -> Flow {
        for comment in new.mentions {
            println!(
                "    [{}] PR #{}: {} wrote \"{}\"",
                self.label, new.pr, comment.user.login, comment.body
            );
            self.mentions.push(Mention {
                pr: new.pr,
                comment,
            });
        }
        let have = self.mentions.len();
        let (ready, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut self.waiting)
            .into_iter()
            .partition(|(n, _)| *n <= have);
        self.waiting = waiting;
        for (_, reply) in ready {
            reply.send(self.mentions.clone());
        }
        Flow::Ok
    }
}

impl Call<WaitMentions> for MentionsView {
    type Reply = Vec<Mention>;
    async fn handle_call(
        &mut self,
        WaitMentions(n): WaitMentions,
        ctx: &mut Context<Self>,
    ) -> CallReply<Vec<Mention>> {
        if self.mentions.len() >= n {
            return CallReply::Reply(self.mentions.clone());
        }
        if let Some(reply) = ctx.reply_to::<WaitMentions>() {
            self.waiting.push((n, reply));
        }
        CallReply::NoReply
    }
}

// ---- the sync actor -------------------------------------------------------------------------

/// The article's `GithubPrMentions.Mentions` GenServer.
#[derive(Debug)]
pub struct MentionSync {
    client: ActorRef<MentionsView>,
    interval: Duration,
    timer: Option<TimerRef>,
    base_url: String,
    username: String,
    token: String,
    per_page: usize,
    seen: HashSet<u64>,
    http: Http,
}

/// Cast: `{:set_initial_state, repo_url, username, token, lv_pid}`.
#[derive(Debug, Clone)]
pub struct SetInitialState {
    /// `http://…/repos/owner/name`.
    pub repo_url: String,
    /// Whose mentions (`@username`).
    pub username: String,
    /// The API token.
    pub token: String,
    /// The refresh interval.
    pub interval: Duration,
    /// Page size asked of the API.
    pub per_page: usize,
}

/// Cast: `{:fetch_pulls, page}`: fetch one page of pull requests and their comments, then
/// ask for the next page if the API says there is one.
#[derive(Debug, Clone, Copy)]
pub struct FetchPulls(pub usize);

/// Info: `:refresh_mentions`, sent by the interval timer.
#[derive(Debug, Clone, Copy)]
struct RefreshMentions;

impl Actor for MentionSync {
    type Args = ActorRef<MentionsView>;

    async fn init(
        client: ActorRef<MentionsView>,
        _: &mut Context<Self>,
    ) -> Result<Self, InitError> {
        Ok(MentionSync {
            client,
            interval: Duration::from_secs(60),
            timer: None,
            base_url: String::new(),
            username: String::new(),
            token: String::new(),
            per_page: 30,
            seen: HashSet::new(),
            http: Client::builder(TokioExecutor::new()).build_http(),
        })
    }

    async fn handle_down(&mut self, down: Down, _: &mut Context<Self>) -> Flow {
        println!(
            "  sync: client {} is DOWN ({}); stopping normally",
            down.pid, down.reason
        );
        Flow::Stop(ExitReason::Normal)
    }

    async fn terminate(&mut self, reason: &ExitReason, _: &mut Context<Self>) {
        println!("  sync for {} terminates: {reason}", self.client.pid());
    }
}

impl MentionSync {
    fn schedule_refresh(&mut self, ctx: &mut Context<Self>) {
        if let Some(old) = self.timer.take() {
            old.cancel();
        }
        self.timer = Some(ctx.send_after(self.interval, RefreshMentions));
    }

    /// One page of pull requests: every comment of each, mentions not seen before go to the
    /// client. Returns whether there is a next page.
    async fn fetch_pulls(&mut self, page: usize) -> Result<bool, String> {
        let url = format!(
            "{}/pulls?page={page}&per_page={}",
            self.base_url, self.per_page
        );
        let (pulls, next): (Vec<PullRequest>, _) = get_page(&self.http, &url, &self.token).await?;
        let needle = format!("@{}", self.username);
        for pr in pulls {
            let first = format!(
                "{}/pulls/{}/comments?page=1&per_page={}",
                self.base_url, pr.number, self.per_page
            );
            let comments: Vec<Comment> = get_all(&self.http, first, &self.token).await?;
            let mentions: Vec<Comment> = comments
                .into_iter()
                .filter(|c| c.body.contains(&needle) && self.seen.insert(c.id))
                .collect();
            if !mentions.is_empty() {
                self.client.send_info(NewMentions {
                    pr: pr.number,
                    mentions,
                });
            }
        }
        Ok(next.is_some())
    }
}

impl Cast<SetInitialState> for MentionSync {
    async fn handle_cast(&mut self, init: SetInitialState, ctx: &mut Context<Self>) -> Flow {
        ctx.monitor(&self.client.pid());
        self.base_url = init.repo_url;
        self.username = init.username;
        self.token = init.token;
        self.interval = init.interval;
        self.per_page = init.per_page.max(1);
        self.schedule_refresh(ctx);
        Flow::Ok
    }
}

impl Cast<FetchPulls> for MentionSync {
    async fn handle_cast(&mut self, FetchPulls(page): FetchPulls, ctx: &mut Context<Self>) -> Flow {
        match self.fetch_pulls(page).await {
            Ok(true) => ctx.myself().cast(FetchPulls(page + 1)),
            Ok(false) => {}
            // A failed fetch is retried at the next refresh, as the article's sync would.
            Err(e) => println!("  sync: {e}; retrying at the next refresh"),
        }
        Flow::Ok
    }
}

impl Info<RefreshMentions> for MentionSync {
    async fn handle_info(&mut self, _: RefreshMentions, ctx: &mut Context<Self>) -> Flow {
        ctx.myself().cast(FetchPulls(1));
        self.schedule_refresh(ctx);
        Flow::Ok
    }
}

// ---- the service ----------------------------------------------------------------------------

/// The application's `Registry.Mentions` + `Supervisor.Mentions` and `get_mentions/4`.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use actor_core::Actor;
/// use otp_actors::mentions::{GitHubServer, Mentions, MentionsView, WaitMentions};
/// # #[tokio::main]
/// # async fn main() {
/// let github = GitHubServer::start("acme/widgets", "t0ken").await.unwrap();
/// github.add_comment(7, "Speed up", "carol", "@dave can you review?");
/// let mentions = Mentions::start().await.unwrap();
/// let view = MentionsView::start("view".to_owned()).await.unwrap();
/// mentions
///     .get_mentions(&github.repo_url(), "dave", "t0ken", &view, Duration::from_secs(60), 30)
///     .await
///     .unwrap();
/// let found = view.call(WaitMentions(1)).await.unwrap();
/// assert_eq!(found[0].pr, 7);
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Mentions {
    registry: Registry<ActorId, ()>,
    supervisor: DynamicSupervisorRef,
}

impl Mentions {
    /// Starts the registry and the dynamic supervisor.
    ///
    /// # Errors
    ///
    /// A message if either cannot start.
    pub async fn start() -> Result<Mentions, String> {
        let registry = Registry::unique("Registry.Mentions")
            .start_link()
            .await
            .map_err(|e| e.to_string())?;
        let supervisor = DynamicSupervisor::builder()
            .start_link()
            .await
            .map_err(|e| e.to_string())?;
        Ok(Mentions {
            registry,
            supervisor,
        })
    }

    /// `get_mentions(repo_url, username, token, lv_pid)`: starts the client's sync (a
    /// temporary child named via the registry), hands it its state and asks for page 1.
    /// A second call for the same client reuses the running sync, as in the article.
    ///
    /// # Errors
    ///
    /// The [`ChildError`] if the sync cannot start.
    pub async fn get_mentions(
        &self,
        repo_url: &str,
        username: &str,
        token: &str,
        client: &ActorRef<MentionsView>,
        interval: Duration,
        per_page: usize,
    ) -> Result<Pid, ChildError> {
        let key = client.id();
        let registry = self.registry.clone();
        let lv = client.clone();
        let spec = ChildSpec::new(format!("Mentions:{key}"), move || {
            let start = MentionSync::start_link(lv.clone()).name(registry.via(key));
            async move { actor_supervisor::started(start.await) }
        })
        .restart(Restart::Temporary);
        let pid = match self.supervisor.start_child(spec).await {
            Ok(Some(pid)) | Err(ChildError::AlreadyStarted(pid)) => pid,
            Ok(None) => return Err(ChildError::NoProc),
            Err(e) => return Err(e),
        };
        let via = self.registry.via(key);
        // Only `MentionSync`s register in this registry: the casts cannot meet another type.
        let _ = via.cast::<MentionSync, _>(SetInitialState {
            repo_url: repo_url.to_owned(),
            username: username.to_owned(),
            token: token.to_owned(),
            interval,
            per_page,
        });
        let _ = via.cast::<MentionSync, _>(FetchPulls(1));
        Ok(pid)
    }

    /// The sync of `client`, found through the registry.
    pub fn sync_of(&self, client: &Pid) -> Option<Pid> {
        self.registry.whereis(&client.id())
    }

    /// The supervisor of the syncs.
    pub fn supervisor(&self) -> &DynamicSupervisorRef {
        &self.supervisor
    }
}

#[cfg(test)]
mod tests {
    use super::next_link;

    #[test]
    fn next_link_is_found_among_several_relations() {
        let link = "<http://h/x?page=1>; rel=\"prev\", <http://h/x?page=3>; rel=\"next\"";
        assert_eq!(next_link(link).as_deref(), Some("http://h/x?page=3"));
        assert_eq!(next_link("<http://h/x?page=1>; rel=\"prev\""), None);
    }
}
