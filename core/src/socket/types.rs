use serde_json::Value;

use crate::wire::{Payload, ReplyStatus};

/// State of the socket's connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SocketState {
    /// No socket: never connected, disconnected, or waiting for the next
    /// reconnect attempt.
    Closed,
    /// A socket was requested with [`Action::Connect`] and has not opened yet.
    Connecting,
    /// The socket is open and carries frames.
    Open,
    /// [`Socket::disconnect`](super::Socket::disconnect) asked the socket to
    /// close and its close has not been reported yet.
    Closing,
}

impl SocketState {
    pub fn is_closed(self) -> bool {
        self == Self::Closed
    }

    pub fn is_connecting(self) -> bool {
        self == Self::Connecting
    }

    pub fn is_open(self) -> bool {
        self == Self::Open
    }

    pub fn is_closing(self) -> bool {
        self == Self::Closing
    }
}

/// State of one channel (one topic on the socket), as in phoenix.js.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChannelState {
    /// Not joined and not trying to: never joined, left, closed by the server
    /// or rejected for good.
    Closed,
    /// A join was requested: sent and waiting for its reply, or waiting for
    /// the socket to open.
    Joining,
    /// The join reply was ok and pushes are accepted.
    Joined,
    /// A `phx_leave` was sent and its reply has not arrived.
    Leaving,
    /// The join failed, timed out, the server channel crashed or the socket
    /// closed. A rejoin follows after the rejoin backoff or on the next open.
    Errored,
}

impl ChannelState {
    pub fn is_closed(self) -> bool {
        self == Self::Closed
    }

    pub fn is_joining(self) -> bool {
        self == Self::Joining
    }

    pub fn is_joined(self) -> bool {
        self == Self::Joined
    }

    pub fn is_leaving(self) -> bool {
        self == Self::Leaving
    }

    pub fn is_errored(self) -> bool {
        self == Self::Errored
    }
}

/// Handle of one push, to match its outcome: [`SocketEvent::Replied`] or
/// [`SocketEvent::PushTimedOut`]. The number is the push's Phoenix `ref`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PushRef(pub u64);

/// Errors from [`Socket::push`](super::Socket::push).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PushError {
    /// The socket is not open or the channel is not joined, so nothing was
    /// sent.
    #[error(
        "cannot push because the channel is not joined or the socket is not open \
         (push again after the next Joined event)"
    )]
    NotJoined,
}

/// Work for the adapter, returned by [`Socket::poll_action`](super::Socket::poll_action).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Open a new WebSocket. `generation` must be passed back in `handle_open`,
    /// `handle_close`, `handle_text` and `handle_binary`, so events from an
    /// older socket are ignored.
    Connect { generation: u64 },
    /// Send this text frame on the socket of `generation`.
    SendText { generation: u64, text: String },
    /// Close the socket of `generation` with this code and reason. The socket
    /// has already given that generation up: the adapter closes it, removes
    /// its listeners, and may report its close, which is then ignored.
    Disconnect {
        generation: u64,
        code: u16,
        reason: String,
    },
}

/// Event for the layers above, returned by
/// [`Socket::poll_event`](super::Socket::poll_event).
#[derive(Debug, Clone, PartialEq)]
pub enum SocketEvent {
    StateChanged(SocketState),
    /// A connect attempt closed before it opened. `consecutive` counts them
    /// since the last open.
    ConnectFailed {
        consecutive: u32,
    },
    ChannelStateChanged {
        topic: String,
        state: ChannelState,
    },
    /// A join (or rejoin) succeeded. `response` is the join reply's response
    /// and `rejoin` is true when the channel had been joined before.
    Joined {
        topic: String,
        response: Value,
        rejoin: bool,
    },
    /// The server rejected the join. The channel stops rejoining if the reason
    /// is permanent (`unauthorized` or `not_found`) and retries after the
    /// rejoin backoff otherwise.
    JoinRejected {
        topic: String,
        response: Value,
    },
    /// A server push or broadcast on a topic that is not closed (frames with
    /// a stale `join_ref` are already dropped). Broadcasts that arrive before
    /// the join reply are delivered too.
    Message {
        topic: String,
        event: String,
        payload: Payload,
    },
    /// The reply to a push.
    Replied {
        topic: String,
        push: PushRef,
        status: ReplyStatus,
        response: Value,
    },
    /// No reply will come for this push: either `push_timeout` passed, or the
    /// socket closed or the channel errored, closed or was left before the
    /// reply arrived. The ref is forgotten and a late reply is dropped. The
    /// outbox resends after the next [`SocketEvent::Joined`]. When a close or
    /// channel error causes it, the state change events come first.
    PushTimedOut {
        topic: String,
        push: PushRef,
    },
}
