//! Delivery through the outbox: sends offline, resends after reconnects,
//! lost replies, rate limits and permanent rejections, under virtual time.

mod session_harness;

use std::time::Duration;

use ridechat_core::chat::ErrorReason;
use ridechat_core::local::DeliveryStatus;
use ridechat_core::session::{ConnectionState, Input, Update};
use ridechat_core::store::StoreError;
use ridechat_core::wire::Frame;
use session_harness::{Harness, RIDE, client_ids};

#[test]
fn send_offline_shows_sending_then_pushes() {
    let mut harness = Harness::offline();
    harness.send("hello", "c1");

    assert_eq!(harness.shown_status("c1"), Some(DeliveryStatus::Sending));
    assert_eq!(harness.stored(RIDE)[0].status, DeliveryStatus::Sending);
    assert_eq!(harness.outbox_len(), 1);
    assert!(harness.server.received_pushes.is_empty());
    assert_eq!(
        harness.last_connection(),
        Some((ConnectionState::Offline, 1))
    );

    harness.restore();
    assert_eq!(harness.server_bodies(RIDE), vec!["hello"]);
    assert_eq!(harness.shown_status("c1"), Some(DeliveryStatus::Sent));
    let stored = harness.stored(RIDE);
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].seq, Some(1));
    assert_eq!(stored[0].status, DeliveryStatus::Sent);
    assert_eq!(harness.outbox_len(), 0);
    assert_eq!(
        harness.last_connection(),
        Some((ConnectionState::Online, 0))
    );
}

#[test]
fn message_stored_before_it_is_shown() {
    let mut harness = Harness::offline();
    harness.send("hello", "c1");

    let shown = harness
        .updates
        .iter()
        .position(|update| matches!(update, Update::MessageUpserted { .. }));
    assert!(shown.is_some(), "the message must be shown as sending");
    assert_eq!(client_ids(&harness.stored(RIDE)), vec!["c1"]);
}

#[test]
fn pushes_pipelined_in_order() {
    let mut harness = Harness::online();
    harness.auto_server = false;
    harness.send("a", "c1");
    harness.send("b", "c2");
    harness.send("c", "c3");

    let sent = harness.take_sent();
    assert_eq!(Harness::sent_messages(&sent), vec!["c1", "c2", "c3"]);
}

#[test]
fn resend_after_reconnect_in_order() {
    let mut harness = Harness::online();
    harness.auto_server = false;
    harness.send("a", "c1");
    harness.send("b", "c2");
    harness.send("c", "c3");
    harness.take_sent();

    harness.cut();
    harness.auto_server = true;
    harness.restore();

    let pushed: Vec<&str> = harness
        .server
        .received_pushes
        .iter()
        .map(|(_, client_id)| client_id.as_str())
        .collect();
    assert_eq!(pushed, vec!["c1", "c2", "c3"]);
    assert_eq!(harness.server_bodies(RIDE), vec!["a", "b", "c"]);
    assert_eq!(harness.stored_bodies(RIDE), vec!["a", "b", "c"]);
    assert_eq!(harness.outbox_len(), 0);
}

#[test]
fn lost_reply_then_resend_makes_one_message() {
    let mut harness = Harness::online();
    harness.server.lose_replies = true;
    harness.send("on my way", "c1");
    assert_eq!(harness.server_bodies(RIDE), vec!["on my way"]);
    assert_eq!(harness.shown_status("c1"), Some(DeliveryStatus::Sending));

    harness.server.lose_replies = false;
    harness.cut();
    harness.restore();

    assert_eq!(harness.server_bodies(RIDE), vec!["on my way"]);
    let stored = harness.stored(RIDE);
    assert_eq!(stored.len(), 1, "the echo must merge into the pending row");
    assert_eq!(stored[0].seq, Some(1));
    assert_eq!(stored[0].status, DeliveryStatus::Sent);
    assert_eq!(harness.outbox_len(), 0);
}

#[test]
fn push_timeout_on_live_link_resends() {
    let mut harness = Harness::online();
    harness.server.lose_replies = true;
    harness.send("on my way", "c1");
    harness.server.lose_replies = false;

    // Heartbeats keep being answered, so the link stays up: only the push
    // times out (10 s), and the room resends after its pause.
    harness.advance(15_000);

    let pushes = harness.server.received_pushes.len();
    assert_eq!(
        pushes, 2,
        "the message must be pushed again with the same client_id"
    );
    assert_eq!(harness.server_bodies(RIDE), vec!["on my way"]);
    assert_eq!(harness.stored(RIDE).len(), 1);
    assert_eq!(harness.shown_status("c1"), Some(DeliveryStatus::Sent));
}

#[test]
fn push_timeout_never_fails_message() {
    let mut harness = Harness::online();
    harness.server.lose_replies = true;
    harness.send("hello", "c1");
    harness.advance(120_000);

    assert_eq!(harness.shown_status("c1"), Some(DeliveryStatus::Sending));
    assert_eq!(harness.outbox_len(), 1);
}

#[test]
fn rate_limited_resends_in_order() {
    let mut harness = Harness::online();
    harness.server.rate_limited = true;
    harness.send("a", "c1");
    harness.send("b", "c2");
    harness.send("c", "c3");

    assert!(harness.server_bodies(RIDE).is_empty());
    for client_id in ["c1", "c2", "c3"] {
        assert_eq!(
            harness.shown_status(client_id),
            Some(DeliveryStatus::Sending)
        );
    }
    assert_eq!(harness.outbox_len(), 3);

    harness.server.rate_limited = false;
    harness.advance(1_000);

    assert_eq!(harness.server_bodies(RIDE), vec!["a", "b", "c"]);
    let pushed: Vec<&str> = harness
        .server
        .received_pushes
        .iter()
        .map(|(_, client_id)| client_id.as_str())
        .collect();
    // The reply to c1 arrives before c2 is sent, so the paused room holds c2
    // and c3 until the pause ends.
    assert_eq!(pushed, vec!["c1", "c1", "c2", "c3"]);
    assert_eq!(harness.outbox_len(), 0);
}

#[test]
fn rate_limited_pause_grows() {
    let mut harness = Harness::online();
    harness.server.rate_limited = true;
    harness.send("a", "c1");
    harness.advance(1_000);
    assert_eq!(
        harness.server.received_pushes.len(),
        2,
        "first resend after 1 s"
    );

    harness.advance(1_999);
    assert_eq!(
        harness.server.received_pushes.len(),
        2,
        "second pause is 2 s"
    );
    harness.advance(1);
    assert_eq!(harness.server.received_pushes.len(), 3);
}

#[test]
fn permanent_failure_marks_only_that_message() {
    let mut harness = Harness::online();
    harness
        .server
        .reject
        .insert("c2".to_owned(), ErrorReason::Invalid);
    harness.send("same", "c1");
    harness.send("same", "c2");
    harness.send("same", "c3");

    assert_eq!(harness.shown_status("c1"), Some(DeliveryStatus::Sent));
    assert_eq!(harness.shown_status("c3"), Some(DeliveryStatus::Sent));
    let failed = DeliveryStatus::Failed {
        reason: ErrorReason::Invalid,
        detail: Some("rejected by the test".to_owned()),
    };
    assert_eq!(harness.shown_status("c2"), Some(failed.clone()));

    let stored = harness.stored(RIDE);
    assert_eq!(client_ids(&stored), vec!["c1", "c3", "c2"]);
    assert_eq!(stored[2].status, failed);
    assert_eq!(harness.outbox_len(), 0);
    assert_eq!(harness.server_bodies(RIDE), vec!["same", "same"]);
}

#[test]
fn retry_resends_failed_message() {
    let mut harness = Harness::online();
    harness
        .server
        .reject
        .insert("c1".to_owned(), ErrorReason::Closed);
    harness.send("hello", "c1");
    harness.server.reject.clear();

    harness.input(Input::Retry {
        client_id: "c1".to_owned(),
    });

    assert_eq!(harness.shown_status("c1"), Some(DeliveryStatus::Sent));
    let pushed: Vec<&str> = harness
        .server
        .received_pushes
        .iter()
        .map(|(_, client_id)| client_id.as_str())
        .collect();
    assert_eq!(pushed, vec!["c1", "c1"], "a retry keeps the client_id");
    assert_eq!(harness.stored(RIDE).len(), 1);
}

#[test]
fn retry_of_pending_message_is_rejected() {
    let mut harness = Harness::offline();
    harness.send("hello", "c1");
    harness.input(Input::Retry {
        client_id: "c1".to_owned(),
    });

    assert_eq!(harness.errors().len(), 1);
    assert!(harness.errors()[0].contains("only a failed message"));
    assert_eq!(harness.outbox_len(), 1);
}

#[test]
fn delete_removes_failed_message() {
    let mut harness = Harness::online();
    harness
        .server
        .reject
        .insert("c1".to_owned(), ErrorReason::TooLong);
    harness.send("hello", "c1");
    harness.input(Input::Delete {
        client_id: "c1".to_owned(),
    });

    assert!(harness.stored(RIDE).is_empty());
    let removed = harness.updates.iter().any(|update| {
        *update
            == Update::MessageRemoved {
                topic: RIDE.to_owned(),
                client_id: "c1".to_owned(),
            }
    });
    assert!(removed);
}

#[test]
fn empty_and_long_bodies_rejected() {
    let mut harness = Harness::offline();
    harness.send("", "c1");
    harness.send(&"é".repeat(4_001), "c2");
    harness.send(&"é".repeat(4_000), "c3");
    harness.send(" \n ", "c4");

    let errors = harness.errors();
    assert_eq!(errors.len(), 3);
    assert!(errors[0].contains("empty"), "{}", errors[0]);
    assert!(errors[1].contains("4001 characters"), "{}", errors[1]);
    assert!(errors[2].contains("empty"), "{}", errors[2]);
    assert_eq!(client_ids(&harness.stored(RIDE)), vec!["c3"]);
    assert_eq!(harness.outbox_len(), 1);
}

#[test]
fn invalid_topic_and_client_id_rejected() {
    let mut harness = Harness::offline();
    harness.send_to("inbox:r1", "hello", "c1");
    harness.send("hello", "not valid");
    harness.send("hello", "c3");
    harness.send("again", "c3");

    assert_eq!(harness.errors().len(), 3);
    assert_eq!(harness.outbox_len(), 1);
}

#[test]
fn store_failure_sends_nothing() {
    let mut harness = Harness::online();
    harness
        .store
        .set_write_error(Some(StoreError::QuotaExceeded));
    harness.send("hello", "c1");

    assert_eq!(harness.errors().len(), 1);
    assert!(
        harness.errors()[0].contains("quota"),
        "{}",
        harness.errors()[0]
    );
    assert!(harness.server.received_pushes.is_empty());
    assert_eq!(harness.shown_status("c1"), None);
}

#[test]
fn reload_resends_stored_outbox() {
    let mut harness = Harness::offline();
    harness.send("a", "c1");
    harness.send("b", "c2");

    harness.link_up = true;
    harness.reload();

    let loaded = harness.updates.iter().find_map(|update| match update {
        Update::RoomLoaded { topic, messages } if topic == RIDE => Some(client_ids(messages)),
        _ => None,
    });
    assert_eq!(loaded, Some(vec!["c1".to_owned(), "c2".to_owned()]));
    assert_eq!(harness.server_bodies(RIDE), vec!["a", "b"]);
    assert_eq!(harness.outbox_len(), 0);
}

#[test]
fn reload_keeps_order_after_failed_message() {
    let mut harness = Harness::online();
    harness
        .server
        .reject
        .insert("c1".to_owned(), ErrorReason::Invalid);
    harness.send("a", "c1");
    harness.cut();
    harness.reload();
    harness.send("b", "c2");

    assert_eq!(client_ids(&harness.stored(RIDE)), vec!["c1", "c2"]);
}

#[test]
fn rate_limited_pipeline_resends_from_first() {
    let mut harness = Harness::online();
    harness.auto_server = false;
    harness.send("a", "c1");
    harness.send("b", "c2");
    harness.send("c", "c3");

    harness.server.rate_limited = true;
    for frame in harness.take_sent() {
        let replies = harness.server.receive(session_harness::USER, &frame);
        for reply in replies {
            harness.deliver(reply);
        }
    }
    harness.server.rate_limited = false;
    harness.auto_server = true;
    harness.advance(1_000);

    assert_eq!(harness.server_bodies(RIDE), vec!["a", "b", "c"]);
    assert_eq!(harness.stored_bodies(RIDE), vec!["a", "b", "c"]);
    assert_eq!(harness.outbox_len(), 0);
}

/// Sends three messages and returns the server's frames for them: replies,
/// echoes and inbox updates, in the order the server sent them.
fn three_answered_sends(harness: &mut Harness) -> Vec<ridechat_core::wire::Frame> {
    harness.auto_server = false;
    for (body, client_id) in [("a", "c1"), ("b", "c2"), ("c", "c3")] {
        harness.send(body, client_id);
    }
    let pushes = harness.take_sent();
    assert_eq!(Harness::sent_messages(&pushes), ["c1", "c2", "c3"]);
    pushes
        .iter()
        .flat_map(|frame| harness.server.receive(session_harness::USER, frame))
        .collect()
}

#[test]
fn batched_replies_confirm_every_message() {
    let mut harness = Harness::online();
    let answers = three_answered_sends(&mut harness);
    harness.deliver_together(&answers);

    assert_eq!(
        harness.outbox_len(),
        0,
        "the batch must empty the stored outbox"
    );
    let stored = harness.stored(RIDE);
    assert_eq!(client_ids(&stored), ["c1", "c2", "c3"]);
    for message in &stored {
        assert_eq!(message.status, DeliveryStatus::Sent, "{message:?}");
        assert!(message.seq.is_some(), "{message:?}");
    }
    assert!(harness.errors().is_empty(), "{:?}", harness.errors());
}

#[test]
fn failed_batch_write_resends_after_reload() {
    let mut harness = Harness::online();
    let answers = three_answered_sends(&mut harness);
    harness
        .store
        .set_write_error(Some(StoreError::QuotaExceeded));
    harness.deliver_together(&answers);

    let errors = harness.errors();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("Could not save"), "{}", errors[0]);
    assert_eq!(
        harness.outbox_len(),
        3,
        "the stored outbox keeps the entries"
    );

    harness.store.set_write_error(None);
    harness.auto_server = true;
    harness.reload();

    assert_eq!(
        harness.server_bodies(RIDE),
        ["a", "b", "c"],
        "one copy each"
    );
    assert_eq!(harness.outbox_len(), 0);
    let statuses: Vec<DeliveryStatus> = harness
        .stored(RIDE)
        .into_iter()
        .map(|message| message.status)
        .collect();
    assert_eq!(statuses, vec![DeliveryStatus::Sent; 3]);
}

/// Returns the client ids of every `msg:new` the server received, in order.
fn pushed_ids(harness: &Harness) -> Vec<String> {
    harness
        .server
        .received_pushes
        .iter()
        .map(|(_, client_id)| client_id.clone())
        .collect()
}

/// Returns the client ids that were ever shown as failed.
fn ever_failed(harness: &Harness) -> Vec<String> {
    harness
        .updates
        .iter()
        .filter_map(|update| match update {
            Update::MessageUpserted { message } if message.status.is_failed() => {
                Some(message.client_id.clone())
            }
            _ => None,
        })
        .collect()
}

#[test]
fn offline_burst_delivered_once_in_order() {
    let mut harness = Harness::online();
    harness.cut();
    let client_ids: Vec<String> = (1..=25).map(|index| format!("c{index}")).collect();
    let bodies: Vec<String> = (1..=25).map(|index| format!("message {index}")).collect();
    for (client_id, body) in client_ids.iter().zip(&bodies) {
        harness.send(body, client_id);
    }

    // A minute offline is far past the 10 s push timeout, and still no
    // message may fail or be dropped.
    harness.advance(60_000);
    assert!(harness.server.received_pushes.is_empty());
    assert_eq!(harness.outbox_len(), 25);
    for client_id in &client_ids {
        assert_eq!(
            harness.shown_status(client_id),
            Some(DeliveryStatus::Sending),
            "{client_id}"
        );
    }
    assert_eq!(
        harness.last_connection(),
        Some((ConnectionState::Offline, 25))
    );

    harness.link_up = true;
    harness.input(Input::ReconnectHint);
    let reconnected_at = harness.now;

    assert_eq!(
        pushed_ids(&harness),
        client_ids,
        "each message is pushed once, in send order"
    );
    assert_eq!(harness.server_bodies(RIDE), bodies);
    assert_eq!(harness.stored_bodies(RIDE), bodies);
    for client_id in &client_ids {
        assert_eq!(
            harness.shown_status(client_id),
            Some(DeliveryStatus::Sent),
            "{client_id}"
        );
    }
    assert!(
        ever_failed(&harness).is_empty(),
        "{:?}",
        ever_failed(&harness)
    );
    assert_eq!(harness.outbox_len(), 0);
    assert_eq!(
        harness.last_connection(),
        Some((ConnectionState::Online, 0))
    );
    // Every push got its reply, so the only timer left is the first
    // heartbeat of the new socket. A push still waiting for its reply would
    // need the timer 3 s after it was sent, for its probe.
    assert_eq!(
        harness.session.next_deadline(),
        Some(reconnected_at.plus(Duration::from_secs(30))),
        "no push may be left waiting for a reply"
    );
}

#[test]
fn stalled_link_keeps_sends_until_recovery() {
    for stall_millis in [20_000, 90_000, 150_000] {
        let mut harness = Harness::online();

        // The link stops carrying bytes in both directions, but nothing
        // closes it, so the browser's WebSocket still looks open.
        harness.link_up = false;
        harness.send("first in the stall", "c1");
        harness.advance(12_999);
        assert_eq!(
            harness.last_connection().map(|(state, _)| state),
            Some(ConnectionState::Online),
            "stall of {stall_millis} ms: the probe at 3 s has not timed out yet"
        );
        harness.advance(1);
        assert_ne!(
            harness.last_connection().map(|(state, _)| state),
            Some(ConnectionState::Online),
            "stall of {stall_millis} ms: probe at 3 s, dead 10 s later"
        );

        harness.send("second in the stall", "c2");
        harness.advance(stall_millis - 13_000);
        for client_id in ["c1", "c2"] {
            assert_eq!(
                harness.shown_status(client_id),
                Some(DeliveryStatus::Sending),
                "stall of {stall_millis} ms: {client_id}"
            );
        }
        assert!(harness.server.received_pushes.is_empty());

        // The link carries bytes again. No browser event announces it, so
        // the reconnect backoff must find it.
        harness.link_up = true;
        harness.advance(5_000);

        assert_eq!(
            harness.server_bodies(RIDE),
            ["first in the stall", "second in the stall"],
            "stall of {stall_millis} ms"
        );
        assert_eq!(harness.shown_status("c1"), Some(DeliveryStatus::Sent));
        assert_eq!(harness.shown_status("c2"), Some(DeliveryStatus::Sent));
        assert!(ever_failed(&harness).is_empty());
        assert_eq!(harness.outbox_len(), 0);
    }
}

#[test]
fn online_hint_probes_stalled_link() {
    let mut harness = Harness::online();
    harness.advance(20_000);
    harness.link_up = false;
    harness.send("hello", "c1");

    // The browser fires `online` although the link is dead. The hint only
    // probes the open socket, and the probe's timeout decides.
    harness.input(Input::ReconnectHint);
    harness.advance(9_999);
    assert_eq!(
        harness.last_connection().map(|(state, _)| state),
        Some(ConnectionState::Online)
    );
    harness.advance(1);
    assert_ne!(
        harness.last_connection().map(|(state, _)| state),
        Some(ConnectionState::Online),
        "the unanswered probe must end the link 10 s after the hint"
    );
    assert_eq!(harness.shown_status("c1"), Some(DeliveryStatus::Sending));

    harness.link_up = true;
    harness.advance(5_000);
    assert_eq!(harness.server_bodies(RIDE), ["hello"]);
    assert_eq!(harness.shown_status("c1"), Some(DeliveryStatus::Sent));
}

#[test]
fn lost_reply_and_user_retry_store_once() {
    let mut harness = Harness::online();
    harness.server.lose_replies = true;
    harness.send("on my way", "c1");
    assert_eq!(harness.server_bodies(RIDE), ["on my way"]);

    // The link drops before the reply. The user presses retry while the
    // outcome is unknown, which must neither fail nor copy the message.
    harness.cut();
    harness.input(Input::Retry {
        client_id: "c1".to_owned(),
    });
    assert_eq!(harness.shown_status("c1"), Some(DeliveryStatus::Sending));
    assert_eq!(harness.outbox_len(), 1);

    harness.server.lose_replies = false;
    harness.restore();
    harness.input(Input::Retry {
        client_id: "c1".to_owned(),
    });

    assert_eq!(
        pushed_ids(&harness),
        ["c1"],
        "the rejoin reply carries the stored copy, which confirms the message"
    );
    assert_eq!(
        harness.server_bodies(RIDE),
        ["on my way"],
        "one row on the server"
    );
    let stored = harness.stored(RIDE);
    assert_eq!(client_ids(&stored), ["c1"], "one bubble on this device");
    assert_eq!(stored[0].seq, Some(1));
    assert_eq!(stored[0].status, DeliveryStatus::Sent);
    assert!(
        ever_failed(&harness).is_empty(),
        "{:?}",
        ever_failed(&harness)
    );
    assert_eq!(harness.outbox_len(), 0);
    assert_eq!(
        harness.errors().len(),
        2,
        "each retry of a message that is not failed is rejected: {:?}",
        harness.errors()
    );
}

#[test]
fn same_text_burst_fails_only_rejected() {
    let mut harness = Harness::online();
    harness
        .server
        .reject
        .insert("c2".to_owned(), ErrorReason::Invalid);
    harness.auto_server = false;

    // Three sends of the same text within one second, from a device clock
    // three minutes ahead of the server's.
    let skew_ms = 180_000.0;
    for client_id in ["c1", "c2", "c3"] {
        harness.input(Input::SendText {
            topic: RIDE.to_owned(),
            body: "I am at the gate".to_owned(),
            client_id: client_id.to_owned(),
            created_at_ms: harness.now.0 as f64 + skew_ms,
        });
        harness.advance(300);
    }
    let pushes = harness.take_sent();
    assert_eq!(Harness::sent_messages(&pushes), ["c1", "c2", "c3"]);

    // The server replies to all three. The echoes of c1 and c3 arrive before
    // any reply, so only their client_id can match them to their rows.
    let answers: Vec<Frame> = pushes
        .iter()
        .flat_map(|frame| harness.server.receive(session_harness::USER, frame))
        .collect();
    let (echoes, replies): (Vec<Frame>, Vec<Frame>) = answers
        .into_iter()
        .partition(|frame| frame.event == "msg:new");
    assert_eq!(echoes.len(), 2, "c2 is rejected, so it has no echo");
    for frame in echoes.into_iter().chain(replies) {
        harness.deliver(frame);
    }

    let failed = DeliveryStatus::Failed {
        reason: ErrorReason::Invalid,
        detail: Some("rejected by the test".to_owned()),
    };
    assert_eq!(harness.shown_status("c1"), Some(DeliveryStatus::Sent));
    assert_eq!(harness.shown_status("c2"), Some(failed));
    assert_eq!(harness.shown_status("c3"), Some(DeliveryStatus::Sent));
    let stored = harness.stored(RIDE);
    assert_eq!(client_ids(&stored), ["c1", "c3", "c2"], "no duplicate rows");
    assert_eq!(stored[0].seq, Some(1));
    assert_eq!(stored[1].seq, Some(2));
    assert_eq!(stored[2].seq, None);
    assert_eq!(harness.outbox_len(), 0);

    // The failed one can be retried, and goes out with its own client_id.
    harness.server.reject.clear();
    harness.auto_server = true;
    harness.input(Input::Retry {
        client_id: "c2".to_owned(),
    });

    assert_eq!(harness.shown_status("c2"), Some(DeliveryStatus::Sent));
    let stored = harness.stored(RIDE);
    assert_eq!(client_ids(&stored), ["c1", "c3", "c2"]);
    let statuses: Vec<DeliveryStatus> = stored.iter().map(|m| m.status.clone()).collect();
    assert_eq!(statuses, vec![DeliveryStatus::Sent; 3]);
    let server_ids: Vec<&str> = harness.server.rides[RIDE]
        .iter()
        .map(|message| message.client_id.as_str())
        .collect();
    assert_eq!(server_ids, ["c1", "c3", "c2"]);
    assert_eq!(harness.outbox_len(), 0);
}
