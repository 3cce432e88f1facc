//! The shared store suite, run against the in-memory store.

use futures::executor::block_on;
use ridechat_core::store::{MemoryStore, Store, StoreError, suite};

#[test]
fn memory_store_passes_suite() {
    block_on(suite::run_all(&MemoryStore::new()));
}

#[test]
fn memory_store_passes_each_scenario_alone() {
    block_on(async {
        suite::write_and_read_back(&MemoryStore::new()).await;
        suite::enqueue_writes_message_and_entry(&MemoryStore::new()).await;
        suite::confirm_replaces_pending_row(&MemoryStore::new()).await;
        suite::echo_upsert_does_not_duplicate(&MemoryStore::new()).await;
        suite::server_copy_keeps_later_status(&MemoryStore::new()).await;
        suite::messages_ordered_by_seq_then_order(&MemoryStore::new()).await;
        suite::outbox_ordered_by_order(&MemoryStore::new()).await;
        suite::retry_moves_message_to_end(&MemoryStore::new()).await;
        suite::set_status_and_delete(&MemoryStore::new()).await;
        suite::conversations_upsert_by_topic(&MemoryStore::new()).await;
        suite::meta_round_trips(&MemoryStore::new()).await;
    });
}

#[test]
fn memory_store_clones_share_data() {
    let store = MemoryStore::new();
    let reopened = store.clone();
    block_on(async {
        let (message, entry) = suite::outgoing("ride:1", "c1", "hello", 1);
        store.enqueue(&message, &entry).await.expect("enqueue");
        let loaded = reopened.load_messages("ride:1").await.expect("load");
        assert_eq!(loaded, vec![message]);
    });
}

#[test]
fn memory_store_failed_enqueue_writes_nothing() {
    let store = MemoryStore::new();
    store.set_write_error(Some(StoreError::QuotaExceeded));
    block_on(async {
        let (message, entry) = suite::outgoing("ride:1", "c1", "hello", 1);
        let result = store.enqueue(&message, &entry).await;
        assert_eq!(result, Err(StoreError::QuotaExceeded));
        assert!(
            store
                .load_messages("ride:1")
                .await
                .expect("load")
                .is_empty()
        );
        assert!(store.load_outbox().await.expect("load").is_empty());
    });
}
