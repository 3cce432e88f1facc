//! The chat contract that rides on Phoenix channels: topics, the message and
//! conversation models, and the payload of every event. The reference server
//! and the client both use these types, so the two sides cannot drift; the
//! authoritative description is `docs/protocol.md`.

mod client_id;
mod model;
mod payloads;
mod topic;

pub use client_id::{ClientId, ClientIdError};
pub use model::{
    Conversation, Message, MessageKind, Peer, Receipt, Receipts, RideState, Role, Voice,
    WAVEFORM_LEN,
};
pub use payloads::*;
pub use topic::{Topic, TopicError};

/// Event names of the chat contract.
pub mod events {
    pub const MSG_NEW: &str = "msg:new";
    pub const MSG_HISTORY: &str = "msg:history";
    pub const RECEIPT: &str = "receipt";
    pub const TYPING: &str = "typing";
    pub const CONVERSATION_UPSERT: &str = "conversation:upsert";
    pub const CONVERSATION_CLOSED: &str = "conversation:closed";
}

/// Default limits of the reference server. Each is a server setting; these
/// are the values the contract documents.
pub mod limits {
    /// Maximum length of a text body, in Unicode code points.
    pub const MAX_BODY_CHARS: usize = 4_000;
    /// Messages per join reply or history page.
    pub const PAGE_SIZE: usize = 100;
    /// Maximum length of a voice note, in milliseconds of recording time.
    pub const MAX_VOICE_MS: u64 = 60_000;
}
