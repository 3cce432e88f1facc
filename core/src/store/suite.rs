//! The shared test suite of [`Store`] implementations.
//!
//! Each function takes any store, runs one scenario on it and panics with a
//! message that names the rule that broke. Every scenario uses its own topics,
//! client ids and meta keys, so all of them can run on one store, in any
//! order, and [`run_all`] does exactly that. The native tests run the suite
//! against [`super::MemoryStore`]; the browser tests run it against the
//! IndexedDB store.

use crate::chat::{Conversation, ErrorReason, Message, MessageKind, Peer, RideState, Role};
use crate::local::{DeliveryStatus, LocalMessage, OutboxEntry};

use super::{Store, Write};

/// Runs every scenario of the suite on one store.
pub async fn run_all(store: &impl Store) {
    write_and_read_back(store).await;
    enqueue_writes_message_and_entry(store).await;
    confirm_replaces_pending_row(store).await;
    echo_upsert_does_not_duplicate(store).await;
    server_copy_keeps_later_status(store).await;
    messages_ordered_by_seq_then_order(store).await;
    outbox_ordered_by_order(store).await;
    retry_moves_message_to_end(store).await;
    set_status_and_delete(store).await;
    conversations_upsert_by_topic(store).await;
    meta_round_trips(store).await;
    write_all_applies_in_order(store).await;
}

/// Builds a message as the server stores it, with predictable fields.
pub fn stored_message(seq: u64, client_id: &str, sender_id: &str, body: &str) -> Message {
    Message {
        seq,
        id: format!("id-{client_id}"),
        client_id: client_id.to_owned(),
        sender_id: sender_id.to_owned(),
        kind: MessageKind::Text,
        body: Some(body.to_owned()),
        voice: None,
        inserted_at: format!("2026-01-01T00:00:{:02}Z", seq % 60),
    }
}

/// Builds a text message sent from this device and its outbox entry.
pub fn outgoing(
    topic: &str,
    client_id: &str,
    body: &str,
    order: u64,
) -> (LocalMessage, OutboxEntry) {
    let message = LocalMessage::outgoing_text(topic, client_id, "suite-user", body, 1000.0);
    let entry = OutboxEntry {
        client_id: client_id.to_owned(),
        topic: topic.to_owned(),
        order,
        message: message.to_new_message(),
    };
    (message, entry)
}

async fn load(store: &impl Store, topic: &str) -> Vec<LocalMessage> {
    match store.load_messages(topic).await {
        Ok(messages) => messages,
        Err(error) => panic!("load_messages({topic:?}) failed: {error}"),
    }
}

async fn outbox_of(store: &impl Store, topic: &str) -> Vec<OutboxEntry> {
    match store.load_outbox().await {
        Ok(entries) => entries
            .into_iter()
            .filter(|entry| entry.topic == topic)
            .collect(),
        Err(error) => panic!("load_outbox() failed: {error}"),
    }
}

async fn enqueue(store: &impl Store, message: &LocalMessage, entry: &OutboxEntry) {
    if let Err(error) = store.enqueue(message, entry).await {
        panic!("enqueue({:?}) failed: {error}", entry.client_id);
    }
}

async fn save(store: &impl Store, topic: &str, messages: &[Message]) {
    if let Err(error) = store.save_messages(topic, messages).await {
        panic!("save_messages({topic:?}) failed: {error}");
    }
}

async fn confirm(store: &impl Store, topic: &str, message: &Message) {
    if let Err(error) = store.confirm(message, topic).await {
        panic!("confirm({:?}) failed: {error}", message.client_id);
    }
}

fn client_ids(messages: &[LocalMessage]) -> Vec<&str> {
    messages
        .iter()
        .map(|message| message.client_id.as_str())
        .collect()
}

/// Checks that messages saved from the server read back with every field intact.
pub async fn write_and_read_back(store: &impl Store) {
    let topic = "ride:suite-read";
    let message = stored_message(1, "read-1", "peer", "bonjour");
    save(store, topic, std::slice::from_ref(&message)).await;

    let loaded = load(store, topic).await;
    assert_eq!(loaded.len(), 1, "one saved message must load as one row");
    assert_eq!(
        loaded[0],
        LocalMessage::from_stored(topic, &message),
        "a saved message must read back unchanged"
    );
    assert!(
        load(store, "ride:suite-other").await.is_empty(),
        "load_messages must return only the requested topic"
    );
}

/// Checks that enqueue stores the message row and the outbox entry together.
pub async fn enqueue_writes_message_and_entry(store: &impl Store) {
    let topic = "ride:suite-enqueue";
    let (message, entry) = outgoing(topic, "enqueue-1", "on my way", 10);
    enqueue(store, &message, &entry).await;

    assert_eq!(
        load(store, topic).await,
        vec![message],
        "enqueue must store the message row as given"
    );
    assert_eq!(
        outbox_of(store, topic).await,
        vec![entry],
        "enqueue must store the outbox entry as given"
    );
}

/// Checks that confirm removes the outbox entry and turns the pending row into the
/// server's copy, in place.
pub async fn confirm_replaces_pending_row(store: &impl Store) {
    let topic = "ride:suite-confirm";
    let (message, entry) = outgoing(topic, "confirm-1", "at the gate", 20);
    enqueue(store, &message, &entry).await;
    let stored = stored_message(5, "confirm-1", "suite-user", "at the gate");
    confirm(store, topic, &stored).await;

    let loaded = load(store, topic).await;
    assert_eq!(
        loaded.len(),
        1,
        "confirm must update the pending row, not add one"
    );
    assert_eq!(
        loaded[0].seq,
        Some(5),
        "a confirmed row must carry the server's seq"
    );
    assert_eq!(
        loaded[0].status,
        DeliveryStatus::Sent,
        "a confirmed row must be Sent"
    );
    assert_eq!(
        loaded[0].inserted_at.as_deref(),
        Some(stored.inserted_at.as_str()),
        "a confirmed row must carry the server's inserted_at"
    );
    assert_eq!(
        loaded[0].created_at_ms, message.created_at_ms,
        "confirm must keep the device time of the pending row"
    );
    assert!(
        outbox_of(store, topic).await.is_empty(),
        "confirm must remove the outbox entry"
    );
}

/// Checks that the broadcast echo of one's own message, before or after the reply,
/// updates the one row that has its client_id.
pub async fn echo_upsert_does_not_duplicate(store: &impl Store) {
    let topic = "ride:suite-echo";
    let (message, entry) = outgoing(topic, "echo-1", "same text", 30);
    enqueue(store, &message, &entry).await;
    let stored = stored_message(1, "echo-1", "suite-user", "same text");

    save(store, topic, std::slice::from_ref(&stored)).await;
    let loaded = load(store, topic).await;
    assert_eq!(loaded.len(), 1, "an echo must merge into the pending row");
    assert_eq!(loaded[0].seq, Some(1), "an echo must set the seq");
    assert_eq!(
        outbox_of(store, topic).await.len(),
        1,
        "save_messages must leave the outbox to confirm"
    );

    confirm(store, topic, &stored).await;
    save(store, topic, &[stored.clone(), stored]).await;
    let loaded = load(store, topic).await;
    assert_eq!(
        loaded.len(),
        1,
        "repeated echoes must not duplicate the row"
    );
    assert!(
        outbox_of(store, topic).await.is_empty(),
        "confirm must empty the outbox"
    );
}

/// Checks that a late server copy never moves a status back from Delivered or Read.
pub async fn server_copy_keeps_later_status(store: &impl Store) {
    let topic = "ride:suite-status";
    let stored = stored_message(1, "status-1", "suite-user", "hello");
    save(store, topic, std::slice::from_ref(&stored)).await;
    if let Err(error) = store
        .set_status(topic, "status-1", &DeliveryStatus::Read)
        .await
    {
        panic!("set_status failed: {error}");
    }

    save(store, topic, std::slice::from_ref(&stored)).await;
    confirm(store, topic, &stored).await;
    assert_eq!(
        load(store, topic).await[0].status,
        DeliveryStatus::Read,
        "the server's copy must not move Read back to Sent"
    );
}

/// Checks that stored messages load by seq whatever the write order, then the unconfirmed
/// ones by outbox order.
pub async fn messages_ordered_by_seq_then_order(store: &impl Store) {
    let topic = "ride:suite-order";
    let (late, late_entry) = outgoing(topic, "order-pending-b", "second", 41);
    let (early, early_entry) = outgoing(topic, "order-pending-a", "first", 40);
    enqueue(store, &late, &late_entry).await;
    enqueue(store, &early, &early_entry).await;
    save(
        store,
        topic,
        &[
            stored_message(3, "order-3", "peer", "three"),
            stored_message(1, "order-1", "peer", "one"),
        ],
    )
    .await;
    save(store, topic, &[stored_message(2, "order-2", "peer", "two")]).await;

    let loaded = load(store, topic).await;
    assert_eq!(
        client_ids(&loaded),
        vec![
            "order-1",
            "order-2",
            "order-3",
            "order-pending-a",
            "order-pending-b"
        ],
        "messages must load by seq, then unconfirmed ones by outbox order"
    );
}

/// Checks that the outbox loads by order, across rooms.
pub async fn outbox_ordered_by_order(store: &impl Store) {
    let topic = "ride:suite-outbox";
    for (client_id, order) in [("outbox-c", 52), ("outbox-a", 50), ("outbox-b", 51)] {
        let (message, entry) = outgoing(topic, client_id, client_id, order);
        enqueue(store, &message, &entry).await;
    }

    let entries = outbox_of(store, topic).await;
    let ids: Vec<&str> = entries
        .iter()
        .map(|entry| entry.client_id.as_str())
        .collect();
    assert_eq!(
        ids,
        vec!["outbox-a", "outbox-b", "outbox-c"],
        "the outbox must load by order"
    );

    let all = match store.load_outbox().await {
        Ok(all) => all,
        Err(error) => panic!("load_outbox() failed: {error}"),
    };
    assert!(
        all.windows(2).all(|pair| pair[0].order < pair[1].order),
        "the whole outbox must be sorted by ascending order"
    );
}

/// Checks that enqueueing a failed message again replaces its row, re-queues it and moves
/// it after the other pending messages.
pub async fn retry_moves_message_to_end(store: &impl Store) {
    let topic = "ride:suite-retry";
    let (first, first_entry) = outgoing(topic, "retry-1", "same", 60);
    let (second, second_entry) = outgoing(topic, "retry-2", "same", 61);
    enqueue(store, &first, &first_entry).await;
    enqueue(store, &second, &second_entry).await;

    let failed = DeliveryStatus::Failed {
        reason: ErrorReason::Invalid,
        detail: Some("suite".to_owned()),
    };
    if let Err(error) = store.set_status(topic, "retry-1", &failed).await {
        panic!("set_status failed: {error}");
    }
    if let Err(error) = store.remove_from_outbox("retry-1").await {
        panic!("remove_from_outbox failed: {error}");
    }
    let loaded = load(store, topic).await;
    assert_eq!(
        loaded[0].status, failed,
        "set_status must store Failed with its reason"
    );
    assert_eq!(
        client_ids(&loaded),
        vec!["retry-1", "retry-2"],
        "a failed message keeps its place until retried"
    );
    assert_eq!(
        outbox_of(store, topic).await.len(),
        1,
        "the failed entry must leave the outbox"
    );

    let retry_entry = OutboxEntry {
        order: 62,
        ..first_entry
    };
    enqueue(store, &first, &retry_entry).await;
    let loaded = load(store, topic).await;
    assert_eq!(
        client_ids(&loaded),
        vec!["retry-2", "retry-1"],
        "a retried message must move after the pending ones"
    );
    assert_eq!(loaded.len(), 2, "a retry must not duplicate the row");
    assert_eq!(
        loaded[1].status,
        DeliveryStatus::Sending,
        "a retried message must be Sending"
    );
    assert_eq!(
        outbox_of(store, topic).await.len(),
        2,
        "a retry must re-queue the entry"
    );
}

/// Checks that `set_status` and `delete_message` on a missing row do nothing,
/// and that `delete_message` removes the row and its entry.
pub async fn set_status_and_delete(store: &impl Store) {
    let topic = "ride:suite-delete";
    if let Err(error) = store
        .set_status(topic, "delete-missing", &DeliveryStatus::Sent)
        .await
    {
        panic!("set_status on a missing message must succeed and do nothing, got {error}");
    }
    assert!(
        load(store, topic).await.is_empty(),
        "set_status must not create a row"
    );

    let (message, entry) = outgoing(topic, "delete-1", "typo", 70);
    enqueue(store, &message, &entry).await;
    if let Err(error) = store.delete_message(topic, "delete-1").await {
        panic!("delete_message failed: {error}");
    }
    assert!(
        load(store, topic).await.is_empty(),
        "delete_message must remove the row"
    );
    assert!(
        outbox_of(store, topic).await.is_empty(),
        "delete_message must remove the entry"
    );
    if let Err(error) = store.delete_message(topic, "delete-1").await {
        panic!("delete_message of a missing message must succeed, got {error}");
    }
}

fn conversation(topic: &str, last_seq: u64, unread: u64) -> Conversation {
    Conversation {
        topic: topic.to_owned(),
        ride_id: topic.trim_start_matches("ride:").to_owned(),
        peer: Peer {
            id: "d1".to_owned(),
            name: "Youssef".to_owned(),
            role: Role::Driver,
        },
        last_seq,
        last_message: Some(stored_message(last_seq, "conv-last", "d1", "j'arrive")),
        unread,
        state: RideState::Active,
    }
}

/// Checks that conversations upsert by topic and read back intact.
pub async fn conversations_upsert_by_topic(store: &impl Store) {
    let first = conversation("ride:suite-conv-1", 3, 1);
    let second = conversation("ride:suite-conv-2", 9, 0);
    if let Err(error) = store
        .save_conversations(&[first.clone(), second.clone()])
        .await
    {
        panic!("save_conversations failed: {error}");
    }
    let updated = conversation("ride:suite-conv-1", 4, 2);
    if let Err(error) = store
        .save_conversations(std::slice::from_ref(&updated))
        .await
    {
        panic!("save_conversations failed: {error}");
    }

    let loaded = match store.load_conversations().await {
        Ok(loaded) => loaded,
        Err(error) => panic!("load_conversations failed: {error}"),
    };
    let ours: Vec<&Conversation> = loaded
        .iter()
        .filter(|conversation| conversation.topic.starts_with("ride:suite-conv-"))
        .collect();
    assert_eq!(
        ours,
        vec![&updated, &second],
        "conversations must upsert by topic"
    );
}

/// Checks that meta values read back and overwrite, and that a missing key
/// reads as `None`.
pub async fn meta_round_trips(store: &impl Store) {
    let read = |key: &'static str| async move {
        match store.get_meta(key).await {
            Ok(value) => value,
            Err(error) => panic!("get_meta({key:?}) failed: {error}"),
        }
    };
    assert_eq!(
        read("suite-missing").await,
        None,
        "a missing meta key must read as None"
    );

    for value in ["1", "2"] {
        if let Err(error) = store.set_meta("suite-key", value).await {
            panic!("set_meta failed: {error}");
        }
        assert_eq!(
            read("suite-key").await.as_deref(),
            Some(value),
            "set_meta must overwrite the previous value"
        );
    }
}

/// Checks that `write_all` applies a confirm, a status and a conversation
/// in order, as the single calls would.
pub async fn write_all_applies_in_order(store: &impl Store) {
    let topic = "ride:suite-batch";
    let (first, first_entry) = outgoing(topic, "batch-1", "one", 80);
    let (second, second_entry) = outgoing(topic, "batch-2", "two", 81);
    enqueue(store, &first, &first_entry).await;
    enqueue(store, &second, &second_entry).await;

    let writes = [
        Write::Confirm {
            stored: stored_message(1, "batch-1", &first.sender_id, "one"),
            topic: topic.to_owned(),
        },
        Write::Confirm {
            stored: stored_message(2, "batch-2", &second.sender_id, "two"),
            topic: topic.to_owned(),
        },
        // Applied after the confirm above, so it is not overwritten by it.
        Write::SetStatus {
            topic: topic.to_owned(),
            client_id: "batch-1".to_owned(),
            status: DeliveryStatus::Read,
        },
        Write::SaveConversations(vec![conversation(topic, 2, 0)]),
    ];
    if let Err(error) = store.write_all(&writes).await {
        panic!("write_all failed: {error}");
    }
    if let Err(error) = store.write_all(&[]).await {
        panic!("write_all of nothing must succeed, got {error}");
    }

    let rows = load(store, topic).await;
    let seqs: Vec<Option<u64>> = rows.iter().map(|row| row.seq).collect();
    assert_eq!(seqs, [Some(1), Some(2)], "write_all must confirm both rows");
    assert_eq!(
        rows[0].status,
        DeliveryStatus::Read,
        "the later status must win"
    );
    assert_eq!(rows[1].status, DeliveryStatus::Sent);
    assert!(
        outbox_of(store, topic).await.is_empty(),
        "write_all must remove the confirmed entries"
    );
    let conversations = match store.load_conversations().await {
        Ok(conversations) => conversations,
        Err(error) => panic!("load_conversations failed: {error}"),
    };
    assert!(
        conversations.iter().any(|stored| stored.topic == topic),
        "write_all must save the conversation"
    );
}
