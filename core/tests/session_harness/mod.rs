//! A fake browser adapter, network link and chat server for session tests
//! under virtual time.
//!
//! [`Harness`] plays the adapter of one tab: it performs the session's socket
//! actions, fires its timer and collects its updates. [`ModelServer`] is a
//! small implementation of the chat contract that stores messages by
//! `(sender, client_id)`, so a resend never makes a second copy, exactly as
//! the real server must. The link between them can be cut, restored or made
//! to lose replies; frames are encoded and decoded with `core::wire`, so the
//! session sees the same text the real server would send.

#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::time::Duration;

use futures::executor::block_on;
use ridechat_core::chat::{
    Conversation, ErrorReason, Message, MessageKind, NewMessage, Peer, RideState, Role,
};
use ridechat_core::local::{DeliveryStatus, LocalMessage};
use ridechat_core::session::{ChatSession, ConnectionState, Input, Update};
use ridechat_core::socket::{Action, Settings};
use ridechat_core::store::{MemoryStore, Store};
use ridechat_core::time::Instant;
use ridechat_core::wire::{self, Frame};
use serde_json::{Value, json};

pub const USER: &str = "r1";
pub const PEER: &str = "d1";
pub const RIDE: &str = "ride:1";

/// Socket settings with round numbers and no jitter: heartbeat 30 s,
/// heartbeat and push timeout 10 s, probe after 3 s, reconnect after 10 ms,
/// 100 ms then 1 s, rejoin after 1 s then 2 s.
pub fn settings() -> Settings {
    let millis = |values: &[u64]| values.iter().copied().map(Duration::from_millis).collect();
    Settings {
        reconnect_after: millis(&[10, 100, 1000]),
        rejoin_after: millis(&[1000, 2000]),
        jitter: 0.0,
        ..Settings::default()
    }
}

/// A chat server that keeps one connection (the harness's tab) and the
/// contract's storage rules.
#[derive(Debug, Default)]
pub struct ModelServer {
    /// Messages of each ride topic; seq n is at index n - 1.
    pub rides: BTreeMap<String, Vec<Message>>,
    /// Where each `(sender, client_id)` was stored, as `(topic, seq)`.
    stored: HashMap<(String, String), (String, u64)>,
    /// Topics joined on the current connection, with their `join_ref`.
    joined: HashMap<String, Option<String>>,
    /// While true, every `msg:new` is answered with `rate_limited`, as an
    /// empty token bucket does.
    pub rate_limited: bool,
    /// `msg:new` of these client ids is rejected for good with this reason.
    pub reject: HashMap<String, ErrorReason>,
    /// When true, `msg:new` is stored but its reply and broadcast are lost.
    pub lose_replies: bool,
    /// Every `msg:new` received, as `(topic, client_id)`, in arrival order.
    pub received_pushes: Vec<(String, String)>,
    /// Every ride join, as `(topic, last_seq)`.
    pub join_requests: Vec<(String, u64)>,
    /// Every `msg:history`, as `(topic, after_seq)`.
    pub history_requests: Vec<(String, u64)>,
    /// Every `receipt` push, as `(topic, delivered_seq)`.
    pub receipts: Vec<(String, u64)>,
    /// Every `read_seq` of a `receipt` push, as `(topic, read_seq)`.
    pub read_receipts: Vec<(String, u64)>,
    /// Every `typing` push, as `(topic, typing)`.
    pub typing: Vec<(String, bool)>,
    /// `read_seq` of `USER` returned in each ride join reply's receipts.
    pub read_seq: u64,
    next_id: u64,
}

impl ModelServer {
    pub fn new() -> Self {
        let mut server = Self::default();
        server.rides.insert(RIDE.to_owned(), Vec::new());
        server
    }

    /// Forgets the joins of the previous connection.
    pub fn connection_opened(&mut self) {
        self.joined.clear();
    }

    pub fn conversation(&self, topic: &str) -> Conversation {
        let messages = self.rides.get(topic).cloned().unwrap_or_default();
        Conversation {
            topic: topic.to_owned(),
            ride_id: topic.trim_start_matches("ride:").to_owned(),
            peer: Peer {
                id: PEER.to_owned(),
                name: "Youssef".to_owned(),
                role: Role::Driver,
            },
            last_seq: messages.len() as u64,
            last_message: messages.last().cloned(),
            unread: 0,
            state: RideState::Active,
        }
    }

    /// Stores a message from `sender`, or returns the copy stored for the
    /// same `(sender, client_id)` before. Returns the message and whether it
    /// is new.
    pub fn store(&mut self, topic: &str, sender: &str, message: &NewMessage) -> (Message, bool) {
        let key = (sender.to_owned(), message.client_id.clone());
        if let Some((stored_topic, seq)) = self.stored.get(&key) {
            let existing = self.rides[stored_topic][(*seq - 1) as usize].clone();
            return (existing, false);
        }
        self.next_id += 1;
        let messages = self.rides.entry(topic.to_owned()).or_default();
        let seq = messages.len() as u64 + 1;
        let stored = Message {
            seq,
            id: format!("m{}", self.next_id),
            client_id: message.client_id.clone(),
            sender_id: sender.to_owned(),
            kind: message.kind,
            body: message.body.clone(),
            voice: message.voice.clone(),
            inserted_at: format!("2026-01-01T00:{:02}:{:02}Z", (seq / 60) % 60, seq % 60),
        };
        messages.push(stored.clone());
        self.stored.insert(key, (topic.to_owned(), seq));
        (stored, true)
    }

    /// Stores a peer's message and returns the broadcast for the tab, if the
    /// tab has joined the topic.
    pub fn post_from_peer(&mut self, topic: &str, client_id: &str, body: &str) -> Option<Frame> {
        let new = NewMessage {
            client_id: client_id.to_owned(),
            kind: MessageKind::Text,
            body: Some(body.to_owned()),
            voice: None,
        };
        let (message, _) = self.store(topic, PEER, &new);
        self.broadcast(topic, &message)
    }

    /// Returns a server push on a topic the tab joined, with its `join_ref`.
    pub fn push_frame(&self, topic: &str, event: &str, payload: Value) -> Option<Frame> {
        let join_ref = self.joined.get(topic)?.clone();
        Some(Frame::json(join_ref, None, topic, event, payload))
    }

    fn broadcast(&self, topic: &str, message: &Message) -> Option<Frame> {
        if !self.joined.contains_key(topic) {
            return None;
        }
        Some(Frame::json(
            None,
            None,
            topic,
            "msg:new",
            json!({ "message": message }),
        ))
    }

    /// Handles one frame from the tab of `user` and returns the frames for it.
    pub fn receive(&mut self, user: &str, frame: &Frame) -> Vec<Frame> {
        let payload = frame.json_payload().cloned().unwrap_or(Value::Null);
        if frame.topic == wire::HEARTBEAT_TOPIC {
            return vec![Frame::reply(frame, wire::ReplyStatus::Ok, json!({}))];
        }
        if frame.event == wire::events::JOIN {
            return self.join(user, frame, &payload);
        }
        if frame.event == wire::events::LEAVE {
            self.joined.remove(&frame.topic);
            return vec![Frame::reply(frame, wire::ReplyStatus::Ok, json!({}))];
        }
        // Phoenix ignores a push whose join_ref is not the channel's current one.
        if self.joined.get(&frame.topic) != Some(&frame.join_ref) {
            return Vec::new();
        }
        match frame.event.as_str() {
            "msg:new" => self.new_message(user, frame, payload),
            "msg:history" => self.history(frame, &payload),
            "receipt" => {
                let delivered = payload.get("delivered_seq").and_then(Value::as_u64);
                if let Some(read) = payload.get("read_seq").and_then(Value::as_u64) {
                    self.read_receipts.push((frame.topic.clone(), read));
                    self.read_seq = self.read_seq.max(read);
                } else {
                    self.receipts
                        .push((frame.topic.clone(), delivered.unwrap_or(0)));
                }
                vec![Frame::reply(frame, wire::ReplyStatus::Ok, json!({}))]
            }
            "typing" => {
                let typing = payload.get("typing").and_then(Value::as_bool);
                self.typing
                    .push((frame.topic.clone(), typing.unwrap_or(false)));
                vec![Frame::reply(frame, wire::ReplyStatus::Ok, json!({}))]
            }
            _ => vec![error_reply(frame, "invalid", "unknown event")],
        }
    }

    fn join(&mut self, user: &str, frame: &Frame, payload: &Value) -> Vec<Frame> {
        self.joined
            .insert(frame.topic.clone(), frame.join_ref.clone());
        if frame.topic == format!("inbox:{user}") {
            let conversations: Vec<Conversation> = self
                .rides
                .keys()
                .map(|topic| self.conversation(topic))
                .collect();
            let response = json!({ "conversations": conversations });
            return vec![Frame::reply(frame, wire::ReplyStatus::Ok, response)];
        }
        if !self.rides.contains_key(&frame.topic) {
            self.joined.remove(&frame.topic);
            return vec![error_reply(frame, "not_found", "no such ride")];
        }
        let last_seq = payload.get("last_seq").and_then(Value::as_u64).unwrap_or(0);
        self.join_requests.push((frame.topic.clone(), last_seq));
        let after: Vec<Message> = self
            .rides
            .get(&frame.topic)
            .map(|messages| {
                messages
                    .iter()
                    .filter(|m| m.seq > last_seq)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        let more = after.len() > 100;
        let page = after[after.len().saturating_sub(100)..].to_vec();
        let receipts =
            json!({ user: { "delivered_seq": self.read_seq, "read_seq": self.read_seq } });
        let response = json!({
            "messages": page, "more": more, "state": "active", "receipts": receipts
        });
        vec![Frame::reply(frame, wire::ReplyStatus::Ok, response)]
    }

    fn new_message(&mut self, user: &str, frame: &Frame, payload: Value) -> Vec<Frame> {
        let Ok(new) = serde_json::from_value::<NewMessage>(payload) else {
            return vec![error_reply(frame, "invalid", "not a message")];
        };
        self.received_pushes
            .push((frame.topic.clone(), new.client_id.clone()));
        if let Some(reason) = self.reject.get(&new.client_id) {
            let reason = serde_json::to_value(reason).unwrap_or(Value::Null);
            let response = json!({ "reason": reason, "detail": "rejected by the test" });
            return vec![Frame::reply(frame, wire::ReplyStatus::Error, response)];
        }
        if self.rate_limited {
            return vec![error_reply(frame, "rate_limited", "slow down")];
        }

        let (message, fresh) = self.store(&frame.topic, user, &new);
        if self.lose_replies {
            return Vec::new();
        }
        let mut frames = vec![Frame::reply(
            frame,
            wire::ReplyStatus::Ok,
            json!({ "message": message }),
        )];
        if fresh {
            frames.extend(self.broadcast(&frame.topic, &message));
        }
        frames
    }

    fn history(&mut self, frame: &Frame, payload: &Value) -> Vec<Frame> {
        let after = payload
            .get("after_seq")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        self.history_requests.push((frame.topic.clone(), after));
        let limit = payload.get("limit").and_then(Value::as_u64).unwrap_or(100) as usize;
        let messages: Vec<Message> = self
            .rides
            .get(&frame.topic)
            .map(|all| all.iter().filter(|m| m.seq > after).cloned().collect())
            .unwrap_or_default();
        let more = messages.len() > limit;
        let page: Vec<Message> = messages.into_iter().take(limit).collect();
        let response = json!({ "messages": page, "more": more });
        vec![Frame::reply(frame, wire::ReplyStatus::Ok, response)]
    }
}

pub fn error_reply(frame: &Frame, reason: &str, detail: &str) -> Frame {
    Frame::reply(
        frame,
        wire::ReplyStatus::Error,
        json!({ "reason": reason, "detail": detail }),
    )
}

/// One tab of `USER` running a [`ChatSession`] over a [`MemoryStore`], wired
/// to a [`ModelServer`] through a link that tests can cut.
pub struct Harness {
    pub session: ChatSession<MemoryStore>,
    pub store: MemoryStore,
    pub server: ModelServer,
    pub now: Instant,
    /// When false, connects fail and frames are lost.
    pub link_up: bool,
    /// When false, the harness does not answer the session's frames: tests
    /// read them with [`Harness::take_sent`] and answer by hand.
    pub auto_server: bool,
    /// When true, every frame waiting for the tab goes into one
    /// `handle_all` call, as when frames queue up while the session is busy.
    pub batch_inbound: bool,
    generation: u64,
    socket_open: bool,
    pending_connect: Option<u64>,
    /// Frames from the server waiting to reach the tab.
    inbound: VecDeque<Frame>,
    /// Frames the tab sent that the server has not handled (manual mode).
    pub sent: Vec<Frame>,
    /// Every update of the current session, in order.
    pub updates: Vec<Update>,
    seed: u64,
}

impl Harness {
    /// Starts a session over an empty store with the link down, so nothing
    /// connects until [`Harness::restore`].
    pub fn offline() -> Self {
        let mut harness = Self::with_store(MemoryStore::new(), ModelServer::new(), 1);
        harness.link_up = false;
        harness.start();
        harness
    }

    /// Starts a session over an empty store, connected to the model server.
    pub fn online() -> Self {
        let mut harness = Self::with_store(MemoryStore::new(), ModelServer::new(), 1);
        harness.start();
        harness
    }

    pub fn with_store(store: MemoryStore, server: ModelServer, seed: u64) -> Self {
        Self {
            session: ChatSession::new(USER.to_owned(), store.clone(), settings(), seed),
            store,
            server,
            now: Instant(1_000),
            link_up: true,
            auto_server: true,
            batch_inbound: false,
            generation: 0,
            socket_open: false,
            pending_connect: None,
            inbound: VecDeque::new(),
            sent: Vec::new(),
            updates: Vec::new(),
            seed,
        }
    }

    pub fn start(&mut self) {
        block_on(self.session.start(self.now));
        self.pump();
    }

    /// Replaces the session with a new one over the same store, as a reload
    /// of the page does. Frames in flight are lost.
    pub fn reload(&mut self) {
        self.seed += 1;
        self.session = ChatSession::new(USER.to_owned(), self.store.clone(), settings(), self.seed);
        self.socket_open = false;
        self.pending_connect = None;
        self.inbound.clear();
        self.sent.clear();
        self.updates.clear();
        self.start();
    }

    pub fn input(&mut self, input: Input) {
        block_on(self.session.handle(self.now, input));
        self.pump();
    }

    pub fn send(&mut self, body: &str, client_id: &str) {
        self.send_to(RIDE, body, client_id);
    }

    pub fn send_to(&mut self, topic: &str, body: &str, client_id: &str) {
        let input = Input::SendText {
            topic: topic.to_owned(),
            body: body.to_owned(),
            client_id: client_id.to_owned(),
            created_at_ms: self.now.0 as f64,
        };
        self.input(input);
    }

    /// Cuts the link: the open socket closes with 1006 and connects fail.
    pub fn cut(&mut self) {
        self.link_up = false;
        self.inbound.clear();
        if self.socket_open {
            self.socket_open = false;
            let generation = self.generation;
            self.input(Input::SocketClosed {
                generation,
                code: 1006,
            });
        }
    }

    /// Restores the link and hints the session to reconnect now.
    pub fn restore(&mut self) {
        self.link_up = true;
        self.input(Input::ReconnectHint);
        self.advance(5_000);
    }

    /// Moves the clock forward by `millis`, firing the timer at every
    /// deadline on the way.
    pub fn advance(&mut self, millis: u64) {
        let target = Instant(self.now.0 + millis);
        while let Some(deadline) = self.session.next_deadline() {
            if deadline > target {
                break;
            }
            self.now = deadline.max(self.now);
            self.input(Input::Timer);
        }
        self.now = target;
    }

    /// Moves the clock forward by `millis` without firing the timer, then
    /// fires it once if its deadline has passed, as in a hidden tab whose
    /// timers Chromium throttles to about one a minute. Frames still arrive
    /// at once through [`Harness::deliver`].
    pub fn late_timer(&mut self, millis: u64) {
        self.now = Instant(self.now.0 + millis);
        let due = self
            .session
            .next_deadline()
            .is_some_and(|deadline| deadline <= self.now);
        if due {
            self.input(Input::Timer);
        }
    }

    /// Delivers a frame from the server to the tab, if the link is up.
    pub fn deliver(&mut self, frame: Frame) {
        self.inbound.push_back(frame);
        self.pump();
    }

    /// Delivers frames from the server in one batch, as the adapter does
    /// with frames that queued up while the session was busy.
    pub fn deliver_together(&mut self, frames: &[Frame]) {
        let generation = self.generation;
        let inputs: Vec<Input> = frames
            .iter()
            .map(|frame| Input::SocketText {
                generation,
                text: wire::encode_text(frame),
            })
            .collect();
        block_on(self.session.handle_all(self.now, inputs));
        self.pump();
    }

    /// Takes the frames the tab sent, in manual mode.
    pub fn take_sent(&mut self) -> Vec<Frame> {
        std::mem::take(&mut self.sent)
    }

    /// Runs the adapter until the session, the link and the server are quiet.
    pub fn pump(&mut self) {
        loop {
            let mut progressed = false;
            while let Some(update) = self.session.poll_update() {
                self.updates.push(update);
            }
            while let Some(action) = self.session.poll_action() {
                progressed = true;
                self.perform(action);
            }
            if let Some(generation) = self.pending_connect.take() {
                progressed = true;
                self.finish_connect(generation);
            }
            let take = if self.batch_inbound {
                self.inbound.len()
            } else {
                self.inbound.len().min(1)
            };
            let frames: Vec<Frame> = self.inbound.drain(..take).collect();
            if !frames.is_empty() {
                progressed = true;
                if self.link_up && self.socket_open {
                    let generation = self.generation;
                    let inputs = frames.iter().map(|frame| Input::SocketText {
                        generation,
                        text: wire::encode_text(frame),
                    });
                    block_on(self.session.handle_all(self.now, inputs));
                }
            }
            if !progressed {
                break;
            }
        }
    }

    fn perform(&mut self, action: Action) {
        match action {
            Action::Connect { generation } => {
                self.generation = generation;
                self.socket_open = false;
                self.pending_connect = Some(generation);
            }
            Action::SendText { generation, text } => {
                if generation != self.generation || !self.socket_open || !self.link_up {
                    return;
                }
                let frame = wire::decode_text(&text).expect("the session sent an invalid frame");
                if self.auto_server {
                    let replies = self.server.receive(USER, &frame);
                    self.inbound.extend(replies);
                } else {
                    self.sent.push(frame);
                }
            }
            Action::Disconnect { generation, .. } => {
                if generation == self.generation {
                    self.socket_open = false;
                }
            }
        }
    }

    fn finish_connect(&mut self, generation: u64) {
        if generation != self.generation {
            return;
        }
        if self.link_up {
            self.socket_open = true;
            self.server.connection_opened();
            block_on(
                self.session
                    .handle(self.now, Input::SocketOpened { generation }),
            );
        } else {
            block_on(self.session.handle(
                self.now,
                Input::SocketClosed {
                    generation,
                    code: 1006,
                },
            ));
        }
    }

    /// Returns the room's messages as stored on this device.
    pub fn stored(&self, topic: &str) -> Vec<LocalMessage> {
        block_on(self.store.load_messages(topic)).expect("the memory store cannot fail reads")
    }

    pub fn outbox_len(&self) -> usize {
        block_on(self.store.load_outbox())
            .expect("the memory store cannot fail reads")
            .len()
    }

    /// Returns the bodies of the room's stored messages, in display order.
    pub fn stored_bodies(&self, topic: &str) -> Vec<String> {
        self.stored(topic)
            .into_iter()
            .map(|message| message.body.unwrap_or_default())
            .collect()
    }

    /// Returns the bodies the server stored in a room, by seq.
    pub fn server_bodies(&self, topic: &str) -> Vec<String> {
        self.server.rides[topic]
            .iter()
            .map(|message| message.body.clone().unwrap_or_default())
            .collect()
    }

    /// Returns the latest status shown for `client_id`.
    pub fn shown_status(&self, client_id: &str) -> Option<DeliveryStatus> {
        self.updates.iter().rev().find_map(|update| match update {
            Update::MessageUpserted { message } if message.client_id == client_id => {
                Some(message.status.clone())
            }
            _ => None,
        })
    }

    pub fn last_connection(&self) -> Option<(ConnectionState, usize)> {
        self.updates.iter().rev().find_map(|update| match update {
            Update::Connection { state, queued } => Some((*state, *queued)),
            _ => None,
        })
    }

    pub fn errors(&self) -> Vec<String> {
        self.updates
            .iter()
            .filter_map(|update| match update {
                Update::Error { message } => Some(message.clone()),
                _ => None,
            })
            .collect()
    }

    /// Returns the `(topic, client_id)` of every `msg:new` the tab sent in
    /// manual mode.
    pub fn sent_messages(frames: &[Frame]) -> Vec<String> {
        frames
            .iter()
            .filter(|frame| frame.event == "msg:new")
            .filter_map(|frame| {
                frame
                    .json_payload()?
                    .get("client_id")?
                    .as_str()
                    .map(str::to_owned)
            })
            .collect()
    }
}

/// Returns the client ids in a list of stored messages.
pub fn client_ids(messages: &[LocalMessage]) -> Vec<String> {
    messages
        .iter()
        .map(|message| message.client_id.clone())
        .collect()
}

/// Returns the seqs of every server message in a set, to check for gaps.
pub fn seqs(messages: &[LocalMessage]) -> HashSet<u64> {
    messages.iter().filter_map(|message| message.seq).collect()
}
