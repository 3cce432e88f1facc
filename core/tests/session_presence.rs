//! Read receipts and typing indicators inside the session, under virtual
//! time: bubbles on screen become a `read_seq` watermark, keystrokes become
//! throttled `typing` pushes, and a peer's `typing` shows until it expires.

mod session_harness;

use ridechat_core::local::DeliveryStatus;
use ridechat_core::session::{Input, Update};
use serde_json::json;
use session_harness::{Harness, PEER, RIDE, USER};

fn on_screen(harness: &mut Harness, seq: u64, on_screen: bool) {
    harness.input(Input::BubbleOnScreen {
        topic: RIDE.to_owned(),
        seq,
        on_screen,
    });
}

fn page_visible(harness: &mut Harness, visible: bool) {
    harness.input(Input::PageVisible { visible });
}

fn typed(harness: &mut Harness) {
    harness.input(Input::Typed {
        topic: RIDE.to_owned(),
    });
}

/// Posts peer messages with seqs counting on from the room's last one.
fn peer_posts(harness: &mut Harness, client_ids: &[&str]) {
    for client_id in client_ids {
        let frame = harness.server.post_from_peer(RIDE, client_id, "hi");
        harness.deliver(frame.expect("the tab joined the ride"));
    }
}

fn read_pushes(harness: &Harness) -> Vec<u64> {
    harness
        .server
        .read_receipts
        .iter()
        .map(|(_, read_seq)| *read_seq)
        .collect()
}

fn typing_pushes(harness: &Harness) -> Vec<bool> {
    harness
        .server
        .typing
        .iter()
        .map(|(_, typing)| *typing)
        .collect()
}

/// Returns every `PeerTyping` update, as `(user_id, typing)`.
fn peer_typing(harness: &Harness) -> Vec<(String, bool)> {
    harness
        .updates
        .iter()
        .filter_map(|update| match update {
            Update::PeerTyping {
                topic,
                user_id,
                typing,
            } if topic == RIDE => Some((user_id.clone(), *typing)),
            _ => None,
        })
        .collect()
}

fn deliver_typing(harness: &mut Harness, user_id: &str, typing: bool) {
    let payload = json!({ "user_id": user_id, "typing": typing });
    let frame = harness.server.push_frame(RIDE, "typing", payload);
    harness.deliver(frame.expect("the tab joined the ride"));
}

#[test]
fn bubble_read_after_dwell() {
    let mut harness = Harness::online();
    peer_posts(&mut harness, &["p1", "p2"]);
    on_screen(&mut harness, 1, true);
    on_screen(&mut harness, 2, true);

    harness.advance(499);
    assert!(read_pushes(&harness).is_empty(), "499 ms is not read");

    harness.advance(1);
    assert_eq!(read_pushes(&harness), [2]);
}

#[test]
fn bubble_leaving_early_stays_unread() {
    let mut harness = Harness::online();
    peer_posts(&mut harness, &["p1"]);
    on_screen(&mut harness, 1, true);
    harness.advance(300);
    on_screen(&mut harness, 1, false);
    harness.advance(5_000);

    assert!(read_pushes(&harness).is_empty());
}

#[test]
fn hidden_page_delays_read() {
    let mut harness = Harness::online();
    peer_posts(&mut harness, &["p1"]);
    page_visible(&mut harness, false);
    on_screen(&mut harness, 1, true);
    harness.advance(5_000);
    assert!(read_pushes(&harness).is_empty(), "the page was hidden");

    page_visible(&mut harness, true);
    harness.advance(499);
    assert!(read_pushes(&harness).is_empty());
    harness.advance(1);
    assert_eq!(read_pushes(&harness), [1]);
}

#[test]
fn watermark_waits_for_skipped_bubble() {
    let mut harness = Harness::online();
    peer_posts(&mut harness, &["p1", "p2"]);
    harness.send("mine", "c3");
    peer_posts(&mut harness, &["p4"]);

    on_screen(&mut harness, 1, true);
    on_screen(&mut harness, 4, true);
    harness.advance(500);
    assert_eq!(read_pushes(&harness), [1], "seq 2 was skipped");

    on_screen(&mut harness, 2, true);
    harness.advance(500);
    // Seq 3 is one's own, so it counts as read.
    assert_eq!(read_pushes(&harness), [1, 4]);
}

#[test]
fn each_watermark_pushed_once() {
    let mut harness = Harness::online();
    peer_posts(&mut harness, &["p1"]);
    on_screen(&mut harness, 1, true);
    harness.advance(500);
    on_screen(&mut harness, 1, false);
    on_screen(&mut harness, 1, true);
    harness.advance(500);
    assert_eq!(read_pushes(&harness), [1]);

    harness.cut();
    harness.restore();
    assert_eq!(
        read_pushes(&harness),
        [1],
        "the join reply holds read_seq 1"
    );
}

#[test]
fn read_while_offline_pushed_on_join() {
    let mut harness = Harness::online();
    peer_posts(&mut harness, &["p1"]);
    harness.cut();
    on_screen(&mut harness, 1, true);
    harness.advance(500);
    assert!(read_pushes(&harness).is_empty());

    harness.restore();
    assert_eq!(read_pushes(&harness), [1]);
}

#[test]
fn read_lowers_unread_count() {
    let mut harness = Harness::online();
    peer_posts(&mut harness, &["p1", "p2"]);
    let mut conversation = harness.server.conversation(RIDE);
    conversation.unread = 2;
    let upsert = json!({ "conversation": conversation });
    let frame = harness
        .server
        .push_frame("inbox:r1", "conversation:upsert", upsert);
    harness.deliver(frame.expect("the tab joined the inbox"));

    on_screen(&mut harness, 1, true);
    harness.advance(500);

    let unread = harness
        .updates
        .iter()
        .rev()
        .find_map(|update| match update {
            Update::Conversations(list) => list
                .iter()
                .find(|conversation| conversation.topic == RIDE)
                .map(|conversation| conversation.unread),
            _ => None,
        });
    assert_eq!(unread, Some(1));
}

#[test]
fn own_message_goes_sent_delivered_read() {
    let mut harness = Harness::online();
    harness.send("a", "c1");
    assert_eq!(harness.shown_status("c1"), Some(DeliveryStatus::Sent));

    let delivered = json!({ "user_id": PEER, "delivered_seq": 1, "read_seq": 0 });
    let frame = harness.server.push_frame(RIDE, "receipt", delivered);
    harness.deliver(frame.expect("the tab joined the ride"));
    assert_eq!(harness.shown_status("c1"), Some(DeliveryStatus::Delivered));

    let read = json!({ "user_id": PEER, "delivered_seq": 1, "read_seq": 1 });
    let frame = harness.server.push_frame(RIDE, "receipt", read);
    harness.deliver(frame.expect("the tab joined the ride"));
    assert_eq!(harness.shown_status("c1"), Some(DeliveryStatus::Read));
    assert_eq!(harness.stored(RIDE)[0].status, DeliveryStatus::Read);
}

#[test]
fn typing_throttled_to_two_seconds() {
    let mut harness = Harness::online();
    for _ in 0..10 {
        typed(&mut harness);
        harness.advance(500);
    }
    // Keystrokes at 0 to 4.5 s: pushes at 0, 2 and 4 s.
    assert_eq!(typing_pushes(&harness), [true, true, true]);

    harness.advance(2_499);
    assert_eq!(typing_pushes(&harness).len(), 3, "idle for 2.999 s");
    harness.advance(1);
    assert_eq!(typing_pushes(&harness), [true, true, true, false]);
}

#[test]
fn send_stops_typing() {
    let mut harness = Harness::online();
    typed(&mut harness);
    harness.send("hello", "c1");

    assert_eq!(typing_pushes(&harness), [true, false]);
    harness.advance(10_000);
    assert_eq!(typing_pushes(&harness), [true, false], "no idle push");
}

#[test]
fn offline_typing_pushes_nothing() {
    let mut harness = Harness::offline();
    typed(&mut harness);
    harness.send("hello", "c1");
    harness.advance(10_000);

    assert!(typing_pushes(&harness).is_empty());
}

#[test]
fn peer_typing_expires_without_refresh() {
    let mut harness = Harness::online();
    deliver_typing(&mut harness, PEER, true);
    harness.advance(4_000);
    deliver_typing(&mut harness, PEER, true);
    assert_eq!(peer_typing(&harness), [(PEER.to_owned(), true)]);

    harness.advance(4_999);
    assert_eq!(peer_typing(&harness).len(), 1, "refreshed 4.999 s ago");
    harness.advance(1);
    assert_eq!(
        peer_typing(&harness),
        [(PEER.to_owned(), true), (PEER.to_owned(), false)]
    );
}

#[test]
fn peer_typing_false_or_message_hides() {
    let mut harness = Harness::online();
    deliver_typing(&mut harness, PEER, true);
    deliver_typing(&mut harness, PEER, false);
    deliver_typing(&mut harness, PEER, true);
    peer_posts(&mut harness, &["p1"]);

    let shown: Vec<bool> = peer_typing(&harness)
        .into_iter()
        .map(|(_, typing)| typing)
        .collect();
    assert_eq!(shown, [true, false, true, false]);
}

#[test]
fn own_typing_broadcast_ignored() {
    let mut harness = Harness::online();
    deliver_typing(&mut harness, USER, true);

    assert!(peer_typing(&harness).is_empty());
}
