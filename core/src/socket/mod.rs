//! The Phoenix socket and its channels, as a sans-I/O state machine.
//!
//! [`Socket`] takes events (the adapter's `handle_*` calls and the user's
//! intents such as [`Socket::join`] and [`Socket::push`]) together with the
//! current [`Instant`], and returns work through [`Socket::poll_action`]
//! (open a WebSocket, send a frame, close one) and news through
//! [`Socket::poll_event`]. It arms no timers itself: the adapter arms one for
//! [`Socket::next_deadline`] and calls [`Socket::handle_timer`] when it fires.
//!
//! # Connections and generations
//!
//! Every WebSocket the socket asks for gets a new generation number. The
//! adapter passes it back with each event, and events of any generation but
//! the current one are ignored, so a slow close or a late message from a
//! socket that was given up cannot disturb its successor. At most one
//! generation is connecting or open at a time. After a close that the user did
//! not ask for, the socket reconnects after the reconnect backoff (phoenix.js
//! steps with jitter); the attempt counter restarts after each open.
//!
//! # Channel lifecycle
//!
//! A channel is one topic on the socket, in one of five states: closed,
//! joining, joined, leaving, errored. [`Socket::join`] sends `phx_join` with a
//! fresh `join_ref`, which is also the `ref` of that push. An ok reply makes
//! the channel joined. An error reply of `unauthorized` or `not_found` closes
//! it for good. Any other error, a join timeout, a `phx_error` from the server
//! or a socket close makes it errored, and it rejoins after the rejoin backoff,
//! or at once when the socket opens again. Each rejoin uses a new `join_ref`
//! and the latest params from [`Socket::set_join_params`]. `phx_close` closes
//! the channel, and [`Socket::leave`] sends `phx_leave`.
//!
//! Incoming frames are routed by topic. A frame whose `join_ref` is set and
//! differs from the channel's current one belongs to an earlier join and is
//! dropped; broadcasts carry no `join_ref` and are never stale. Replies are
//! matched to pushes by `ref`. Pushes are sent only while the channel is
//! joined: the socket never buffers, and the outbox above resends after the
//! next join. Every push gets exactly one outcome, a reply or a timeout.
//!
//! # Heartbeat rule
//!
//! While the socket is open, a heartbeat goes out every `heartbeat_interval`.
//! The link is declared dead when a heartbeat has waited `heartbeat_timeout`
//! for its reply, measured on the clock passed in, never by counting timer
//! calls. A hidden tab whose timer fires a minute late therefore does not
//! disconnect when the reply did arrive in the meantime. When a push has
//! waited `probe_after` for its reply, a heartbeat is sent at once (once per
//! waiting push), so a dead link is found in seconds and not at the next
//! regular heartbeat.

mod settings;
mod types;

pub use settings::Settings;
pub use types::{Action, ChannelState, PushError, PushRef, SocketEvent, SocketState};

use serde_json::Value;

use crate::time::Instant;

/// The Phoenix socket: one connection that carries every channel.
#[derive(Debug)]
pub struct Socket {
    settings: Settings,
}

impl Socket {
    /// Creates a closed socket. `seed` drives the jitter of the backoff.
    pub fn new(settings: Settings, seed: u64) -> Socket {
        let _ = seed;
        Socket { settings }
    }

    /// Starts connecting, or keeps connecting if a connection or a reconnect
    /// wait is already under way.
    pub fn connect(&mut self, now: Instant) {
        todo!("{now:?}")
    }

    /// Closes the socket at the user's request; no reconnect follows.
    pub fn disconnect(&mut self, now: Instant) {
        todo!("{now:?}")
    }

    /// Skips the current reconnect wait (a hint from `online`,
    /// `visibilitychange` or `pageshow`), and probes an open socket.
    pub fn reconnect_now(&mut self, now: Instant) {
        todo!("{now:?}")
    }

    /// Reports that the socket of `generation` opened.
    pub fn handle_open(&mut self, now: Instant, generation: u64) {
        todo!("{now:?} {generation}")
    }

    /// Reports that the socket of `generation` closed with `code`.
    pub fn handle_close(&mut self, now: Instant, generation: u64, code: u16) {
        todo!("{now:?} {generation} {code}")
    }

    /// Handles a text frame received on the socket of `generation`.
    pub fn handle_text(&mut self, now: Instant, generation: u64, text: &str) {
        todo!("{now:?} {generation} {text}")
    }

    /// Handles a binary frame received on the socket of `generation`.
    pub fn handle_binary(&mut self, now: Instant, generation: u64, bytes: &[u8]) {
        todo!("{now:?} {generation} {bytes:?}")
    }

    /// Runs every timer that is due at `now`. Call it when
    /// [`Socket::next_deadline`] has passed; late calls are fine.
    pub fn handle_timer(&mut self, now: Instant) {
        todo!("{now:?}")
    }

    /// Returns the earliest instant at which [`Socket::handle_timer`] has work,
    /// or `None` when no timer is needed.
    pub fn next_deadline(&self) -> Option<Instant> {
        todo!()
    }

    /// Joins `topic` with `params`, now if the socket is open, or when it
    /// opens.
    pub fn join(&mut self, now: Instant, topic: &str, params: Value) {
        todo!("{now:?} {topic} {params}")
    }

    /// Replaces the params of the next join or rejoin of `topic`. Does nothing
    /// for a topic that was never joined.
    pub fn set_join_params(&mut self, topic: &str, params: Value) {
        todo!("{topic} {params}")
    }

    /// Leaves `topic`: sends `phx_leave` if the channel is joined or joining,
    /// and stops rejoining it.
    pub fn leave(&mut self, now: Instant, topic: &str) {
        todo!("{now:?} {topic}")
    }

    /// Sends a push now if the channel is joined and the socket open.
    ///
    /// # Errors
    ///
    /// Returns [`PushError::NotJoined`] otherwise; the outbox resends after
    /// the next [`SocketEvent::Joined`], because the socket never buffers.
    pub fn push(
        &mut self,
        now: Instant,
        topic: &str,
        event: &str,
        payload: Value,
    ) -> Result<PushRef, PushError> {
        todo!("{now:?} {topic} {event} {payload}")
    }

    /// Takes the next action for the adapter.
    pub fn poll_action(&mut self) -> Option<Action> {
        todo!()
    }

    /// Takes the next event for the layers above.
    pub fn poll_event(&mut self) -> Option<SocketEvent> {
        todo!()
    }

    pub fn state(&self) -> SocketState {
        todo!()
    }

    pub fn channel_state(&self, topic: &str) -> Option<ChannelState> {
        todo!("{topic}")
    }

    /// Returns how many received frames could not be decoded and were dropped.
    pub fn undecodable_frames(&self) -> u64 {
        todo!()
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }
}
