//! The demultiplexer: routes each received frame to the heartbeat or to its
//! channel, drops stale and undecodable frames, and matches replies to
//! pushes by `ref`.

use super::pushes::{PendingPush, PushKind};
use super::{ChannelState, PushRef, Socket, SocketEvent};
use crate::time::Instant;
use crate::wire::{self, DecodeError, Frame, Payload, Reply, ReplyStatus, binary, events};

/// Join error reasons after which retrying cannot help.
const PERMANENT_JOIN_ERRORS: [&str; 2] = ["unauthorized", "not_found"];

impl Socket {
    /// Handles a text frame received on the socket of `generation`.
    pub fn handle_text(&mut self, now: Instant, generation: u64, text: &str) {
        if !self.accepts_frames_of(generation) {
            return;
        }
        match wire::decode_text(text) {
            Ok(frame) => self.route(now, frame),
            Err(error) => self.record_undecodable(error),
        }
    }

    /// Handles a binary frame received on the socket of `generation`.
    pub fn handle_binary(&mut self, now: Instant, generation: u64, bytes: &[u8]) {
        if !self.accepts_frames_of(generation) {
            return;
        }
        match binary::decode_from_server(bytes) {
            Ok(frame) => self.route(now, frame),
            Err(error) => self.record_undecodable(error),
        }
    }

    fn record_undecodable(&mut self, error: DecodeError) {
        self.undecodable_frames += 1;
        self.last_decode_error = Some(error);
    }

    fn accepts_frames_of(&self, generation: u64) -> bool {
        generation == self.generation && self.state.is_open()
    }

    fn route(&mut self, now: Instant, frame: Frame) {
        if frame.topic == wire::HEARTBEAT_TOPIC {
            if let (true, Some(msg_ref)) = (frame.is_reply(), frame.msg_ref.as_deref()) {
                self.heartbeat.acknowledge(msg_ref);
            }
            return;
        }

        let Some(channel) = self.channels.get(&frame.topic) else {
            return;
        };
        if channel.state.is_closed() || !channel.is_current(frame.join_ref.as_deref()) {
            return;
        }

        match frame.event.as_str() {
            events::REPLY => self.handle_reply(now, frame),
            events::ERROR => self.handle_channel_error(now, &frame.topic),
            events::CLOSE => self.close_channel(&frame.topic),
            _ => self.events.push_back(SocketEvent::Message {
                topic: frame.topic,
                event: frame.event,
                payload: frame.payload,
            }),
        }
    }

    fn handle_reply(&mut self, now: Instant, frame: Frame) {
        let Some(msg_ref) = frame
            .msg_ref
            .as_deref()
            .and_then(|text| text.parse::<u64>().ok())
        else {
            return;
        };
        let known = self
            .pushes
            .get(msg_ref)
            .is_some_and(|push| push.topic == frame.topic);
        if !known {
            // A reply to a push that timed out or belongs to another topic.
            return;
        }
        let Some(reply) = frame.as_reply() else {
            // A missing or unknown status makes the frame malformed. The push
            // stays pending and times out, so it still gets one outcome.
            self.record_undecodable(reply_status_error(&frame));
            return;
        };
        let Some(push) = self.pushes.remove(msg_ref) else {
            return;
        };

        match push.kind {
            PushKind::Join => self.handle_join_reply(now, &push.topic, reply),
            PushKind::Leave => self.close_channel(&push.topic),
            PushKind::Message => self.report_reply(msg_ref, push, reply),
        }
    }

    fn handle_join_reply(&mut self, now: Instant, topic: &str, reply: Reply) {
        if reply.status == ReplyStatus::Ok {
            let Some(channel) = self.channels.get_mut(topic) else {
                return;
            };
            let rejoin = channel.joined_before;
            channel.joined_before = true;
            channel.rejoin_attempt = 0;
            self.set_channel_state(topic, ChannelState::Joined);
            self.events.push_back(SocketEvent::Joined {
                topic: topic.to_owned(),
                response: reply.response,
                rejoin,
            });
            return;
        }

        let reason = reply
            .response
            .get("reason")
            .and_then(|value| value.as_str());
        let permanent = reason.is_some_and(|reason| PERMANENT_JOIN_ERRORS.contains(&reason));
        self.events.push_back(SocketEvent::JoinRejected {
            topic: topic.to_owned(),
            response: reply.response,
        });
        if permanent {
            self.close_channel(topic);
        } else {
            self.error_channel(now, topic);
        }
    }

    fn report_reply(&mut self, msg_ref: u64, push: PendingPush, reply: Reply) {
        self.events.push_back(SocketEvent::Replied {
            topic: push.topic,
            push: PushRef(msg_ref),
            status: reply.status,
            response: reply.response,
        });
    }

    /// Handles `phx_error`: the server's channel process crashed. A leaving
    /// channel is closed, since there is nothing left to leave.
    fn handle_channel_error(&mut self, now: Instant, topic: &str) {
        match self.channel_state(topic) {
            Some(ChannelState::Joining | ChannelState::Joined) => self.error_channel(now, topic),
            Some(ChannelState::Leaving) => self.close_channel(topic),
            _ => {}
        }
    }
}

/// Describes the status of a `phx_reply` that is neither `ok` nor `error`.
fn reply_status_error(frame: &Frame) -> DecodeError {
    let status = match &frame.payload {
        Payload::Json(payload) => payload.get("status").map(|status| status.to_string()),
        Payload::BinaryReply { status, .. } => Some(format!("{status:?}")),
        Payload::Binary(_) => None,
    };
    DecodeError::ReplyStatus(status.unwrap_or_else(|| "missing".to_owned()))
}
