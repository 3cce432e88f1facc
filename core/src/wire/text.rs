use serde_json::Value;

use super::{DecodeError, Frame, Payload};

/// Encodes a frame as the JSON array `[join_ref, ref, topic, event, payload]`.
///
/// Binary payloads cannot travel in a text frame: they are encoded as a JSON
/// array of byte values, which is what `serde_json` would produce. Callers that
/// want a real binary frame use [`super::binary`].
pub fn encode_text(frame: &Frame) -> String {
    let payload = match &frame.payload {
        Payload::Json(value) => value.clone(),
        Payload::Binary(bytes) => Value::from(bytes.clone()),
        Payload::BinaryReply { status, data } => {
            serde_json::json!({ "status": status, "response": data })
        }
    };
    let array = Value::Array(vec![
        optional_string(&frame.join_ref),
        optional_string(&frame.msg_ref),
        Value::String(frame.topic.clone()),
        Value::String(frame.event.clone()),
        payload,
    ]);
    array.to_string()
}

/// Decodes a text frame. `join_ref` and `ref` may be null or strings; Phoenix
/// peers that send numbers for them are accepted too, and the numbers become
/// strings.
pub fn decode_text(text: &str) -> Result<Frame, DecodeError> {
    let value: Value =
        serde_json::from_str(text).map_err(|err| DecodeError::Json(err.to_string()))?;
    let Value::Array(mut items) = value else {
        return Err(DecodeError::Shape(describe(&value)));
    };
    if items.len() != 5 {
        return Err(DecodeError::Shape(format!(
            "an array of {} elements",
            items.len()
        )));
    }

    let payload = items.pop().unwrap_or(Value::Null);
    let event = take_string(items.pop(), "event")?;
    let topic = take_string(items.pop(), "topic")?;
    let msg_ref = take_ref(items.pop(), "ref")?;
    let join_ref = take_ref(items.pop(), "join_ref")?;

    Ok(Frame {
        join_ref,
        msg_ref,
        topic,
        event,
        payload: Payload::Json(payload),
    })
}

fn optional_string(value: &Option<String>) -> Value {
    match value {
        Some(text) => Value::String(text.clone()),
        None => Value::Null,
    }
}

fn take_string(value: Option<Value>, field: &str) -> Result<String, DecodeError> {
    match value {
        Some(Value::String(text)) => Ok(text),
        Some(other) => Err(DecodeError::Shape(format!(
            "`{field}` as {}",
            describe(&other)
        ))),
        None => Err(DecodeError::Shape(format!("no `{field}`"))),
    }
}

fn take_ref(value: Option<Value>, field: &str) -> Result<Option<String>, DecodeError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(Value::Number(number)) => Ok(Some(number.to_string())),
        Some(other) => Err(DecodeError::Shape(format!(
            "`{field}` as {}",
            describe(&other)
        ))),
    }
}

fn describe(value: &Value) -> String {
    let kind = match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    };
    kind.to_owned()
}
