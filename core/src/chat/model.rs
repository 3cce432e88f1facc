use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Number of bars in a voice note's waveform.
pub const WAVEFORM_LEN: usize = 64;

/// A stored message. `seq` counts up from 1 in each conversation, assigned by
/// the server in arrival order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub seq: u64,
    pub id: String,
    pub client_id: String,
    pub sender_id: String,
    pub kind: MessageKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voice: Option<Voice>,
    /// RFC 3339, UTC.
    pub inserted_at: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    Text,
    Voice,
}

/// A voice note as carried in a message: enough to draw it without decoding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Voice {
    pub upload_id: String,
    pub duration_ms: u64,
    /// [`WAVEFORM_LEN`] bars, each 0 to 255.
    pub waveform: Vec<u8>,
    pub mime: String,
    /// Signed, short-lived address of the audio; set by the server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// One entry of the inbox: a ride conversation seen from one user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversation {
    pub topic: String,
    pub ride_id: String,
    pub peer: Peer,
    pub last_seq: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_message: Option<Message>,
    pub unread: u64,
    pub state: RideState,
}

/// The other member of a conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Peer {
    pub id: String,
    pub name: String,
    pub role: Role,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Rider,
    Driver,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RideState {
    #[default]
    Active,
    Closed,
}

/// A member's receipt watermarks in one conversation. Both only move forward,
/// and `read_seq` never passes `delivered_seq`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Receipt {
    pub delivered_seq: u64,
    pub read_seq: u64,
}

impl Receipt {
    /// Moves the watermarks forward, never back and never past `last_seq`;
    /// read implies delivered. Returns true if anything changed.
    pub fn advance(&mut self, delivered: Option<u64>, read: Option<u64>, last_seq: u64) -> bool {
        let before = *self;
        if let Some(read) = read {
            self.read_seq = self.read_seq.max(read.min(last_seq));
        }
        if let Some(delivered) = delivered {
            self.delivered_seq = self.delivered_seq.max(delivered.min(last_seq));
        }
        self.delivered_seq = self.delivered_seq.max(self.read_seq);
        *self != before
    }
}

/// Receipts of a conversation, by user id.
pub type Receipts = BTreeMap<String, Receipt>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receipt_only_moves_forward() {
        let mut receipt = Receipt {
            delivered_seq: 5,
            read_seq: 3,
        };
        assert!(!receipt.advance(Some(4), Some(2), 10));
        assert_eq!(
            receipt,
            Receipt {
                delivered_seq: 5,
                read_seq: 3
            }
        );
    }

    #[test]
    fn receipt_read_implies_delivered() {
        let mut receipt = Receipt::default();
        assert!(receipt.advance(None, Some(7), 10));
        assert_eq!(
            receipt,
            Receipt {
                delivered_seq: 7,
                read_seq: 7
            }
        );
    }

    #[test]
    fn receipt_capped_at_last_seq() {
        let mut receipt = Receipt::default();
        receipt.advance(Some(99), Some(99), 4);
        assert_eq!(
            receipt,
            Receipt {
                delivered_seq: 4,
                read_seq: 4
            }
        );
    }

    #[test]
    fn message_json_matches_contract() {
        let json = r#"{"seq":1,"id":"m1","client_id":"c1","sender_id":"r1","kind":"text","body":"hi","inserted_at":"2026-01-01T00:00:00Z"}"#;
        let message: Message = serde_json::from_str(json).unwrap();
        assert_eq!(message.kind, MessageKind::Text);
        assert_eq!(serde_json::to_string(&message).unwrap(), json);
    }
}
