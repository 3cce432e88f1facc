//! Validation of push payloads, with errors that name the value and the fix.

use serde::de::DeserializeOwned;
use serde_json::Value;

use ridechat_core::chat::{ClientId, ErrorReason, HistoryRequest, MessageKind, NewMessage};

use super::ChatError;

/// A valid text message from `msg:new`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextMessage {
    pub client_id: ClientId,
    pub body: String,
}

/// Position of the page that `msg:history` requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryCursor {
    Before(u64),
    After(u64),
}

/// Parses a payload of an event, or rejects it as `invalid` with the reason.
pub fn parse<T: DeserializeOwned>(
    event: &str,
    payload: Value,
    expected: &str,
) -> Result<T, ChatError> {
    serde_json::from_value(payload).map_err(|err| {
        ChatError::reject(
            ErrorReason::Invalid,
            format!("{event} payload is invalid ({err}); expected {expected}"),
        )
    })
}

/// Checks a `msg:new` payload: a valid client_id and a text body of 1 to
/// `max_chars` Unicode code points.
pub fn text_message(payload: Value, max_chars: usize) -> Result<TextMessage, ChatError> {
    let message: NewMessage = parse(
        "msg:new",
        payload,
        r#"{"client_id": "...", "kind": "text", "body": "..."}"#,
    )?;
    let client_id = ClientId::parse(&message.client_id)
        .map_err(|err| ChatError::reject(ErrorReason::Invalid, err.to_string()))?;

    if message.kind == MessageKind::Voice {
        return Err(ChatError::reject(
            ErrorReason::Invalid,
            "voice messages are not supported yet",
        ));
    }
    let Some(body) = message.body else {
        return Err(ChatError::reject(
            ErrorReason::Invalid,
            "a text message needs a `body` of 1 or more characters",
        ));
    };

    let chars = body.chars().count();
    if chars == 0 {
        return Err(ChatError::reject(
            ErrorReason::Invalid,
            "body is empty; send 1 or more characters",
        ));
    }
    if body.trim().is_empty() {
        return Err(ChatError::reject(
            ErrorReason::Invalid,
            "body contains only whitespace; send 1 or more visible characters",
        ));
    }
    if chars > max_chars {
        return Err(ChatError::reject(
            ErrorReason::TooLong,
            format!("body is {chars} characters; at most {max_chars} are allowed"),
        ));
    }
    Ok(TextMessage { client_id, body })
}

/// Checks a `msg:history` payload: exactly one of `before_seq` and
/// `after_seq`, and a limit from 1 to `page_size`.
pub fn history(payload: Value, page_size: usize) -> Result<(HistoryCursor, usize), ChatError> {
    let request: HistoryRequest = parse(
        "msg:history",
        payload,
        r#"{"before_seq": N, "limit": N} or {"after_seq": N, "limit": N}"#,
    )?;
    let limit = usize::try_from(request.limit).unwrap_or(usize::MAX);
    if limit == 0 || limit > page_size {
        return Err(ChatError::reject(
            ErrorReason::Invalid,
            format!("limit is {limit}; use 1 to {page_size}"),
        ));
    }

    let cursor = match (request.before_seq, request.after_seq) {
        (Some(before), None) => HistoryCursor::Before(before),
        (None, Some(after)) => HistoryCursor::After(after),
        _ => {
            return Err(ChatError::reject(
                ErrorReason::Invalid,
                "send exactly one of `before_seq` and `after_seq`",
            ));
        }
    };
    Ok((cursor, limit))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn reason(result: Result<impl std::fmt::Debug, ChatError>) -> ErrorReason {
        match result {
            Err(ChatError::Reject(reply)) => reply.reason,
            other => panic!("expected a rejection, got {other:?}"),
        }
    }

    #[test]
    fn text_accepts_limit_length() {
        let body = "é".repeat(10);
        let payload = json!({"client_id": "c1", "kind": "text", "body": body});
        let message = text_message(payload, 10).expect("valid");
        assert_eq!(message.body.chars().count(), 10);
        assert_eq!(message.client_id.as_str(), "c1");
    }

    #[test]
    fn text_over_limit_is_too_long() {
        let payload = json!({"client_id": "c1", "kind": "text", "body": "é".repeat(11)});
        assert_eq!(reason(text_message(payload, 10)), ErrorReason::TooLong);
    }

    #[test]
    fn text_empty_or_missing_is_invalid() {
        let empty = json!({"client_id": "c1", "kind": "text", "body": ""});
        assert_eq!(reason(text_message(empty, 10)), ErrorReason::Invalid);
        let missing = json!({"client_id": "c1", "kind": "text"});
        assert_eq!(reason(text_message(missing, 10)), ErrorReason::Invalid);
        let blank = json!({"client_id": "c1", "kind": "text", "body": " \n\t "});
        assert_eq!(reason(text_message(blank, 10)), ErrorReason::Invalid);
    }

    #[test]
    fn text_bad_client_id_is_invalid() {
        let payload = json!({"client_id": "a b", "kind": "text", "body": "hi"});
        assert_eq!(reason(text_message(payload, 10)), ErrorReason::Invalid);
        let payload = json!({"client_id": "x".repeat(65), "kind": "text", "body": "hi"});
        assert_eq!(reason(text_message(payload, 10)), ErrorReason::Invalid);
    }

    #[test]
    fn voice_is_not_supported_yet() {
        let payload = json!({"client_id": "c1", "kind": "voice", "voice": {
            "upload_id": "u1", "duration_ms": 1000, "waveform": [0], "mime": "audio/webm"}});
        match text_message(payload, 10) {
            Err(ChatError::Reject(reply)) => {
                assert_eq!(reply.reason, ErrorReason::Invalid);
                assert_eq!(
                    reply.detail.as_deref(),
                    Some("voice messages are not supported yet")
                );
            }
            other => panic!("expected a rejection, got {other:?}"),
        }
    }

    #[test]
    fn history_needs_one_cursor_and_limit() {
        let both = json!({"before_seq": 5, "after_seq": 1, "limit": 10});
        assert_eq!(reason(history(both, 100)), ErrorReason::Invalid);
        let neither = json!({"limit": 10});
        assert_eq!(reason(history(neither, 100)), ErrorReason::Invalid);
        let too_many = json!({"before_seq": 5, "limit": 101});
        assert_eq!(reason(history(too_many, 100)), ErrorReason::Invalid);
        let zero = json!({"before_seq": 5, "limit": 0});
        assert_eq!(reason(history(zero, 100)), ErrorReason::Invalid);
    }

    #[test]
    fn history_parses_cursor() {
        let before = json!({"before_seq": 5, "limit": 10});
        assert_eq!(
            history(before, 100).ok(),
            Some((HistoryCursor::Before(5), 10))
        );
        let after = json!({"after_seq": 7, "limit": 100});
        assert_eq!(
            history(after, 100).ok(),
            Some((HistoryCursor::After(7), 100))
        );
    }
}
