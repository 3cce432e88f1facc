//! Channels under virtual time: join, rejoin, rejection, errors, leave,
//! stale `join_ref` frames, pushes, replies and timeouts.

mod socket_harness;

use ridechat_core::socket::{Action, ChannelState, PushError, PushRef, SocketEvent, SocketState};
use ridechat_core::wire::{self, Frame, Payload, ReplyStatus, binary, events};
use serde_json::{Value, json};
use socket_harness::{Harness, TOPIC};

fn message(join_ref: Option<&str>, event: &str, payload: Value) -> Frame {
    Frame::json(join_ref.map(str::to_owned), None, TOPIC, event, payload)
}

fn messages(harness: &Harness) -> Vec<(String, Payload)> {
    harness
        .events
        .iter()
        .filter_map(|event| match event {
            SocketEvent::Message { event, payload, .. } => Some((event.clone(), payload.clone())),
            _ => None,
        })
        .collect()
}

fn outcomes(harness: &Harness) -> Vec<SocketEvent> {
    harness
        .events
        .iter()
        .filter(|event| {
            matches!(
                event,
                SocketEvent::Replied { .. } | SocketEvent::PushTimedOut { .. }
            )
        })
        .cloned()
        .collect()
}

fn timed_out(push: PushRef) -> SocketEvent {
    SocketEvent::PushTimedOut {
        topic: TOPIC.to_owned(),
        push,
    }
}

fn current_join_ref(harness: &Harness) -> String {
    let join = harness
        .last_sent(events::JOIN)
        .expect("no phx_join was sent");
    join.join_ref.expect("phx_join carries a join_ref")
}

#[test]
fn join_frame_has_phoenix_layout() {
    let mut harness = Harness::new(socket_harness::settings());
    harness.open();
    harness.join(TOPIC, json!({"last_seq": 0}));

    let texts: Vec<String> = harness
        .actions
        .iter()
        .filter_map(|action| match action {
            Action::SendText { generation, text } => Some(format!("{generation} {text}")),
            _ => None,
        })
        .collect();
    assert_eq!(
        texts,
        [r#"1 ["1","1","ride:42","phx_join",{"last_seq":0}]"#]
    );
    assert_eq!(
        harness.socket.channel_state(TOPIC),
        Some(ChannelState::Joining)
    );
}

#[test]
fn join_reply_ok_joins_channel() {
    let mut harness = Harness::new(socket_harness::settings());
    harness.open();
    harness.join(TOPIC, json!({"last_seq": 0}));

    harness.reply_to_last_join(json!({"messages": [], "more": false}));

    assert_eq!(
        harness.socket.channel_state(TOPIC),
        Some(ChannelState::Joined)
    );
    assert_eq!(
        harness.events[harness.events.len() - 2..],
        [
            SocketEvent::ChannelStateChanged {
                topic: TOPIC.to_owned(),
                state: ChannelState::Joined
            },
            SocketEvent::Joined {
                topic: TOPIC.to_owned(),
                response: json!({"messages": [], "more": false}),
                rejoin: false
            },
        ]
    );
}

#[test]
fn join_before_open_waits_for_open() {
    let mut harness = Harness::new(socket_harness::settings());
    harness.join(TOPIC, json!({"last_seq": 3}));
    assert_eq!(
        harness.socket.channel_state(TOPIC),
        Some(ChannelState::Joining)
    );
    assert!(harness.sent().is_empty());

    harness.open();

    let join = harness
        .last_sent(events::JOIN)
        .expect("open sends the join");
    assert_eq!(join.json_payload(), Some(&json!({"last_seq": 3})));
}

#[test]
fn unknown_topic_has_no_state() {
    let harness = Harness::new(socket_harness::settings());
    assert_eq!(harness.socket.channel_state("ride:7"), None);
}

#[test]
fn reconnect_rejoins_with_new_join_ref() {
    let mut harness = Harness::joined();
    let first_join_ref = "1";
    harness
        .socket
        .set_join_params(TOPIC, json!({"last_seq": 7}));
    harness.close(1006);
    assert_eq!(
        harness.socket.channel_state(TOPIC),
        Some(ChannelState::Errored)
    );

    harness.advance(10);
    harness.socket.handle_open(harness.now, 2);
    harness.drain();

    let (generation, join) = harness
        .sent()
        .into_iter()
        .rfind(|(_, frame)| frame.event == events::JOIN)
        .expect("open sends a rejoin");
    assert_eq!(generation, 2);
    assert_ne!(join.join_ref.as_deref(), Some(first_join_ref));
    assert_eq!(join.join_ref, join.msg_ref);
    assert_eq!(join.json_payload(), Some(&json!({"last_seq": 7})));

    harness.reply_to_last_join(json!({}));
    assert_eq!(
        harness.events.last(),
        Some(&SocketEvent::Joined {
            topic: TOPIC.to_owned(),
            response: json!({}),
            rejoin: true
        })
    );
}

#[test]
fn stale_join_ref_frame_dropped() {
    let mut harness = Harness::joined();
    harness.close(1006);
    harness.advance(10);
    harness.socket.handle_open(harness.now, 2);
    harness.drain();
    harness.reply_to_last_join(json!({}));
    let join_ref = current_join_ref(&harness);
    assert_ne!(join_ref, "1");
    harness.clear();

    harness.receive(&message(Some("1"), "msg:new", json!({"seq": 1})));
    harness.receive(&message(Some(&join_ref), "msg:new", json!({"seq": 2})));
    harness.receive(&message(None, "msg:new", json!({"seq": 3})));

    let payloads: Vec<Payload> = messages(&harness).into_iter().map(|(_, p)| p).collect();
    assert_eq!(
        payloads,
        [
            Payload::Json(json!({"seq": 2})),
            Payload::Json(json!({"seq": 3}))
        ]
    );
}

#[test]
fn broadcast_while_joining_delivered() {
    let mut harness = Harness::new(socket_harness::settings());
    harness.open();
    harness.join(TOPIC, json!({}));

    harness.receive(&message(None, "msg:new", json!({"seq": 9})));

    assert_eq!(messages(&harness).len(), 1);
}

#[test]
fn frame_for_unknown_topic_dropped() {
    let mut harness = Harness::joined();
    harness.receive_text(r#"[null,null,"ride:7","msg:new",{}]"#);
    assert!(harness.events.is_empty());
}

#[test]
fn permanent_join_rejection_stops_rejoining() {
    for reason in ["unauthorized", "not_found"] {
        let mut harness = Harness::new(socket_harness::settings());
        harness.open();
        harness.join(TOPIC, json!({}));
        let join = harness.last_sent(events::JOIN).expect("join sent");

        harness.reply(&join, "error", json!({"reason": reason}));
        assert_eq!(
            harness.socket.channel_state(TOPIC),
            Some(ChannelState::Closed),
            "{reason}"
        );
        assert!(harness.events.contains(&SocketEvent::JoinRejected {
            topic: TOPIC.to_owned(),
            response: json!({"reason": reason})
        }));

        harness.advance(60_000);
        harness.close(1006);
        harness.advance(10);
        harness.socket.handle_open(harness.now, harness.generation);
        harness.drain();
        assert_eq!(harness.sent_events(events::JOIN).len(), 1, "{reason}");
    }
}

#[test]
fn transient_join_error_rejoins_after_backoff() {
    let mut harness = Harness::new(socket_harness::settings());
    harness.open();
    harness.join(TOPIC, json!({}));
    let join = harness.last_sent(events::JOIN).expect("join sent");

    harness.reply(&join, "error", json!({"reason": "overloaded"}));
    assert_eq!(
        harness.socket.channel_state(TOPIC),
        Some(ChannelState::Errored)
    );

    harness.advance(999);
    assert_eq!(harness.sent_events(events::JOIN).len(), 1);
    harness.advance(1);
    assert_eq!(harness.sent_events(events::JOIN).len(), 2);

    let rejoin = harness.last_sent(events::JOIN).expect("rejoin sent");
    harness.reply(&rejoin, "error", json!({"reason": "overloaded"}));
    harness.advance(1_999);
    assert_eq!(harness.sent_events(events::JOIN).len(), 2);
    harness.advance(1);
    assert_eq!(harness.sent_events(events::JOIN).len(), 3);
}

#[test]
fn phx_error_rejoins_channel() {
    let mut harness = Harness::joined();

    harness.receive(&message(Some("1"), events::ERROR, json!({})));
    assert_eq!(
        harness.socket.channel_state(TOPIC),
        Some(ChannelState::Errored)
    );

    harness.advance(1_000);
    let join = harness.last_sent(events::JOIN).expect("rejoin sent");
    assert_ne!(join.join_ref.as_deref(), Some("1"));
    harness.reply_to_last_join(json!({}));
    assert_eq!(
        harness.socket.channel_state(TOPIC),
        Some(ChannelState::Joined)
    );
}

#[test]
fn stale_phx_error_ignored() {
    let mut harness = Harness::joined();
    harness.receive(&message(Some("99"), events::ERROR, json!({})));
    assert_eq!(
        harness.socket.channel_state(TOPIC),
        Some(ChannelState::Joined)
    );
}

#[test]
fn join_timeout_leaves_and_rejoins() {
    let mut harness = Harness::new(socket_harness::settings());
    harness.open();
    harness.join(TOPIC, json!({}));

    harness.advance(9_999);
    assert_eq!(
        harness.socket.channel_state(TOPIC),
        Some(ChannelState::Joining)
    );
    harness.advance(1);
    assert_eq!(
        harness.socket.channel_state(TOPIC),
        Some(ChannelState::Errored)
    );
    let leave = harness
        .last_sent(events::LEAVE)
        .expect("timeout sends phx_leave");
    assert_eq!(leave.join_ref.as_deref(), Some("1"));

    harness.advance(1_000);
    assert_eq!(harness.sent_events(events::JOIN).len(), 2);
}

#[test]
fn timed_out_join_close_ignored() {
    let mut harness = Harness::new(socket_harness::settings());
    harness.open();
    harness.join(TOPIC, json!({}));
    harness.advance(10_000);

    harness.receive(&message(Some("1"), events::CLOSE, json!({})));
    assert_eq!(
        harness.socket.channel_state(TOPIC),
        Some(ChannelState::Errored)
    );

    harness.advance(1_000);
    assert_eq!(harness.sent_events(events::JOIN).len(), 2);
}

#[test]
fn phx_close_closes_channel() {
    let mut harness = Harness::joined();

    harness.receive(&message(Some("1"), events::CLOSE, json!({})));
    assert_eq!(
        harness.socket.channel_state(TOPIC),
        Some(ChannelState::Closed)
    );

    harness.advance(60_000);
    assert!(harness.sent_events(events::JOIN).is_empty());
}

#[test]
fn leave_sends_phx_leave() {
    let mut harness = Harness::joined();

    harness.socket.leave(harness.now, TOPIC);
    harness.drain();
    let leave = harness.last_sent(events::LEAVE).expect("phx_leave sent");
    assert_eq!(leave.join_ref.as_deref(), Some("1"));
    assert_eq!(
        harness.socket.channel_state(TOPIC),
        Some(ChannelState::Leaving)
    );

    harness.reply(&leave, "ok", json!({}));
    assert_eq!(
        harness.socket.channel_state(TOPIC),
        Some(ChannelState::Closed)
    );
    let pushed = harness
        .socket
        .push(harness.now, TOPIC, "msg:new", json!({}));
    assert_eq!(pushed, Err(PushError::NotJoined));
}

#[test]
fn leave_while_closed_closes_at_once() {
    let mut harness = Harness::new(socket_harness::settings());
    harness.join(TOPIC, json!({}));

    harness.socket.leave(harness.now, TOPIC);
    harness.open();

    assert_eq!(
        harness.socket.channel_state(TOPIC),
        Some(ChannelState::Closed)
    );
    assert!(harness.sent().is_empty());
}

#[test]
fn push_while_not_joined_returns_not_joined() {
    let mut harness = Harness::new(socket_harness::settings());
    let now = harness.now;
    assert_eq!(
        harness.socket.push(now, TOPIC, "msg:new", json!({})),
        Err(PushError::NotJoined),
        "unknown topic"
    );

    harness.open();
    harness.join(TOPIC, json!({}));
    assert_eq!(
        harness.socket.push(now, TOPIC, "msg:new", json!({})),
        Err(PushError::NotJoined),
        "joining"
    );

    harness.reply_to_last_join(json!({}));
    harness.close(1006);
    assert_eq!(
        harness.socket.push(now, TOPIC, "msg:new", json!({})),
        Err(PushError::NotJoined),
        "socket closed"
    );
    assert!(harness.sent_events("msg:new").is_empty());
}

#[test]
fn replies_matched_to_pushes_by_ref() {
    let mut harness = Harness::joined();
    let first = harness.push("msg:new", json!({"body": "one"}));
    let second = harness.push("msg:new", json!({"body": "two"}));
    let frames = harness.sent_events("msg:new");
    assert_eq!(frames[0].join_ref.as_deref(), Some("1"));
    assert_eq!(frames[0].msg_ref, Some(first.0.to_string()));

    harness.reply(&frames[1], "ok", json!({"seq": 2}));
    harness.reply(&frames[0], "error", json!({"reason": "rate_limited"}));

    assert_eq!(
        outcomes(&harness),
        [
            SocketEvent::Replied {
                topic: TOPIC.to_owned(),
                push: second,
                status: ReplyStatus::Ok,
                response: json!({"seq": 2})
            },
            SocketEvent::Replied {
                topic: TOPIC.to_owned(),
                push: first,
                status: ReplyStatus::Error,
                response: json!({"reason": "rate_limited"})
            },
        ]
    );
}

#[test]
fn push_timeout_drops_late_reply() {
    let mut harness = Harness::joined();
    let push = harness.push("msg:new", json!({}));
    let frame = harness.last_sent("msg:new").expect("push sent");

    harness.advance(9_999);
    assert!(outcomes(&harness).is_empty());
    harness.advance(1);
    assert_eq!(outcomes(&harness), [timed_out(push)]);

    harness.reply(&frame, "ok", json!({}));
    assert_eq!(outcomes(&harness), [timed_out(push)]);
}

#[test]
fn close_reports_pending_pushes() {
    let mut harness = Harness::joined();
    let push = harness.push("msg:new", json!({}));

    harness.close(1006);
    assert_eq!(outcomes(&harness), [timed_out(push)]);

    harness.advance(60_000);
    assert_eq!(outcomes(&harness), [timed_out(push)]);
}

#[test]
fn phx_error_reports_pending_pushes() {
    let mut harness = Harness::joined();
    let push = harness.push("msg:new", json!({}));

    harness.receive(&message(Some("1"), events::ERROR, json!({})));

    assert_eq!(outcomes(&harness), [timed_out(push)]);
}

#[test]
fn undecodable_frames_counted_and_dropped() {
    let mut harness = Harness::joined();
    let generation = harness.generation;

    harness.receive_text("not json");
    harness.receive_text(r#"["1","2"]"#);
    harness.receive_text(r#"[null,null,7,"msg:new",{}]"#);
    harness
        .socket
        .handle_binary(harness.now, generation, &[9, 1, 2]);
    harness.socket.handle_binary(harness.now, generation, &[]);
    harness.drain();

    assert_eq!(harness.socket.undecodable_frames(), 5);
    assert_eq!(
        harness.socket.last_decode_error(),
        Some(&wire::DecodeError::Empty)
    );
    assert!(harness.events.is_empty());
    assert_eq!(harness.socket.state(), SocketState::Open);
}

#[test]
fn binary_broadcast_delivered() {
    let mut harness = Harness::joined();
    let frame = Frame {
        join_ref: None,
        msg_ref: None,
        topic: TOPIC.to_owned(),
        event: "voice:chunk".to_owned(),
        payload: Payload::Binary(vec![1, 2, 3]),
    };
    let bytes = binary::encode_from_server(&frame).expect("topic and event fit in 255 bytes");

    harness
        .socket
        .handle_binary(harness.now, harness.generation, &bytes);
    harness.drain();

    assert_eq!(
        messages(&harness),
        [("voice:chunk".to_owned(), Payload::Binary(vec![1, 2, 3]))]
    );
}

#[test]
fn binary_reply_matched_to_push() {
    let mut harness = Harness::joined();
    let push = harness.push("msg:new", json!({}));
    let reply = Frame {
        join_ref: Some("1".to_owned()),
        msg_ref: Some(push.0.to_string()),
        topic: TOPIC.to_owned(),
        event: events::REPLY.to_owned(),
        payload: Payload::BinaryReply {
            status: "ok".to_owned(),
            data: vec![7],
        },
    };
    let bytes = binary::encode_from_server(&reply).expect("fields fit in 255 bytes");

    harness
        .socket
        .handle_binary(harness.now, harness.generation, &bytes);
    harness.drain();

    assert_eq!(
        outcomes(&harness),
        [SocketEvent::Replied {
            topic: TOPIC.to_owned(),
            push,
            status: ReplyStatus::Ok,
            response: json!([7])
        }]
    );
}

#[test]
fn reply_with_unknown_status_times_out() {
    let mut harness = Harness::joined();
    let push = harness.push("msg:new", json!({}));
    let frame = harness.last_sent("msg:new").expect("push sent");

    harness.reply(&frame, "maybe", json!({}));
    assert!(outcomes(&harness).is_empty());
    assert_eq!(harness.socket.undecodable_frames(), 1);
    assert_eq!(
        harness.socket.last_decode_error(),
        Some(&wire::DecodeError::ReplyStatus(r#""maybe""#.into()))
    );

    harness.advance(10_000);
    assert_eq!(outcomes(&harness), [timed_out(push)]);
}

#[test]
fn reply_on_other_topic_ignored() {
    let mut harness = Harness::joined();
    harness.join("inbox:r1", json!({}));
    harness.reply_to_last_join(json!({}));
    harness.push("msg:new", json!({}));
    let frame = harness.last_sent("msg:new").expect("push sent");
    let join_ref = current_join_ref(&harness);

    let misrouted = Frame::json(
        Some(join_ref),
        frame.msg_ref.clone(),
        "inbox:r1",
        events::REPLY,
        json!({"status": "ok", "response": {}}),
    );
    harness.receive(&misrouted);

    assert!(outcomes(&harness).is_empty());
}

#[test]
fn heartbeat_reply_not_delivered_as_message() {
    let mut harness = Harness::joined();
    harness.advance(30_000);
    harness.clear();
    harness.receive_text(&wire::encode_text(&Frame::json(
        None,
        Some("99".into()),
        "phoenix",
        events::REPLY,
        json!({"status": "ok", "response": {}}),
    )));
    assert!(harness.events.is_empty());
}

#[test]
fn close_reports_channel_before_push() {
    let mut harness = Harness::joined();
    let push = harness.push("msg:new", json!({}));

    harness.close(1006);

    assert_eq!(
        harness.events,
        [
            SocketEvent::StateChanged(SocketState::Closed),
            SocketEvent::ChannelStateChanged {
                topic: TOPIC.to_owned(),
                state: ChannelState::Errored
            },
            timed_out(push),
        ]
    );
}

#[test]
fn phx_error_reports_channel_before_push() {
    let mut harness = Harness::joined();
    let push = harness.push("msg:new", json!({}));

    harness.receive(&message(Some("1"), events::ERROR, json!({})));

    assert_eq!(
        harness.events,
        [
            SocketEvent::ChannelStateChanged {
                topic: TOPIC.to_owned(),
                state: ChannelState::Errored
            },
            timed_out(push),
        ]
    );
}
