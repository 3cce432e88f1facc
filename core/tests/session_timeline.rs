//! Room timelines inside the session: join with last_seq, gap fill with
//! msg:history, broadcasts buffered before the join reply, dedupe by seq.

mod session_harness;

use ridechat_core::local::DeliveryStatus;
use ridechat_core::session::Update;
use ridechat_core::store::MemoryStore;
use session_harness::{Harness, ModelServer, RIDE, USER, client_ids};

fn upserted_client_ids(updates: &[Update]) -> Vec<String> {
    updates
        .iter()
        .filter_map(|update| match update {
            Update::MessageUpserted { message } => Some(message.client_id.clone()),
            _ => None,
        })
        .collect()
}

fn stored_seqs(harness: &Harness) -> Vec<u64> {
    harness
        .stored(RIDE)
        .iter()
        .filter_map(|message| message.seq)
        .collect()
}

#[test]
fn join_reply_messages_stored() {
    let mut server = ModelServer::new();
    server.post_from_peer(RIDE, "p1", "hello");
    server.post_from_peer(RIDE, "p2", "I am outside");
    let mut harness = Harness::with_store(MemoryStore::new(), server, 1);
    harness.start();

    assert_eq!(harness.stored_bodies(RIDE), vec!["hello", "I am outside"]);
    assert_eq!(harness.server.join_requests, vec![(RIDE.to_owned(), 0)]);
    assert!(harness.updates.contains(&Update::RoomJoined {
        topic: RIDE.to_owned()
    }));
}

#[test]
fn rejoin_sends_last_seq() {
    let mut harness = Harness::online();
    harness.send("a", "c1");
    harness.server.post_from_peer(RIDE, "p1", "b");
    harness.cut();
    harness.restore();

    let joins = &harness.server.join_requests;
    assert_eq!(joins.last(), Some(&(RIDE.to_owned(), 1)));
    assert_eq!(stored_seqs(&harness), vec![1, 2]);
}

#[test]
fn reload_joins_with_stored_last_seq() {
    let mut harness = Harness::online();
    harness.send("a", "c1");
    harness.send("b", "c2");
    harness.reload();

    let joins = &harness.server.join_requests;
    assert_eq!(joins.last(), Some(&(RIDE.to_owned(), 2)));
}

#[test]
fn gap_fill_requests_history() {
    let mut harness = Harness::online();
    // Two broadcasts are lost, then a third arrives with seq 3.
    harness.server.post_from_peer(RIDE, "p1", "one");
    harness.server.post_from_peer(RIDE, "p2", "two");
    let third = harness
        .server
        .post_from_peer(RIDE, "p3", "three")
        .expect("the tab joined the ride");
    harness.deliver(third);

    assert_eq!(harness.server.history_requests, vec![(RIDE.to_owned(), 0)]);
    assert_eq!(stored_seqs(&harness), vec![1, 2, 3]);
    assert_eq!(harness.stored_bodies(RIDE), vec!["one", "two", "three"]);

    harness.cut();
    harness.restore();
    let joins = &harness.server.join_requests;
    assert_eq!(
        joins.last(),
        Some(&(RIDE.to_owned(), 3)),
        "the cursor moved over the filled gap"
    );
}

#[test]
fn more_in_join_reply_fetches_pages() {
    let mut server = ModelServer::new();
    for index in 1..=250 {
        server.post_from_peer(RIDE, &format!("p{index}"), &format!("message {index}"));
    }
    let mut harness = Harness::with_store(MemoryStore::new(), server, 1);
    harness.start();

    let afters: Vec<u64> = harness
        .server
        .history_requests
        .iter()
        .map(|(_, after)| *after)
        .collect();
    assert_eq!(afters, vec![0, 100, 250]);
    assert_eq!(stored_seqs(&harness), (1..=250).collect::<Vec<u64>>());
}

#[test]
fn broadcast_before_join_reply_buffered() {
    let mut server = ModelServer::new();
    server.post_from_peer(RIDE, "p1", "one");
    let mut harness = Harness::with_store(MemoryStore::new(), server, 1);
    harness.start();
    harness.cut();
    harness.updates.clear();

    harness.auto_server = false;
    harness.restore();
    let joins: Vec<_> = harness
        .take_sent()
        .into_iter()
        .filter(|frame| frame.event == "phx_join")
        .collect();
    assert_eq!(joins.len(), 2, "inbox and ride joins: {joins:?}");

    harness.server.post_from_peer(RIDE, "p2", "two");
    let mut replies = Vec::new();
    for join in &joins {
        replies.extend(harness.server.receive(USER, join));
    }
    let broadcast = harness
        .server
        .post_from_peer(RIDE, "p3", "three")
        .expect("the server joined the ride");
    harness.deliver(broadcast);
    for reply in replies {
        harness.deliver(reply);
    }

    assert!(
        harness.server.history_requests.is_empty(),
        "the buffered broadcast follows the join reply without a gap"
    );
    assert_eq!(stored_seqs(&harness), vec![1, 2, 3]);
    let shown = upserted_client_ids(&harness.updates);
    assert_eq!(
        shown,
        vec!["p2", "p3"],
        "the reply is applied before the broadcast"
    );
}

#[test]
fn dedupe_by_seq() {
    let mut harness = Harness::online();
    let broadcast = harness
        .server
        .post_from_peer(RIDE, "p1", "hello")
        .expect("the tab joined the ride");
    harness.deliver(broadcast.clone());
    harness.deliver(broadcast);

    assert_eq!(stored_seqs(&harness), vec![1]);
    assert_eq!(upserted_client_ids(&harness.updates), vec!["p1"]);
}

#[test]
fn own_echo_merged_by_client_id() {
    let mut harness = Harness::online();
    harness.send("same", "c1");
    harness.send("same", "c2");

    let stored = harness.stored(RIDE);
    assert_eq!(client_ids(&stored), vec!["c1", "c2"]);
    assert_eq!(stored[0].seq, Some(1));
    assert_eq!(stored[1].seq, Some(2));
    for message in &stored {
        assert_eq!(message.status, DeliveryStatus::Sent);
    }
}

#[test]
fn echo_before_reply_confirms_message() {
    let mut harness = Harness::online();
    harness.auto_server = false;
    harness.send("hello", "c1");
    let push = harness.take_sent().pop().expect("the message was pushed");

    let frames = harness.server.receive(USER, &push);
    assert_eq!(frames.len(), 2, "a reply and a broadcast");
    harness.deliver(frames[1].clone());
    assert_eq!(harness.shown_status("c1"), Some(DeliveryStatus::Sent));
    assert_eq!(harness.outbox_len(), 0);

    harness.deliver(frames[0].clone());
    assert_eq!(harness.stored(RIDE).len(), 1);
    assert_eq!(upserted_client_ids(&harness.updates), vec!["c1", "c1"]);
}

#[test]
fn inbox_lists_conversations() {
    let mut server = ModelServer::new();
    server.rides.insert("ride:2".to_owned(), Vec::new());
    server.post_from_peer("ride:2", "p1", "hi");
    let mut harness = Harness::with_store(MemoryStore::new(), server, 1);
    harness.start();

    let listed = harness
        .updates
        .iter()
        .rev()
        .find_map(|update| match update {
            Update::Conversations(conversations) => Some(
                conversations
                    .iter()
                    .map(|conversation| conversation.topic.clone())
                    .collect::<Vec<_>>(),
            ),
            _ => None,
        });
    assert_eq!(listed, Some(vec![RIDE.to_owned(), "ride:2".to_owned()]));
    assert_eq!(harness.stored_bodies("ride:2"), vec!["hi"]);
}
