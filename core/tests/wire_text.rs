//! Text frames of the 2.0.0 serializer: fixed examples in the Phoenix layout,
//! round trips and decoding of arbitrary input.

use proptest::prelude::*;
use ridechat_core::wire::{DecodeError, Frame, Payload, ReplyStatus, decode_text, encode_text};
use serde_json::{Value, json};

#[test]
fn join_frame_encodes_as_array() {
    let join = Frame::json(
        Some("3".into()),
        Some("3".into()),
        "ride:42",
        "phx_join",
        json!({"last_seq": 12}),
    );
    assert_eq!(
        encode_text(&join),
        r#"["3","3","ride:42","phx_join",{"last_seq":12}]"#
    );
}

#[test]
fn heartbeat_encodes_with_null_join_ref() {
    let heartbeat = Frame::json(None, Some("8".into()), "phoenix", "heartbeat", json!({}));
    assert_eq!(
        encode_text(&heartbeat),
        r#"[null,"8","phoenix","heartbeat",{}]"#
    );
}

#[test]
fn reply_decodes_status_and_response() {
    let text =
        r#"["3","4","ride:42","phx_reply",{"status":"ok","response":{"message":{"seq":5}}}]"#;
    let frame = decode_text(text).expect("a well-formed reply");

    assert_eq!(frame.join_ref.as_deref(), Some("3"));
    assert_eq!(frame.msg_ref.as_deref(), Some("4"));
    assert_eq!(frame.topic, "ride:42");
    assert!(frame.is_reply());
    let reply = frame.as_reply().expect("status is ok");
    assert_eq!(reply.status, ReplyStatus::Ok);
    assert_eq!(reply.response, json!({"message": {"seq": 5}}));
}

#[test]
fn error_reply_decodes_error_status() {
    let text = r#"["3","3","ride:42","phx_reply",{"status":"error","response":{"reason":"unauthorized"}}]"#;
    let reply = decode_text(text)
        .expect("a well-formed reply")
        .as_reply()
        .expect("status is error");
    assert_eq!(reply.status, ReplyStatus::Error);
    assert_eq!(reply.response, json!({"reason": "unauthorized"}));
}

#[test]
fn reply_without_response_gets_null() {
    let frame = decode_text(r#"[null,"9","phoenix","phx_reply",{"status":"ok"}]"#)
        .expect("a well-formed reply");
    let reply = frame.as_reply().expect("status is ok");
    assert_eq!(reply.response, Value::Null);
}

#[test]
fn reply_with_unknown_status_is_not_a_reply() {
    let frame = decode_text(r#"["1","2","ride:1","phx_reply",{"status":"maybe"}]"#)
        .expect("the array itself is well formed");
    assert_eq!(frame.as_reply(), None);
}

#[test]
fn broadcast_decodes_null_refs() {
    let text = r#"[null,null,"ride:42","msg:new",{"message":{"seq":1}}]"#;
    let frame = decode_text(text).expect("a well-formed broadcast");
    assert_eq!(frame.join_ref, None);
    assert_eq!(frame.msg_ref, None);
    assert_eq!(frame.event, "msg:new");
    assert_eq!(frame.payload, Payload::Json(json!({"message": {"seq": 1}})));
}

#[test]
fn numeric_refs_become_strings() {
    let frame = decode_text(r#"[3,4,"ride:42","phx_reply",{}]"#).expect("numeric refs accepted");
    assert_eq!(frame.join_ref.as_deref(), Some("3"));
    assert_eq!(frame.msg_ref.as_deref(), Some("4"));
}

#[test]
fn malformed_frames_name_the_problem() {
    let cases: [(&str, DecodeError); 5] = [
        ("{", DecodeError::Json(String::new())),
        (r#"{"topic":"x"}"#, DecodeError::Shape("an object".into())),
        (
            r#"[null,null,"t","e"]"#,
            DecodeError::Shape("an array of 4 elements".into()),
        ),
        (
            r#"[null,null,1,"e",{}]"#,
            DecodeError::Shape("`topic` as a number".into()),
        ),
        (
            r#"[true,null,"t","e",{}]"#,
            DecodeError::Shape("`join_ref` as a boolean".into()),
        ),
    ];
    for (text, expected) in cases {
        let error = decode_text(text).expect_err(text);
        match (&error, &expected) {
            // serde_json words its own message, so only the variant is checked.
            (DecodeError::Json(_), DecodeError::Json(_)) => {}
            _ => assert_eq!(error, expected, "{text}"),
        }
    }
}

fn arb_ref() -> impl Strategy<Value = Option<String>> {
    proptest::option::of("[0-9]{1,6}")
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        ".{0,20}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map(".{0,8}", inner, 0..4)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

fn arb_frame() -> impl Strategy<Value = Frame> {
    (arb_ref(), arb_ref(), ".{0,30}", ".{0,30}", arb_json()).prop_map(
        |(join_ref, msg_ref, topic, event, payload)| {
            Frame::json(join_ref, msg_ref, topic, event, payload)
        },
    )
}

proptest! {
    #[test]
    fn text_frame_round_trips(frame in arb_frame()) {
        let decoded = decode_text(&encode_text(&frame));
        prop_assert_eq!(decoded, Ok(frame));
    }

    #[test]
    fn decoding_arbitrary_strings_never_panics(text in ".{0,200}") {
        let _ = decode_text(&text);
    }

    #[test]
    fn decoding_arbitrary_arrays_never_panics(items in proptest::collection::vec(arb_json(), 0..7)) {
        let text = Value::Array(items).to_string();
        let _ = decode_text(&text);
    }
}
