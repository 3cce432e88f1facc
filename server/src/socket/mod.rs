//! One task per WebSocket connection, speaking the Phoenix Channels protocol
//! (serializer 2.0.0) over any `Sink` of [`Outbound`] and `Stream` of
//! [`Inbound`] messages, so tests can drive it through plain channels and
//! [`ws`] adapts it to axum's WebSocket.
//!
//! Protocol rules, as Phoenix 1.7 applies them:
//! - `heartbeat` on topic `phoenix` gets an ok reply with an empty response.
//! - `phx_join` on a topic this socket already joined closes the earlier
//!   channel instance (`phx_close` with its `join_ref`) and joins anew.
//! - `phx_leave` gets an ok reply, then `phx_close`.
//! - A push to a topic this socket has not joined gets the error reply
//!   `{reason: "unmatched topic"}`.
//! - A push whose `join_ref` differs from the channel's current one is stale
//!   and ignored without a reply. A push without a `join_ref` counts as
//!   current.
//! - A failure inside the server crashes the channel: `phx_error`, and the
//!   client rejoins.
//! - A message that cannot be decoded closes the socket with code 1007, one
//!   over the size limit with 1009.
//! - A socket that sends nothing for the idle timeout (60 s by default, as in
//!   Phoenix) is closed with code 1000, so dead connections do not stay
//!   subscribed.

mod connection;
pub mod ws;

use std::sync::Arc;

use tokio::sync::watch;

use crate::chat::Chat;

pub use connection::run;

/// A WebSocket message from the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inbound {
    Text(String),
    Binary(Vec<u8>),
    /// The client sent a close frame.
    Close,
}

/// A WebSocket message to the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outbound {
    Text(String),
    Close { code: u16, reason: String },
}

/// WebSocket close codes (RFC 6455, section 7.4.1) the server sends.
pub mod close_code {
    /// The client was idle for too long.
    pub const NORMAL: u16 = 1000;
    /// The server is shutting down.
    pub const GOING_AWAY: u16 = 1001;
    /// A message could not be decoded.
    pub const INVALID_PAYLOAD: u16 = 1007;
    /// A message exceeded the size limit.
    pub const MESSAGE_TOO_BIG: u16 = 1009;
    /// The client read too slowly and its queue overflowed; reconnect.
    pub const TRY_AGAIN_LATER: u16 = 1013;
}

/// Shared state of a connection, besides its two ends.
#[derive(Clone)]
pub struct ConnectionContext {
    pub chat: Arc<Chat>,
    pub user_id: String,
    /// Flips to true when the server shuts down.
    pub shutdown: watch::Receiver<bool>,
}

#[cfg(test)]
mod tests;
