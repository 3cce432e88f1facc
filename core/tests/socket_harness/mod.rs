//! A fake adapter and server for socket tests under virtual time.
//!
//! [`Harness`] plays the browser adapter: it records every action, keeps the
//! virtual clock and fires the timer at each deadline. It also plays the
//! server, replying to the frames the socket sent.

#![allow(dead_code)]

use std::time::Duration;

use ridechat_core::socket::{Action, Settings, Socket, SocketEvent};
use ridechat_core::time::Instant;
use ridechat_core::wire::{self, Frame};
use serde_json::{Value, json};

pub const TOPIC: &str = "ride:42";

/// Settings with round numbers and no jitter, so tests can name exact
/// instants: heartbeat 30 s, heartbeat timeout 10 s, push timeout 10 s, probe
/// after 3 s, reconnect after 10, 50, 100 ms then 1 s, rejoin after 1, 2 s
/// then 5 s.
pub fn settings() -> Settings {
    Settings {
        reconnect_after: millis(&[10, 50, 100, 1000]),
        rejoin_after: millis(&[1000, 2000, 5000]),
        jitter: 0.0,
        ..Settings::default()
    }
}

pub fn millis(values: &[u64]) -> Vec<Duration> {
    values.iter().copied().map(Duration::from_millis).collect()
}

pub struct Harness {
    pub socket: Socket,
    pub now: Instant,
    /// Every action the socket returned, in order.
    pub actions: Vec<Action>,
    /// Every event the socket returned, in order.
    pub events: Vec<SocketEvent>,
    /// Generation of the latest `Connect` action, 0 before the first.
    pub generation: u64,
}

impl Harness {
    pub fn new(settings: Settings) -> Self {
        Self {
            socket: Socket::new(settings, 7),
            now: Instant(1_000),
            actions: Vec::new(),
            events: Vec::new(),
            generation: 0,
        }
    }

    /// Creates a harness whose socket is open (generation 1) and `TOPIC` joined.
    pub fn joined() -> Self {
        let mut harness = Self::new(settings());
        harness.open();
        harness.join(TOPIC, json!({"last_seq": 0}));
        harness.reply_to_last_join(json!({"messages": []}));
        harness.clear();
        harness
    }

    /// Connects and opens the socket, returning its generation.
    pub fn open(&mut self) -> u64 {
        self.socket.connect(self.now);
        self.drain();
        let generation = self.generation;
        self.socket.handle_open(self.now, generation);
        self.drain();
        generation
    }

    pub fn join(&mut self, topic: &str, params: Value) {
        self.socket.join(self.now, topic, params);
        self.drain();
    }

    pub fn push(&mut self, event: &str, payload: Value) -> ridechat_core::socket::PushRef {
        let result = self.socket.push(self.now, TOPIC, event, payload);
        self.drain();
        result.expect("the channel must be joined for this push")
    }

    /// Moves the clock to `now + millis`, firing the timer at every deadline
    /// on the way, as a browser with prompt timers does.
    pub fn advance(&mut self, millis: u64) {
        let target = Instant(self.now.0 + millis);
        while let Some(deadline) = self.socket.next_deadline() {
            if deadline > target {
                break;
            }
            self.now = deadline.max(self.now);
            self.socket.handle_timer(self.now);
            self.drain();
        }
        self.now = target;
    }

    /// Moves the clock by `millis` without firing any timer (a throttled
    /// tab), then fires it once.
    pub fn late_timer(&mut self, millis: u64) {
        self.now = Instant(self.now.0 + millis);
        self.socket.handle_timer(self.now);
        self.drain();
    }

    /// Delivers `frame` from the server on the current socket.
    pub fn receive(&mut self, frame: &Frame) {
        let text = wire::encode_text(frame);
        self.receive_text(&text);
    }

    pub fn receive_text(&mut self, text: &str) {
        let generation = self.generation;
        self.socket.handle_text(self.now, generation, text);
        self.drain();
    }

    pub fn close(&mut self, code: u16) {
        let generation = self.generation;
        self.socket.handle_close(self.now, generation, code);
        self.drain();
    }

    /// Replies ok to the latest `phx_join` sent.
    pub fn reply_to_last_join(&mut self, response: Value) {
        let join = self
            .last_sent(wire::events::JOIN)
            .expect("no phx_join was sent");
        self.reply(&join, "ok", response);
    }

    pub fn reply(&mut self, request: &Frame, status: &str, response: Value) {
        let reply = Frame::json(
            request.join_ref.clone(),
            request.msg_ref.clone(),
            request.topic.clone(),
            wire::events::REPLY,
            json!({"status": status, "response": response}),
        );
        self.receive(&reply);
    }

    /// Replies ok to the latest heartbeat sent.
    pub fn reply_to_heartbeat(&mut self) {
        let heartbeat = self
            .last_sent(wire::events::HEARTBEAT)
            .expect("no heartbeat was sent");
        self.reply(&heartbeat, "ok", json!({}));
    }

    /// Collects the socket's pending actions and events.
    pub fn drain(&mut self) {
        while let Some(action) = self.socket.poll_action() {
            if let Action::Connect { generation } = action {
                self.generation = generation;
            }
            self.actions.push(action);
        }
        while let Some(event) = self.socket.poll_event() {
            self.events.push(event);
        }
    }

    pub fn clear(&mut self) {
        self.actions.clear();
        self.events.clear();
    }

    /// Decodes every frame sent so far, with the generation it was sent on.
    pub fn sent(&self) -> Vec<(u64, Frame)> {
        self.actions
            .iter()
            .filter_map(|action| match action {
                Action::SendText { generation, text } => {
                    let frame = wire::decode_text(text).expect("the socket sent an invalid frame");
                    Some((*generation, frame))
                }
                _ => None,
            })
            .collect()
    }

    pub fn sent_events(&self, event: &str) -> Vec<Frame> {
        self.sent()
            .into_iter()
            .map(|(_, frame)| frame)
            .filter(|frame| frame.event == event)
            .collect()
    }

    pub fn last_sent(&self, event: &str) -> Option<Frame> {
        self.sent_events(event).pop()
    }

    pub fn connects(&self) -> Vec<u64> {
        self.actions
            .iter()
            .filter_map(|action| match action {
                Action::Connect { generation } => Some(*generation),
                _ => None,
            })
            .collect()
    }

    pub fn last_connect(&self) -> Option<u64> {
        self.connects().pop()
    }

    pub fn disconnects(&self) -> Vec<(u64, u16, String)> {
        self.actions
            .iter()
            .filter_map(|action| match action {
                Action::Disconnect {
                    generation,
                    code,
                    reason,
                } => Some((*generation, *code, reason.clone())),
                _ => None,
            })
            .collect()
    }
}
