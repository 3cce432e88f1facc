//! The connection lifecycle: connect, open, close, reconnect backoff and the
//! loss of a link.

use super::pushes::PushKind;
use std::time::Duration;

use super::{Action, ChannelState, Settings, Socket, SocketEvent, SocketState};
use crate::backoff;
use crate::time::Instant;

/// Close code sent when the socket closes a WebSocket itself (RFC 6455
/// "normal closure", as phoenix.js sends).
const NORMAL_CLOSURE: u16 = 1000;

impl Socket {
    /// Starts connecting, or keeps connecting if a connection or a reconnect
    /// wait is already under way.
    pub fn connect(&mut self, now: Instant) {
        self.connection_requested = true;
        match self.state {
            SocketState::Closed if self.reconnect.at.is_none() => self.start_connect(now),
            // The closing socket was already given up, so this opens no
            // second live socket.
            SocketState::Closing => self.start_connect(now),
            SocketState::Closed | SocketState::Connecting | SocketState::Open => {}
        }
    }

    /// Closes the socket at the user's request. No reconnect follows until
    /// the next [`Socket::connect`], and the joined channels rejoin then.
    pub fn disconnect(&mut self, now: Instant) {
        let _ = now;
        self.connection_requested = false;
        self.reconnect.at = None;
        if self.state.is_connecting() || self.state.is_open() {
            self.close_current("client disconnect");
            self.lose_link(SocketState::Closing);
        }
    }

    /// Skips the current reconnect wait, because the page hints that the
    /// network is back (`online`, `visibilitychange`, `pageshow`).
    ///
    /// A socket that is already connecting is left alone, so two sockets are
    /// never live at once. An open socket gets a heartbeat probe unless one
    /// is already waiting, because the link may have died while the page was
    /// hidden or the device asleep. Does nothing after [`Socket::disconnect`].
    pub fn reconnect_now(&mut self, now: Instant) {
        if !self.connection_requested {
            return;
        }
        match self.state {
            SocketState::Closed => self.start_connect(now),
            SocketState::Open if !self.heartbeat.is_pending() => self.send_heartbeat(now),
            SocketState::Open | SocketState::Connecting | SocketState::Closing => {}
        }
    }

    /// Reports that the socket of `generation` opened. Every channel with a
    /// join request then joins with a new `join_ref`.
    pub fn handle_open(&mut self, now: Instant, generation: u64) {
        if generation != self.generation || !self.state.is_connecting() {
            return;
        }
        self.reconnect.attempt = 0;
        self.reconnect.failed_connects = 0;
        self.reconnect.give_up_at = None;
        self.heartbeat.start(now, self.settings.heartbeat_interval);
        self.set_state(SocketState::Open);

        let to_join: Vec<String> = self
            .channels
            .iter()
            .filter(|(_, channel)| channel.join_requested)
            .map(|(topic, _)| topic.clone())
            .collect();
        for topic in to_join {
            self.send_join(now, &topic);
        }
    }

    /// Reports that the socket of `generation` closed with `code`.
    ///
    /// Any close the user did not request is followed by a reconnect after
    /// the backoff, whatever the code. phoenix.js skips the reconnect after
    /// code 1000, but a browser reports a rejected token and a network drop
    /// alike, and a server restart must not leave the chat offline.
    pub fn handle_close(&mut self, now: Instant, generation: u64, code: u16) {
        let _ = code;
        if generation != self.generation {
            return;
        }
        match self.state {
            SocketState::Connecting => self.fail_connect(now),
            SocketState::Open => {
                self.lose_link(SocketState::Closed);
                self.schedule_reconnect(now);
            }
            SocketState::Closing => self.set_state(SocketState::Closed),
            // A socket that was given up after a dead heartbeat.
            SocketState::Closed => {}
        }
    }

    /// Gives up the open socket after its heartbeat went unanswered, and
    /// schedules a reconnect without waiting for the WebSocket to report its
    /// close, which can take a minute on a dead link.
    pub(super) fn drop_dead_link(&mut self, now: Instant) {
        self.close_current("heartbeat timeout");
        self.lose_link(SocketState::Closed);
        self.schedule_reconnect(now);
    }

    /// Abandons a connect that has not opened within `connect_timeout`: the
    /// WebSocket is closed and the attempt counts as a failed connect.
    pub(super) fn abandon_connect(&mut self, now: Instant) {
        self.close_current("connect timeout");
        self.fail_connect(now);
    }

    /// Records a connect that ended before opening and schedules the next.
    fn fail_connect(&mut self, now: Instant) {
        self.lose_link(SocketState::Closed);
        self.reconnect.failed_connects += 1;
        self.events.push_back(SocketEvent::ConnectFailed {
            consecutive: self.reconnect.failed_connects,
        });
        self.schedule_reconnect(now);
    }

    /// Requests a new WebSocket with the next generation.
    pub(super) fn start_connect(&mut self, now: Instant) {
        self.reconnect.at = None;
        let timeout = connect_timeout(&self.settings, self.reconnect.failed_connects);
        self.reconnect.give_up_at = Some(now.plus(timeout));
        self.generation += 1;
        self.actions.push_back(Action::Connect {
            generation: self.generation,
        });
        self.set_state(SocketState::Connecting);
    }

    fn close_current(&mut self, reason: &str) {
        self.actions.push_back(Action::Disconnect {
            generation: self.generation,
            code: NORMAL_CLOSURE,
            reason: reason.to_owned(),
        });
    }

    fn schedule_reconnect(&mut self, now: Instant) {
        if !self.connection_requested {
            return;
        }
        let random_unit = self.next_random();
        let wait = backoff::delay(
            &self.settings.reconnect_after,
            self.reconnect.attempt,
            self.settings.jitter,
            random_unit,
        );
        self.reconnect.attempt = self.reconnect.attempt.saturating_add(1);
        self.reconnect.at = Some(now.plus(wait));
    }

    /// Moves to `state` and forgets everything tied to the current link.
    ///
    /// Channels with a join request become errored and rejoin on the next open. Leaving
    /// ones are closed, because the server drops its channels with the
    /// socket. Pending pushes are reported as timed out last, so the layers
    /// above already know the channel is down when they handle the timeout.
    fn lose_link(&mut self, state: SocketState) {
        self.set_state(state);
        self.heartbeat.stop();
        self.reconnect.give_up_at = None;

        let topics: Vec<String> = self.channels.keys().cloned().collect();
        for topic in topics {
            let Some(channel) = self.channels.get_mut(&topic) else {
                continue;
            };
            channel.rejoin_at = None;
            let next = match channel.state {
                _ if channel.join_requested => ChannelState::Errored,
                ChannelState::Leaving => ChannelState::Closed,
                state => state,
            };
            self.set_channel_state(&topic, next);
        }

        let lost = self.pushes.remove_where(|_| true);
        self.report_lost_pushes(lost);
    }

    /// Emits `PushTimedOut` for the layers' pushes among `lost`. Join and
    /// leave pushes are the socket's own and need no report.
    pub(super) fn report_lost_pushes(&mut self, lost: Vec<(u64, super::pushes::PendingPush)>) {
        for (msg_ref, push) in lost {
            if push.kind == PushKind::Message {
                self.events.push_back(SocketEvent::PushTimedOut {
                    topic: push.topic,
                    push: super::PushRef(msg_ref),
                });
            }
        }
    }
}

/// Maximum number of times the connect timeout doubles after failed
/// connects in a row.
const MAX_TIMEOUT_DOUBLINGS: u32 = 3;

/// Returns how long a connect may take before it is abandoned: the
/// configured timeout, doubled after each failed connect in a row, up to 8
/// times as long.
///
/// Chromium delays a WebSocket connect of a renderer process that saw many
/// failures and few successes, by 1 to 5 s at most
/// (`WebSocketPerProcessThrottler::CalculateDelay`). An abandoned connect
/// counts as one more failure there, so a fixed timeout below that delay
/// would abandon every later attempt before it starts. The growing timeout
/// outlasts the delay after a few attempts even at a scale of 0.1.
pub(super) fn connect_timeout(settings: &Settings, failed_connects: u32) -> Duration {
    settings.connect_timeout * 2u32.pow(failed_connects.min(MAX_TIMEOUT_DOUBLINGS))
}
