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
//! Every WebSocket requested with [`Action::Connect`] gets a new generation
//! number. The adapter passes it back with each event, and events of any
//! generation but the current one are ignored. A slow close or a late message
//! from a socket that was given up therefore cannot disturb its successor. At
//! most one generation is connecting or open at a time. After a close that the
//! user did not request, the socket reconnects after the reconnect backoff
//! (phoenix.js steps with jitter), and the attempt counter restarts after each
//! open. A connect that has not opened within `connect_timeout` is abandoned
//! with [`Action::Disconnect`] and reported as
//! [`SocketEvent::ConnectFailed`], like a connect that closed before opening,
//! so a stalled TCP or TLS handshake never leaves the socket connecting for
//! good.
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
//! dropped. Broadcasts carry no `join_ref` and are never stale. Replies are
//! matched to pushes by `ref`. Pushes are sent only while the channel is
//! joined, because the socket never buffers: the outbox above resends after
//! the next join. Every push gets exactly one outcome, a reply or a timeout.
//! A socket close, a channel error, a finished leave or a rejoin reports the
//! channel's unanswered pushes as timed out at once, because their replies
//! can no longer arrive.
//!
//! # Heartbeat rule
//!
//! While the socket is open, a heartbeat goes out every `heartbeat_interval`.
//! The link is declared dead when a heartbeat has waited `heartbeat_timeout`
//! for its reply, measured on the clock passed in, never by counting timer
//! calls. A hidden tab whose timer fires a minute late therefore does not
//! disconnect when the reply did arrive in the meantime. A dead link gets
//! [`Action::Disconnect`] and the reconnect backoff starts at once, without
//! waiting for the WebSocket's close event, which can take a minute on a dead
//! link.
//!
//! When a push has waited `probe_after` for its reply, a heartbeat is sent at
//! once unless one is already waiting. Each push triggers at most one probe,
//! so a dead link is found seconds after a push went unanswered and not at
//! the next regular heartbeat.

mod channel;
mod channels;
mod connection;
mod demux;
mod heartbeat;
mod pushes;
mod settings;
mod timers;
mod types;

pub use settings::Settings;
pub use types::{Action, ChannelState, PushError, PushRef, SocketEvent, SocketState};

use std::collections::{BTreeMap, VecDeque};

use crate::backoff::SplitMix64;
use crate::time::Instant;
use crate::wire::{self, DecodeError, Frame};
use channel::Channel;
use heartbeat::Heartbeat;
use pushes::Pushes;

/// The Phoenix socket: one connection that carries every channel.
#[derive(Debug)]
pub struct Socket {
    settings: Settings,
    random: SplitMix64,
    state: SocketState,
    /// Generation of the latest socket requested with [`Action::Connect`].
    generation: u64,
    /// True from `connect` until `disconnect`, while closes are followed by
    /// reconnects.
    connection_requested: bool,
    reconnect: Reconnect,
    /// The last Phoenix `ref` handed out. Refs count up from 1 in each `Socket`.
    last_ref: u64,
    heartbeat: Heartbeat,
    channels: BTreeMap<String, Channel>,
    pushes: Pushes,
    actions: VecDeque<Action>,
    events: VecDeque<SocketEvent>,
    undecodable_frames: u64,
    last_decode_error: Option<DecodeError>,
}

/// Reconnect backoff state.
#[derive(Debug, Clone, Default)]
struct Reconnect {
    /// Reconnects scheduled since the last open, the index into the backoff steps.
    attempt: u32,
    /// Connect attempts that closed before opening, since the last open.
    failed_connects: u32,
    /// When the next connect attempt is due, while waiting for one.
    at: Option<Instant>,
    /// When the current connect attempt is abandoned, while connecting.
    give_up_at: Option<Instant>,
}

impl Socket {
    /// Creates a closed socket. `seed` drives the jitter of the backoff.
    pub fn new(settings: Settings, seed: u64) -> Socket {
        Socket {
            settings,
            random: SplitMix64::new(seed),
            state: SocketState::Closed,
            generation: 0,
            connection_requested: false,
            reconnect: Reconnect::default(),
            last_ref: 0,
            heartbeat: Heartbeat::default(),
            channels: BTreeMap::new(),
            pushes: Pushes::default(),
            actions: VecDeque::new(),
            events: VecDeque::new(),
            undecodable_frames: 0,
            last_decode_error: None,
        }
    }

    /// Takes the next action for the adapter.
    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// Takes the next event for the layers above.
    pub fn poll_event(&mut self) -> Option<SocketEvent> {
        self.events.pop_front()
    }

    /// Returns the state of the connection.
    pub fn state(&self) -> SocketState {
        self.state
    }

    /// Returns the state of `topic`'s channel, or `None` for a topic that was
    /// never joined.
    pub fn channel_state(&self, topic: &str) -> Option<ChannelState> {
        self.channels.get(topic).map(|channel| channel.state)
    }

    /// Returns how many received frames could not be decoded and were dropped.
    pub fn undecodable_frames(&self) -> u64 {
        self.undecodable_frames
    }

    /// Returns why the latest undecodable frame was dropped, for the adapter
    /// to log next to [`Socket::undecodable_frames`].
    pub fn last_decode_error(&self) -> Option<&DecodeError> {
        self.last_decode_error.as_ref()
    }

    /// Returns the settings this socket was created with.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    fn make_ref(&mut self) -> u64 {
        self.last_ref += 1;
        self.last_ref
    }

    /// Queues `frame` as a text frame on the current socket.
    fn send(&mut self, frame: &Frame) {
        let text = wire::encode_text(frame);
        self.actions.push_back(Action::SendText {
            generation: self.generation,
            text,
        });
    }

    fn set_state(&mut self, state: SocketState) {
        if self.state != state {
            self.state = state;
            self.events.push_back(SocketEvent::StateChanged(state));
        }
    }

    fn set_channel_state(&mut self, topic: &str, state: ChannelState) {
        let Some(channel) = self.channels.get_mut(topic) else {
            return;
        };
        if channel.state != state {
            channel.state = state;
            self.events.push_back(SocketEvent::ChannelStateChanged {
                topic: topic.to_owned(),
                state,
            });
        }
    }

    /// Returns the next value of the seeded generator, for jitter.
    fn next_random(&mut self) -> f64 {
        self.random.next_unit()
    }
}
