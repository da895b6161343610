//! What travels between nodes, and its codec.
//!
//! Every frame is a header of fixed layout ([`Header`]) followed by the message body,
//! postcard-encoded by the sender from the user's serde type; replies, signals, process
//! group updates and global name values are postcard too. postcard is chosen for its
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
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
///
/// Every message carries one, so it has a fixed layout of its own rather than postcard's
/// varints (written and read with no per-field branching): a version byte, the kind, six
/// little-endian `u64`s (`from_incarnation`, `to_incarnation`, `stream`, `seq`, `target`,
/// `timeout_ms`), then `from` (one length byte) and `message` (two length bytes), each as
/// UTF-8. The body follows.
#[derive(Debug, PartialEq, Eq)]
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

/// The header layout's version.
const HEADER_VERSION: u8 = 1;
/// The longest message name a header carries.
pub(crate) const MAX_MESSAGE_NAME: usize = 1024;

impl Kind {
    fn to_byte(self) -> u8 {
        match self {
            Kind::Cast => 0,
            Kind::Info => 1,
            Kind::Call => 2,
            Kind::Signal => 3,
        }
    }

    fn from_byte(b: u8) -> Option<Self> {
        Some(match b {
            0 => Kind::Cast,
            1 => Kind::Info,
            2 => Kind::Call,
            3 => Kind::Signal,
            _ => return None,
        })
    }
}

impl<'a> Header<'a> {
    /// Writes the header and then `body` into one buffer.
    #[cfg(test)]
    pub(crate) fn encode(&self, body: &[u8]) -> Result<Vec<u8>, String> {
        let mut out = Vec::new();
        self.encode_into(&mut out, body)?;
        Ok(out)
    }

    /// Appends the header and then `body` to `out`; on an error `out` is left as it was.
    pub(crate) fn encode_into(&self, out: &mut Vec<u8>, body: &[u8]) -> Result<(), String> {
        let (from, message) = (self.from.as_bytes(), self.message.as_bytes());
        let from_len = u8::try_from(from.len()).map_err(|_| "node name too long".to_owned())?;
        if message.len() > MAX_MESSAGE_NAME {
            return Err(format!("message name over {MAX_MESSAGE_NAME} bytes"));
        }
        let len = 2 + 48 + 1 + from.len() + 2 + message.len() + body.len();
        if len > MAX_FRAME {
            return Err(format!(
                "frame of {len} bytes is over the {MAX_FRAME}-byte limit"
            ));
        }
        out.reserve(len);
        out.push(HEADER_VERSION);
        out.push(self.kind.to_byte());
        for n in [
            self.from_incarnation,
            self.to_incarnation,
            self.stream,
            self.seq,
            self.target,
            self.timeout_ms,
        ] {
            out.extend_from_slice(&n.to_le_bytes());
        }
        out.push(from_len);
        out.extend_from_slice(from);
        // Fits: at most MAX_MESSAGE_NAME, checked above.
        out.extend_from_slice(&(message.len() as u16).to_le_bytes());
        out.extend_from_slice(message);
        out.extend_from_slice(body);
        Ok(())
    }

    /// Reads a header from the front of `frame`; the rest is the body.
    pub(crate) fn decode(frame: &'a [u8]) -> Result<(Header<'a>, &'a [u8]), DecodeError> {
        if frame.len() > MAX_FRAME {
            return Err(DecodeError::TooLarge(frame.len()));
        }
        let bad = |what: &str| DecodeError::Malformed(what.to_owned());
        let mut r = Reader(frame);
        if r.take(1).ok_or_else(|| bad("empty frame"))? != [HEADER_VERSION] {
            return Err(bad("unknown header version"));
        }
        let kind = r
            .take(1)
            .and_then(|k| Kind::from_byte(k[0]))
            .ok_or_else(|| bad("kind"))?;
        let mut numbers = [0u64; 6];
        for n in &mut numbers {
            *n = r.u64().ok_or_else(|| bad("truncated header"))?;
        }
        let from_len = usize::from(r.take(1).ok_or_else(|| bad("truncated header"))?[0]);
        let from = r.str(from_len).ok_or_else(|| bad("sender name"))?;
        let message_len = r
            .take(2)
            .map(|b| usize::from(u16::from_le_bytes([b[0], b[1]])));
        let message_len = message_len.ok_or_else(|| bad("truncated header"))?;
        if message_len > MAX_MESSAGE_NAME {
            return Err(bad("message name too long"));
        }
        let message = r.str(message_len).ok_or_else(|| bad("message name"))?;
        let [
            from_incarnation,
            to_incarnation,
            stream,
            seq,
            target,
            timeout_ms,
        ] = numbers;
        let header = Header {
            from,
            from_incarnation,
            to_incarnation,
            stream,
            seq,
            kind,
            target,
            message,
            timeout_ms,
        };
        Ok((header, r.0))
    }
}

/// The first byte of a NATS message that carries several one-way frames (casts, infos,
/// signals) queued together: each follows as a little-endian `u32` length and the frame.
pub(crate) const BATCH: u8 = 2;
/// A batch stops growing at this size.
pub(crate) const MAX_BATCH: usize = 256 * 1024;

/// The frames of a NATS message: one frame, or each frame of a batch; a malformed batch
/// ends with an error.
pub(crate) fn frames(payload: &[u8]) -> impl Iterator<Item = Result<&[u8], DecodeError>> {
    let mut batch = match payload.first() {
        Some(&BATCH) => Some(Reader(&payload[1..])),
        _ => None,
    };
    let mut single = batch.is_none().then_some(payload);
    std::iter::from_fn(move || {
        if let Some(frame) = single.take() {
            return Some(Ok(frame));
        }
        let r = batch.as_mut()?;
        if r.0.is_empty() {
            return None;
        }
        let frame = r
            .take(4)
            .and_then(|len| {
                let len = u32::from_le_bytes([len[0], len[1], len[2], len[3]]);
                r.take(usize::try_from(len).ok()?)
            })
            .ok_or_else(|| DecodeError::Malformed("truncated batch".to_owned()));
        if frame.is_err() {
            batch = None;
        }
        Some(frame)
    })
}

/// Reads from the front of a slice, never past its end.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }

    fn u64(&mut self) -> Option<u64> {
        let bytes: [u8; 8] = self.take(8)?.try_into().ok()?;
        Some(u64::from_le_bytes(bytes))
    }

    fn str(&mut self, n: usize) -> Option<&'a str> {
        std::str::from_utf8(self.take(n)?).ok()
    }
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
    // Sized for the header (a name, a few varints) and the body: one allocation.
    let mut out = postcard::to_extend(header, Vec::with_capacity(64 + body.len()))
        .map_err(|e| e.to_string())?;
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
        let frame = header().encode(b"xyz").unwrap_or_else(|e| panic!("{e}"));
        // The fixed part, then the two names and the body.
        assert_eq!(frame.len(), 2 + 48 + 1 + 1 + 2 + "counter.get".len() + 3);
        let (h, body) = Header::decode(&frame).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(h, header());
        assert_eq!(body, b"xyz");
    }

    #[test]
    fn oversized_and_truncated_frames_are_refused() {
        let big = vec![0u8; MAX_FRAME + 1];
        assert_eq!(
            Header::decode(&big).map(|_| ()),
            Err(DecodeError::TooLarge(MAX_FRAME + 1))
        );
        let frame = header().encode(b"").unwrap_or_else(|e| panic!("{e}"));
        for cut in 0..frame.len() {
            assert!(Header::decode(&frame[..cut]).is_err(), "cut at {cut}");
        }
        assert!(header().encode(&big).is_err());
        let mut wrong = frame;
        wrong[0] = 9;
        assert!(Header::decode(&wrong).is_err(), "unknown version");
        let long = "m".repeat(MAX_MESSAGE_NAME + 1);
        assert!(
            Header {
                message: &long,
                ..header()
            }
            .encode(b"")
            .is_err()
        );
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

    #[test]
    fn batches_split_into_their_frames() {
        let one = header().encode(b"a").unwrap_or_else(|e| panic!("{e}"));
        let two = header().encode(b"bc").unwrap_or_else(|e| panic!("{e}"));
        let single: Vec<_> = frames(&one).collect();
        assert_eq!(single, [Ok(&one[..])]);
        let mut batch = vec![BATCH];
        for f in [&one, &two] {
            batch.extend_from_slice(&u32::try_from(f.len()).unwrap_or(0).to_le_bytes());
            batch.extend_from_slice(f);
        }
        let split: Vec<_> = frames(&batch).collect();
        assert_eq!(split, [Ok(&one[..]), Ok(&two[..])]);
        // A batch cut short yields what it holds, then one error, then nothing.
        let cut: Vec<_> = frames(&batch[..batch.len() - 1]).collect();
        assert_eq!(cut.len(), 2);
        assert!(cut[1].is_err());
    }

    proptest::proptest! {
        /// Whatever bytes arrive, every decoder answers with a value or an error, never a
        /// panic.
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512)) {
            let _ = Header::decode(&bytes);
            for frame in frames(&bytes).flatten() {
                let _ = Header::decode(frame);
            }
            let _ = decode_frame::<ReplyHeader>(&bytes);
            let _ = decode_body::<Signal>(&bytes);
            let _ = decode_body::<(String, Vec<u64>, Option<NodeName>)>(&bytes);
        }

        /// A valid header survives any body after it.
        #[test]
        fn any_body_round_trips(body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512)) {
            let frame = header().encode(&body).unwrap_or_else(|e| panic!("{e}"));
            let (h, rest) = Header::decode(&frame).unwrap_or_else(|e| panic!("{e}"));
            proptest::prop_assert_eq!(h, header());
            proptest::prop_assert_eq!(rest, &body[..]);
        }
    }
}
