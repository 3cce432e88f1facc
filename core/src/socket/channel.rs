use serde_json::Value;

use super::ChannelState;
use crate::time::Instant;

/// State of one topic's channel, as the socket tracks it.
#[derive(Debug, Clone)]
pub(super) struct Channel {
    pub state: ChannelState,
    /// Params sent with the next join or rejoin.
    pub params: Value,
    /// The `join_ref` of the latest join sent. Frames that carry another one
    /// are stale.
    pub join_ref: Option<u64>,
    /// True from `join` until `leave`, `phx_close` or a permanent rejection.
    /// While it is true, the channel rejoins after errors and on every open.
    pub join_requested: bool,
    /// True once a join of this channel succeeded, so later joins are rejoins.
    pub joined_before: bool,
    /// Failed joins since the last successful one, for the rejoin backoff.
    pub rejoin_attempt: u32,
    /// When the next rejoin is due, if one is scheduled.
    pub rejoin_at: Option<Instant>,
}

impl Channel {
    pub fn new(params: Value) -> Self {
        Self {
            state: ChannelState::Closed,
            params,
            join_ref: None,
            join_requested: false,
            joined_before: false,
            rejoin_attempt: 0,
            rejoin_at: None,
        }
    }

    /// Returns true if a frame with this `join_ref` belongs to the current
    /// join. A frame without one (a broadcast) always does.
    pub fn is_current(&self, frame_join_ref: Option<&str>) -> bool {
        match frame_join_ref {
            None => true,
            Some(text) => self
                .join_ref
                .is_some_and(|current| current.to_string() == text),
        }
    }
}
