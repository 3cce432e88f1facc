//! The chat session: the client's orchestrator between the store, the socket,
//! the outbox and the room timelines.
//!
//! [`ChatSession`] is sans-I/O like the socket it drives. The adapter feeds
//! it [`Input`]s with the current time, one call at a time, performs the
//! socket [`Action`]s it returns, arms one timer for
//! [`ChatSession::next_deadline`], and hands the [`Update`]s to the UI. The
//! store is awaited inside [`ChatSession::handle_all`], so calls must not
//! overlap. Inputs that queued up meanwhile go in together, and their writes
//! share one transaction.
//!
//! On [`ChatSession::start`] the session paints from the store first
//! (conversations, every room's messages, the outbox), then connects. One
//! socket carries `inbox:<user_id>` and every ride topic of the inbox, each
//! joined with the `last_seq` of its timeline. How sends are kept safe is
//! described in [`crate::outbox`]; how the timeline fills gaps is described in
//! [`crate::room`].

mod events;
mod inbox;
mod presence;
mod reading;
mod rooms;
mod sending;
mod tabs;
pub mod tokens;
mod typing;
mod writes;

use std::collections::{BTreeMap, HashMap, VecDeque};

use crate::backoff::SplitMix64;
use crate::chat::{Conversation, Message, Topic};
use crate::local::LocalMessage;
use crate::outbox::Outbox;
use crate::room::RoomTimeline;
use crate::socket::{self, Action, PushRef, Socket};
use crate::store::{Store, Write};
use crate::time::Instant;

/// Meta key of the next outbox order, so orders keep increasing across
/// reloads even when the outbox is empty.
const NEXT_ORDER_KEY: &str = "outbox_next_order";

/// An event or user intent that the adapter passes to the session.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    SocketOpened {
        generation: u64,
    },
    SocketClosed {
        generation: u64,
        code: u16,
    },
    SocketText {
        generation: u64,
        text: String,
    },
    SocketBinary {
        generation: u64,
        bytes: Vec<u8>,
    },
    /// The timer armed for [`ChatSession::next_deadline`] fired.
    Timer,
    /// The browser reported `online`, `visibilitychange` or `pageshow`: skip
    /// the reconnect wait.
    ReconnectHint,
    /// The user pressed Send. `client_id` is a fresh UUID v7 or ULID and
    /// `created_at_ms` the device clock, for display only.
    SendText {
        topic: String,
        body: String,
        client_id: String,
        created_at_ms: f64,
    },
    /// The user asked to send a failed message again.
    Retry {
        client_id: String,
    },
    /// The user asked to delete a failed message.
    Delete {
        client_id: String,
    },
    /// At least half of the peer's bubble of `seq` entered the screen
    /// (`on_screen`), or it left. See [`crate::session`]'s read receipts.
    BubbleOnScreen {
        topic: String,
        seq: u64,
        on_screen: bool,
    },
    /// The page became visible or hidden (`document.visibilityState`).
    PageVisible {
        visible: bool,
    },
    /// The user typed in `topic`'s composer.
    Typed {
        topic: String,
    },
    /// This tab gained (`granted`) or lost the flusher role: of all tabs of
    /// a user, only the flusher pushes the outbox. See [`ChatSession::take_shared_changes`].
    FlusherRole {
        granted: bool,
    },
    /// Another tab of the user changed the shared store for `topic` (outbox
    /// entry added, message confirmed, failed or deleted): reload it.
    PeerTabChanged {
        topic: String,
    },
}

/// A change for the UI, named in the past tense.
// Updates live briefly in a queue, so an unboxed message costs little and
// keeps the agreed variant shape.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Update {
    /// Every known conversation, sorted by topic.
    Conversations(Vec<Conversation>),
    /// A room's messages as stored on this device, in display order.
    RoomLoaded {
        topic: String,
        messages: Vec<LocalMessage>,
    },
    /// A message that is new or whose status, seq or content changed.
    MessageUpserted {
        message: LocalMessage,
    },
    MessageRemoved {
        topic: String,
        client_id: String,
    },
    /// The connection changed, or the number of queued messages did.
    Connection {
        state: ConnectionState,
        queued: usize,
    },
    /// A ride topic was joined and its missing messages requested.
    RoomJoined {
        topic: String,
    },
    /// A peer started (`typing`) or stopped typing in `topic`.
    PeerTyping {
        topic: String,
        user_id: String,
        typing: bool,
    },
    /// An operation failed. The message names what failed and what to do next.
    Error {
        message: String,
    },
}

impl Room {
    /// Returns the highest seq up to which every message is stored on this
    /// device: the timeline's cursor, held below the first unsaved message.
    /// Receipts and the `last_seq` of a rejoin use it, because "delivered"
    /// means stored here.
    fn stored_cursor(&self) -> u64 {
        let cursor = self.timeline.last_seq();
        match self.unsaved.iter().map(|message| message.seq).min() {
            Some(first) => cursor.min(first.saturating_sub(1)),
            None => cursor,
        }
    }
}

/// The connection as the UI shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConnectionState {
    /// The socket is open and the inbox is joined.
    Online,
    /// Connecting or joining, and no connect attempt has failed since the
    /// last open.
    Connecting,
    /// A connect attempt failed; the socket keeps retrying.
    Offline,
}

/// One ride conversation: its timeline and the messages shown in it.
#[derive(Debug, Default)]
struct Room {
    timeline: RoomTimeline,
    /// Every message of the room on this device, by `client_id`.
    messages: BTreeMap<String, LocalMessage>,
    /// The highest `delivered_seq` pushed in a receipt since the last join.
    delivered_pushed: u64,
    /// Messages the timeline accepted but the store failed to save. They are
    /// shown from memory and saved again with the next incoming messages.
    unsaved: Vec<Message>,
    /// The peer bubbles read on this device and the `read_seq` watermark.
    read: reading::ReadTracker,
}

/// The client's chat orchestrator, generic over the store.
pub struct ChatSession<S: Store> {
    user_id: String,
    inbox_topic: String,
    store: S,
    socket: Socket,
    random: SplitMix64,
    outbox: Outbox,
    rooms: BTreeMap<String, Room>,
    conversations: BTreeMap<String, Conversation>,
    /// Pending `msg:history` pushes, to the topic they fill.
    history_pushes: HashMap<PushRef, String>,
    next_order: u64,
    inbox_joined: bool,
    /// True after a failed connect, until the socket opens.
    connect_failed: bool,
    last_connection: Option<(ConnectionState, usize)>,
    updates: VecDeque<Update>,
    /// Since when the page has been visible, or `None` while it is hidden.
    visible_since: Option<Instant>,
    typing: typing::TypingTracker,
    /// True while this tab may push the outbox; see [`Input::FlusherRole`].
    flusher: bool,
    /// Topics whose outbox or statuses this session changed in the store,
    /// for the other tabs; taken by [`ChatSession::take_shared_changes`].
    shared_changes: Vec<String>,
    /// Writes held until the end of the batch of inputs; see [`writes`].
    held_writes: Vec<Write>,
}

impl<S: Store> ChatSession<S> {
    /// Creates a session for `user_id`. Nothing happens before
    /// [`ChatSession::start`]. `seed` drives the jitter of every backoff.
    pub fn new(user_id: String, store: S, settings: socket::Settings, seed: u64) -> Self {
        let inbox_topic = Topic::inbox(&user_id).to_string();
        Self {
            user_id,
            inbox_topic,
            store,
            socket: Socket::new(settings, seed),
            // A different stream than the socket's, which uses `seed` itself.
            random: SplitMix64::new(!seed),
            outbox: Outbox::default(),
            rooms: BTreeMap::new(),
            conversations: BTreeMap::new(),
            history_pushes: HashMap::new(),
            next_order: 1,
            inbox_joined: false,
            connect_failed: false,
            last_connection: None,
            updates: VecDeque::new(),
            visible_since: Some(Instant(0)),
            typing: typing::TypingTracker::default(),
            flusher: true,
            shared_changes: Vec::new(),
            held_writes: Vec::new(),
        }
    }

    /// Loads conversations, every room's messages and the outbox from the
    /// store (emitting `Conversations` and `RoomLoaded` so the UI paints
    /// before any network), then connects and joins `inbox:<user_id>` and
    /// every known ride topic with its `last_seq`.
    pub async fn start(&mut self, now: Instant) {
        self.load_conversations().await;
        self.load_outbox().await;

        let mut topics: Vec<String> = self
            .conversations
            .keys()
            .filter(|topic| matches!(Topic::parse(topic), Ok(Topic::Ride(_))))
            .cloned()
            .collect();
        topics.extend(self.outbox.topics().map(str::to_owned));
        topics.sort();
        topics.dedup();

        self.socket.connect(now);
        self.socket
            .join(now, &self.inbox_topic, serde_json::json!({}));
        for topic in topics {
            self.open_room(now, &topic).await;
        }

        self.drain_socket_events(now).await;
        self.emit_connection();
        self.apply_held_writes().await;
    }

    /// Processes one input: the store is awaited here, so the adapter feeds
    /// inputs one at a time.
    pub async fn handle(&mut self, now: Instant, input: Input) {
        self.handle_all(now, [input]).await;
    }

    /// Processes inputs that arrived together, in order, and stores the
    /// writes they held in one transaction at the end (see [`writes`]). The
    /// adapter performs the actions and shows the updates only after this
    /// returns, so nothing leaves before it is stored.
    pub async fn handle_all(&mut self, now: Instant, inputs: impl IntoIterator<Item = Input>) {
        for input in inputs {
            self.handle_one(now, input).await;
        }
        self.apply_held_writes().await;
    }

    async fn handle_one(&mut self, now: Instant, input: Input) {
        match input {
            Input::SocketOpened { generation } => self.socket.handle_open(now, generation),
            Input::SocketClosed { generation, code } => {
                self.socket.handle_close(now, generation, code)
            }
            Input::SocketText { generation, text } => {
                self.socket.handle_text(now, generation, &text)
            }
            Input::SocketBinary { generation, bytes } => {
                self.socket.handle_binary(now, generation, &bytes)
            }
            Input::Timer => {
                self.handle_timer(now);
                self.presence_timer(now);
            }
            Input::ReconnectHint => self.socket.reconnect_now(now),
            Input::SendText {
                topic,
                body,
                client_id,
                created_at_ms,
            } => {
                self.stop_typing(now, &topic);
                self.send_text(now, &topic, &body, &client_id, created_at_ms)
                    .await
            }
            Input::Retry { client_id } => self.retry(now, &client_id).await,
            Input::Delete { client_id } => self.delete(&client_id).await,
            Input::BubbleOnScreen {
                topic,
                seq,
                on_screen,
            } => self.bubble_on_screen(now, &topic, seq, on_screen),
            Input::PageVisible { visible } => self.page_visible(now, visible),
            Input::Typed { topic } => self.typed(now, &topic),
            Input::FlusherRole { granted } => self.set_flusher(now, granted).await,
            Input::PeerTabChanged { topic } => self.reload_shared(now, &topic).await,
        }

        self.drain_socket_events(now).await;
        self.emit_connection();
    }

    /// Takes the next action for the WebSocket adapter.
    pub fn poll_action(&mut self) -> Option<Action> {
        self.socket.poll_action()
    }

    /// Returns the earliest instant at which an [`Input::Timer`] has work.
    pub fn next_deadline(&self) -> Option<Instant> {
        [
            self.socket.next_deadline(),
            self.outbox.next_deadline(),
            self.presence_deadline(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Takes the next update for the UI.
    pub fn poll_update(&mut self) -> Option<Update> {
        self.updates.pop_front()
    }

    /// Returns the user this session belongs to.
    pub fn user_id(&self) -> &str {
        &self.user_id
    }

    fn handle_timer(&mut self, now: Instant) {
        if self.socket.next_deadline().is_some_and(|due| due <= now) {
            self.socket.handle_timer(now);
        }
        for topic in self.outbox.resume(now) {
            self.flush(now, &topic);
        }
    }

    async fn load_conversations(&mut self) {
        match self.store_now().await.load_conversations().await {
            Ok(conversations) => {
                for conversation in conversations {
                    self.conversations
                        .insert(conversation.topic.clone(), conversation);
                }
                self.emit_conversations();
            }
            Err(error) => self.report(format!("Could not load conversations: {error}")),
        }
    }

    async fn load_outbox(&mut self) {
        let entries = match self.store_now().await.load_outbox().await {
            Ok(entries) => entries,
            Err(error) => {
                self.report(format!("Could not load unsent messages: {error}"));
                Vec::new()
            }
        };
        self.outbox = Outbox::from_entries(entries);

        let stored_next = match self.store_now().await.get_meta(NEXT_ORDER_KEY).await {
            Ok(value) => value.and_then(|text| text.parse::<u64>().ok()),
            Err(error) => {
                self.report(format!("Could not load the outbox order: {error}"));
                None
            }
        };
        self.next_order = stored_next.unwrap_or(1).max(self.outbox.max_order() + 1);
    }

    fn emit(&mut self, update: Update) {
        self.updates.push_back(update);
    }

    fn report(&mut self, message: String) {
        self.emit(Update::Error { message });
    }

    fn emit_conversations(&mut self) {
        let conversations = self.conversations.values().cloned().collect();
        self.emit(Update::Conversations(conversations));
    }

    /// Emits a `Connection` update when the state or the queue size changed.
    fn emit_connection(&mut self) {
        let state = if self.socket.state().is_open() && self.inbox_joined {
            ConnectionState::Online
        } else if self.connect_failed {
            ConnectionState::Offline
        } else {
            ConnectionState::Connecting
        };
        let current = (state, self.outbox.len());
        if self.last_connection != Some(current) {
            self.last_connection = Some(current);
            self.emit(Update::Connection {
                state,
                queued: current.1,
            });
        }
    }
}
