//! What travels between nodes, and its codec.
//!
//! Every frame is a postcard-encoded header followed by the message body, itself
//! postcard-encoded by the sender from the user's serde type. postcard is chosen for its
//! stable, documented wire format (frozen since 1.0), varint integers and no field names or
//! type tags on the wire, so a small message costs a few bytes, and because decoding from a
//! borrowed slice never reads past it nor allocates more than the input can describe.
//! Decoding is bounded by [`MAX_FRAME`] before anything is read.

use actor_core::ExitReason;
use serde::{Deserialize, Serialize};

use crate::options::NodeName;
use crate::remote::{NoConnection, RemotePid};

/// The largest frame a node sends or accepts: the NATS server's default `max_payload`.
pub(crate) const MAX_FRAME: usize = 1024 * 1024;

/// What a frame asks of the receiving node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub(crate) enum Kind {
    /// `GenServer.cast/2`.
    Cast,
    /// `send/2` to the info handler.
    Info,
    /// `GenServer.call/3`, with the caller's timeout in milliseconds (the callee gives up
    /// when the caller does).
    Call,
    /// A link, unlink, monitor or exit signal between processes of the two nodes.
    Signal,
}

/// The header of a frame between nodes. `seq` numbers the frames one node incarnation sends
/// another, from 1; the receiver takes them only in that order.
#[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Header<'a> {
    pub from: &'a str,
    pub from_incarnation: u64,
    pub to_incarnation: u64,
    /// The sender's writer for this destination: a new one (after the sender saw this node
    /// down) starts a new stream.
    pub stream: u64,
    pub seq: u64,
    pub kind: Kind,
    /// The target actor's id on the receiving node.
    pub target: u64,
    /// The message's stable name ([`RemoteMessage::NAME`](crate::RemoteMessage::NAME)).
    pub message: &'a str,
    /// For calls: how long the caller waits, in milliseconds.
    pub timeout_ms: u64,
}

/// Why a remote request failed, as the callee's node tells it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Failure {
    /// No live actor with that id (or a pid of an earlier incarnation of the node).
    NoProc,
    /// The actor exited before replying.
    Exit(WireReason),
    /// The node does not accept this message for this actor's type.
    NotAccepted { actor: String, message: String },
    /// The body could not be decoded as the message, or the reply not encoded.
    Codec(String),
    /// The frame came after a gap in the sequence: the connection broke, and the request
    /// was dropped rather than delivered out of order.
    NoConnection,
    /// The callee's own wait ran out.
    Timeout,
}

/// The reply header; the reply body follows on success.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) enum ReplyHeader {
    Ok,
    Failed(Failure),
}

/// An exit reason on the wire. Typed causes travel as their message: the remote side gets
/// [`ExitReason::msg`] with the same text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum WireReason {
    Normal,
    Shutdown,
    ShutdownWith(String),
    Killed,
    NoProc,
    Panic(String),
    Error(String),
    NoConnection(NodeName),
}

impl WireReason {
    pub(crate) fn from_reason(reason: &ExitReason) -> Self {
        if let Some(nc) = reason.downcast_ref::<NoConnection>() {
            return Self::NoConnection(nc.node.clone());
        }
        match reason {
            ExitReason::Normal => Self::Normal,
            ExitReason::Shutdown => Self::Shutdown,
            ExitReason::ShutdownWith(e) => Self::ShutdownWith(e.to_string()),
            ExitReason::Killed => Self::Killed,
            ExitReason::NoProc => Self::NoProc,
            ExitReason::Panic(m) => Self::Panic(m.to_string()),
            ExitReason::Error(e) => Self::Error(e.to_string()),
            // A reason added to actor-core later travels as its text.
            other => Self::Error(other.to_string()),
        }
    }

    pub(crate) fn into_reason(self) -> ExitReason {
        match self {
            Self::Normal => ExitReason::Normal,
            Self::Shutdown => ExitReason::Shutdown,
            Self::ShutdownWith(m) => ExitReason::shutdown_with(m),
            Self::Killed => ExitReason::Killed,
            Self::NoProc => ExitReason::NoProc,
            Self::Panic(m) => ExitReason::Panic(m.into()),
            Self::Error(m) => ExitReason::msg(m),
            Self::NoConnection(node) => ExitReason::error(NoConnection { node }),
        }
    }
}

/// A signal between processes of two nodes, in a [`Kind::Signal`] frame.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Signal {
    /// `from` links to the target.
    Link { from: RemotePid },
    /// `from` unlinks from the target.
    Unlink { from: RemotePid },
    /// The sending node wants to hear when the target exits (a monitor).
    Watch,
    /// `pid`, a process of the sending node, exited with `reason`.
    Exited { pid: RemotePid, reason: WireReason },
    /// The receiver of this node's frames saw a gap: the connection broke both ways.
    Broken,
}

/// Why a frame was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum DecodeError {
    #[error("frame of {0} bytes is over the {MAX_FRAME}-byte limit")]
    TooLarge(usize),
    #[error("malformed frame: {0}")]
    Malformed(String),
}

/// Encodes a header and a body into one frame.
pub(crate) fn encode_frame<H: Serialize>(header: &H, body: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = postcard::to_stdvec(header).map_err(|e| e.to_string())?;
    out.extend_from_slice(body);
    if out.len() > MAX_FRAME {
        return Err(format!(
            "frame of {} bytes is over the {MAX_FRAME}-byte limit",
            out.len()
        ));
    }
    Ok(out)
}

/// Splits a frame into its header and body.
pub(crate) fn decode_frame<'a, H: Deserialize<'a>>(
    frame: &'a [u8],
) -> Result<(H, &'a [u8]), DecodeError> {
    if frame.len() > MAX_FRAME {
        return Err(DecodeError::TooLarge(frame.len()));
    }
    postcard::take_from_bytes(frame).map_err(|e| DecodeError::Malformed(e.to_string()))
}

/// Encodes a value as a body.
pub(crate) fn encode_body<T: Serialize>(value: &T) -> Result<Vec<u8>, String> {
    postcard::to_stdvec(value).map_err(|e| e.to_string())
}

/// Decodes a whole body as a `T`; trailing bytes are an error.
pub(crate) fn decode_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    match postcard::take_from_bytes::<T>(body) {
        Ok((value, [])) => Ok(value),
        Ok((_, rest)) => Err(format!("{} bytes after the message", rest.len())),
        Err(e) => Err(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> Header<'static> {
        Header {
            from: "a",
            from_incarnation: 7,
            to_incarnation: 9,
            stream: 3,
            seq: 1,
            kind: Kind::Call,
            target: 42,
            message: "counter.get",
            timeout_ms: 5000,
        }
    }

    #[test]
    fn frames_round_trip_and_stay_small() {
        let frame = encode_frame(&header(), b"xyz").unwrap_or_else(|e| panic!("{e}"));
        // The header costs its strings plus a few varint bytes.
        assert!(frame.len() < 40, "{} bytes", frame.len());
        let (h, body) = decode_frame::<Header<'_>>(&frame).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(h, header());
        assert_eq!(body, b"xyz");
    }

    #[test]
    fn oversized_and_truncated_frames_are_refused() {
        let big = vec![0u8; MAX_FRAME + 1];
        assert_eq!(
            decode_frame::<Header<'_>>(&big).map(|_| ()),
            Err(DecodeError::TooLarge(MAX_FRAME + 1))
        );
        let frame = encode_frame(&header(), b"").unwrap_or_else(|e| panic!("{e}"));
        assert!(decode_frame::<Header<'_>>(&frame[..frame.len() - 1]).is_err());
        assert!(encode_frame(&header(), &big).is_err());
    }

    #[test]
    fn bodies_with_trailing_bytes_are_refused() {
        let mut body = encode_body(&5u32).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(decode_body::<u32>(&body), Ok(5));
        body.push(0);
        assert!(decode_body::<u32>(&body).is_err());
    }

    #[test]
    fn exit_reasons_keep_their_kind_across_the_wire() {
        for reason in [
            ExitReason::Normal,
            ExitReason::Shutdown,
            ExitReason::Killed,
            ExitReason::NoProc,
            ExitReason::shutdown_with("reload"),
            ExitReason::msg("crash"),
        ] {
            let back = WireReason::from_reason(&reason).into_reason();
            assert_eq!(back.to_string(), reason.to_string());
            assert_eq!(back.is_benign(), reason.is_benign());
        }
        let node = NodeName::new("b").unwrap_or_else(|e| panic!("{e}"));
        let nc = ExitReason::error(NoConnection { node: node.clone() });
        let back = WireReason::from_reason(&nc).into_reason();
        assert_eq!(
            back.downcast_ref::<NoConnection>().map(|n| &n.node),
            Some(&node)
        );
    }

    proptest::proptest! {
        /// Whatever bytes arrive, every decoder answers with a value or an error, never a
        /// panic.
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512)) {
            let _ = decode_frame::<Header<'_>>(&bytes);
            let _ = decode_frame::<ReplyHeader>(&bytes);
            let _ = decode_body::<Signal>(&bytes);
            let _ = decode_body::<(String, Vec<u64>, Option<NodeName>)>(&bytes);
        }

        /// A valid header survives any body after it.
        #[test]
        fn any_body_round_trips(body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512)) {
            let frame = encode_frame(&header(), &body).unwrap_or_else(|e| panic!("{e}"));
            let (h, rest) = decode_frame::<Header<'_>>(&frame).unwrap_or_else(|e| panic!("{e}"));
            proptest::prop_assert_eq!(h, header());
            proptest::prop_assert_eq!(rest, &body[..]);
        }
    }
}
