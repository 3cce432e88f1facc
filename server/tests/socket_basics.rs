//! Real-socket tests of the Phoenix protocol rules.

mod common;

use common::TestServer;
use futures_util::StreamExt;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

#[tokio::test]
async fn heartbeat_gets_ok_reply() {
    let server = TestServer::start().await;
    let mut client = server.connect("r1").await;

    let msg_ref = client.push(None, "phoenix", "heartbeat", json!({})).await;
    let frame = client.recv().await;

    assert_eq!(frame.topic, "phoenix");
    assert_eq!(frame.event, "phx_reply");
    assert_eq!(frame.join_ref, None);
    assert_eq!(frame.msg_ref.as_deref(), Some(msg_ref.as_str()));
    assert_eq!(
        common::json_payload(&frame),
        json!({"status": "ok", "response": {}})
    );
}

#[tokio::test]
async fn join_own_ride_and_reject_others() {
    let server = TestServer::start().await;
    let mut rider = server.connect("r1").await;

    let (_, response) = rider.join_ok("ride:1", json!({"last_seq": 0})).await;
    assert_eq!(response["messages"], json!([]));
    assert_eq!(response["more"], json!(false));
    assert_eq!(response["state"], json!("active"));

    let (_, status, response) = rider.join("ride:2", json!({"last_seq": 0})).await;
    assert_eq!(status, "error");
    assert_eq!(response["reason"], json!("unauthorized"));

    let (_, status, response) = rider.join("ride:99", json!({})).await;
    assert_eq!(status, "error");
    assert_eq!(response["reason"], json!("not_found"));
}

#[tokio::test]
async fn msg_new_replies_and_broadcasts() {
    let server = TestServer::start().await;
    let mut rider = server.connect("r1").await;
    let mut rider_tab = server.connect("r1").await;
    let mut driver = server.connect("d1").await;
    let (rider_ref, _) = rider.join_ok("ride:1", json!({})).await;
    rider_tab.join_ok("ride:1", json!({})).await;
    driver.join_ok("ride:1", json!({})).await;

    let message = rider.send_text(&rider_ref, "ride:1", "c-1", "hello").await;
    assert_eq!(message["seq"], json!(1));
    assert_eq!(message["sender_id"], json!("r1"));
    assert_eq!(message["client_id"], json!("c-1"));
    assert_eq!(message["body"], json!("hello"));
    assert_eq!(message["kind"], json!("text"));

    let broadcast = driver.expect_event("ride:1", "msg:new").await;
    assert_eq!(broadcast["message"], message);
    let other_tab = rider_tab.expect_event("ride:1", "msg:new").await;
    assert_eq!(other_tab["message"], message);
    let own = rider.expect_event("ride:1", "msg:new").await;
    assert_eq!(own["message"], message);
}

#[tokio::test]
async fn upgrade_with_bad_token_is_403() {
    let server = TestServer::start().await;
    for token in ["", "garbage", "a.b"] {
        let url = server.socket_url(token);
        let error = tokio_tungstenite::connect_async(url)
            .await
            .expect_err("upgrade must be rejected");
        match error {
            tokio_tungstenite::tungstenite::Error::Http(response) => {
                assert_eq!(response.status().as_u16(), 403, "token {token:?}");
            }
            other => panic!("expected an HTTP error, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn upgrade_with_other_vsn_is_400() {
    let server = TestServer::start().await;
    let url = format!(
        "ws://{}/socket/websocket?vsn=1.0.0&token={}",
        server.server.addr,
        server.token("r1")
    );
    let error = tokio_tungstenite::connect_async(url)
        .await
        .expect_err("upgrade must be rejected");
    match error {
        tokio_tungstenite::tungstenite::Error::Http(response) => {
            assert_eq!(response.status().as_u16(), 400);
        }
        other => panic!("expected an HTTP error, got {other:?}"),
    }
}

#[tokio::test]
async fn malformed_frame_closes_1007() {
    let server = TestServer::start().await;
    let mut client = server.connect("r1").await;

    client.send_raw(WsMessage::Text("not json".into())).await;
    let close = client.expect_close().await;

    assert_eq!(close.code, CloseCode::Invalid);
}

#[tokio::test]
async fn oversized_frame_closes_1009() {
    let server = TestServer::start().await;
    let mut client = server.connect("r1").await;

    let body = "x".repeat(64 * 1024 + 1);
    client.send_raw(WsMessage::Text(body.into())).await;
    let close = client.expect_close().await;

    assert_eq!(close.code, CloseCode::Size);
}

#[tokio::test]
async fn push_to_unjoined_topic_is_unmatched() {
    let server = TestServer::start().await;
    let mut client = server.connect("r1").await;

    let payload = json!({"client_id": "c1", "kind": "text", "body": "hi"});
    let msg_ref = client.push(Some("9"), "ride:1", "msg:new", payload).await;
    let (status, response) = client.reply_to(&msg_ref).await;

    assert_eq!(status, "error");
    assert_eq!(response, json!({"reason": "unmatched topic"}));
}

#[tokio::test]
async fn rejoin_closes_old_channel() {
    let server = TestServer::start().await;
    let mut client = server.connect("r1").await;
    let (first_ref, _) = client.join_ok("ride:1", json!({})).await;

    let second_ref = client.next_ref();
    let join = ridechat_core::wire::Frame::json(
        Some(second_ref.clone()),
        Some(second_ref.clone()),
        "ride:1",
        "phx_join",
        json!({}),
    );
    client.send_frame(&join).await;

    let close = client.recv().await;
    assert_eq!(close.event, "phx_close");
    assert_eq!(close.join_ref.as_deref(), Some(first_ref.as_str()));
    let (status, _) = client.reply_to(&second_ref).await;
    assert_eq!(status, "ok");

    // A push with the old join_ref is stale: ignored, with no reply.
    let payload = json!({"client_id": "stale-1", "kind": "text", "body": "old"});
    client
        .push(Some(&first_ref), "ride:1", "msg:new", payload)
        .await;
    client.expect_nothing_queued().await;
    let message = client
        .send_text(&second_ref, "ride:1", "fresh-1", "new")
        .await;
    assert_eq!(message["seq"], json!(1));
}

#[tokio::test]
async fn stop_closes_open_sockets() {
    let server = TestServer::start().await;
    let mut client = server.connect("r1").await;
    client.join_ok("ride:1", json!({})).await;

    server.server.stop().await.expect("server stops");
    let close = client.expect_close().await;

    assert_eq!(close.code, CloseCode::Away);
}

#[tokio::test]
async fn client_close_gets_close_reply() {
    let server = TestServer::start().await;
    let mut client = server.connect("r1").await;

    client.ws.close(None).await.expect("close frame sent");

    let mut answered = None;
    while let Some(message) = client.ws.next().await {
        match message {
            Ok(WsMessage::Close(frame)) => {
                answered = Some(frame.map(|frame| frame.code));
                break;
            }
            Ok(_) => continue,
            Err(error) => panic!("the socket failed before the close reply: {error}"),
        }
    }
    assert!(
        answered.is_some(),
        "the server must answer the client's close frame"
    );
}
