use std::time::Duration;

use crate::time::Instant;

/// Heartbeat timing of the open socket.
#[derive(Debug, Clone, Default)]
pub(super) struct Heartbeat {
    /// When the next regular heartbeat is due, or `None` while the socket is
    /// not open.
    next_at: Option<Instant>,
    /// The heartbeat waiting for its reply, if any.
    pending: Option<PendingHeartbeat>,
}

#[derive(Debug, Clone, Copy)]
struct PendingHeartbeat {
    msg_ref: u64,
    sent_at: Instant,
}

impl Heartbeat {
    /// Schedules the first heartbeat of a socket that opened at `now`.
    pub fn start(&mut self, now: Instant, interval: Duration) {
        self.next_at = Some(now.plus(interval));
        self.pending = None;
    }

    pub fn stop(&mut self) {
        self.next_at = None;
        self.pending = None;
    }

    pub fn is_pending(&self) -> bool {
        self.pending.is_some()
    }

    /// Records a heartbeat sent at `now` and schedules the next regular one.
    pub fn record_sent(&mut self, msg_ref: u64, now: Instant, interval: Duration) {
        self.pending = Some(PendingHeartbeat {
            msg_ref,
            sent_at: now,
        });
        self.next_at = Some(now.plus(interval));
    }

    /// Clears the pending heartbeat if `msg_ref` is its reply's ref.
    pub fn acknowledge(&mut self, msg_ref: &str) {
        let matches = self
            .pending
            .is_some_and(|pending| pending.msg_ref.to_string() == msg_ref);
        if matches {
            self.pending = None;
        }
    }

    /// Returns true if the pending heartbeat has waited `timeout` at `now`.
    pub fn is_dead(&self, now: Instant, timeout: Duration) -> bool {
        self.pending
            .is_some_and(|pending| now >= pending.sent_at.plus(timeout))
    }

    /// Returns true if a regular heartbeat is due at `now`. None is due while
    /// one is still waiting for its reply.
    pub fn is_due(&self, now: Instant) -> bool {
        self.pending.is_none() && self.next_at.is_some_and(|next_at| now >= next_at)
    }

    /// Returns when the heartbeat needs the timer next: the timeout of the
    /// pending heartbeat, or else the next regular one.
    pub fn deadline(&self, timeout: Duration) -> Option<Instant> {
        match self.pending {
            Some(pending) => Some(pending.sent_at.plus(timeout)),
            None => self.next_at,
        }
    }
}
