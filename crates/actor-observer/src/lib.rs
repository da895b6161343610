//! A live observer for `actor-core` systems, in the browser: what `:observer` and Phoenix
//! LiveDashboard give an Erlang or Elixir engineer.
//!
//! [`Observer`] serves, on an address you pick (127.0.0.1 by default):
//! - a page drawing the supervision trees you name, updated live over server-sent events:
//!   each supervisor's strategy and intensity, each child's state, restart count and last
//!   exit reason; an actor's details on click; a log of exits and restarts; every live
//!   actor in a table sortable by mailbox length;
//! - the JSON API behind it (`docs/observer.md` has the shapes);
//! - actions (kill an actor, restart a static child) only with
//!   [`allow_actions(true)`](Observer::allow_actions); otherwise they answer 403.
//!
//! With [`sample_metrics`](Observer::sample_metrics), it also feeds the `metrics` facade
//! (see [`metrics`]): live actors and mailbox depths per type, restarts per supervisor and
//! child. actor-core's own series (call durations, messages handled) come with its
//! `metrics` feature, which this crate turns on. Install the recorder you want
//! (Prometheus, OpenTelemetry) in your application.
//!
//! # Examples
//!
//! ```
//! use actor_observer::Observer;
//! use actor_supervisor::Supervisor;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let top = Supervisor::builder().start_link().await.unwrap();
//! let observer = Observer::new()
//!     .root(top.pid())
//!     .address("127.0.0.1:0".parse().unwrap()) // any free port, for this example
//!     .start()
//!     .await
//!     .unwrap();
//! println!("observer on http://{}", observer.local_addr());
//! observer.stop().await;
//! # }
//! ```
#![doc(test(attr(deny(warnings))))]

mod api;
mod hub;
pub mod metrics;
mod model;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use actor_core::{Name, Pid};
use tokio::sync::watch;

use crate::hub::Shared;
use crate::model::Root;

/// The address an observer listens on unless told otherwise: loopback only, port 4000.
pub const DEFAULT_ADDRESS: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 4000);

/// Why an observer did not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ObserverError {
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The system's error.
        #[source]
        source: std::io::Error,
    },
    /// Not called inside a tokio runtime.
    #[error("the observer needs a tokio runtime")]
    NoRuntime,
}

/// Configures an observer.
///
/// # Examples
///
/// See the [crate documentation](crate).
#[derive(Debug, Clone)]
#[must_use = "an observer does nothing until started"]
pub struct Observer {
    roots: Vec<Root>,
    address: SocketAddr,
    allow_actions: bool,
    tick: Duration,
    timeout: Duration,
    sample_every: Option<Duration>,
}

impl Default for Observer {
    fn default() -> Self {
        Self::new()
    }
}

impl Observer {
    /// An observer of no tree yet, on [`DEFAULT_ADDRESS`], actions off, no metrics.
    pub fn new() -> Self {
        Self {
            roots: Vec::new(),
            address: DEFAULT_ADDRESS,
            allow_actions: false,
            tick: Duration::from_millis(250),
            timeout: Duration::from_secs(1),
            sample_every: None,
        }
    }

    /// Draws the tree of the supervisor behind `pid` (any kind of `actor-supervisor`'s).
    pub fn root(mut self, pid: Pid) -> Self {
        self.roots.push(Root::Pid(pid));
        self
    }

    /// Draws the tree of the supervisor registered as `name`, looked up at each refresh, so
    /// a restarted root is found again.
    pub fn root_name(mut self, name: Name) -> Self {
        self.roots.push(Root::Name(name));
        self
    }

    /// Where to listen (default [`DEFAULT_ADDRESS`]). Port 0 picks a free port; see
    /// [`ObserverHandle::local_addr`]. Anything but loopback exposes the system's
    /// internals to the network: put it behind your own authentication.
    pub fn address(mut self, address: SocketAddr) -> Self {
        self.address = address;
        self
    }

    /// Enables the actions (kill an actor, restart a child). Off by default: the buttons are
    /// not shown and the endpoints answer 403.
    pub fn allow_actions(mut self, allow: bool) -> Self {
        self.allow_actions = allow;
        self
    }

    /// How often the tree is looked at while a page watches (default 250 ms). A supervisor
    /// event makes it look at once.
    pub fn refresh_every(mut self, tick: Duration) -> Self {
        self.tick = tick.max(Duration::from_millis(10));
        self
    }

    /// How long a supervisor may take to answer the observer (default 1 s); one that does
    /// not answer in time is drawn without its subtree.
    pub fn supervisor_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Samples every live actor each `every` into the `metrics` gauges (see [`metrics`]) and
    /// counts supervisor events. Off by default. A sample visits every actor: at a million
    /// actors it takes a fraction of a second of one core.
    pub fn sample_metrics(mut self, every: Duration) -> Self {
        self.sample_every = Some(every.max(Duration::from_millis(10)));
        self
    }

    /// Binds the address and serves until [`ObserverHandle::stop`] (or until the handle is
    /// dropped).
    ///
    /// # Errors
    ///
    /// [`ObserverError::Bind`] when the address cannot be bound, [`ObserverError::NoRuntime`]
    /// outside a tokio runtime.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future before it returns leaves nothing running: the server is spawned
    /// only once the address is bound, as the last step.
    pub async fn start(self) -> Result<ObserverHandle, ObserverError> {
        let runtime =
            tokio::runtime::Handle::try_current().map_err(|_| ObserverError::NoRuntime)?;
        let listener = tokio::net::TcpListener::bind(self.address)
            .await
            .map_err(|source| ObserverError::Bind {
                addr: self.address,
                source,
            })?;
        let local_addr = listener
            .local_addr()
            .map_err(|source| ObserverError::Bind {
                addr: self.address,
                source,
            })?;
        let (router, stop) = self.parts(&runtime);
        let mut serve_stop = stop.subscribe();
        let server = runtime.spawn(async move {
            let shutdown = async move {
                // Stopped, or every sender gone: either way, stop.
                let _ = serve_stop.wait_for(|stopped| *stopped).await;
            };
            if let Err(e) = axum::serve(listener, router)
                .with_graceful_shutdown(shutdown)
                .await
            {
                tracing::error!(error = %e, "the observer's server stopped");
            }
        });
        tracing::info!(address = %local_addr, "observer listening");
        Ok(ObserverHandle {
            local_addr,
            stop,
            server: Some(server),
        })
    }

    /// The observer as an `axum` router, to mount in your own server (under a path of your
    /// choosing with `Router::nest`), and the notifier that stops its background task.
    /// The page's requests are relative, so it works under any prefix.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime (the background task is spawned on the current one).
    pub fn into_router(self) -> (axum::Router, ObserverStop) {
        let runtime = match tokio::runtime::Handle::try_current() {
            Ok(rt) => rt,
            Err(e) => panic!("Observer::into_router needs a tokio runtime: {e}"),
        };
        let (router, stop) = self.parts(&runtime);
        (router, ObserverStop(stop))
    }

    fn parts(self, runtime: &tokio::runtime::Handle) -> (axum::Router, Arc<watch::Sender<bool>>) {
        let (stop, stopped) = watch::channel(false);
        let shared = Arc::new(Shared::new(
            self.roots,
            self.allow_actions,
            self.timeout,
            stopped,
        ));
        runtime.spawn(hub::run(shared.clone(), self.tick, self.sample_every));
        (api::router(shared), Arc::new(stop))
    }
}

/// Stops the background task of an observer mounted with [`Observer::into_router`].
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let (router, stop) = actor_observer::Observer::new().into_router();
/// let app = axum::Router::new().nest("/observer", router);
/// # drop(app);
/// stop.stop();
/// # }
/// ```
#[derive(Debug)]
pub struct ObserverStop(Arc<watch::Sender<bool>>);

impl ObserverStop {
    /// Stops the background task and ends open event streams (the router then serves the
    /// last tree it saw).
    pub fn stop(&self) {
        self.0.send_replace(true);
    }
}

/// A running observer.
///
/// # Examples
///
/// See the [crate documentation](crate).
#[derive(Debug)]
pub struct ObserverHandle {
    local_addr: SocketAddr,
    stop: Arc<watch::Sender<bool>>,
    server: Option<tokio::task::JoinHandle<()>>,
}

impl ObserverHandle {
    /// The address it listens on (the port picked, if 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops serving (open event streams end) and waits for the server to finish.
    ///
    /// # Cancel safety
    ///
    /// The stop is requested before the first await: dropping the future only stops the
    /// wait.
    pub async fn stop(mut self) {
        self.stop.send_replace(true);
        if let Some(server) = self.server.take() {
            // A server task that panicked has stopped too.
            let _ = server.await;
        }
    }
}

impl Drop for ObserverHandle {
    fn drop(&mut self) {
        self.stop.send_replace(true);
    }
}
