//! The client's own view of a message: what the store keeps and the UI draws.
//!
//! A [`LocalMessage`] exists from the moment the user presses Send, long before
//! the server assigns it a `seq`. Its `client_id` is the only key that links
//! the local row to the server's copy: resends reuse it, and the echo of one's
//! own message (the reply or the broadcast) is matched by it, never by text or
//! time.

use serde::{Deserialize, Serialize};

use crate::chat::{ErrorReason, Message, MessageKind, NewMessage, Voice};

/// Where a message stands on its way to the peer.
///
/// Statuses only move forward (`Sending` → `Sent` → `Delivered` → `Read`),
/// except that `Failed` can go back to `Sending` when the user retries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Stored on this device and queued in the outbox; the server has not
    /// confirmed it yet.
    Sending,
    /// Stored by the server, which assigned it a `seq`.
    Sent,
    /// Stored on the peer's device.
    Delivered,
    /// Shown to the peer.
    Read,
    /// Rejected by the server for a permanent reason; the user may retry or
    /// delete it.
    Failed {
        reason: ErrorReason,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        detail: Option<String>,
    },
}

impl DeliveryStatus {
    /// Rank in the forward order `Sending < Sent < Delivered < Read`. A failed
    /// message ranks with `Sending`, because the server has not stored it.
    fn rank(&self) -> u8 {
        match self {
            Self::Sending | Self::Failed { .. } => 0,
            Self::Sent => 1,
            Self::Delivered => 2,
            Self::Read => 3,
        }
    }

    /// Returns true when the server has stored the message.
    pub fn is_stored_by_server(&self) -> bool {
        self.rank() >= 1
    }

    /// Returns true for [`DeliveryStatus::Failed`].
    pub fn is_failed(&self) -> bool {
        matches!(self, Self::Failed { .. })
    }

    /// Returns the further of the two statuses, so a late `Sent` never
    /// overwrites `Delivered` or `Read`.
    pub fn max(self, other: DeliveryStatus) -> DeliveryStatus {
        if other.rank() > self.rank() {
            other
        } else {
            self
        }
    }
}

/// A message as this client holds it: confirmed by the server or still
/// waiting in the outbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LocalMessage {
    pub topic: String,
    pub client_id: String,
    /// Assigned by the server; `None` until it confirms the message.
    pub seq: Option<u64>,
    pub sender_id: String,
    pub kind: MessageKind,
    pub body: Option<String>,
    pub voice: Option<Voice>,
    /// Server time (RFC 3339, UTC) once the server stored the message.
    pub inserted_at: Option<String>,
    /// Device clock in milliseconds since the Unix epoch when the user pressed
    /// Send. For display only: never used for matching or ordering.
    pub created_at_ms: f64,
    pub status: DeliveryStatus,
}

impl LocalMessage {
    /// Builds the local copy of a text message the user just sent.
    pub fn outgoing_text(
        topic: &str,
        client_id: &str,
        sender_id: &str,
        body: &str,
        created_at_ms: f64,
    ) -> Self {
        Self {
            topic: topic.to_owned(),
            client_id: client_id.to_owned(),
            seq: None,
            sender_id: sender_id.to_owned(),
            kind: MessageKind::Text,
            body: Some(body.to_owned()),
            voice: None,
            inserted_at: None,
            created_at_ms,
            status: DeliveryStatus::Sending,
        }
    }

    /// Builds the local copy of a message the server stored. `created_at_ms`
    /// is 0 because the sender's device clock is unknown.
    pub fn from_stored(topic: &str, message: &Message) -> Self {
        Self {
            topic: topic.to_owned(),
            client_id: message.client_id.clone(),
            seq: Some(message.seq),
            sender_id: message.sender_id.clone(),
            kind: message.kind,
            body: message.body.clone(),
            voice: message.voice.clone(),
            inserted_at: Some(message.inserted_at.clone()),
            created_at_ms: 0.0,
            status: DeliveryStatus::Sent,
        }
    }

    /// Merges the server's copy into this row: the server's `seq`, time and
    /// content win, the device time stays, and the status moves to at least
    /// `Sent`.
    pub fn merge_stored(&mut self, message: &Message) {
        self.seq = Some(message.seq);
        self.sender_id = message.sender_id.clone();
        self.kind = message.kind;
        self.body = message.body.clone();
        self.voice = message.voice.clone();
        self.inserted_at = Some(message.inserted_at.clone());
        let status = std::mem::replace(&mut self.status, DeliveryStatus::Sending);
        self.status = status.max(DeliveryStatus::Sent);
    }

    /// Returns the `msg:new` payload that sends this message.
    pub fn to_new_message(&self) -> NewMessage {
        NewMessage {
            client_id: self.client_id.clone(),
            kind: self.kind,
            body: self.body.clone(),
            voice: self.voice.clone(),
        }
    }
}

/// A message waiting to be pushed. The outbox holds one entry per unconfirmed
/// message; the entry goes away when the server confirms the message or
/// rejects it for good.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxEntry {
    pub client_id: String,
    pub topic: String,
    /// Position in the send order, increasing across all rooms. Entries are
    /// pushed by increasing `order` within each room.
    pub order: u64,
    /// The `msg:new` payload, sent unchanged on every resend.
    pub message: NewMessage,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(seq: u64) -> Message {
        Message {
            seq,
            id: format!("m{seq}"),
            client_id: "c1".into(),
            sender_id: "r1".into(),
            kind: MessageKind::Text,
            body: Some("hi".into()),
            voice: None,
            inserted_at: "2026-01-01T00:00:00Z".into(),
        }
    }

    #[test]
    fn status_max_keeps_read_over_sent() {
        assert_eq!(
            DeliveryStatus::Read.max(DeliveryStatus::Sent),
            DeliveryStatus::Read
        );
        assert_eq!(
            DeliveryStatus::Sending.max(DeliveryStatus::Sent),
            DeliveryStatus::Sent
        );
    }

    #[test]
    fn merge_stored_keeps_device_time() {
        let mut local = LocalMessage::outgoing_text("ride:1", "c1", "r1", "hi", 1234.0);
        local.merge_stored(&stored(7));
        assert_eq!(local.seq, Some(7));
        assert_eq!(local.status, DeliveryStatus::Sent);
        assert_eq!(local.created_at_ms, 1234.0);
        assert_eq!(local.inserted_at.as_deref(), Some("2026-01-01T00:00:00Z"));
    }

    #[test]
    fn failed_status_round_trips_as_json() {
        let status = DeliveryStatus::Failed {
            reason: ErrorReason::TooLong,
            detail: Some("4001 characters".into()),
        };
        let json = serde_json::to_string(&status).unwrap();
        assert_eq!(
            json,
            r#"{"status":"failed","reason":"too_long","detail":"4001 characters"}"#
        );
        assert_eq!(
            serde_json::from_str::<DeliveryStatus>(&json).unwrap(),
            status
        );
    }
}
