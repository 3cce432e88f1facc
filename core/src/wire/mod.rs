//! The Phoenix Channels wire format, serializer version 2.0.0.
//!
//! Every message on the socket is a [`Frame`]: `join_ref`, `ref`, topic, event
//! and payload. Text frames carry a JSON array
//! `[join_ref, ref, topic, event, payload]`. Binary frames carry raw bytes
//! behind a small header whose layout depends on the direction and kind (see
//! [`binary`]). Both directions live here, because the reference server and
//! the browser client share this codec.
//!
//! Decoding never panics: any input, however malformed, yields a
//! [`DecodeError`] that names what was wrong.

pub mod binary;
mod frame;
mod text;

pub use frame::{Frame, Payload, Reply, ReplyStatus};
pub use text::{decode_text, encode_text};

/// Phoenix's reserved event names.
pub mod events {
    pub const JOIN: &str = "phx_join";
    pub const LEAVE: &str = "phx_leave";
    pub const REPLY: &str = "phx_reply";
    pub const ERROR: &str = "phx_error";
    pub const CLOSE: &str = "phx_close";
    pub const HEARTBEAT: &str = "heartbeat";
}

/// The topic that carries heartbeats.
pub const HEARTBEAT_TOPIC: &str = "phoenix";

/// The serializer version sent as `vsn` in the socket URL.
pub const VSN: &str = "2.0.0";

/// Errors from decoding a frame received on the socket.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("frame is not valid JSON: {0}")]
    Json(String),
    #[error(
        "frame must be a JSON array of 5 elements [join_ref, ref, topic, event, payload], got {0}"
    )]
    Shape(String),
    #[error("binary frame is empty")]
    Empty,
    #[error("binary frame has unknown kind {0}; expected 0 (push), 1 (reply) or 2 (broadcast)")]
    UnknownKind(u8),
    #[error("binary frame is truncated: header announces {expected} bytes, frame has {actual}")]
    Truncated { expected: usize, actual: usize },
    #[error("binary frame field `{0}` is not valid UTF-8")]
    Utf8(&'static str),
    #[error("phx_reply has status {0}, expected \"ok\" or \"error\"")]
    ReplyStatus(String),
}

/// Errors from encoding a frame for the socket.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    #[error("binary frame field `{field}` is {len} bytes; the 2.0.0 serializer allows at most 255")]
    FieldTooLong { field: &'static str, len: usize },
    #[error("a {0} must carry a binary payload to be sent as a binary frame")]
    NotBinary(&'static str),
    #[error("a reply frame needs a `ref`")]
    MissingRef,
}
