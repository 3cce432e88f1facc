//! Storage tests against an in-memory database.

use time::OffsetDateTime;

use ridechat_core::chat::{Peer, Receipt, RideState, Role};

use super::messages::{self, NewText};
use super::{Store, StoreError, conversations, receipts, rides};

fn seeded() -> Store {
    let store = Store::open_in_memory().expect("in-memory store");
    store
        .call_blocking(|connection| {
            for (id, name, role) in [
                ("r1", "Amina", Role::Rider),
                ("d1", "Youssef", Role::Driver),
            ] {
                let user = Peer {
                    id: id.to_owned(),
                    name: name.to_owned(),
                    role,
                };
                rides::insert_user_if_missing(connection, &user)?;
            }
            rides::insert_ride_if_missing(connection, "1", "r1", "d1")?;
            rides::insert_ride_if_missing(connection, "2", "r1", "d1")?;
            Ok::<_, StoreError>(())
        })
        .expect("seed");
    store
}

fn insert(store: &Store, ride_id: &str, sender_id: &str, client_id: &str) -> u64 {
    store
        .call_blocking(|connection| {
            let text = NewText {
                ride_id,
                sender_id,
                client_id,
                body: "hello",
            };
            messages::insert_text(connection, &text, OffsetDateTime::UNIX_EPOCH)
        })
        .expect("insert")
        .seq
}

#[test]
fn seq_counts_per_ride() {
    let store = seeded();
    assert_eq!(insert(&store, "1", "r1", "a"), 1);
    assert_eq!(insert(&store, "1", "d1", "b"), 2);
    assert_eq!(insert(&store, "2", "r1", "c"), 1);
    let ride = store
        .call_blocking(|connection| rides::ride(connection, "1"))
        .expect("read ride")
        .expect("ride exists");
    assert_eq!(ride.last_seq, 2);
}

#[test]
fn duplicate_client_id_is_rejected_and_rolled_back() {
    let store = seeded();
    insert(&store, "1", "r1", "same");
    let result = store.call_blocking(|connection| {
        let text = NewText {
            ride_id: "1",
            sender_id: "r1",
            client_id: "same",
            body: "again",
        };
        messages::insert_text(connection, &text, OffsetDateTime::UNIX_EPOCH)
    });
    assert!(result.is_err());

    let ride = store
        .call_blocking(|connection| rides::ride(connection, "1"))
        .expect("read ride")
        .expect("ride exists");
    assert_eq!(ride.last_seq, 1, "the failed insert must not use a seq");
}

#[test]
fn by_client_id_finds_stored_message() {
    let store = seeded();
    insert(&store, "2", "r1", "c-9");
    let found = store
        .call_blocking(|connection| messages::by_client_id(connection, "r1", "c-9"))
        .expect("query");
    let (ride_id, message) = found.expect("message found");
    assert_eq!(ride_id, "2");
    assert_eq!(message.seq, 1);
    assert_eq!(message.inserted_at, "1970-01-01T00:00:00Z");

    let missing = store
        .call_blocking(|connection| messages::by_client_id(connection, "d1", "c-9"))
        .expect("query");
    assert_eq!(missing, None);
}

#[test]
fn pages_read_in_both_directions() {
    let store = seeded();
    for index in 0..10 {
        insert(&store, "1", "r1", &format!("c{index}"));
    }
    let seqs = |page: messages::Page| -> (Vec<u64>, bool) {
        (page.messages.iter().map(|m| m.seq).collect(), page.more)
    };

    let newest = store
        .call_blocking(|connection| messages::newest_after(connection, "1", 2, 3))
        .expect("newest");
    assert_eq!(seqs(newest), (vec![8, 9, 10], true));

    let all_newer = store
        .call_blocking(|connection| messages::newest_after(connection, "1", 7, 3))
        .expect("newest");
    assert_eq!(seqs(all_newer), (vec![8, 9, 10], false));

    let before = store
        .call_blocking(|connection| messages::before(connection, "1", 8, 3))
        .expect("before");
    assert_eq!(seqs(before), (vec![5, 6, 7], true));

    let first = store
        .call_blocking(|connection| messages::before(connection, "1", 3, 5))
        .expect("before");
    assert_eq!(seqs(first), (vec![1, 2], false));

    let after = store
        .call_blocking(|connection| messages::after(connection, "1", 2, 3))
        .expect("after");
    assert_eq!(seqs(after), (vec![3, 4, 5], true));
}

#[test]
fn receipts_round_trip() {
    let store = seeded();
    let receipt = Receipt {
        delivered_seq: 4,
        read_seq: 2,
    };
    store
        .call_blocking(|connection| receipts::save(connection, "1", "d1", receipt))
        .expect("save");
    let stored = store
        .call_blocking(|connection| receipts::of_user(connection, "1", "d1"))
        .expect("read");
    assert_eq!(stored, receipt);
    let none = store
        .call_blocking(|connection| receipts::of_user(connection, "1", "r1"))
        .expect("read");
    assert_eq!(none, Receipt::default());
}

#[test]
fn conversation_counts_unread_from_peer() {
    let store = seeded();
    insert(&store, "1", "r1", "a");
    insert(&store, "1", "r1", "b");
    insert(&store, "1", "d1", "c");
    store
        .call_blocking(|connection| {
            let receipt = Receipt {
                delivered_seq: 1,
                read_seq: 1,
            };
            receipts::save(connection, "1", "d1", receipt)
        })
        .expect("save");

    let inbox = store
        .call_blocking(|connection| conversations::of_user(connection, "d1"))
        .expect("inbox");
    assert_eq!(inbox.len(), 2);
    let first = &inbox[0];
    assert_eq!(first.topic, "ride:1");
    assert_eq!(first.peer.id, "r1");
    assert_eq!(first.peer.name, "Amina");
    assert_eq!(first.last_seq, 3);
    assert_eq!(first.unread, 1, "only r1's seq 2 is unread for d1");
    assert_eq!(first.last_message.as_ref().map(|m| m.seq), Some(3));
    assert_eq!(first.state, RideState::Active);
}

#[test]
fn closed_ride_stays_closed() {
    let store = seeded();
    let changed = store
        .call_blocking(|connection| rides::close_ride(connection, "1"))
        .expect("close");
    assert!(changed);
    let again = store
        .call_blocking(|connection| rides::close_ride(connection, "1"))
        .expect("close");
    assert!(!again);
    let ride = store
        .call_blocking(|connection| rides::ride(connection, "1"))
        .expect("read")
        .expect("ride exists");
    assert_eq!(ride.state, RideState::Closed);
}

#[test]
fn file_database_survives_reopen() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("nested").join("chat.sqlite3");
    {
        let store = Store::open(&path).expect("open");
        crate::demo::seed(&store).expect("seed");
        insert(&store, "1", "r1", "kept");
    }
    let store = Store::open(&path).expect("reopen");
    let found = store
        .call_blocking(|connection| messages::by_client_id(connection, "r1", "kept"))
        .expect("query");
    assert_eq!(found.map(|(_, message)| message.seq), Some(1));
    let mode: String = store
        .call_blocking(|connection| {
            connection
                .pragma_query_value(None, "journal_mode", |row| row.get(0))
                .map_err(StoreError::from)
        })
        .expect("journal_mode");
    assert_eq!(mode, "wal");
}
