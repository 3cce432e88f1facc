//! Read receipts: which of the peer's bubbles this user read, and the
//! `read_seq` watermark pushed to the server.
//!
//! A bubble is read when at least half of it stayed on screen for
//! `read_dwell` (500 ms by default) while the page was visible. The UI reports
//! each peer bubble entering and leaving the screen with
//! [`Input::BubbleOnScreen`](super::Input::BubbleOnScreen) and the page's
//! visibility with [`Input::PageVisible`](super::Input::PageVisible). The
//! session times the dwell through its own deadline, so the UI arms no timer.
//!
//! The watermark is the highest seq up to which every message of the room is
//! either read or one's own. A message missing from this device (a gap)
//! stops it, so a skipped bubble stops the watermark until it is read. The
//! watermark only moves forward, and each value is pushed once as
//! `receipt {read_seq}`. A join reply carries the server's copy of the
//! user's own receipt: a watermark the server already stores is not pushed
//! again, and one that it lacks (its push was lost with the link) is.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use crate::time::Instant;

/// The read state of one room.
#[derive(Debug, Default)]
pub(super) struct ReadTracker {
    /// Peer bubbles above the watermark that are on screen, to the instant
    /// each appeared.
    on_screen: BTreeMap<u64, Instant>,
    /// Seqs above the watermark whose bubble was read.
    read: BTreeSet<u64>,
    /// Highest seq up to which every message is read or one's own.
    watermark: u64,
    /// Highest `read_seq` the server is known to store.
    pushed: u64,
}

impl ReadTracker {
    /// Records that the bubble of `seq` entered (`on_screen`) or left the
    /// screen.
    pub(super) fn set_on_screen(&mut self, seq: u64, on_screen: bool, now: Instant) {
        if !on_screen {
            self.on_screen.remove(&seq);
        } else if seq > self.watermark && !self.read.contains(&seq) {
            self.on_screen.entry(seq).or_insert(now);
        }
    }

    /// Returns when the next bubble on screen becomes read, or `None` while
    /// the page is hidden (`visible_since` is `None`) or nothing is on screen.
    pub(super) fn deadline(
        &self,
        visible_since: Option<Instant>,
        dwell: Duration,
    ) -> Option<Instant> {
        let visible_since = visible_since?;
        self.on_screen
            .values()
            .map(|appeared| (*appeared).max(visible_since).plus(dwell))
            .min()
    }

    /// Marks as read every bubble that has been on screen for `dwell` while
    /// the page was visible. Returns true when one was marked.
    pub(super) fn mark_dwelled(
        &mut self,
        now: Instant,
        visible_since: Option<Instant>,
        dwell: Duration,
    ) -> bool {
        let Some(visible_since) = visible_since else {
            return false;
        };
        let due: Vec<u64> = self
            .on_screen
            .iter()
            .filter(|(_, appeared)| now >= (**appeared).max(visible_since).plus(dwell))
            .map(|(seq, _)| *seq)
            .collect();
        for seq in &due {
            self.on_screen.remove(seq);
            self.read.insert(*seq);
        }
        !due.is_empty()
    }

    /// Moves the watermark over every following seq that is one's own or
    /// read. `own` returns whether a seq on this device is one's own message,
    /// or `None` for a seq this device lacks. Returns true when it moved.
    pub(super) fn advance(&mut self, own: impl Fn(u64) -> Option<bool>) -> bool {
        let before = self.watermark;
        loop {
            let next = self.watermark + 1;
            let passable = match own(next) {
                Some(true) => true,
                Some(false) => self.read.contains(&next),
                None => false,
            };
            if !passable {
                break;
            }
            self.watermark = next;
        }
        self.forget_below_watermark();
        self.watermark > before
    }

    /// Records the `read_seq` that the server stores for this user, from a
    /// join reply or a receipt broadcast of one's own.
    pub(super) fn server_stores(&mut self, read_seq: u64) {
        self.pushed = self.pushed.max(read_seq);
        self.watermark = self.watermark.max(read_seq);
        self.forget_below_watermark();
    }

    /// Returns the watermark to push, when it is above the one the server stores.
    pub(super) fn to_push(&self) -> Option<u64> {
        (self.watermark > self.pushed).then_some(self.watermark)
    }

    /// Records that `read_seq` was pushed, so it is not pushed again.
    pub(super) fn pushed(&mut self, read_seq: u64) {
        self.pushed = self.pushed.max(read_seq);
    }

    /// Forgets which `read_seq` the server stores, because the link was lost: the
    /// next join reply reports it.
    pub(super) fn link_lost(&mut self) {
        self.pushed = 0;
    }

    pub(super) fn watermark(&self) -> u64 {
        self.watermark
    }

    fn forget_below_watermark(&mut self) {
        let watermark = self.watermark;
        self.read.retain(|seq| *seq > watermark);
        self.on_screen.retain(|seq, _| *seq > watermark);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DWELL: Duration = Duration::from_millis(500);

    /// Seqs 1 to 6 exist; 2 and 5 are one's own.
    fn own(seq: u64) -> Option<bool> {
        (1..=6).contains(&seq).then_some(seq == 2 || seq == 5)
    }

    #[test]
    fn dwell_starts_at_later_instant() {
        let mut tracker = ReadTracker::default();
        tracker.set_on_screen(1, true, Instant(1_000));

        assert_eq!(tracker.deadline(None, DWELL), None);
        assert_eq!(
            tracker.deadline(Some(Instant(0)), DWELL),
            Some(Instant(1_500))
        );
        assert_eq!(
            tracker.deadline(Some(Instant(2_000)), DWELL),
            Some(Instant(2_500))
        );
    }

    #[test]
    fn hidden_page_reads_nothing() {
        let mut tracker = ReadTracker::default();
        tracker.set_on_screen(1, true, Instant(0));

        assert!(!tracker.mark_dwelled(Instant(10_000), None, DWELL));
        assert!(!tracker.advance(own));
        assert_eq!(tracker.watermark(), 0);
    }

    #[test]
    fn bubble_leaving_early_is_not_read() {
        let mut tracker = ReadTracker::default();
        tracker.set_on_screen(1, true, Instant(0));
        tracker.set_on_screen(1, false, Instant(499));

        assert!(!tracker.mark_dwelled(Instant(600), Some(Instant(0)), DWELL));
        assert_eq!(tracker.deadline(Some(Instant(0)), DWELL), None);
    }

    #[test]
    fn watermark_skips_own_messages() {
        let mut tracker = ReadTracker::default();
        for seq in [1, 3, 6] {
            tracker.set_on_screen(seq, true, Instant(0));
        }
        assert!(tracker.mark_dwelled(Instant(500), Some(Instant(0)), DWELL));

        assert!(tracker.advance(own));
        // 1 read, 2 own, 3 read, 4 unread: 6 waits for 4.
        assert_eq!(tracker.watermark(), 3);

        tracker.set_on_screen(4, true, Instant(1_000));
        tracker.mark_dwelled(Instant(1_500), Some(Instant(0)), DWELL);
        assert!(tracker.advance(own));
        assert_eq!(tracker.watermark(), 6);
    }

    #[test]
    fn watermark_stops_at_missing_seq() {
        let mut tracker = ReadTracker::default();
        tracker.server_stores(6);
        tracker.set_on_screen(8, true, Instant(0));
        tracker.mark_dwelled(Instant(500), Some(Instant(0)), DWELL);

        assert!(!tracker.advance(|seq| (seq == 8).then_some(false)));
        assert_eq!(tracker.watermark(), 6);
    }

    #[test]
    fn each_watermark_pushed_once() {
        let mut tracker = ReadTracker::default();
        tracker.set_on_screen(1, true, Instant(0));
        tracker.mark_dwelled(Instant(500), Some(Instant(0)), DWELL);
        tracker.advance(own);
        assert_eq!(tracker.to_push(), Some(2));

        tracker.pushed(2);
        assert_eq!(tracker.to_push(), None);

        tracker.link_lost();
        tracker.server_stores(2);
        assert_eq!(tracker.to_push(), None, "the server already stores 2");
    }

    #[test]
    fn server_watermark_never_moves_back() {
        let mut tracker = ReadTracker::default();
        tracker.server_stores(5);
        tracker.server_stores(3);

        assert_eq!(tracker.watermark(), 5);
        tracker.set_on_screen(4, true, Instant(0));
        assert_eq!(tracker.deadline(Some(Instant(0)), DWELL), None);
    }
}
