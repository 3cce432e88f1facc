//! Real-socket tests of the chat contract on `ride:<id>` and `inbox:<id>`.

mod common;

use common::{TestServer, count_messages, insert_messages};
use ridechat_server::serve;
use ridechat_server::settings::Limits;
use serde_json::{Value, json};

fn seqs(messages: &Value) -> Vec<u64> {
    messages
        .as_array()
        .expect("messages is an array")
        .iter()
        .map(|message| message["seq"].as_u64().expect("seq is a number"))
        .collect()
}

#[tokio::test]
async fn same_client_id_stores_once() {
    let server = TestServer::start().await;
    let mut rider = server.connect("r1").await;
    let mut driver = server.connect("d1").await;
    let (rider_ref, _) = rider.join_ok("ride:1", json!({})).await;
    driver.join_ok("ride:1", json!({})).await;

    let first = rider.send_text(&rider_ref, "ride:1", "dup-1", "once").await;
    rider.expect_event("ride:1", "msg:new").await;
    let payload = json!({"client_id": "dup-1", "kind": "text", "body": "changed text"});
    let (status, again) = rider.call(&rider_ref, "ride:1", "msg:new", payload).await;

    assert_eq!(status, "ok");
    assert_eq!(again["message"], first);
    assert_eq!(count_messages(&server, "dup-1"), 1);
    let broadcast = driver.expect_event("ride:1", "msg:new").await;
    assert_eq!(broadcast["message"], first);
    driver.expect_nothing_queued().await;
    rider.expect_nothing_queued().await;
}

#[tokio::test]
async fn join_with_last_seq_returns_newer() {
    let server = TestServer::start().await;
    insert_messages(&server, "1", "r1", 5);
    let mut driver = server.connect("d1").await;

    let (_, response) = driver.join_ok("ride:1", json!({"last_seq": 3})).await;

    assert_eq!(seqs(&response["messages"]), vec![4, 5]);
    assert_eq!(response["more"], json!(false));
}

#[tokio::test]
async fn join_returns_newest_page_with_more() {
    let server = TestServer::start().await;
    insert_messages(&server, "1", "r1", 105);
    let mut driver = server.connect("d1").await;

    let (_, response) = driver.join_ok("ride:1", json!({"last_seq": 0})).await;

    let page = seqs(&response["messages"]);
    assert_eq!(page.len(), 100);
    assert_eq!(page.first(), Some(&6));
    assert_eq!(page.last(), Some(&105));
    assert_eq!(response["more"], json!(true));
}

#[tokio::test]
async fn history_pages_before_and_after() {
    let server = TestServer::start().await;
    insert_messages(&server, "1", "r1", 30);
    let mut driver = server.connect("d1").await;
    let (join_ref, _) = driver.join_ok("ride:1", json!({"last_seq": 30})).await;

    let (status, older) = driver
        .call(
            &join_ref,
            "ride:1",
            "msg:history",
            json!({"before_seq": 11, "limit": 5}),
        )
        .await;
    assert_eq!(status, "ok");
    assert_eq!(seqs(&older["messages"]), vec![6, 7, 8, 9, 10]);
    assert_eq!(older["more"], json!(true));

    let (_, newer) = driver
        .call(
            &join_ref,
            "ride:1",
            "msg:history",
            json!({"after_seq": 27, "limit": 5}),
        )
        .await;
    assert_eq!(seqs(&newer["messages"]), vec![28, 29, 30]);
    assert_eq!(newer["more"], json!(false));

    let (status, error) = driver
        .call(
            &join_ref,
            "ride:1",
            "msg:history",
            json!({"before_seq": 11, "limit": 101}),
        )
        .await;
    assert_eq!(status, "error");
    assert_eq!(error["reason"], json!("invalid"));
}

#[tokio::test]
async fn typing_reaches_peer_and_stops_on_disconnect() {
    let server = TestServer::start().await;
    let mut rider = server.connect("r1").await;
    let mut driver = server.connect("d1").await;
    let (rider_ref, _) = rider.join_ok("ride:1", json!({})).await;
    driver.join_ok("ride:1", json!({})).await;

    let (status, _) = rider
        .call(&rider_ref, "ride:1", "typing", json!({"typing": true}))
        .await;
    assert_eq!(status, "ok");
    let typing = driver.expect_event("ride:1", "typing").await;
    assert_eq!(typing, json!({"user_id": "r1", "typing": true}));
    rider.expect_nothing_queued().await;

    rider.close().await;
    let stopped = driver.expect_event("ride:1", "typing").await;
    assert_eq!(stopped, json!({"user_id": "r1", "typing": false}));
}

#[tokio::test]
async fn receipts_only_move_forward() {
    let server = TestServer::start().await;
    insert_messages(&server, "1", "r1", 4);
    let mut rider = server.connect("r1").await;
    let mut driver = server.connect("d1").await;
    rider.join_ok("ride:1", json!({})).await;
    let (driver_ref, _) = driver.join_ok("ride:1", json!({})).await;

    let (status, reply) = driver
        .call(&driver_ref, "ride:1", "receipt", json!({"read_seq": 3}))
        .await;
    assert_eq!(status, "ok");
    assert_eq!(reply, json!({}));
    let expected = json!({"user_id": "d1", "delivered_seq": 3, "read_seq": 3});
    assert_eq!(rider.expect_event("ride:1", "receipt").await, expected);
    assert_eq!(driver.expect_event("ride:1", "receipt").await, expected);

    let (status, _) = driver
        .call(
            &driver_ref,
            "ride:1",
            "receipt",
            json!({"delivered_seq": 1, "read_seq": 2}),
        )
        .await;
    assert_eq!(status, "ok");
    rider.expect_nothing_queued().await;
    driver.expect_nothing_queued().await;

    driver
        .call(
            &driver_ref,
            "ride:1",
            "receipt",
            json!({"delivered_seq": 99}),
        )
        .await;
    let capped = json!({"user_id": "d1", "delivered_seq": 4, "read_seq": 3});
    assert_eq!(rider.expect_event("ride:1", "receipt").await, capped);

    let mut late = server.connect("r1").await;
    let (_, joined) = late.join_ok("ride:1", json!({"last_seq": 4})).await;
    assert_eq!(
        joined["receipts"]["d1"],
        json!({"delivered_seq": 4, "read_seq": 3})
    );
}

#[tokio::test]
async fn inbox_lists_and_updates_conversations() {
    let server = TestServer::start().await;
    let mut driver = server.connect("d1").await;
    let mut rider = server.connect("r1").await;

    let (_, inbox) = driver.join_ok("inbox:d1", json!({})).await;
    let conversations = inbox["conversations"].as_array().expect("array");
    assert_eq!(conversations.len(), 2);
    assert_eq!(conversations[0]["topic"], json!("ride:1"));
    assert_eq!(conversations[0]["peer"]["name"], json!("Amina"));
    assert_eq!(conversations[0]["unread"], json!(0));

    let (rider_ref, _) = rider.join_ok("ride:1", json!({})).await;
    rider
        .send_text(&rider_ref, "ride:1", "inbox-1", "on my way")
        .await;
    rider.expect_event("ride:1", "msg:new").await;

    let upsert = driver.expect_event("inbox:d1", "conversation:upsert").await;
    let conversation = &upsert["conversation"];
    assert_eq!(conversation["topic"], json!("ride:1"));
    assert_eq!(conversation["last_seq"], json!(1));
    assert_eq!(conversation["unread"], json!(1));
    assert_eq!(conversation["last_message"]["body"], json!("on my way"));

    let (_, status, denied) = rider.join("inbox:d1", json!({})).await;
    assert_eq!(status, "error");
    assert_eq!(denied["reason"], json!("unauthorized"));
}

#[tokio::test]
async fn text_limits_and_unknown_events() {
    let server = TestServer::start().await;
    let mut rider = server.connect("r1").await;
    let (join_ref, _) = rider.join_ok("ride:1", json!({})).await;

    let long = json!({"client_id": "long-1", "kind": "text", "body": "é".repeat(4001)});
    let (status, error) = rider.call(&join_ref, "ride:1", "msg:new", long).await;
    assert_eq!(status, "error");
    assert_eq!(error["reason"], json!("too_long"));

    let exact = json!({"client_id": "exact-1", "kind": "text", "body": "é".repeat(4000)});
    let (status, _) = rider.call(&join_ref, "ride:1", "msg:new", exact).await;
    assert_eq!(status, "ok");
    rider.expect_event("ride:1", "msg:new").await;

    let bad_id = json!({"client_id": "no spaces", "kind": "text", "body": "hi"});
    let (_, error) = rider.call(&join_ref, "ride:1", "msg:new", bad_id).await;
    assert_eq!(error["reason"], json!("invalid"));

    let (status, error) = rider.call(&join_ref, "ride:1", "dance", json!({})).await;
    assert_eq!(status, "error");
    assert_eq!(error["reason"], json!("invalid"));
}

#[tokio::test]
async fn rate_limit_rejects_then_dedupes() {
    let limits = Limits {
        rate_burst: 2,
        rate_per_minute: 1,
        ..Limits::default()
    };
    let server = TestServer::start_with(limits).await;
    let mut rider = server.connect("r1").await;
    let (join_ref, _) = rider.join_ok("ride:1", json!({})).await;

    for client_id in ["rate-1", "rate-2"] {
        rider.send_text(&join_ref, "ride:1", client_id, "hi").await;
        rider.expect_event("ride:1", "msg:new").await;
    }
    let third = json!({"client_id": "rate-3", "kind": "text", "body": "hi"});
    let (status, error) = rider.call(&join_ref, "ride:1", "msg:new", third).await;
    assert_eq!(status, "error");
    assert_eq!(error["reason"], json!("rate_limited"));

    let resend = json!({"client_id": "rate-1", "kind": "text", "body": "hi"});
    let (status, reply) = rider.call(&join_ref, "ride:1", "msg:new", resend).await;
    assert_eq!(status, "ok", "a resend is answered even when rate limited");
    assert_eq!(reply["message"]["seq"], json!(1));
}

#[tokio::test]
async fn closed_ride_rejects_new_messages() {
    let server = TestServer::start().await;
    let mut rider = server.connect("r1").await;
    let (join_ref, _) = rider.join_ok("ride:1", json!({})).await;
    rider.join_ok("inbox:r1", json!({})).await;

    let (status, _, body) =
        common::http_request(server.server.addr, "POST", "/demo/rides/1/close", &[]).await;
    assert_eq!(status, 200, "close failed: {body}");

    let upsert = rider.expect_event("inbox:r1", "conversation:upsert").await;
    assert_eq!(upsert["conversation"]["state"], json!("closed"));
    let closed = rider.expect_event("inbox:r1", "conversation:closed").await;
    assert_eq!(closed, json!({"topic": "ride:1"}));

    let payload = json!({"client_id": "late-1", "kind": "text", "body": "hello?"});
    let (status, error) = rider.call(&join_ref, "ride:1", "msg:new", payload).await;
    assert_eq!(status, "error");
    assert_eq!(error["reason"], json!("closed"));

    let mut reader = server.connect("d1").await;
    let (_, joined) = reader.join_ok("ride:1", json!({})).await;
    assert_eq!(joined["state"], json!("closed"));
}

#[tokio::test]
async fn data_survives_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let first = serve::start(common::options(&dir, common::test_limits()))
        .await
        .expect("first start");
    let server = TestServer { server: first, dir };
    let mut rider = server.connect("r1").await;
    let (join_ref, _) = rider.join_ok("ride:1", json!({})).await;
    let stored = rider
        .send_text(&join_ref, "ride:1", "keep-1", "still here")
        .await;
    let token = server.token("d1");
    let TestServer { server: first, dir } = server;
    first.stop().await.expect("stops");

    let second = serve::start(common::options(&dir, common::test_limits()))
        .await
        .expect("second start");
    let server = TestServer {
        server: second,
        dir,
    };
    let url = server.socket_url(&token);
    let (ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("a token from before the restart still works");
    drop(ws);
    let mut driver = server.connect("d1").await;
    let (_, joined) = driver.join_ok("ride:1", json!({})).await;

    assert_eq!(joined["messages"], json!([stored]));
}

#[tokio::test]
async fn join_during_writes_sees_each_seq_once() {
    const TOTAL: u64 = 60;
    let server = TestServer::start().await;
    let mut writer = server.connect("r1").await;
    let mut reader = server.connect("d1").await;
    let (writer_ref, _) = writer.join_ok("ride:1", json!({})).await;

    let writes = tokio::spawn(async move {
        for index in 0..TOTAL {
            let payload =
                json!({"client_id": format!("race-{index}"), "kind": "text", "body": "x"});
            writer
                .push(Some(&writer_ref), "ride:1", "msg:new", payload)
                .await;
        }
        writer
    });
    let (_, reply) = reader.join_ok("ride:1", json!({"last_seq": 0})).await;
    let mut seen = seqs(&reply["messages"]);
    while seen.last().copied().unwrap_or(0) < TOTAL {
        let broadcast = reader.expect_event("ride:1", "msg:new").await;
        seen.push(broadcast["message"]["seq"].as_u64().expect("seq"));
    }
    let _writer = writes.await.expect("writer task");

    let expected: Vec<u64> = (1..=TOTAL).collect();
    assert_eq!(
        seen, expected,
        "reply then broadcasts cover each seq once, in order"
    );
    reader.expect_nothing_queued().await;
}

#[tokio::test]
async fn rate_limit_holds_later_messages_in_order() {
    let limits = Limits {
        rate_burst: 1,
        rate_per_minute: 60,
        ..Limits::default()
    };
    let server = TestServer::start_with(limits).await;
    let mut rider = server.connect("r1").await;
    let (join_ref, _) = rider.join_ok("ride:1", json!({})).await;

    rider.send_text(&join_ref, "ride:1", "order-1", "one").await;
    rider.expect_event("ride:1", "msg:new").await;
    let second = json!({"client_id": "order-2", "kind": "text", "body": "two"});
    let (status, error) = rider
        .call(&join_ref, "ride:1", "msg:new", second.clone())
        .await;
    assert_eq!(status, "error");
    assert_eq!(error["reason"], json!("rate_limited"));

    // The bucket refills (one token a second), but the third message was pipelined
    // behind the second: storing it first would break the send order.
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let third = json!({"client_id": "order-3", "kind": "text", "body": "three"});
    let (status, error) = rider
        .call(&join_ref, "ride:1", "msg:new", third.clone())
        .await;
    assert_eq!(
        status, "error",
        "a message behind a rate-limited one is held"
    );
    assert_eq!(error["reason"], json!("rate_limited"));

    let (status, reply) = rider.call(&join_ref, "ride:1", "msg:new", second).await;
    assert_eq!(status, "ok");
    assert_eq!(reply["message"]["seq"], json!(2));
    rider.expect_event("ride:1", "msg:new").await;

    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let (status, reply) = rider.call(&join_ref, "ride:1", "msg:new", third).await;
    assert_eq!(status, "ok");
    assert_eq!(reply["message"]["seq"], json!(3));
}
