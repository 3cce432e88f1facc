//! Binary frames of the 2.0.0 serializer: fixed byte layouts, round trips of
//! each kind, and decoding of arbitrary bytes.

use proptest::prelude::*;
use ridechat_core::wire::{DecodeError, EncodeError, Frame, Payload, binary, events};

fn push(join_ref: Option<&str>, msg_ref: Option<&str>, data: &[u8]) -> Frame {
    Frame {
        join_ref: join_ref.map(str::to_owned),
        msg_ref: msg_ref.map(str::to_owned),
        topic: "ride:42".to_owned(),
        event: "voice".to_owned(),
        payload: Payload::Binary(data.to_vec()),
    }
}

fn bytes_of(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

#[test]
fn client_push_has_phoenix_layout() {
    let frame = push(Some("3"), Some("12"), &[0xAA, 0xBB]);
    let expected = bytes_of(&[
        &[0, 1, 2, 7, 5],
        b"3",
        b"12",
        b"ride:42",
        b"voice",
        &[0xAA, 0xBB],
    ]);
    assert_eq!(binary::encode_client_push(&frame), Ok(expected));
}

#[test]
fn server_push_has_phoenix_layout() {
    let frame = push(Some("3"), None, &[1]);
    let expected = bytes_of(&[&[0, 1, 7, 5], b"3", b"ride:42", b"voice", &[1]]);
    assert_eq!(binary::encode_from_server(&frame), Ok(expected));
}

#[test]
fn reply_has_phoenix_layout() {
    let frame = Frame {
        join_ref: Some("3".into()),
        msg_ref: Some("12".into()),
        topic: "ride:42".into(),
        event: events::REPLY.into(),
        payload: Payload::BinaryReply {
            status: "ok".into(),
            data: vec![9, 8],
        },
    };
    let expected = bytes_of(&[&[1, 1, 2, 7, 2], b"3", b"12", b"ride:42", b"ok", &[9, 8]]);
    assert_eq!(binary::encode_from_server(&frame), Ok(expected));
}

#[test]
fn broadcast_has_phoenix_layout() {
    let frame = push(None, None, &[]);
    let expected = bytes_of(&[&[2, 7, 5], b"ride:42", b"voice"]);
    assert_eq!(binary::encode_from_server(&frame), Ok(expected));
}

#[test]
fn hand_written_broadcast_decodes() {
    let bytes = bytes_of(&[&[2, 7, 7], b"ride:42", b"msg:new", b"\x00\xff"]);
    let frame = binary::decode_from_server(&bytes).expect("a well-formed broadcast");
    assert_eq!(frame.join_ref, None);
    assert_eq!(frame.topic, "ride:42");
    assert_eq!(frame.event, "msg:new");
    assert_eq!(frame.payload, Payload::Binary(vec![0, 0xff]));
}

#[test]
fn field_over_255_bytes_rejected() {
    let mut frame = push(Some("1"), Some("1"), &[]);
    frame.topic = "t".repeat(256);
    assert_eq!(
        binary::encode_client_push(&frame),
        Err(EncodeError::FieldTooLong {
            field: "topic",
            len: 256
        })
    );
}

#[test]
fn json_payload_rejected_in_binary() {
    let frame = Frame::json(None, None, "ride:1", "msg:new", serde_json::json!({}));
    assert_eq!(
        binary::encode_client_push(&frame),
        Err(EncodeError::NotBinary("push"))
    );
    assert_eq!(
        binary::encode_from_server(&frame),
        Err(EncodeError::NotBinary("server frame"))
    );
}

#[test]
fn reply_without_ref_rejected() {
    let frame = Frame {
        join_ref: None,
        msg_ref: None,
        topic: "ride:1".into(),
        event: events::REPLY.into(),
        payload: Payload::BinaryReply {
            status: "ok".into(),
            data: vec![],
        },
    };
    assert_eq!(
        binary::encode_from_server(&frame),
        Err(EncodeError::MissingRef)
    );
}

#[test]
fn malformed_bytes_name_the_problem() {
    assert_eq!(binary::decode_from_server(&[]), Err(DecodeError::Empty));
    assert_eq!(
        binary::decode_from_server(&[7]),
        Err(DecodeError::UnknownKind(7))
    );
    assert_eq!(
        binary::decode_from_server(&[2, 5]),
        Err(DecodeError::Truncated {
            expected: 3,
            actual: 2
        })
    );
    assert_eq!(
        binary::decode_from_server(&[2, 5, 1, b'a']),
        Err(DecodeError::Truncated {
            expected: 9,
            actual: 4
        })
    );
    assert_eq!(
        binary::decode_from_server(&[2, 1, 1, 0xff, b'e']),
        Err(DecodeError::Utf8("topic"))
    );
    assert_eq!(
        binary::decode_from_client(&[1, 0, 0, 0, 0]),
        Err(DecodeError::UnknownKind(1))
    );
}

fn arb_field() -> impl Strategy<Value = String> {
    // Up to 60 chars of up to 4 bytes each stays under the 255-byte limit.
    ".{1,60}"
}

fn arb_data() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..64)
}

proptest! {
    #[test]
    fn client_push_round_trips(
        join_ref in proptest::option::of(arb_field()),
        msg_ref in proptest::option::of(arb_field()),
        topic in arb_field(),
        event in arb_field(),
        data in arb_data(),
    ) {
        let frame = Frame { join_ref, msg_ref, topic, event, payload: Payload::Binary(data) };
        let bytes = binary::encode_client_push(&frame).expect("fields fit in 255 bytes");
        prop_assert_eq!(binary::decode_from_client(&bytes), Ok(frame));
    }

    #[test]
    fn server_push_round_trips(
        join_ref in arb_field(),
        topic in arb_field(),
        event in arb_field(),
        data in arb_data(),
    ) {
        let frame = Frame {
            join_ref: Some(join_ref),
            msg_ref: None,
            topic,
            event,
            payload: Payload::Binary(data),
        };
        let bytes = binary::encode_from_server(&frame).expect("fields fit in 255 bytes");
        prop_assert_eq!(binary::decode_from_server(&bytes), Ok(frame));
    }

    #[test]
    fn reply_round_trips(
        join_ref in proptest::option::of(arb_field()),
        msg_ref in arb_field(),
        topic in arb_field(),
        status in arb_field(),
        data in arb_data(),
    ) {
        let frame = Frame {
            join_ref,
            msg_ref: Some(msg_ref),
            topic,
            event: events::REPLY.to_owned(),
            payload: Payload::BinaryReply { status, data },
        };
        let bytes = binary::encode_from_server(&frame).expect("fields fit in 255 bytes");
        prop_assert_eq!(binary::decode_from_server(&bytes), Ok(frame));
    }

    #[test]
    fn broadcast_round_trips(topic in arb_field(), event in arb_field(), data in arb_data()) {
        let frame = Frame {
            join_ref: None,
            msg_ref: None,
            topic,
            event,
            payload: Payload::Binary(data),
        };
        let bytes = binary::encode_from_server(&frame).expect("fields fit in 255 bytes");
        prop_assert_eq!(binary::decode_from_server(&bytes), Ok(frame));
    }

    #[test]
    fn decoding_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = binary::decode_from_server(&bytes);
        let _ = binary::decode_from_client(&bytes);
    }

    #[test]
    fn decoding_headers_with_any_lengths_never_panics(
        kind in 0u8..4,
        lengths in proptest::collection::vec(any::<u8>(), 0..5),
        body in proptest::collection::vec(any::<u8>(), 0..600),
    ) {
        let bytes = [vec![kind], lengths, body].concat();
        let _ = binary::decode_from_server(&bytes);
        let _ = binary::decode_from_client(&bytes);
    }
}
