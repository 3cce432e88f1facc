//! Typing indicators, both ways.
//!
//! Outgoing: each keystroke in a room's composer is an
//! [`Input::Typed`](super::Input::Typed). The first one pushes
//! `typing {typing: true}`, and later ones push it again only after
//! `typing_interval` (2 s by default), so a fast typist sends one push every
//! 2 s. `typing: false` follows when the user sends the message or after
//! `typing_idle` (3 s) without a keystroke, and only when `typing: true` was
//! pushed.
//!
//! Incoming: a peer's `typing: true` shows its indicator until
//! `typing_expiry` (5 s) passes without a refresh, or until its
//! `typing: false` or its next message arrives. Both timers run through the
//! session's deadline.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::time::Instant;

/// One's own typing in one room.
#[derive(Debug, Clone, Copy)]
struct Composing {
    /// When `typing: true` was last pushed, or `None` when no push went out.
    pushed_at: Option<Instant>,
    /// When `typing: false` is due for lack of keystrokes.
    idle_at: Instant,
}

/// A `typing` push that a keystroke or the idle timer requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TypingPush {
    /// Push `typing {typing: true}`.
    Start,
    /// Push `typing {typing: false}`.
    Stop,
}

/// The typing state of every room.
#[derive(Debug, Default)]
pub(super) struct TypingTracker {
    /// One's own typing, by topic.
    composing: BTreeMap<String, Composing>,
    /// Peers shown typing, by topic and user id, to when each indicator
    /// expires.
    peers: BTreeMap<(String, String), Instant>,
}

impl TypingTracker {
    /// Records a keystroke in `topic`'s composer. Returns
    /// [`TypingPush::Start`] when `typing: true` is due; the caller reports
    /// whether the push went out with [`TypingTracker::started`].
    pub(super) fn typed(
        &mut self,
        topic: &str,
        now: Instant,
        interval: Duration,
        idle: Duration,
    ) -> Option<TypingPush> {
        let composing = self.composing.entry(topic.to_owned()).or_insert(Composing {
            pushed_at: None,
            idle_at: now,
        });
        composing.idle_at = now.plus(idle);
        let due = match composing.pushed_at {
            Some(pushed_at) => now >= pushed_at.plus(interval),
            None => true,
        };
        due.then_some(TypingPush::Start)
    }

    /// Records that `typing: true` was pushed to `topic` at `now`.
    pub(super) fn started(&mut self, topic: &str, now: Instant) {
        if let Some(composing) = self.composing.get_mut(topic) {
            composing.pushed_at = Some(now);
        }
    }

    /// Ends one's own typing in `topic`, because the message was sent.
    /// Returns [`TypingPush::Stop`] when `typing: true` had been pushed.
    pub(super) fn stop(&mut self, topic: &str) -> Option<TypingPush> {
        let composing = self.composing.remove(topic)?;
        composing.pushed_at.map(|_| TypingPush::Stop)
    }

    /// Ends one's own typing in every room idle at `now`, and returns the
    /// topics that need `typing: false`.
    pub(super) fn stop_idle(&mut self, now: Instant) -> Vec<String> {
        let idle: Vec<String> = self
            .composing
            .iter()
            .filter(|(_, composing)| now >= composing.idle_at)
            .map(|(topic, _)| topic.clone())
            .collect();
        idle.into_iter()
            .filter(|topic| self.stop(topic).is_some())
            .collect()
    }

    /// Records a peer's `typing` broadcast. Returns true when the peer's
    /// indicator appeared or disappeared.
    pub(super) fn peer(
        &mut self,
        topic: &str,
        user_id: &str,
        typing: bool,
        now: Instant,
        expiry: Duration,
    ) -> bool {
        let key = (topic.to_owned(), user_id.to_owned());
        if typing {
            self.peers.insert(key, now.plus(expiry)).is_none()
        } else {
            self.peers.remove(&key).is_some()
        }
    }

    /// Hides every peer indicator expired at `now`, and returns their topics
    /// and user ids.
    pub(super) fn expire_peers(&mut self, now: Instant) -> Vec<(String, String)> {
        let expired: Vec<(String, String)> = self
            .peers
            .iter()
            .filter(|(_, expires_at)| now >= **expires_at)
            .map(|(key, _)| key.clone())
            .collect();
        for key in &expired {
            self.peers.remove(key);
        }
        expired
    }

    /// Returns the earliest idle or expiry instant.
    pub(super) fn deadline(&self) -> Option<Instant> {
        let idle = self.composing.values().map(|composing| composing.idle_at);
        idle.chain(self.peers.values().copied()).min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INTERVAL: Duration = Duration::from_secs(2);
    const IDLE: Duration = Duration::from_secs(3);

    #[test]
    fn keystrokes_throttled_to_interval() {
        let mut tracker = TypingTracker::default();
        let mut pushes = Vec::new();
        for millis in (0..=4_500).step_by(500) {
            let now = Instant(millis);
            if tracker.typed("ride:1", now, INTERVAL, IDLE).is_some() {
                tracker.started("ride:1", now);
                pushes.push(millis);
            }
        }

        assert_eq!(pushes, [0, 2_000, 4_000]);
    }

    #[test]
    fn failed_start_push_retries_next_keystroke() {
        let mut tracker = TypingTracker::default();
        assert!(
            tracker
                .typed("ride:1", Instant(0), INTERVAL, IDLE)
                .is_some()
        );

        assert_eq!(
            tracker.typed("ride:1", Instant(100), INTERVAL, IDLE),
            Some(TypingPush::Start)
        );
    }

    #[test]
    fn stop_needs_a_start_push() {
        let mut tracker = TypingTracker::default();
        tracker.typed("ride:1", Instant(0), INTERVAL, IDLE);
        assert_eq!(tracker.stop("ride:1"), None);

        tracker.typed("ride:1", Instant(0), INTERVAL, IDLE);
        tracker.started("ride:1", Instant(0));
        assert_eq!(tracker.stop("ride:1"), Some(TypingPush::Stop));
        assert_eq!(tracker.stop("ride:1"), None);
    }

    #[test]
    fn idle_counts_from_last_keystroke() {
        let mut tracker = TypingTracker::default();
        tracker.typed("ride:1", Instant(0), INTERVAL, IDLE);
        tracker.started("ride:1", Instant(0));
        tracker.typed("ride:1", Instant(1_000), INTERVAL, IDLE);

        assert_eq!(tracker.deadline(), Some(Instant(4_000)));
        assert!(tracker.stop_idle(Instant(3_999)).is_empty());
        assert_eq!(tracker.stop_idle(Instant(4_000)), ["ride:1"]);
        assert_eq!(tracker.deadline(), None);
    }

    #[test]
    fn peer_indicator_refreshes_and_expires() {
        let expiry = Duration::from_secs(5);
        let mut tracker = TypingTracker::default();

        assert!(tracker.peer("ride:1", "d1", true, Instant(0), expiry));
        assert!(!tracker.peer("ride:1", "d1", true, Instant(4_000), expiry));
        assert_eq!(tracker.deadline(), Some(Instant(9_000)));
        assert!(tracker.expire_peers(Instant(8_999)).is_empty());

        let expired = tracker.expire_peers(Instant(9_000));
        assert_eq!(expired, [("ride:1".to_owned(), "d1".to_owned())]);
        assert!(!tracker.peer("ride:1", "d1", false, Instant(9_000), expiry));
    }
}
