use serde_json::Value;

use super::events;

/// One Phoenix message, in either direction.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    /// The `join_ref` of the channel instance this frame belongs to. Broadcasts
    /// and heartbeats carry none.
    pub join_ref: Option<String>,
    /// The Phoenix `ref` that pairs a push with its reply. Server pushes and
    /// broadcasts carry none.
    pub msg_ref: Option<String>,
    pub topic: String,
    pub event: String,
    pub payload: Payload,
}

/// The body of a frame.
#[derive(Debug, Clone, PartialEq)]
pub enum Payload {
    /// A JSON value, sent in a text frame.
    Json(Value),
    /// Raw bytes, sent in a binary frame.
    Binary(Vec<u8>),
    /// A reply decoded from a binary frame: its status and raw response bytes.
    /// Text replies stay [`Payload::Json`] with `status` and `response` keys.
    BinaryReply { status: String, data: Vec<u8> },
}

/// Outcome of a reply as Phoenix sends it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyStatus {
    Ok,
    Error,
}

/// A decoded `phx_reply`: the status and the response payload.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub status: ReplyStatus,
    pub response: Value,
}

impl Frame {
    /// Builds a frame with a JSON payload.
    pub fn json(
        join_ref: Option<String>,
        msg_ref: Option<String>,
        topic: impl Into<String>,
        event: impl Into<String>,
        payload: Value,
    ) -> Self {
        Self {
            join_ref,
            msg_ref,
            topic: topic.into(),
            event: event.into(),
            payload: Payload::Json(payload),
        }
    }

    /// Builds the `phx_reply` frame that answers a push.
    pub fn reply(request: &Frame, status: ReplyStatus, response: Value) -> Self {
        let status = match status {
            ReplyStatus::Ok => "ok",
            ReplyStatus::Error => "error",
        };
        Self::json(
            request.join_ref.clone(),
            request.msg_ref.clone(),
            request.topic.clone(),
            events::REPLY,
            serde_json::json!({ "status": status, "response": response }),
        )
    }

    /// Returns true for a `phx_reply`.
    pub fn is_reply(&self) -> bool {
        self.event == events::REPLY
    }

    /// Reads this frame as a reply, if it is a `phx_reply` with a known status.
    ///
    /// A binary reply's response is returned as a JSON array of its bytes, so
    /// callers that expect binary replies should match [`Payload::BinaryReply`]
    /// directly.
    pub fn as_reply(&self) -> Option<Reply> {
        if !self.is_reply() {
            return None;
        }
        let (status, response) = match &self.payload {
            Payload::Json(value) => {
                let status = value.get("status")?.as_str()?.to_owned();
                let response = value.get("response").cloned().unwrap_or(Value::Null);
                (status, response)
            }
            Payload::BinaryReply { status, data } => (status.clone(), Value::from(data.clone())),
            Payload::Binary(_) => return None,
        };
        let status = match status.as_str() {
            "ok" => ReplyStatus::Ok,
            "error" => ReplyStatus::Error,
            _ => return None,
        };
        Some(Reply { status, response })
    }

    /// Returns the JSON payload, or `None` for a binary one.
    pub fn json_payload(&self) -> Option<&Value> {
        match &self.payload {
            Payload::Json(value) => Some(value),
            _ => None,
        }
    }
}
