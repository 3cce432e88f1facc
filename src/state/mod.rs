//! The UI's state as signals, and the session updates applied to it.
//!
//! [`ChatState`] is created when the app is mounted, outside any component,
//! and written only by the driver task. Components read it; they send
//! intents through [`Intents`] and never touch the session or the store.

mod room;

use std::collections::{BTreeMap, BTreeSet};

use futures::channel::mpsc::UnboundedSender;
use leptos::prelude::*;
// The session's `Update` enum shadows the prelude's trait of the same name.
use leptos::prelude::Update as _;
use ridechat_core::chat::Conversation;
use ridechat_core::session::{ConnectionState, Input, Update};
use ridechat_core::store::StoreError;

use crate::adapters::{clock, send_input};
use crate::ids;

pub use self::room::RoomMessages;

/// Most error notices shown at once; older ones are dropped first.
const MAX_NOTICES: usize = 3;

/// The app's progress from mounting to a running session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// Learning the user id and opening the store.
    Starting,
    /// No token in the URL fragment, the tab's storage or the options.
    NoToken,
    /// The server rejected the token (HTTP 401).
    Expired,
    /// The server could not be reached and no user id is known yet; the app
    /// keeps retrying.
    Unreachable,
    /// The session runs.
    Ready,
}

/// The connection banner's content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionView {
    pub state: ConnectionState,
    /// Messages stored on this device that the server has not confirmed.
    pub queued: usize,
}

/// Every signal the UI reads. Copy, so components and the driver share it.
#[derive(Debug, Clone, Copy)]
pub struct ChatState {
    pub phase: RwSignal<Phase>,
    /// The signed-in user, known once start-up resolved the token.
    pub user_id: RwSignal<Option<String>>,
    pub conversations: RwSignal<Vec<Conversation>>,
    /// Each room's messages, by topic. This signal changes only when a room
    /// is added; each room has signals of its own for its messages.
    pub rooms: RwSignal<BTreeMap<String, RoomMessages>>,
    /// Ride topics joined since the socket last opened.
    pub joined: RwSignal<BTreeSet<String>>,
    /// The peers shown typing, by topic.
    pub typing: RwSignal<BTreeMap<String, BTreeSet<String>>>,
    pub connection: RwSignal<ConnectionView>,
    /// True once the token was rejected and no new one could be had: the
    /// app stops connecting, keeps what it shows, and shows that the session ended.
    pub expired: RwSignal<bool>,
    /// The error that made the app fall back to the in-memory store, if any.
    pub storage_fallback: RwSignal<Option<StoreError>>,
    /// Error messages from the session, newest last.
    pub notices: RwSignal<Vec<String>>,
}

impl ChatState {
    pub fn new() -> Self {
        Self {
            phase: RwSignal::new(Phase::Starting),
            user_id: RwSignal::new(None),
            conversations: RwSignal::new(Vec::new()),
            rooms: RwSignal::new(BTreeMap::new()),
            joined: RwSignal::new(BTreeSet::new()),
            typing: RwSignal::new(BTreeMap::new()),
            connection: RwSignal::new(ConnectionView {
                state: ConnectionState::Connecting,
                queued: 0,
            }),
            expired: RwSignal::new(false),
            storage_fallback: RwSignal::new(None),
            notices: RwSignal::new(Vec::new()),
        }
    }

    /// Applies one session update. Uses the `try_` accessors, because the
    /// driver may still run for a moment after the app was unmounted and its
    /// signals disposed.
    pub fn apply(&self, update: Update) {
        match update {
            Update::Conversations(conversations) => {
                self.conversations.try_set(conversations);
            }
            Update::RoomLoaded { topic, messages } => {
                if let Some(room) = self.room_for_update(&topic) {
                    room.replace(messages);
                }
            }
            Update::MessageUpserted { message } => {
                if let Some(room) = self.room_for_update(&message.topic) {
                    room.upsert(message);
                }
            }
            Update::MessageRemoved { topic, client_id } => {
                if let Some(room) = self.room(&topic) {
                    room.remove(&client_id);
                }
            }
            Update::Connection { state, queued } => self.set_connection(state, queued),
            Update::RoomJoined { topic } => {
                self.joined.try_update(|joined| joined.insert(topic));
            }
            Update::PeerTyping {
                topic,
                user_id,
                typing,
            } => self.set_typing(topic, user_id, typing),
            Update::Error { message } => self.notify(message),
        }
    }

    /// Returns the messages of `topic`, if the room has any, tracked.
    pub fn room(&self, topic: &str) -> Option<RoomMessages> {
        self.rooms
            .try_with(|rooms| rooms.get(topic).cloned())
            .flatten()
    }

    /// Returns the room of `topic`, added if it is new. `None` once the signals are
    /// disposed.
    fn room_for_update(&self, topic: &str) -> Option<RoomMessages> {
        let existing = self
            .rooms
            .try_with_untracked(|rooms| rooms.get(topic).cloned())?;
        if existing.is_some() {
            return existing;
        }
        let room = RoomMessages::default();
        self.rooms
            .try_update(|rooms| rooms.insert(topic.to_owned(), room.clone()))?;
        Some(room)
    }

    fn set_typing(&self, topic: String, user_id: String, typing: bool) {
        self.typing.try_update(|rooms| {
            let peers = rooms.entry(topic).or_default();
            if typing {
                peers.insert(user_id);
            } else {
                peers.remove(&user_id);
            }
        });
    }

    fn set_connection(&self, state: ConnectionState, queued: usize) {
        if state != ConnectionState::Online {
            // Every channel is lost with the socket; each is marked joined
            // again by its next RoomJoined.
            self.joined.try_update(BTreeSet::clear);
        }
        self.connection.try_set(ConnectionView { state, queued });
    }

    /// Shows the connection as offline, for an app that will not connect
    /// (no token, or a rejected one). The queued count stays, because those
    /// messages are still stored.
    pub fn show_offline(&self) {
        let queued = self
            .connection
            .try_with_untracked(|connection| connection.queued)
            .unwrap_or(0);
        self.set_connection(ConnectionState::Offline, queued);
    }

    /// Ends the session: the banner shows "session expired" and the queued
    /// messages stay on screen and in the store. A session that never
    /// started shows the expiry text in place of the inbox.
    pub fn expire(&self) {
        self.expired.try_set(true);
        self.show_offline();
        if self.phase.try_get_untracked() != Some(Phase::Ready) {
            self.phase.try_set(Phase::Expired);
        }
    }

    /// Adds an error notice, unless the same one is already shown.
    pub fn notify(&self, message: String) {
        web_sys::console::warn_1(&format!("ridechat: {message}").into());
        self.notices.try_update(|notices| {
            if notices.contains(&message) {
                return;
            }
            notices.push(message);
            if notices.len() > MAX_NOTICES {
                notices.remove(0);
            }
        });
    }
}

impl Default for ChatState {
    fn default() -> Self {
        Self::new()
    }
}

/// The user's intents, sent to the session. Cloned into components.
#[derive(Debug, Clone)]
pub struct Intents {
    inputs: UnboundedSender<Input>,
}

impl Intents {
    pub fn new(inputs: UnboundedSender<Input>) -> Self {
        Self { inputs }
    }

    /// Sends a text message with a fresh client id.
    pub fn send_text(&self, topic: &str, body: &str) {
        let input = Input::SendText {
            topic: topic.to_owned(),
            body: body.to_owned(),
            client_id: ids::new_client_id(),
            created_at_ms: clock::wall_clock_ms(),
        };
        send_input(&self.inputs, input);
    }

    pub fn retry(&self, client_id: &str) {
        let client_id = client_id.to_owned();
        send_input(&self.inputs, Input::Retry { client_id });
    }

    pub fn delete(&self, client_id: &str) {
        let client_id = client_id.to_owned();
        send_input(&self.inputs, Input::Delete { client_id });
    }

    /// Reports a keystroke in `topic`'s composer, for the typing indicator.
    pub fn typed(&self, topic: &str) {
        let topic = topic.to_owned();
        send_input(&self.inputs, Input::Typed { topic });
    }

    /// Reports that at least half of the peer bubble of `seq` entered the
    /// screen, or that it left.
    pub fn bubble_on_screen(&self, topic: &str, seq: u64, on_screen: bool) {
        let input = Input::BubbleOnScreen {
            topic: topic.to_owned(),
            seq,
            on_screen,
        };
        send_input(&self.inputs, input);
    }

    /// Reports whether the page is visible.
    pub fn page_visible(&self, visible: bool) {
        send_input(&self.inputs, Input::PageVisible { visible });
    }
}
