//! Seed 000, "Using Elixir Dynamic Supervisors": a web client for telnet games.
//!
//! A [`Session`] actor per (user, game) holds a real TCP connection to a game server, strips
//! the telnet control sequences from what the game sends and forwards the text to the browser
//! tab attached to it (a [`BrowserChannel`], the stand-in for the Phoenix channel process).
//! Sessions run under a `DynamicSupervisor` as `transient` children and are named by
//! `(user, game)` in a unique [`Registry`], so a page reload finds the running session and
//! attaches the new tab to it instead of opening a second connection ([`WebClient::connect`]).
//! A session that ends normally (the player typed `quit`) is deleted; one that loses its
//! connection crashes and is restarted, reconnects and keeps its name.
//!
//! [`GameServer`] is the small line-based telnet game the example and the tests connect to.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use actor_core::{
    Actor, ActorRef, Call, CallReply, Cast, Context, ExitReason, Flow, Info, InitError, Pid,
    ReplyTo,
};
use actor_registry::Registry;
use actor_supervisor::{ChildError, ChildSpec, DynamicSupervisor, DynamicSupervisorRef, Restart};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

// ---- telnet ---------------------------------------------------------------------------------

const IAC: u8 = 255;
const SB: u8 = 250;
const SE: u8 = 240;
const GA: u8 = 249;
const WILL: u8 = 251;
const WONT: u8 = 252;
const DO: u8 = 253;
const DONT: u8 = 254;
const ECHO: u8 = 1;

/// Strips telnet commands (`IAC WILL/WONT/DO/DONT opt`, `IAC SB … IAC SE`, `IAC GA` and the
/// other two-byte commands) from a byte stream and cuts the text into lines.
///
/// The parser keeps its state between calls, so a command split across two TCP reads is
/// still removed. `IAC IAC` is a literal `0xFF` byte. A line ends at `\n`; `IAC GA` ("go
/// ahead", sent after a prompt) also ends the current line, so prompts are forwarded too.
/// Carriage returns are dropped.
///
/// # Examples
///
/// ```
/// use otp_actors::web_client::TelnetText;
///
/// let mut telnet = TelnetText::default();
/// // IAC WILL ECHO, then "Hel", split in the middle of a subnegotiation…
/// let mut lines = telnet.feed(b"\xff\xfb\x01Hel\xff\xfa\xc9Core");
/// lines.extend(telnet.feed(b"\xff\xf0lo\r\nName?\xff\xf9"));
/// assert_eq!(lines, ["Hello", "Name?"]);
/// ```
#[derive(Debug, Default)]
pub struct TelnetText {
    state: TelnetState,
    line: Vec<u8>,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum TelnetState {
    #[default]
    Text,
    Iac,
    Option,
    Sub,
    SubIac,
}

impl TelnetText {
    /// Feeds bytes read from the connection; returns the lines they complete.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<String> {
        let mut lines = Vec::new();
        for &b in bytes {
            self.state = match (self.state, b) {
                (TelnetState::Text, IAC) => TelnetState::Iac,
                (TelnetState::Text, b'\n') => {
                    lines.push(self.take_line());
                    TelnetState::Text
                }
                (TelnetState::Text, b'\r') => TelnetState::Text,
                (TelnetState::Text, b) => {
                    self.line.push(b);
                    TelnetState::Text
                }
                (TelnetState::Iac, IAC) => {
                    self.line.push(IAC);
                    TelnetState::Text
                }
                (TelnetState::Iac, WILL | WONT | DO | DONT) => TelnetState::Option,
                (TelnetState::Iac, SB) => TelnetState::Sub,
                (TelnetState::Iac, GA) => {
                    if !self.line.is_empty() {
                        lines.push(self.take_line());
                    }
                    TelnetState::Text
                }
                (TelnetState::Iac, _) | (TelnetState::Option, _) => TelnetState::Text,
                (TelnetState::Sub, IAC) => TelnetState::SubIac,
                (TelnetState::Sub, _) => TelnetState::Sub,
                (TelnetState::SubIac, SE) => TelnetState::Text,
                (TelnetState::SubIac, _) => TelnetState::Sub,
            };
        }
        lines
    }

    fn take_line(&mut self) -> String {
        let line = String::from_utf8_lossy(&self.line).trim_end().to_owned();
        self.line.clear();
        line
    }
}

// ---- the game server ------------------------------------------------------------------------

/// A tiny line-based telnet game ("MidMUD") listening on loopback.
///
/// Each connection is greeted with telnet negotiation, a subnegotiation and a prompt ended by
/// `IAC GA`; it understands `look`, `say <text>` and `quit` (answers `Goodbye.` and closes).
/// [`GameServer::hiccup`] drops every open connection without a word, as a network failure
/// would.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// let server = otp_actors::web_client::GameServer::start().await?;
/// assert!(server.addr().ip().is_loopback());
/// assert_eq!(server.accepted(), 0);
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct GameServer {
    addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
    hiccups: watch::Sender<u64>,
    _accept_loop: AbortOnDrop,
}

impl GameServer {
    /// Binds `127.0.0.1:0` and starts accepting players.
    ///
    /// # Errors
    ///
    /// The bind error, if loopback cannot be bound.
    pub async fn start() -> std::io::Result<GameServer> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let accepted = Arc::new(AtomicUsize::new(0));
        let (hiccups, _) = watch::channel(0u64);
        let count = accepted.clone();
        let signal = hiccups.clone();
        let accept_loop = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(serve_player(stream, signal.subscribe()));
            }
        });
        Ok(GameServer {
            addr,
            accepted,
            hiccups,
            _accept_loop: AbortOnDrop(accept_loop),
        })
    }

    /// Where the game listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// How many connections the game has accepted so far.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    /// Drops every open connection at once, without saying goodbye.
    pub fn hiccup(&self) {
        self.hiccups.send_modify(|n| *n += 1);
    }
}

async fn serve_player(stream: TcpStream, mut hiccup: watch::Receiver<u64>) {
    hiccup.mark_unchanged();
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    let mut greeting = vec![IAC, WILL, ECHO];
    greeting.extend_from_slice(b"Welcome to MidMUD!\r\n");
    greeting.extend_from_slice(&[IAC, SB, 201]);
    greeting.extend_from_slice(b"Core.Hello {\"name\":\"MidMUD\"}");
    greeting.extend_from_slice(&[IAC, SE]);
    greeting.extend_from_slice(b"Commands: look, say <text>, quit\r\n> ");
    greeting.extend_from_slice(&[IAC, GA]);
    if write.write_all(&greeting).await.is_err() {
        return;
    }
    loop {
        let line = tokio::select! {
            _ = hiccup.changed() => return,
            line = lines.next_line() => line,
        };
        let Ok(Some(line)) = line else { return };
        let command = line.trim();
        let answer = if command == "quit" {
            let _ = write.write_all(b"Goodbye.\r\n").await;
            let _ = write.shutdown().await;
            return;
        } else if command == "look" {
            "You are standing in a torch-lit hall.".to_owned()
        } else if let Some(text) = command.strip_prefix("say ") {
            format!("You say: {text}")
        } else {
            format!("Huh? ({command})")
        };
        let mut out = answer.into_bytes();
        out.extend_from_slice(b"\r\n> ");
        out.extend_from_slice(&[IAC, GA]);
        if write.write_all(&out).await.is_err() {
            return;
        }
    }
}

#[derive(Debug)]
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

// ---- the browser tab ------------------------------------------------------------------------

/// A browser tab's channel: receives the game's text from a session. The stand-in for the
/// Phoenix channel process whose pid the article stores in the client's state.
///
/// It prints each line it receives with its label, keeps them, and answers [`WaitFor`] once
/// enough matching lines have arrived (a deferred reply), so callers synchronise on what the
/// player actually sees.
#[derive(Debug)]
pub struct BrowserChannel {
    label: String,
    lines: Vec<String>,
    waiting: Vec<(WaitFor, ReplyTo<usize>)>,
}

/// Text for the tab (sent by a session, from any node).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Output(pub String);

/// Call: reply once at least `count` received lines contain `text`; the reply is that count.
#[derive(Debug, Clone)]
pub struct WaitFor {
    /// The text to look for.
    pub text: String,
    /// How many matching lines to wait for.
    pub count: usize,
}

impl WaitFor {
    /// Waits for `count` lines containing `text`.
    pub fn lines(text: &str, count: usize) -> Self {
        WaitFor {
            text: text.to_owned(),
            count,
        }
    }

    fn matches(&self, lines: &[String]) -> usize {
        lines.iter().filter(|l| l.contains(&self.text)).count()
    }
}

/// Call: every line the tab has received.
#[derive(Debug, Clone, Copy)]
pub struct Lines;

impl Actor for BrowserChannel {
    type Args = String;
    async fn init(label: String, _: &mut Context<Self>) -> Result<Self, InitError> {
        Ok(BrowserChannel {
            label,
            lines: Vec::new(),
            waiting: Vec::new(),
        })
    }
}

impl Cast<Output> for BrowserChannel {
    async fn handle_cast(&mut self, Output(line): Output, _: &mut Context<Self>) -> Flow {
        println!("    [{}] {line}", self.label);
        self.lines.push(line);
        let lines = &self.lines;
        let (ready, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut self.waiting)
            .into_iter()
            .partition(|(want, _)| want.matches(lines) >= want.count);
        self.waiting = waiting;
        for (want, reply) in ready {
            reply.send(want.matches(lines));
        }
        Flow::Ok
    }
}

impl Call<WaitFor> for BrowserChannel {
    type Reply = usize;
    async fn handle_call(&mut self, want: WaitFor, ctx: &mut Context<Self>) -> CallReply<usize> {
        let seen = want.matches(&self.lines);
        if seen >= want.count {
            return CallReply::Reply(seen);
        }
        if let Some(reply) = ctx.reply_to::<WaitFor>() {
            self.waiting.push((want, reply));
        }
        CallReply::NoReply
    }
}

impl Call<Lines> for BrowserChannel {
    type Reply = Vec<String>;
    async fn handle_call(&mut self, _: Lines, _: &mut Context<Self>) -> CallReply<Vec<String>> {
        CallReply::Reply(self.lines.clone())
    }
}

// ---- the session ----------------------------------------------------------------------------

/// The tab a session forwards to. It outlives a session crash: the restarted session finds
/// the tab attached last, not the one it was first started with. (In the article the channel
/// pid is part of the start arguments, so a restart after a reload would forward to a closed
/// tab; this slot is the fix.)
///
/// In a cluster it also carries the session's node, to reach tabs on other nodes.
#[derive(Debug, Clone, Default)]
pub struct Attachment {
    tab: Arc<Mutex<Option<Tab>>>,
    pub(crate) node: Option<actor_cluster::Node>,
}

/// A browser tab on this node, or on another node of a cluster (`web_cluster`).
#[derive(Debug, Clone)]
pub enum Tab {
    /// A tab of this node.
    Local(ActorRef<BrowserChannel>),
    /// A tab of another node.
    Remote(actor_cluster::RemoteRef<BrowserChannel>),
}

impl Tab {
    /// Sends the tab a line of game text.
    pub fn output(&self, line: String) {
        match self {
            Tab::Local(tab) => tab.cast(Output(line)),
            Tab::Remote(tab) => {
                // A line always encodes; a tab whose node is gone drops it, as a closed tab does.
                let _ = tab.cast(Output(line));
            }
        }
    }
}

impl Attachment {
    /// A slot holding `tab`.
    pub fn to(tab: Tab) -> Self {
        let attachment = Attachment::default();
        attachment.set(tab);
        attachment
    }

    /// A slot holding `tab`, for a session of `node`.
    pub fn on_node(tab: Tab, node: actor_cluster::Node) -> Self {
        let attachment = Attachment {
            node: Some(node),
            ..Attachment::default()
        };
        attachment.set(tab);
        attachment
    }

    fn set(&self, tab: Tab) {
        *self.tab.lock().unwrap_or_else(PoisonError::into_inner) = Some(tab);
    }

    fn get(&self) -> Option<Tab> {
        self.tab
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// The start arguments of a [`Session`].
#[derive(Debug, Clone)]
pub struct SessionArgs {
    /// The player.
    pub user: u64,
    /// The game.
    pub game: u64,
    /// Where the game listens.
    pub addr: SocketAddr,
    /// The tab to forward to.
    pub attachment: Attachment,
}

/// The backing process of one player's web client: the article's `Client` over `:gen_tcp`.
#[derive(Debug)]
pub struct Session {
    user: u64,
    game: u64,
    write: OwnedWriteHalf,
    pub(crate) attachment: Attachment,
    scrollback: VecDeque<String>,
    quitting: bool,
    _reader: AbortOnDrop,
}

const SCROLLBACK: usize = 50;

/// Cast: attach a (new) browser tab; it first receives the recent scrollback.
#[derive(Debug)]
pub struct SetChannel(pub ActorRef<BrowserChannel>);

/// Cast: a line the player typed (from any node).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Input(pub String);

/// Info from the session's reader: a line of game text, telnet commands already stripped.
#[derive(Debug)]
struct GameLine(String);

/// Info from the session's reader: the game closed the connection (or it broke).
#[derive(Debug)]
struct GameClosed;

impl Actor for Session {
    type Args = SessionArgs;

    async fn init(args: SessionArgs, ctx: &mut Context<Self>) -> Result<Self, InitError> {
        let stream = TcpStream::connect(args.addr)
            .await
            .map_err(|e| ExitReason::msg(format!("cannot reach the game: {e}")))?;
        let (mut read, write) = stream.into_split();
        let me = ctx.myself().clone();
        let reader = tokio::spawn(async move {
            let mut telnet = TelnetText::default();
            let mut buf = [0u8; 1024];
            while let Ok(n) = read.read(&mut buf).await {
                if n == 0 {
                    break;
                }
                for line in telnet.feed(&buf[..n]) {
                    me.send_info(GameLine(line));
                }
            }
            me.send_info(GameClosed);
        });
        println!(
            "  session {{{}, {}}} connected to the game as {}",
            args.user,
            args.game,
            ctx.pid()
        );
        Ok(Session {
            user: args.user,
            game: args.game,
            write,
            attachment: args.attachment,
            scrollback: VecDeque::new(),
            quitting: false,
            _reader: AbortOnDrop(reader),
        })
    }

    async fn terminate(&mut self, reason: &ExitReason, _: &mut Context<Self>) {
        println!(
            "  session {{{}, {}}} terminates: {reason}",
            self.user, self.game
        );
    }
}

impl Info<GameLine> for Session {
    async fn handle_info(&mut self, GameLine(line): GameLine, _: &mut Context<Self>) -> Flow {
        if self.scrollback.len() == SCROLLBACK {
            self.scrollback.pop_front();
        }
        self.scrollback.push_back(line.clone());
        if let Some(tab) = self.attachment.get() {
            tab.output(line);
        }
        Flow::Ok
    }
}

impl Info<GameClosed> for Session {
    async fn handle_info(&mut self, _: GameClosed, _: &mut Context<Self>) -> Flow {
        if self.quitting {
            Flow::Stop(ExitReason::Normal)
        } else {
            Flow::Stop(ExitReason::msg("connection to the game lost"))
        }
    }
}

impl Cast<Input> for Session {
    async fn handle_cast(&mut self, Input(line): Input, _: &mut Context<Self>) -> Flow {
        self.quitting |= line.trim() == "quit";
        let sent = self.write.write_all(format!("{line}\r\n").as_bytes()).await;
        match sent {
            Ok(()) => Flow::Ok,
            Err(e) => Flow::Stop(ExitReason::msg(format!("write to the game failed: {e}"))),
        }
    }
}

impl Cast<SetChannel> for Session {
    async fn handle_cast(&mut self, SetChannel(tab): SetChannel, _: &mut Context<Self>) -> Flow {
        self.attach(Tab::Local(tab));
        Flow::Ok
    }
}

impl Session {
    /// Attaches `tab`; it first receives the recent scrollback.
    pub(crate) fn attach(&mut self, tab: Tab) {
        for line in &self.scrollback {
            tab.output(line.clone());
        }
        self.attachment.set(tab);
    }
}

// ---- the web client -------------------------------------------------------------------------

/// The article's `WebClient` + `ClientSupervisor`: sessions under a `DynamicSupervisor`,
/// named by `(user, game)` in a unique registry.
///
/// # Examples
///
/// ```
/// use actor_core::Actor;
/// use otp_actors::web_client::{BrowserChannel, GameServer, WaitFor, WebClient};
/// # #[tokio::main]
/// # async fn main() {
/// let game = GameServer::start().await.unwrap();
/// let client = WebClient::start().await.unwrap();
/// let tab = BrowserChannel::start("tab".to_owned()).await.unwrap();
/// let session = client.connect(1, 1, game.addr(), tab.clone()).await.unwrap();
/// tab.call(WaitFor::lines("Welcome", 1)).await.unwrap();
/// // A reload finds the same session.
/// let tab2 = BrowserChannel::start("tab2".to_owned()).await.unwrap();
/// assert_eq!(client.connect(1, 1, game.addr(), tab2).await.unwrap(), session);
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct WebClient {
    sessions: Registry<(u64, u64), ()>,
    supervisor: DynamicSupervisorRef,
}

impl WebClient {
    /// Starts the session registry and the `ClientSupervisor`.
    ///
    /// # Errors
    ///
    /// A message if either cannot start.
    pub async fn start() -> Result<WebClient, String> {
        let sessions = Registry::unique("webclient")
            .start_link()
            .await
            .map_err(|e| e.to_string())?;
        let supervisor = DynamicSupervisor::builder()
            .start_link()
            .await
            .map_err(|e| e.to_string())?;
        Ok(WebClient {
            sessions,
            supervisor,
        })
    }

    /// The article's `WebClient.connect/2`: if the session for `(user, game)` runs, attach
    /// `tab` to it (a page reload); otherwise start one as a transient child.
    ///
    /// # Errors
    ///
    /// [`ChildError`] if a new session cannot start (for example the game is unreachable).
    pub async fn connect(
        &self,
        user: u64,
        game: u64,
        addr: SocketAddr,
        tab: ActorRef<BrowserChannel>,
    ) -> Result<Pid, ChildError> {
        if let Some(running) = self.session(user, game) {
            running.cast(SetChannel(tab));
            return Ok(running.pid());
        }
        let attachment = Attachment::to(Tab::Local(tab.clone()));
        let args = SessionArgs {
            user,
            game,
            addr,
            attachment,
        };
        let registry = self.sessions.clone();
        let spec = ChildSpec::new(format!("webclient:{user}:{game}"), move || {
            let start = Session::start_link(args.clone()).name(registry.via((user, game)));
            async move { actor_supervisor::started(start.await) }
        })
        .restart(Restart::Transient);
        match self.supervisor.start_child(spec).await {
            Ok(Some(pid)) => Ok(pid),
            Ok(None) => Err(ChildError::NoProc),
            // Two tabs raced to start the same session: the loser attaches to the winner.
            Err(ChildError::AlreadyStarted(pid)) => {
                if let Ok(running) = pid.downcast::<Session>() {
                    running.cast(SetChannel(tab));
                }
                Ok(pid)
            }
            Err(e) => Err(e),
        }
    }

    /// The running session of `(user, game)`, if any.
    pub fn session(&self, user: u64, game: u64) -> Option<ActorRef<Session>> {
        self.sessions
            .whereis(&(user, game))
            .and_then(|pid| pid.downcast::<Session>().ok())
    }

    /// The supervisor of the sessions.
    pub fn supervisor(&self) -> &DynamicSupervisorRef {
        &self.supervisor
    }
}
