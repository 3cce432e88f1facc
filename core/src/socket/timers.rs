//! Everything driven by time: the connect timeout, heartbeats and the
//! dead-link rule, push and join timeouts, early probes, rejoins and
//! reconnects.

use serde_json::json;

use super::pushes::PushKind;
use super::{Socket, SocketEvent, SocketState};
use crate::time::Instant;
use crate::wire::{self, Frame, events};

impl Socket {
    /// Runs every timer that is due at `now`. Call it when
    /// [`Socket::next_deadline`] has passed. Late calls are fine, because
    /// every rule compares instants and none counts calls.
    pub fn handle_timer(&mut self, now: Instant) {
        let give_up_due = self.reconnect.give_up_at.is_some_and(|at| now >= at);
        if self.state.is_connecting() && give_up_due {
            self.abandon_connect(now);
        }

        let settings = &self.settings;
        if self.state.is_open() && self.heartbeat.is_dead(now, settings.heartbeat_timeout) {
            self.drop_dead_link(now);
        }

        self.expire_pushes(now);

        if self.state.is_open() {
            let probe_due = self.pushes.mark_probed(now, self.settings.probe_after);
            let heartbeat_due = self.heartbeat.is_due(now);
            if (probe_due || heartbeat_due) && !self.heartbeat.is_pending() {
                self.send_heartbeat(now);
            }
            self.run_due_rejoins(now);
        }

        let reconnect_due = self.reconnect.at.is_some_and(|at| now >= at);
        if self.state == SocketState::Closed && self.connection_requested && reconnect_due {
            self.start_connect(now);
        }
    }

    /// Returns the earliest instant at which [`Socket::handle_timer`] has work,
    /// or `None` when no timer is needed.
    pub fn next_deadline(&self) -> Option<Instant> {
        match self.state {
            SocketState::Closed if self.connection_requested => self.reconnect.at,
            SocketState::Open => {
                let settings = &self.settings;
                let heartbeat = self.heartbeat.deadline(settings.heartbeat_timeout);
                let pushes = self
                    .pushes
                    .deadline(settings.push_timeout, settings.probe_after);
                let rejoins = self
                    .channels
                    .values()
                    .filter_map(|channel| channel.rejoin_at);
                [heartbeat, pushes]
                    .into_iter()
                    .flatten()
                    .chain(rejoins)
                    .min()
            }
            SocketState::Connecting => self.reconnect.give_up_at,
            SocketState::Closed | SocketState::Closing => None,
        }
    }

    /// Sends `[null, ref, "phoenix", "heartbeat", {}]`.
    pub(super) fn send_heartbeat(&mut self, now: Instant) {
        let msg_ref = self.make_ref();
        let frame = Frame::json(
            None,
            Some(msg_ref.to_string()),
            wire::HEARTBEAT_TOPIC,
            events::HEARTBEAT,
            json!({}),
        );
        self.send(&frame);
        self.heartbeat
            .record_sent(msg_ref, now, self.settings.heartbeat_interval);
    }

    /// Reports every push that has waited `push_timeout`, in ref order.
    fn expire_pushes(&mut self, now: Instant) {
        let timeout = self.settings.push_timeout;
        let expired = self
            .pushes
            .remove_where(|push| now >= push.sent_at.plus(timeout));
        for (msg_ref, push) in expired {
            match push.kind {
                PushKind::Message => self.events.push_back(SocketEvent::PushTimedOut {
                    topic: push.topic,
                    push: super::PushRef(msg_ref),
                }),
                PushKind::Join => self.time_out_join(now, &push.topic, msg_ref),
                PushKind::Leave => self.close_channel(&push.topic),
            }
        }
    }

    fn run_due_rejoins(&mut self, now: Instant) {
        let due: Vec<String> = self
            .channels
            .iter()
            .filter(|(_, channel)| {
                channel.join_requested && channel.rejoin_at.is_some_and(|at| now >= at)
            })
            .map(|(topic, _)| topic.clone())
            .collect();
        for topic in due {
            self.send_join(now, &topic);
        }
    }
}
