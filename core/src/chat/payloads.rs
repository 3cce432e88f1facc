//! Payloads of the chat contract's pushes, replies and broadcasts.

use serde::{Deserialize, Serialize};

use super::model::{Conversation, Message, MessageKind, Receipts, RideState, Voice};

/// Join params of `ride:<id>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RideJoinParams {
    /// Top of the newest contiguous range of seqs the client holds; 0 for none.
    #[serde(default)]
    pub last_seq: u64,
}

/// Join reply of `ride:<id>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RideJoinReply {
    /// Messages after `last_seq`, ascending: at most one page, the newest one.
    pub messages: Vec<Message>,
    /// True when older messages above `last_seq` remain, to fetch with
    /// `msg:history`.
    pub more: bool,
    pub state: RideState,
    #[serde(default)]
    pub receipts: Receipts,
}

/// Join reply of `inbox:<user_id>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxJoinReply {
    pub conversations: Vec<Conversation>,
}

/// Push `msg:new` from a client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewMessage {
    pub client_id: String,
    pub kind: MessageKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voice: Option<Voice>,
}

/// Ok reply to `msg:new`, and the broadcast `msg:new` to members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageEnvelope {
    pub message: Message,
}

/// Push `msg:history`: one of `before_seq` or `after_seq`, and a limit of at
/// most one page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before_seq: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_seq: Option<u64>,
    pub limit: u32,
}

/// Reply to `msg:history`: messages ascending.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryReply {
    pub messages: Vec<Message>,
    pub more: bool,
}

/// Push `receipt` from a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ReceiptPush {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivered_seq: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_seq: Option<u64>,
}

/// Broadcast `receipt` to members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptBroadcast {
    pub user_id: String,
    pub delivered_seq: u64,
    pub read_seq: u64,
}

/// Push `typing` from a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypingPush {
    pub typing: bool,
}

/// Broadcast `typing` to the other members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypingBroadcast {
    pub user_id: String,
    pub typing: bool,
}

/// Server push `conversation:upsert` on `inbox:<user_id>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationUpsert {
    pub conversation: Conversation,
}

/// Server push `conversation:closed` on `inbox:<user_id>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationClosed {
    pub topic: String,
}

/// Why the server rejected a push or a join.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorReason {
    Invalid,
    TooLong,
    RateLimited,
    Closed,
    Unauthorized,
    NotFound,
}

impl ErrorReason {
    /// True when resending later can succeed: the outbox keeps such a message
    /// queued instead of marking it failed.
    pub fn is_transient(self) -> bool {
        matches!(self, Self::RateLimited)
    }
}

/// Error reply payload: `{reason, detail}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorReply {
    pub reason: ErrorReason,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl ErrorReply {
    pub fn new(reason: ErrorReason, detail: impl Into<String>) -> Self {
        Self {
            reason,
            detail: Some(detail.into()),
        }
    }
}
