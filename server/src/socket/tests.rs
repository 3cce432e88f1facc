//! The connection loop driven through in-memory channels, without a network.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use futures_channel::mpsc;
use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio::sync::watch;

use ridechat_core::wire::{Frame, Payload, binary, decode_text, encode_text};

use super::{ConnectionContext, Inbound, Outbound, close_code, run};
use crate::chat::Chat;
use crate::settings::Limits;
use crate::store::Store;

struct Harness {
    chat: Arc<Chat>,
    shutdown: watch::Sender<bool>,
}

struct TestSocket {
    incoming: mpsc::UnboundedSender<Result<Inbound, Infallible>>,
    outgoing: mpsc::UnboundedReceiver<Outbound>,
    task: tokio::task::JoinHandle<()>,
}

impl Harness {
    fn new() -> Self {
        let store = Store::open_in_memory().expect("in-memory store");
        crate::demo::seed(&store).expect("seed");
        let (shutdown, _) = watch::channel(false);
        Self {
            chat: Arc::new(Chat::new(store, Limits::default())),
            shutdown,
        }
    }

    fn connect(&self, user_id: &str) -> TestSocket {
        let (incoming_tx, incoming_rx) = mpsc::unbounded();
        let (outgoing_tx, outgoing_rx) = mpsc::unbounded();
        let context = ConnectionContext {
            chat: Arc::clone(&self.chat),
            user_id: user_id.to_owned(),
            shutdown: self.shutdown.subscribe(),
        };
        let task = tokio::spawn(run(context, outgoing_tx, incoming_rx));
        TestSocket {
            incoming: incoming_tx,
            outgoing: outgoing_rx,
            task,
        }
    }
}

impl TestSocket {
    fn send(&self, frame: Frame) {
        self.send_raw(Inbound::Text(encode_text(&frame)));
    }

    fn send_raw(&self, message: Inbound) {
        self.incoming
            .unbounded_send(Ok(message))
            .expect("connection task is running");
    }

    async fn recv(&mut self) -> Outbound {
        self.outgoing
            .next()
            .await
            .expect("connection sent a message")
    }

    async fn recv_frame(&mut self) -> Frame {
        match self.recv().await {
            Outbound::Text(text) => decode_text(&text).expect("server frame decodes"),
            other => panic!("expected a text frame, got {other:?}"),
        }
    }

    async fn join(&mut self, topic: &str, join_ref: &str) -> Value {
        self.send(Frame::json(
            Some(join_ref.to_owned()),
            Some(join_ref.to_owned()),
            topic,
            "phx_join",
            json!({}),
        ));
        let reply = self.recv_frame().await;
        let payload = payload(&reply);
        assert_eq!(payload["status"], json!("ok"), "join failed: {payload}");
        payload["response"].clone()
    }
}

fn payload(frame: &Frame) -> Value {
    match &frame.payload {
        Payload::Json(value) => value.clone(),
        other => panic!("expected JSON, got {other:?}"),
    }
}

fn push(join_ref: &str, msg_ref: &str, topic: &str, event: &str, body: Value) -> Frame {
    Frame::json(
        Some(join_ref.to_owned()),
        Some(msg_ref.to_owned()),
        topic,
        event,
        body,
    )
}

#[tokio::test]
async fn heartbeat_reply_over_channels() {
    let harness = Harness::new();
    let mut socket = harness.connect("r1");

    socket.send(Frame::json(
        None,
        Some("5".into()),
        "phoenix",
        "heartbeat",
        json!({}),
    ));
    let reply = socket.recv_frame().await;

    assert_eq!(reply.event, "phx_reply");
    assert_eq!(reply.msg_ref.as_deref(), Some("5"));
    assert_eq!(payload(&reply), json!({"status": "ok", "response": {}}));
}

#[tokio::test]
async fn leave_replies_then_closes() {
    let harness = Harness::new();
    let mut socket = harness.connect("r1");
    socket.join("ride:1", "1").await;

    socket.send(push("1", "2", "ride:1", "phx_leave", json!({})));
    let reply = socket.recv_frame().await;
    let close = socket.recv_frame().await;

    assert_eq!(reply.event, "phx_reply");
    assert_eq!(payload(&reply)["status"], json!("ok"));
    assert_eq!(close.event, "phx_close");
    assert_eq!(close.join_ref.as_deref(), Some("1"));

    // The channel is gone: a push now gets "unmatched topic".
    socket.send(push("1", "3", "ride:1", "typing", json!({"typing": true})));
    let unmatched = socket.recv_frame().await;
    assert_eq!(
        payload(&unmatched)["response"],
        json!({"reason": "unmatched topic"})
    );
}

#[tokio::test]
async fn binary_push_is_decoded() {
    let harness = Harness::new();
    let mut socket = harness.connect("r1");
    socket.join("ride:1", "1").await;

    let body = json!({"client_id": "bin-1", "kind": "text", "body": "over binary"});
    let frame = Frame {
        join_ref: Some("1".into()),
        msg_ref: Some("2".into()),
        topic: "ride:1".into(),
        event: "msg:new".into(),
        payload: Payload::Binary(body.to_string().into_bytes()),
    };
    let bytes = binary::encode_client_push(&frame).expect("encodes");
    socket.send_raw(Inbound::Binary(bytes));

    let reply = socket.recv_frame().await;
    assert_eq!(reply.msg_ref.as_deref(), Some("2"));
    let reply = payload(&reply);
    assert_eq!(reply["status"], json!("ok"), "reply {reply}");
    assert_eq!(reply["response"]["message"]["body"], json!("over binary"));
}

#[tokio::test]
async fn binary_push_of_non_json_is_invalid() {
    let harness = Harness::new();
    let mut socket = harness.connect("r1");
    socket.join("ride:1", "1").await;

    let frame = Frame {
        join_ref: Some("1".into()),
        msg_ref: Some("2".into()),
        topic: "ride:1".into(),
        event: "msg:new".into(),
        payload: Payload::Binary(vec![0xff, 0x00]),
    };
    let bytes = binary::encode_client_push(&frame).expect("encodes");
    socket.send_raw(Inbound::Binary(bytes));

    let reply = payload(&socket.recv_frame().await);
    assert_eq!(reply["status"], json!("error"));
    assert_eq!(reply["response"]["reason"], json!("invalid"));
}

#[tokio::test]
async fn undecodable_binary_closes_1007() {
    let harness = Harness::new();
    let mut socket = harness.connect("r1");

    socket.send_raw(Inbound::Binary(vec![7, 1, 2]));

    match socket.recv().await {
        Outbound::Close { code, reason } => {
            assert_eq!(code, close_code::INVALID_PAYLOAD);
            assert!(reason.contains("unknown kind 7"), "reason {reason:?}");
        }
        other => panic!("expected a close, got {other:?}"),
    }
    socket.task.await.expect("connection task ends");
}

#[tokio::test]
async fn shutdown_closes_with_going_away() {
    let harness = Harness::new();
    let mut socket = harness.connect("r1");
    socket.join("inbox:r1", "1").await;

    harness.shutdown.send_replace(true);

    assert_eq!(
        socket.recv().await,
        Outbound::Close {
            code: close_code::GOING_AWAY,
            reason: "server is shutting down".to_owned()
        }
    );
    socket.task.await.expect("connection task ends");
    assert_eq!(harness.chat.hub().subscriber_count("inbox:r1"), 0);
}

#[tokio::test]
async fn disconnect_sends_typing_false_to_peer() {
    let harness = Harness::new();
    let mut rider = harness.connect("r1");
    let mut driver = harness.connect("d1");
    rider.join("ride:1", "1").await;
    driver.join("ride:1", "1").await;

    rider.send(push("1", "2", "ride:1", "typing", json!({"typing": true})));
    let reply = payload(&rider.recv_frame().await);
    assert_eq!(reply["status"], json!("ok"));
    let typing = driver.recv_frame().await;
    assert_eq!(typing.event, "typing");
    assert_eq!(payload(&typing), json!({"user_id": "r1", "typing": true}));

    drop(rider.incoming);
    rider.task.await.expect("connection task ends");

    let stopped = driver.recv_frame().await;
    assert_eq!(stopped.event, "typing");
    assert_eq!(stopped.join_ref, None);
    assert_eq!(payload(&stopped), json!({"user_id": "r1", "typing": false}));
}

#[tokio::test]
async fn inbox_of_other_user_is_unauthorized() {
    let harness = Harness::new();
    let mut socket = harness.connect("r1");

    socket.send(push("1", "1", "inbox:d1", "phx_join", json!({})));
    let reply = payload(&socket.recv_frame().await);

    assert_eq!(reply["status"], json!("error"));
    assert_eq!(reply["response"]["reason"], json!("unauthorized"));
    assert_eq!(harness.chat.hub().subscriber_count("inbox:d1"), 0);
}

#[tokio::test]
async fn join_of_unknown_topic_is_unmatched() {
    let harness = Harness::new();
    let mut socket = harness.connect("r1");

    socket.send(push("1", "1", "room:lobby", "phx_join", json!({})));
    let reply = payload(&socket.recv_frame().await);

    assert_eq!(reply["status"], json!("error"));
    assert_eq!(reply["response"], json!({"reason": "unmatched topic"}));
}

#[tokio::test]
async fn broadcast_covered_by_join_reply_is_dropped() {
    let harness = Harness::new();
    let mut socket = harness.connect("d1");
    socket.join("ride:1", "1").await;
    let stored = harness
        .chat
        .store()
        .call_blocking(|connection| {
            let text = crate::store::messages::NewText {
                ride_id: "1",
                sender_id: "r1",
                client_id: "c1",
                body: "hi",
            };
            crate::store::messages::insert_text(connection, &text, time::OffsetDateTime::UNIX_EPOCH)
        })
        .expect("insert");

    // A second join now covers seq 1, so a late broadcast of seq 1 is a
    // duplicate and a broadcast of seq 2 is not.
    socket.send(push("2", "2", "ride:1", "phx_join", json!({})));
    assert_eq!(socket.recv_frame().await.event, "phx_close");
    let reply = payload(&socket.recv_frame().await);
    assert_eq!(reply["response"]["messages"][0]["seq"], json!(stored.seq));

    for seq in [1, 2] {
        let delivery = crate::hub::Delivery {
            topic: "ride:1".to_owned(),
            event: "msg:new".to_owned(),
            payload: Arc::new(json!({"message": {"seq": seq}})),
            seq: Some(seq),
        };
        harness.chat.hub().broadcast(&delivery, None);
    }
    let next = socket.recv_frame().await;
    assert_eq!(payload(&next), json!({"message": {"seq": 2}}));
}

#[tokio::test(start_paused = true)]
async fn idle_socket_is_closed() {
    let harness = Harness::new();
    let mut socket = harness.connect("r1");
    let idle_timeout = harness.chat.limits().idle_timeout;

    // A heartbeat just before the timeout keeps the socket open.
    tokio::time::sleep(idle_timeout - Duration::from_secs(1)).await;
    socket.send(Frame::json(
        None,
        Some("1".into()),
        "phoenix",
        "heartbeat",
        json!({}),
    ));
    let reply = socket.recv_frame().await;
    assert_eq!(reply.msg_ref.as_deref(), Some("1"));

    tokio::time::sleep(idle_timeout - Duration::from_secs(1)).await;
    socket.send(Frame::json(
        None,
        Some("2".into()),
        "phoenix",
        "heartbeat",
        json!({}),
    ));
    let reply = socket.recv_frame().await;
    assert_eq!(reply.msg_ref.as_deref(), Some("2"));

    // Silence past the timeout closes it.
    match socket.recv().await {
        Outbound::Close { code, .. } => assert_eq!(code, close_code::NORMAL),
        other => panic!("expected a close, got {other:?}"),
    }
    socket.task.await.expect("connection task ends");
}
