//! Several tabs of one user: two sessions over one `MemoryStore`, where only
//! the tab with the flusher role pushes the outbox, and the role moves to
//! another tab when its holder closes.
//!
//! Each tab has its own socket and, in this harness, its own model server,
//! so "pushed by a tab" is "received by that tab's server".

mod session_harness;

use ridechat_core::local::DeliveryStatus;
use ridechat_core::session::{ChatSession, Input, Update};
use ridechat_core::store::MemoryStore;
use session_harness::{Harness, ModelServer, RIDE, USER, client_ids, settings};

/// Starts a tab over `store`, online, with or without the flusher role.
fn tab(store: &MemoryStore, flusher: bool, seed: u64) -> Harness {
    let mut harness = Harness::with_store(store.clone(), ModelServer::new(), seed);
    if !flusher {
        harness.session = ChatSession::new(USER.to_owned(), store.clone(), settings(), seed)
            .without_flusher_role();
    }
    harness.start();
    harness
}

/// Delivers the store changes `from` made to `to`, as the broadcast channel
/// does. Returns the topics relayed.
fn relay(from: &mut Harness, to: &mut Harness) -> Vec<String> {
    let topics = from.session.take_shared_changes();
    for topic in &topics {
        to.input(Input::PeerTabChanged {
            topic: topic.clone(),
        });
    }
    topics
}

/// Returns the latest status a tab shows for `client_id` in `RIDE`, from a
/// single upsert or a whole room load. Returns `None` when it is not shown.
fn shown(harness: &Harness, client_id: &str) -> Option<DeliveryStatus> {
    let latest = harness
        .updates
        .iter()
        .rev()
        .find_map(|update| match update {
            Update::MessageUpserted { message } if message.client_id == client_id => {
                Some(Some(message.status.clone()))
            }
            Update::MessageRemoved {
                client_id: removed, ..
            } if removed == client_id => Some(None),
            Update::RoomLoaded { topic, messages } if topic == RIDE => Some(
                messages
                    .iter()
                    .find(|message| message.client_id == client_id)
                    .map(|message| message.status.clone()),
            ),
            _ => None,
        });
    latest.flatten()
}

fn pushed_ids(harness: &Harness) -> Vec<String> {
    harness
        .server
        .received_pushes
        .iter()
        .map(|(_, client_id)| client_id.clone())
        .collect()
}

#[test]
fn flusher_pushes_other_tab_send() {
    let store = MemoryStore::new();
    let mut flusher = tab(&store, true, 1);
    let mut other = tab(&store, false, 2);
    assert!(flusher.session.is_flusher());
    assert!(!other.session.is_flusher());

    other.send("from the second tab", "c1");
    assert_eq!(shown(&other, "c1"), Some(DeliveryStatus::Sending));
    assert!(
        pushed_ids(&other).is_empty(),
        "a tab without the role pushed"
    );
    assert_eq!(flusher.outbox_len(), 1, "the send is in the shared store");

    assert_eq!(relay(&mut other, &mut flusher), vec![RIDE.to_owned()]);
    assert_eq!(pushed_ids(&flusher), vec!["c1"]);
    assert_eq!(flusher.server_bodies(RIDE), vec!["from the second tab"]);
    assert_eq!(shown(&flusher, "c1"), Some(DeliveryStatus::Sent));
    assert_eq!(flusher.outbox_len(), 0);

    // The confirmation reaches the sending tab, which shows it as sent.
    relay(&mut flusher, &mut other);
    assert_eq!(shown(&other, "c1"), Some(DeliveryStatus::Sent));
    assert!(pushed_ids(&other).is_empty());
}

#[test]
fn tab_without_role_keeps_queue() {
    let store = MemoryStore::new();
    let mut other = tab(&store, false, 2);
    other.send("a", "c1");
    other.send("b", "c2");
    other.advance(60_000);

    assert!(pushed_ids(&other).is_empty());
    assert_eq!(other.outbox_len(), 2);
    assert_eq!(other.last_connection().map(|(_, queued)| queued), Some(2));
    assert_eq!(shown(&other, "c2"), Some(DeliveryStatus::Sending));
}

#[test]
fn handover_pushes_rest_once() {
    let store = MemoryStore::new();
    let mut first = tab(&store, true, 1);
    let mut second = tab(&store, false, 2);
    first.cut();

    // Both tabs queue, interleaved, while the flusher's link is down.
    for (index, client_id) in ["c1", "c2", "c3", "c4", "c5"].iter().enumerate() {
        let body = format!("m{}", index + 1);
        if index % 2 == 0 {
            first.send(&body, client_id);
            relay(&mut first, &mut second);
        } else {
            second.send(&body, client_id);
            relay(&mut second, &mut first);
        }
    }
    assert!(pushed_ids(&first).is_empty());
    assert!(pushed_ids(&second).is_empty());
    assert_eq!(second.outbox_len(), 5);

    // The first tab closes: its lock is released and the second gets it.
    drop(first);
    second.input(Input::FlusherRole { granted: true });

    assert_eq!(pushed_ids(&second), vec!["c1", "c2", "c3", "c4", "c5"]);
    assert_eq!(
        second.server_bodies(RIDE),
        vec!["m1", "m2", "m3", "m4", "m5"]
    );
    assert_eq!(second.outbox_len(), 0);
    assert_eq!(
        client_ids(&second.stored(RIDE)),
        vec!["c1", "c2", "c3", "c4", "c5"]
    );
    for client_id in ["c1", "c2", "c3", "c4", "c5"] {
        assert_eq!(shown(&second, client_id), Some(DeliveryStatus::Sent));
    }

    // A second grant pushes nothing again.
    second.input(Input::FlusherRole { granted: true });
    assert_eq!(pushed_ids(&second).len(), 5);
}

#[test]
fn revoked_tab_stops_pushing() {
    let store = MemoryStore::new();
    let mut harness = tab(&store, true, 1);
    harness.input(Input::FlusherRole { granted: false });
    assert!(!harness.session.is_flusher());

    harness.send("later", "c1");
    harness.advance(60_000);
    assert!(pushed_ids(&harness).is_empty());

    harness.input(Input::FlusherRole { granted: true });
    assert_eq!(pushed_ids(&harness), vec!["c1"]);
    assert_eq!(shown(&harness, "c1"), Some(DeliveryStatus::Sent));
}

#[test]
fn delete_reaches_other_tab() {
    let store = MemoryStore::new();
    let mut flusher = tab(&store, true, 1);
    let mut other = tab(&store, false, 2);
    flusher
        .server
        .reject
        .insert("c1".to_owned(), ridechat_core::chat::ErrorReason::TooLong);

    other.send("rejected", "c1");
    relay(&mut other, &mut flusher);
    assert!(matches!(
        shown(&flusher, "c1"),
        Some(DeliveryStatus::Failed { .. })
    ));
    relay(&mut flusher, &mut other);
    assert!(matches!(
        shown(&other, "c1"),
        Some(DeliveryStatus::Failed { .. })
    ));

    other.input(Input::Delete {
        client_id: "c1".to_owned(),
    });
    relay(&mut other, &mut flusher);
    assert_eq!(shown(&flusher, "c1"), None);
    assert!(flusher.stored(RIDE).is_empty());
}

#[test]
fn shared_changes_taken_once() {
    let store = MemoryStore::new();
    let mut other = tab(&store, false, 2);
    other.send("a", "c1");
    other.send("b", "c2");
    assert_eq!(other.session.take_shared_changes(), vec![RIDE.to_owned()]);
    assert!(other.session.take_shared_changes().is_empty());
}

#[test]
fn three_tabs_online_together_push_once() {
    let store = MemoryStore::new();
    let mut tabs = [
        tab(&store, true, 1),
        tab(&store, false, 2),
        tab(&store, false, 3),
    ];
    for tab in &mut tabs {
        tab.cut();
    }

    // Ten messages queue in turn from the three tabs while all are offline,
    // and every tab is notified of each change.
    let client_ids: Vec<String> = (1..=10).map(|index| format!("c{index}")).collect();
    for (index, client_id) in client_ids.iter().enumerate() {
        let sender = index % tabs.len();
        tabs[sender].send(&format!("m{}", index + 1), client_id);
        let topics = tabs[sender].session.take_shared_changes();
        for (other, tab) in tabs.iter_mut().enumerate() {
            if other == sender {
                continue;
            }
            for topic in &topics {
                tab.input(Input::PeerTabChanged {
                    topic: topic.clone(),
                });
            }
        }
    }
    assert_eq!(tabs[0].outbox_len(), 10);

    // All three come back online at once. The tabs without the role
    // reconnect first, so they had every chance to push.
    tabs[2].restore();
    tabs[1].restore();
    tabs[0].restore();

    assert_eq!(
        pushed_ids(&tabs[0]),
        client_ids,
        "the flusher pushes each once"
    );
    assert!(
        pushed_ids(&tabs[1]).is_empty(),
        "a tab without the role pushed"
    );
    assert!(
        pushed_ids(&tabs[2]).is_empty(),
        "a tab without the role pushed"
    );
    assert_eq!(tabs[0].outbox_len(), 0);

    let confirmed = tabs[0].session.take_shared_changes();
    assert_eq!(confirmed, vec![RIDE.to_owned()]);
    for tab in &mut tabs[1..] {
        tab.input(Input::PeerTabChanged {
            topic: RIDE.to_owned(),
        });
        for client_id in &client_ids {
            assert_eq!(
                shown(tab, client_id),
                Some(DeliveryStatus::Sent),
                "{client_id}"
            );
        }
        assert!(pushed_ids(tab).is_empty());
    }
}
