//! Room timelines inside the session: join with last_seq, gap fill with
//! msg:history, broadcasts buffered before the join reply, dedupe by seq.

mod session_harness;

use ridechat_core::local::DeliveryStatus;
use ridechat_core::session::{ConnectionState, Input, Update};
use ridechat_core::store::{MemoryStore, StoreError};
use ridechat_core::time::Instant;
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

/// Starts an online tab of a user with ten rides, all joined.
fn ten_joined_rides() -> (Harness, Vec<String>) {
    let mut server = ModelServer::new();
    server.rides.clear();
    let topics: Vec<String> = (1..=10).map(|ride| format!("ride:{ride}")).collect();
    for topic in &topics {
        server.rides.insert(topic.clone(), Vec::new());
    }
    let mut harness = Harness::with_store(MemoryStore::new(), server, 1);
    harness.start();
    assert_eq!(
        harness.server.join_requests.len(),
        topics.len(),
        "every ride joins once at start"
    );
    (harness, topics)
}

/// Posts one message from the peer in every ride and delivers each
/// broadcast, which is lost while the link is down.
fn peer_writes_everywhere(harness: &mut Harness, topics: &[String], round: u32) {
    for (index, topic) in topics.iter().enumerate() {
        let client_id = format!("p{round}r{index}");
        let body = format!("round {round} in {topic}");
        if let Some(broadcast) = harness.server.post_from_peer(topic, &client_id, &body) {
            harness.deliver(broadcast);
        }
    }
}

/// Runs `rounds` of 30 s in a hidden tab. The peer writes in every ride each
/// round, and the timer fires only at each full minute, long after the
/// heartbeat was due.
fn hidden_rounds(harness: &mut Harness, topics: &[String], rounds: std::ops::RangeInclusive<u32>) {
    for round in rounds {
        if round % 2 == 0 {
            harness.late_timer(30_000);
        } else {
            harness.now = Instant(harness.now.0 + 30_000);
        }
        peer_writes_everywhere(harness, topics, round);
    }
}

/// Returns the connection states shown since the updates were last cleared.
fn shown_states(harness: &Harness) -> Vec<ConnectionState> {
    harness
        .updates
        .iter()
        .filter_map(|update| match update {
            Update::Connection { state, .. } => Some(*state),
            _ => None,
        })
        .collect()
}

/// Returns how many times `topic` was joined, rejoins included.
fn joins_of(harness: &Harness, topic: &str) -> usize {
    harness
        .server
        .join_requests
        .iter()
        .filter(|(joined, _)| joined == topic)
        .count()
}

#[test]
fn throttled_timers_keep_link_joined() {
    let (mut harness, topics) = ten_joined_rides();
    harness.input(Input::PageVisible { visible: false });
    harness.updates.clear();

    // Fifteen minutes hidden.
    hidden_rounds(&mut harness, &topics, 1..=30);

    let states = shown_states(&harness);
    assert!(
        states.iter().all(|state| *state == ConnectionState::Online),
        "the link must stay up: {states:?}"
    );
    for topic in &topics {
        assert_eq!(joins_of(&harness, topic), 1, "{topic} was rejoined");
    }
    assert!(
        harness.server.history_requests.is_empty(),
        "no broadcast was missed, so no gap needs history"
    );
    for topic in &topics {
        let seqs: Vec<u64> = harness
            .stored(topic)
            .iter()
            .filter_map(|message| message.seq)
            .collect();
        assert_eq!(seqs, (1..=30).collect::<Vec<u64>>(), "{topic}");
    }
    assert!(harness.errors().is_empty(), "{:?}", harness.errors());
}

#[test]
fn throttled_dead_link_rejoins_from_last_seq() {
    let (mut harness, topics) = ten_joined_rides();
    harness.input(Input::PageVisible { visible: false });

    // Five hidden minutes on a working link.
    hidden_rounds(&mut harness, &topics, 1..=10);
    for topic in &topics {
        assert_eq!(harness.stored(topic).len(), 10, "{topic}");
    }

    // The link stops carrying bytes for five minutes without a close, while
    // the peer goes on writing. Then it carries them again for five more.
    harness.link_up = false;
    hidden_rounds(&mut harness, &topics, 11..=20);
    harness.link_up = true;
    hidden_rounds(&mut harness, &topics, 21..=30);

    for topic in &topics {
        assert_eq!(
            joins_of(&harness, topic),
            2,
            "{topic}: one rejoin after the dead link"
        );
        let rejoin = harness
            .server
            .join_requests
            .iter()
            .rev()
            .find(|(joined, _)| joined == topic);
        assert_eq!(
            rejoin,
            Some(&(topic.clone(), 10)),
            "{topic} rejoins from the last seq stored before the stall"
        );
    }
    for topic in &topics {
        let seqs: Vec<u64> = harness
            .stored(topic)
            .iter()
            .filter_map(|message| message.seq)
            .collect();
        assert_eq!(seqs, (1..=30).collect::<Vec<u64>>(), "{topic}");
        assert_eq!(
            harness.stored_bodies(topic),
            harness.server_bodies(topic),
            "{topic}"
        );
    }
    assert_eq!(
        harness.last_connection(),
        Some((ConnectionState::Online, 0))
    );
}

#[test]
fn idle_close_reconnects_and_fills_gap() {
    let mut harness = Harness::online();
    for (client_id, body) in [("p1", "one"), ("p2", "two")] {
        let broadcast = harness
            .server
            .post_from_peer(RIDE, client_id, body)
            .expect("the tab joined the ride");
        harness.deliver(broadcast);
    }

    // During ten idle minutes, the heartbeats alone keep the link up.
    harness.advance(600_000);
    assert_eq!(
        harness.server.join_requests.len(),
        1,
        "no reconnect while idle"
    );
    harness.updates.clear();

    // A proxy closes the socket with 1006. The peer's message just before
    // is lost with the socket, and one more is written before the reconnect.
    let _lost_broadcast = harness.server.post_from_peer(RIDE, "p3", "three");
    harness.cut();
    harness.server.post_from_peer(RIDE, "p4", "four");

    // The proxy accepts the next connect, and no browser event hints at it.
    harness.link_up = true;
    harness.advance(10);

    assert_eq!(
        harness.server.join_requests.last(),
        Some(&(RIDE.to_owned(), 2)),
        "the rejoin asks for what follows the last stored seq"
    );
    assert_eq!(stored_seqs(&harness), vec![1, 2, 3, 4]);
    assert_eq!(
        harness.stored_bodies(RIDE),
        vec!["one", "two", "three", "four"]
    );
    let states = shown_states(&harness);
    assert!(
        !states.contains(&ConnectionState::Offline),
        "the first reconnect succeeds, so the banner never shows offline: {states:?}"
    );
    assert_eq!(
        harness.last_connection(),
        Some((ConnectionState::Online, 0))
    );
    assert!(harness.errors().is_empty(), "{:?}", harness.errors());
}

#[test]
fn full_store_still_shows_incoming_message() {
    let mut harness = Harness::online();
    harness
        .store
        .set_write_error(Some(StoreError::QuotaExceeded));
    let broadcast = harness
        .server
        .post_from_peer(RIDE, "p1", "are you close?")
        .expect("the tab joined the ride");
    harness.deliver(broadcast);

    assert_eq!(
        upserted_client_ids(&harness.updates),
        vec!["p1"],
        "the message is shown from memory"
    );
    let errors = harness.errors();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("quota"), "{}", errors[0]);
    assert!(harness.stored(RIDE).is_empty());
    assert!(
        harness.server.receipts.is_empty(),
        "a message only in memory is not reported as delivered"
    );

    // Once space is free again, the next start fetches what was not stored.
    harness.store.set_write_error(None);
    harness.reload();
    assert_eq!(harness.stored_bodies(RIDE), vec!["are you close?"]);
    assert_eq!(harness.server.receipts, vec![(RIDE.to_owned(), 1)]);
}

/// Starts an online tab whose store rejects every write as full.
fn tab_with_full_store() -> Harness {
    let harness = Harness::online();
    harness
        .store
        .set_write_error(Some(StoreError::QuotaExceeded));
    harness
}

/// Delivers a message of the peer with `client_id` and `body` to the tab.
fn peer_posts(harness: &mut Harness, client_id: &str, body: &str) {
    let broadcast = harness
        .server
        .post_from_peer(RIDE, client_id, body)
        .expect("the tab joined the ride");
    harness.deliver(broadcast);
}

#[test]
fn unsaved_message_saved_with_next() {
    let mut harness = tab_with_full_store();
    peer_posts(&mut harness, "p1", "are you close?");
    harness.store.set_write_error(None);

    peer_posts(&mut harness, "p2", "I am at the gate");

    assert_eq!(
        harness.stored_bodies(RIDE),
        vec!["are you close?", "I am at the gate"],
        "the unsaved message is saved with the next one"
    );
    assert_eq!(harness.server.receipts, vec![(RIDE.to_owned(), 2)]);
}

#[test]
fn unsaved_message_holds_back_receipt() {
    let mut harness = tab_with_full_store();
    peer_posts(&mut harness, "p1", "are you close?");
    peer_posts(&mut harness, "p2", "I am at the gate");

    assert!(harness.stored(RIDE).is_empty());
    assert!(
        harness.server.receipts.is_empty(),
        "no delivered receipt while nothing is stored"
    );

    // A reload with a working store fetches both again and stores them.
    harness.store.set_write_error(None);
    harness.reload();
    assert_eq!(
        harness.stored_bodies(RIDE),
        vec!["are you close?", "I am at the gate"]
    );
    assert_eq!(harness.server.receipts, vec![(RIDE.to_owned(), 2)]);
}
