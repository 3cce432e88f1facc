//! The inbox, receipts, rejected joins and the connection state, inside the
//! session.

mod session_harness;

use futures::executor::block_on;
use ridechat_core::chat::{ErrorReason, RideState};
use ridechat_core::local::DeliveryStatus;
use ridechat_core::session::{ConnectionState, Input, Update};
use ridechat_core::store::Store;
use serde_json::json;
use session_harness::{Harness, PEER, RIDE, USER};

const INBOX: &str = "inbox:r1";

fn last_conversations(harness: &Harness) -> Vec<(String, RideState)> {
    harness
        .updates
        .iter()
        .rev()
        .find_map(|update| match update {
            Update::Conversations(list) => Some(
                list.iter()
                    .map(|conversation| (conversation.topic.clone(), conversation.state))
                    .collect(),
            ),
            _ => None,
        })
        .unwrap_or_default()
}

#[test]
fn upsert_joins_new_ride() {
    let mut harness = Harness::online();
    harness.server.rides.insert("ride:3".to_owned(), Vec::new());
    harness.server.post_from_peer("ride:3", "p1", "hi");
    let conversation = harness.server.conversation("ride:3");
    let push = harness
        .server
        .push_frame(
            INBOX,
            "conversation:upsert",
            json!({ "conversation": conversation }),
        )
        .expect("the tab joined the inbox");
    harness.deliver(push);

    let listed: Vec<String> = last_conversations(&harness)
        .into_iter()
        .map(|(topic, _)| topic)
        .collect();
    assert_eq!(listed, vec![RIDE.to_owned(), "ride:3".to_owned()]);
    assert!(
        harness
            .server
            .join_requests
            .contains(&("ride:3".to_owned(), 0))
    );
    assert_eq!(harness.stored_bodies("ride:3"), vec!["hi"]);
}

#[test]
fn closed_conversation_stays_readable() {
    let mut harness = Harness::online();
    let push = harness
        .server
        .push_frame(INBOX, "conversation:closed", json!({ "topic": RIDE }))
        .expect("the tab joined the inbox");
    harness.deliver(push);

    assert_eq!(
        last_conversations(&harness),
        vec![(RIDE.to_owned(), RideState::Closed)]
    );
    let stored = block_on(harness.store.load_conversations()).expect("memory reads succeed");
    assert_eq!(stored[0].state, RideState::Closed);

    let broadcast = harness.server.post_from_peer(RIDE, "p1", "thanks");
    harness.deliver(broadcast.expect("the ride stays joined"));
    assert_eq!(harness.stored_bodies(RIDE), vec!["thanks"]);
}

#[test]
fn peer_receipts_raise_status() {
    let mut harness = Harness::online();
    harness.send("a", "c1");
    harness.send("b", "c2");

    let delivered = json!({ "user_id": PEER, "delivered_seq": 2, "read_seq": 1 });
    let frame = harness.server.push_frame(RIDE, "receipt", delivered);
    harness.deliver(frame.expect("the tab joined the ride"));

    assert_eq!(harness.shown_status("c1"), Some(DeliveryStatus::Read));
    assert_eq!(harness.shown_status("c2"), Some(DeliveryStatus::Delivered));
    let stored = harness.stored(RIDE);
    assert_eq!(stored[0].status, DeliveryStatus::Read);
    assert_eq!(stored[1].status, DeliveryStatus::Delivered);
}

#[test]
fn own_receipts_change_nothing() {
    let mut harness = Harness::online();
    harness.send("a", "c1");
    let own = json!({ "user_id": USER, "delivered_seq": 1, "read_seq": 1 });
    let frame = harness.server.push_frame(RIDE, "receipt", own);
    harness.deliver(frame.expect("the tab joined the ride"));

    assert_eq!(harness.shown_status("c1"), Some(DeliveryStatus::Sent));
}

#[test]
fn rejoin_keeps_read_status() {
    let mut harness = Harness::online();
    harness.send("a", "c1");
    let read = json!({ "user_id": PEER, "delivered_seq": 1, "read_seq": 1 });
    let frame = harness.server.push_frame(RIDE, "receipt", read);
    harness.deliver(frame.expect("the tab joined the ride"));
    harness.reload();

    assert_eq!(harness.stored(RIDE)[0].status, DeliveryStatus::Read);
}

#[test]
fn rejected_join_fails_queued_messages() {
    let mut harness = Harness::offline();
    harness.send_to("ride:9", "hello", "c1");
    harness.restore();

    let failed = DeliveryStatus::Failed {
        reason: ErrorReason::NotFound,
        detail: Some("no such ride".to_owned()),
    };
    assert_eq!(harness.shown_status("c1"), Some(failed));
    assert!(
        harness
            .errors()
            .iter()
            .any(|error| error.contains("not_found"))
    );
    assert_eq!(harness.outbox_len(), 0);

    harness.server.rides.insert("ride:9".to_owned(), Vec::new());
    harness.input(Input::Retry {
        client_id: "c1".to_owned(),
    });
    assert_eq!(harness.shown_status("c1"), Some(DeliveryStatus::Sent));
    assert_eq!(harness.server_bodies("ride:9"), vec!["hello"]);
}

#[test]
fn connection_states_follow_socket() {
    let mut harness = Harness::offline();
    assert_eq!(
        harness.last_connection(),
        Some((ConnectionState::Offline, 0))
    );

    harness.restore();
    assert_eq!(
        harness.last_connection(),
        Some((ConnectionState::Online, 0))
    );

    harness.cut();
    assert_eq!(
        harness.last_connection(),
        Some((ConnectionState::Connecting, 0))
    );

    harness.send("hello", "c1");
    assert_eq!(
        harness.last_connection(),
        Some((ConnectionState::Connecting, 1))
    );

    harness.advance(10);
    assert_eq!(
        harness.last_connection(),
        Some((ConnectionState::Offline, 1))
    );
}

#[test]
fn stored_messages_pushed_as_delivered() {
    let mut harness = Harness::online();
    assert!(harness.server.receipts.is_empty(), "nothing stored yet");

    let broadcast = harness.server.post_from_peer(RIDE, "p1", "hello");
    harness.deliver(broadcast.expect("the tab joined the ride"));
    assert_eq!(harness.server.receipts, vec![(RIDE.to_owned(), 1)]);

    harness.reload();
    assert_eq!(
        harness.server.receipts.last(),
        Some(&(RIDE.to_owned(), 1)),
        "each join pushes the watermark again"
    );
}

#[test]
fn delivered_waits_for_gap_fill() {
    let mut harness = Harness::online();
    harness.server.post_from_peer(RIDE, "p1", "one");
    let second = harness.server.post_from_peer(RIDE, "p2", "two");
    harness.deliver(second.expect("the tab joined the ride"));

    // The broadcast of seq 2 exposed a gap; the history page filled it, and
    // only then is seq 2 reported delivered.
    assert_eq!(harness.server.history_requests.len(), 1);
    assert_eq!(harness.server.receipts, vec![(RIDE.to_owned(), 2)]);
}
