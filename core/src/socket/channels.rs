//! Channel intents (join, leave, push) and the channel state transitions
//! that replies, errors and timeouts cause.

use serde_json::{Value, json};

use super::channel::Channel;
use super::pushes::PushKind;
use super::{ChannelState, PushError, PushRef, Socket};
use crate::backoff;
use crate::time::Instant;
use crate::wire::{Frame, events};

impl Socket {
    /// Joins `topic` with `params`, now if the socket is open, or when it
    /// opens.
    ///
    /// Joining a channel that is already joined or joining only replaces its
    /// params for the next rejoin. An errored channel rejoins at once,
    /// without waiting for the rejoin backoff.
    pub fn join(&mut self, now: Instant, topic: &str, params: Value) {
        let channel = self
            .channels
            .entry(topic.to_owned())
            .or_insert_with(|| Channel::new(Value::Null));
        channel.params = params;
        channel.join_requested = true;
        if channel.state.is_joined() || channel.state.is_joining() {
            return;
        }

        if self.state.is_open() {
            self.send_join(now, topic);
        } else {
            self.set_channel_state(topic, ChannelState::Joining);
        }
    }

    /// Replaces the params of the next join or rejoin of `topic`. Does nothing
    /// for a topic that was never joined.
    pub fn set_join_params(&mut self, topic: &str, params: Value) {
        if let Some(channel) = self.channels.get_mut(topic) {
            channel.params = params;
        }
    }

    /// Leaves `topic` and stops rejoining it.
    ///
    /// A joined channel, or one whose join was sent, gets a `phx_leave` and
    /// stays leaving until its reply or its timeout. Any other channel closes
    /// at once.
    pub fn leave(&mut self, now: Instant, topic: &str) {
        let Some(channel) = self.channels.get_mut(topic) else {
            return;
        };
        channel.join_requested = false;
        channel.rejoin_at = None;
        let join_sent = channel.state.is_joined() || channel.state.is_joining();
        let join_ref = channel.join_ref;

        match channel.state {
            ChannelState::Leaving | ChannelState::Closed => {}
            _ if join_sent && self.state.is_open() => {
                self.remove_join_push(topic);
                let msg_ref = self.make_ref();
                let frame = Frame::json(
                    join_ref.map(|value| value.to_string()),
                    Some(msg_ref.to_string()),
                    topic,
                    events::LEAVE,
                    json!({}),
                );
                self.send(&frame);
                self.pushes.insert(msg_ref, topic, PushKind::Leave, now);
                self.set_channel_state(topic, ChannelState::Leaving);
            }
            _ => self.close_channel(topic),
        }
    }

    /// Sends a push now if the channel is joined and the socket open.
    ///
    /// # Errors
    ///
    /// Returns [`PushError::NotJoined`] otherwise. The outbox resends after
    /// the next [`SocketEvent::Joined`](super::SocketEvent::Joined), because
    /// the socket never buffers.
    pub fn push(
        &mut self,
        now: Instant,
        topic: &str,
        event: &str,
        payload: Value,
    ) -> Result<PushRef, PushError> {
        let channel = self.channels.get(topic).ok_or(PushError::NotJoined)?;
        if !self.state.is_open() || !channel.state.is_joined() {
            return Err(PushError::NotJoined);
        }
        let join_ref = channel.join_ref.map(|value| value.to_string());

        let msg_ref = self.make_ref();
        let frame = Frame::json(join_ref, Some(msg_ref.to_string()), topic, event, payload);
        self.send(&frame);
        self.pushes.insert(msg_ref, topic, PushKind::Message, now);
        Ok(PushRef(msg_ref))
    }

    /// Sends `phx_join` with a fresh `join_ref`, which is also the push's
    /// `ref`, and the channel's latest params.
    pub(super) fn send_join(&mut self, now: Instant, topic: &str) {
        // Pushes of an earlier join cannot get a reply any more: it would
        // carry the old join_ref and be dropped as stale.
        let stale = self.pushes.remove_where(|push| push.topic == topic);
        self.report_lost_pushes(stale);

        let msg_ref = self.make_ref();
        let Some(channel) = self.channels.get_mut(topic) else {
            return;
        };
        channel.join_ref = Some(msg_ref);
        channel.rejoin_at = None;
        let frame = Frame::json(
            Some(msg_ref.to_string()),
            Some(msg_ref.to_string()),
            topic,
            events::JOIN,
            channel.params.clone(),
        );
        self.send(&frame);
        self.pushes.insert(msg_ref, topic, PushKind::Join, now);
        self.set_channel_state(topic, ChannelState::Joining);
    }

    /// Marks the channel errored, then reports its pending pushes. A rejoin
    /// follows after the rejoin backoff if the socket is open, or else on the
    /// next open.
    pub(super) fn error_channel(&mut self, now: Instant, topic: &str) {
        self.set_channel_state(topic, ChannelState::Errored);
        let lost = self.pushes.remove_where(|push| push.topic == topic);
        self.report_lost_pushes(lost);

        let socket_open = self.state.is_open();
        let random_unit = self.next_random();
        let Some(channel) = self.channels.get_mut(topic) else {
            return;
        };
        if !channel.join_requested || !socket_open {
            return;
        }
        let wait = backoff::delay(
            &self.settings.rejoin_after,
            channel.rejoin_attempt,
            self.settings.jitter,
            random_unit,
        );
        channel.rejoin_attempt = channel.rejoin_attempt.saturating_add(1);
        channel.rejoin_at = Some(now.plus(wait));
    }

    /// Closes the channel for good: no rejoin until the next `join`.
    pub(super) fn close_channel(&mut self, topic: &str) {
        if let Some(channel) = self.channels.get_mut(topic) {
            channel.join_requested = false;
            channel.rejoin_at = None;
        }
        self.set_channel_state(topic, ChannelState::Closed);
        let lost = self.pushes.remove_where(|push| push.topic == topic);
        self.report_lost_pushes(lost);
    }

    /// Handles a join that got no reply within the push timeout. Like
    /// phoenix.js, it sends `phx_leave` for that join, so the server drops a
    /// channel that may have joined after all, then rejoins after the
    /// backoff.
    pub(super) fn time_out_join(&mut self, now: Instant, topic: &str, join_ref: u64) {
        if self.state.is_open() {
            let msg_ref = self.make_ref();
            let frame = Frame::json(
                Some(join_ref.to_string()),
                Some(msg_ref.to_string()),
                topic,
                events::LEAVE,
                json!({}),
            );
            self.send(&frame);
        }

        // The server can follow its reply to that leave with a phx_close for
        // the old join. Forgetting the join_ref makes that frame stale, so it
        // cannot close the channel for good and stop the rejoin.
        if let Some(channel) = self.channels.get_mut(topic) {
            channel.join_ref = None;
        }
        self.error_channel(now, topic);
    }

    fn remove_join_push(&mut self, topic: &str) {
        self.pushes
            .remove_where(|push| push.topic == topic && push.kind == PushKind::Join);
    }
}
