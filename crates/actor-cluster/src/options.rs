//! How a node is named and how it reaches NATS.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::error::ClusterError;

/// A node's name: what `node()` returns in Erlang. Unique among the running nodes of a
/// cluster (a second node started with a taken name is refused).
///
/// Letters, digits, `_`, `-` and `@`, at most 128 of them: a name is one token of the NATS
/// subjects the node listens on, where `.`, `*`, `>` and whitespace have a meaning.
///
/// # Examples
///
/// ```
/// use actor_cluster::NodeName;
/// assert_eq!(NodeName::new("web-1@eu").unwrap().as_str(), "web-1@eu");
/// assert!(NodeName::new("web.1").is_err());
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeName(Arc<str>);

impl NodeName {
    /// The longest name accepted.
    pub const MAX_LEN: usize = 128;

    /// Checks and wraps a name.
    ///
    /// # Errors
    ///
    /// [`ClusterError::InvalidName`] for an empty or too long name, or one with another
    /// character than letters, digits, `_`, `-` and `@`.
    pub fn new(name: impl AsRef<str>) -> Result<Self, ClusterError> {
        let name = name.as_ref();
        let ok_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '@');
        if name.is_empty() || name.len() > Self::MAX_LEN || !name.chars().all(ok_char) {
            return Err(ClusterError::InvalidName(name.to_owned()));
        }
        Ok(Self(Arc::from(name)))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Hashes and compares as its `str`, so maps keyed by names are searched with a `&str`.
impl std::borrow::Borrow<str> for NodeName {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl serde::Serialize for NodeName {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// Checked as [`NodeName::new`] checks: a malformed name from the wire is an error.
impl<'de> serde::Deserialize<'de> for NodeName {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        NodeName::new(&*name).map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for NodeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for NodeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", &*self.0)
    }
}

/// How the node authenticates to the NATS servers.
///
/// # Examples
///
/// ```
/// use actor_cluster::Auth;
/// let auth = Auth::Token("s3cret".into());
/// # let _ = auth;
/// ```
#[derive(Clone, Default)]
#[non_exhaustive]
pub enum Auth {
    /// No credentials.
    #[default]
    None,
    /// A token (`--auth` on the server).
    Token(String),
    /// A user and password.
    UserPassword {
        /// The user.
        user: String,
        /// The password.
        password: String,
    },
    /// An NKey seed (`SU…`).
    NKey(String),
}

impl fmt::Debug for Auth {
    /// Never prints a secret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Auth::None => "None",
            Auth::Token(_) => "Token(..)",
            Auth::UserPassword { .. } => "UserPassword(..)",
            Auth::NKey(_) => "NKey(..)",
        })
    }
}

/// TLS settings, passed through to the NATS client.
///
/// # Examples
///
/// ```
/// use actor_cluster::Tls;
/// let tls = Tls { require: true, ..Tls::default() };
/// # let _ = tls;
/// ```
#[derive(Clone, Debug, Default)]
pub struct Tls {
    /// Refuse to connect without TLS.
    pub require: bool,
    /// A PEM file of root certificates to trust, in addition to the system's.
    pub root_certificates: Option<PathBuf>,
    /// A client certificate and its key (PEM), for servers that verify clients.
    pub client_certificate: Option<(PathBuf, PathBuf)>,
}

/// Everything a node starts with.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use actor_cluster::{NodeName, NodeOptions};
///
/// let options = NodeOptions::new(NodeName::new("a").unwrap(), "nats://127.0.0.1:4222")
///     .heartbeat(Duration::from_millis(200))
///     .down_after(Duration::from_secs(1));
/// assert_eq!(options.get_down_after(), Duration::from_secs(1));
/// ```
#[derive(Clone, Debug)]
#[must_use = "options do nothing until a node starts with them"]
pub struct NodeOptions {
    pub(crate) name: NodeName,
    pub(crate) servers: Vec<String>,
    pub(crate) auth: Auth,
    pub(crate) tls: Tls,
    pub(crate) cluster: String,
    pub(crate) heartbeat: Duration,
    pub(crate) down_after: Duration,
    pub(crate) connect_timeout: Duration,
    pub(crate) discovered_servers: bool,
    pub(crate) inbound_capacity: usize,
}

impl NodeOptions {
    /// A node named `name` on the NATS server(s) at `servers` (comma-separated URLs),
    /// cluster `otp`, heartbeat every second, declared down after 3 s of silence.
    pub fn new(name: NodeName, servers: impl AsRef<str>) -> Self {
        Self {
            name,
            servers: servers
                .as_ref()
                .split(',')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect(),
            auth: Auth::None,
            tls: Tls::default(),
            cluster: "otp".to_owned(),
            heartbeat: Duration::from_secs(1),
            down_after: Duration::from_secs(3),
            connect_timeout: Duration::from_secs(5),
            discovered_servers: true,
            inbound_capacity: 1 << 20,
        }
    }

    /// The credentials.
    pub fn auth(mut self, auth: Auth) -> Self {
        self.auth = auth;
        self
    }

    /// The TLS settings.
    pub fn tls(mut self, tls: Tls) -> Self {
        self.tls = tls;
        self
    }

    /// The cluster: nodes see only nodes of the same cluster on the same NATS system (it
    /// prefixes every subject; same characters as a node name). Default `otp`.
    pub fn cluster(mut self, cluster: impl Into<String>) -> Self {
        self.cluster = cluster.into();
        self
    }

    /// How often the node says it is alive (default 1 s).
    pub fn heartbeat(mut self, every: Duration) -> Self {
        self.heartbeat = every;
        self
    }

    /// How long a node may stay silent before the others declare it down (default 3 s). A
    /// node that dies is seen down within this plus one heartbeat.
    pub fn down_after(mut self, after: Duration) -> Self {
        self.down_after = after;
        self
    }

    /// How long the first connection may take (default 5 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Whether to reconnect to servers of the NATS cluster that the given servers tell of
    /// (default `true`). `false` keeps the node on the given servers only: it is then cut
    /// off when they all are, as a node behind a partition is.
    pub fn discovered_servers(mut self, use_them: bool) -> Self {
        self.discovered_servers = use_them;
        self
    }

    /// How many messages each subscription buffers before the NATS client drops what
    /// arrives (default 1,048,576; the client's own default is 65,536). A dropped frame is a
    /// gap in its sender's stream: the connection between the two nodes breaks, with
    /// `noconnection` to their links and monitors, and nothing is delivered out of order.
    pub fn inbound_capacity(mut self, messages: usize) -> Self {
        self.inbound_capacity = messages.max(1);
        self
    }

    /// The node's name.
    pub fn get_name(&self) -> &NodeName {
        &self.name
    }

    /// The silence after which a node is declared down.
    pub fn get_down_after(&self) -> Duration {
        self.down_after
    }

    /// Checks the options.
    pub(crate) fn validate(&self) -> Result<(), ClusterError> {
        let bad = |why: &str| Err(ClusterError::InvalidOptions(why.to_owned()));
        if self.servers.is_empty() {
            return bad("no NATS server given");
        }
        if NodeName::new(&self.cluster).is_err() {
            return bad("the cluster name must be letters, digits, `_`, `-` or `@`");
        }
        if self.heartbeat.is_zero() {
            return bad("the heartbeat must be more than 0");
        }
        if self.down_after <= self.heartbeat {
            return bad("down_after must be longer than the heartbeat");
        }
        Ok(())
    }
}
