use std::collections::BTreeMap;
use std::time::Duration;

use crate::time::Instant;

/// Kind of frame that a pending ref was sent with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PushKind {
    Join,
    Leave,
    /// A push of the layers above, which gets a `Replied` or `PushTimedOut`.
    Message,
}

/// A frame sent with a `ref` and waiting for its reply.
#[derive(Debug, Clone)]
pub(super) struct PendingPush {
    pub topic: String,
    pub kind: PushKind,
    pub sent_at: Instant,
    /// True once this push's wait has triggered a heartbeat probe.
    pub probed: bool,
}

/// Pending pushes by ref, in the order they were sent.
#[derive(Debug, Clone, Default)]
pub(super) struct Pushes {
    by_ref: BTreeMap<u64, PendingPush>,
}

impl Pushes {
    pub fn insert(&mut self, msg_ref: u64, topic: &str, kind: PushKind, now: Instant) {
        let push = PendingPush {
            topic: topic.to_owned(),
            kind,
            sent_at: now,
            probed: false,
        };
        self.by_ref.insert(msg_ref, push);
    }

    pub fn get(&self, msg_ref: u64) -> Option<&PendingPush> {
        self.by_ref.get(&msg_ref)
    }

    pub fn remove(&mut self, msg_ref: u64) -> Option<PendingPush> {
        self.by_ref.remove(&msg_ref)
    }

    /// Removes the pushes that match `filter` and returns them in ref order.
    pub fn remove_where(
        &mut self,
        mut filter: impl FnMut(&PendingPush) -> bool,
    ) -> Vec<(u64, PendingPush)> {
        let refs: Vec<u64> = self
            .by_ref
            .iter()
            .filter(|(_, push)| filter(push))
            .map(|(msg_ref, _)| *msg_ref)
            .collect();
        refs.into_iter()
            .filter_map(|msg_ref| self.by_ref.remove(&msg_ref).map(|push| (msg_ref, push)))
            .collect()
    }

    /// Marks every push that has waited `probe_after` and was not probed yet.
    /// Returns true if there was one, so a probe is due.
    pub fn mark_probed(&mut self, now: Instant, probe_after: Duration) -> bool {
        let mut found = false;
        for push in self.by_ref.values_mut() {
            if !push.probed && now >= push.sent_at.plus(probe_after) {
                push.probed = true;
                found = true;
            }
        }
        found
    }

    /// Returns the earliest timeout or probe among the pending pushes.
    pub fn deadline(&self, push_timeout: Duration, probe_after: Duration) -> Option<Instant> {
        self.by_ref
            .values()
            .flat_map(|push| {
                let probe = (!push.probed).then(|| push.sent_at.plus(probe_after));
                [Some(push.sent_at.plus(push_timeout)), probe]
            })
            .flatten()
            .min()
    }
}
