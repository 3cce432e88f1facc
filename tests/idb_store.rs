//! The IndexedDB store in headless Chromium: the shared store suite, data
//! that survives closing and reopening the database, batches that commit
//! all or nothing, and a newer schema opened by another tab.

use ridechat::store::IdbStore;
use ridechat::store::idb::schema;
use ridechat_core::local::{DeliveryStatus, LocalMessage, OutboxEntry};
use ridechat_core::store::{Store, StoreError, Write, suite};
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// Opens a fresh database for `user_id`, deleting what an earlier run left.
async fn fresh_store(user_id: &str) -> IdbStore {
    if let Err(error) = IdbStore::delete(user_id).await {
        panic!("deleting the database of {user_id} failed: {error}");
    }
    match IdbStore::open(user_id).await {
        Ok(store) => store,
        Err(error) => panic!("opening the database of {user_id} failed: {error}"),
    }
}

#[wasm_bindgen_test]
async fn idb_store_passes_shared_suite() {
    let store = fresh_store("suite-user").await;
    suite::run_all(&store).await;
}

#[wasm_bindgen_test]
async fn idb_store_survives_reopen() {
    let user_id = "reopen-user";
    let topic = "ride:reopen";
    let store = fresh_store(user_id).await;

    let (pending, entry) = suite::outgoing(topic, "reopen-pending", "still queued", 7);
    store.enqueue(&pending, &entry).await.expect("enqueue");
    let stored = suite::stored_message(1, "reopen-stored", "peer", "bonjour");
    store
        .save_messages(topic, std::slice::from_ref(&stored))
        .await
        .expect("save_messages");
    store.set_meta("cursor", "1").await.expect("set_meta");
    store.close();
    drop(store);

    let reopened = IdbStore::open(user_id).await.expect("reopen");
    let messages = reopened.load_messages(topic).await.expect("load_messages");
    let ids: Vec<&str> = messages.iter().map(|m| m.client_id.as_str()).collect();
    assert_eq!(
        ids,
        ["reopen-stored", "reopen-pending"],
        "both rows must survive a reopen"
    );
    assert_eq!(messages[0].seq, Some(1));
    assert_eq!(messages[0].body.as_deref(), Some("bonjour"));
    assert_eq!(messages[1].status, DeliveryStatus::Sending);
    assert_eq!(messages[1].created_at_ms, pending.created_at_ms);

    let outbox = reopened.load_outbox().await.expect("load_outbox");
    assert_eq!(
        outbox,
        vec![entry],
        "the outbox entry must survive a reopen"
    );
    assert_eq!(
        reopened
            .get_meta("cursor")
            .await
            .expect("get_meta")
            .as_deref(),
        Some("1")
    );
}

#[wasm_bindgen_test]
async fn closed_store_reports_unavailable() {
    let store = fresh_store("closed-user").await;
    store.close();

    let result = store.load_outbox().await;
    assert_eq!(result, Err(StoreError::Unavailable));
    let result = store.set_meta("key", "value").await;
    assert_eq!(result, Err(StoreError::Unavailable));
}

#[wasm_bindgen_test]
async fn databases_are_per_user() {
    let rider = fresh_store("rider-db").await;
    let driver = fresh_store("driver-db").await;
    rider.set_meta("who", "rider").await.expect("set_meta");

    assert_eq!(driver.get_meta("who").await.expect("get_meta"), None);
    assert_eq!(
        rider.get_meta("who").await.expect("get_meta").as_deref(),
        Some("rider")
    );
}

/// Opens `name` at `version` with the raw API, failing if the open is blocked
/// by another connection.
async fn open_raw(name: &str, version: u32) -> Result<web_sys::IdbDatabase, String> {
    let factory = web_sys::window().unwrap().indexed_db().unwrap().unwrap();
    let request = factory.open_with_u32(name, version).unwrap();
    let opened = js_sys::Promise::new(&mut |resolve, reject| {
        request.set_onsuccess(Some(&resolve));
        request.set_onerror(Some(&reject));
        request.set_onblocked(Some(&reject));
    });
    match wasm_bindgen_futures::JsFuture::from(opened).await {
        Ok(_) => Ok(request.result().unwrap().unchecked_into()),
        Err(event) => Err(format!("open of {name} v{version} failed: {event:?}")),
    }
}

#[wasm_bindgen_test]
async fn newer_version_is_not_blocked() {
    let store = fresh_store("upgrade-user").await;
    store.set_meta("before", "upgrade").await.expect("set_meta");

    // Another tab opening a newer schema must not wait for this one.
    let newer = open_raw("ridechat-upgrade-user", 2).await;
    let newer = match newer {
        Ok(database) => database,
        Err(error) => panic!("{error}: the old connection must close on versionchange"),
    };
    assert_eq!(newer.version(), 2.0);
    assert_eq!(
        raw_get(&newer, schema::META, "before").await.as_deref(),
        Some("upgrade"),
        "what the old connection committed must reach the newer version"
    );
    newer.close();

    assert_eq!(
        store.get_meta("before").await,
        Err(StoreError::Unavailable),
        "the closed connection must report Unavailable"
    );
    // Writes fail the same way, so the session shows an error instead of
    // losing them silently.
    let (message, entry) = suite::outgoing("ride:upgrade", "after-upgrade", "late", 1);
    assert_eq!(
        store.enqueue(&message, &entry).await,
        Err(StoreError::Unavailable),
        "a send after the close must report Unavailable"
    );
    let batch = [status_write("ride:upgrade", 0, DeliveryStatus::Read)];
    assert_eq!(
        store.write_all(&batch).await,
        Err(StoreError::Unavailable),
        "a batch after the close must report Unavailable"
    );
    IdbStore::delete("upgrade-user").await.expect("delete");
}

/// Waits for `request` to succeed and returns its result.
async fn raw_request(request: web_sys::IdbRequest) -> wasm_bindgen::JsValue {
    let settled = js_sys::Promise::new(&mut |resolve, reject| {
        request.set_onsuccess(Some(&resolve));
        request.set_onerror(Some(&reject));
    });
    match wasm_bindgen_futures::JsFuture::from(settled).await {
        Ok(_) => request.result().unwrap(),
        Err(event) => panic!("IndexedDB request failed: {event:?}"),
    }
}

/// Reads the `value` field of the record `key` in `store_name`, with the raw
/// API, as a newer build would.
async fn raw_get(database: &web_sys::IdbDatabase, store_name: &str, key: &str) -> Option<String> {
    let transaction = database.transaction_with_str(store_name).unwrap();
    let store = transaction.object_store(store_name).unwrap();
    let record = raw_request(store.get(&key.into()).unwrap()).await;
    if record.is_undefined() {
        return None;
    }
    js_sys::Reflect::get(&record, &"value".into())
        .unwrap()
        .as_string()
}

/// Counts the records of `store_name`, or of its index `index_name`.
async fn raw_count(
    database: &web_sys::IdbDatabase,
    store_name: &str,
    index_name: Option<&str>,
) -> f64 {
    let transaction = database.transaction_with_str(store_name).unwrap();
    let store = transaction.object_store(store_name).unwrap();
    let request = match index_name {
        Some(name) => store.index(name).unwrap().count(),
        None => store.count(),
    };
    raw_request(request.unwrap()).await.as_f64().unwrap()
}

/// Opens `name` at `version` with the raw API, waiting as long as the open
/// takes, even through a `blocked` event.
async fn open_raw_waiting(name: &str, version: u32) -> web_sys::IdbDatabase {
    let factory = web_sys::window().unwrap().indexed_db().unwrap().unwrap();
    let request = factory.open_with_u32(name, version).unwrap();
    let opened = js_sys::Promise::new(&mut |resolve, reject| {
        request.set_onsuccess(Some(&resolve));
        request.set_onerror(Some(&reject));
    });
    if let Err(event) = wasm_bindgen_futures::JsFuture::from(opened).await {
        panic!("open of {name} v{version} failed: {event:?}");
    }
    request.result().unwrap().unchecked_into()
}

#[wasm_bindgen_test]
async fn inflight_batch_finishes_before_upgrade() {
    let user_id = "upgrade-batch-user";
    let topic = "ride:upgrade-batch";
    let store = fresh_store(user_id).await;
    queue_messages(&store, topic).await;
    let writes: Vec<Write> = (0..BATCH)
        .map(|index| confirm_write(topic, index, index as u64 + 1))
        .collect();

    // The batch is polled first, so its transaction exists before the other
    // tab requests the newer version. The `versionchange` event then reaches
    // this connection a few writes into the batch.
    let name = schema::database_name(user_id);
    let (written, newer) = futures::join!(store.write_all(&writes), open_raw_waiting(&name, 2));
    assert_eq!(written, Ok(()), "the running batch must commit");
    assert_eq!(newer.version(), 2.0);
    assert_eq!(
        raw_count(&newer, schema::OUTBOX, None).await,
        0.0,
        "the newer version must see every confirmation"
    );
    assert_eq!(
        raw_count(&newer, schema::MESSAGES, Some(schema::MESSAGES_BY_SEQ)).await,
        BATCH as f64,
        "the newer version must see every confirmed row"
    );
    newer.close();

    assert_eq!(
        store.load_outbox().await,
        Err(StoreError::Unavailable),
        "the old connection is closed after the batch"
    );
    IdbStore::delete(user_id).await.expect("delete");
}

/// Number of rows queued before each batch, and number of writes in it.
const BATCH: usize = 100;

fn client_id(index: usize) -> String {
    format!("batch-{index:03}")
}

/// Queues `BATCH` outgoing messages in `topic`, as a user does offline.
async fn queue_messages(store: &IdbStore, topic: &str) {
    for index in 0..BATCH {
        let (message, entry) = suite::outgoing(
            topic,
            &client_id(index),
            &format!("message {index}"),
            index as u64 + 1,
        );
        store.enqueue(&message, &entry).await.expect("enqueue");
    }
}

/// Builds the server's confirmation of the queued message `index`, with `seq`.
fn confirm_write(topic: &str, index: usize, seq: u64) -> Write {
    Write::Confirm {
        stored: suite::stored_message(seq, &client_id(index), "suite-user", "stored"),
        topic: topic.to_owned(),
    }
}

fn status_write(topic: &str, index: usize, status: DeliveryStatus) -> Write {
    Write::SetStatus {
        topic: topic.to_owned(),
        client_id: client_id(index),
        status,
    }
}

/// Reads everything a batch may change in `topic`: its message rows and the
/// outbox.
async fn snapshot(store: &IdbStore, topic: &str) -> (Vec<LocalMessage>, Vec<OutboxEntry>) {
    let messages = store.load_messages(topic).await.expect("load_messages");
    let outbox = store.load_outbox().await.expect("load_outbox");
    (messages, outbox)
}

/// Asserts that the rows and the outbox are as in `before`, listing those
/// that differ.
async fn assert_unchanged(
    store: &IdbStore,
    topic: &str,
    before: &(Vec<LocalMessage>, Vec<OutboxEntry>),
) {
    let (messages, outbox) = snapshot(store, topic).await;
    assert_eq!(
        messages.len(),
        before.0.len(),
        "a failed batch must neither add nor remove rows"
    );
    let changed: Vec<&str> = messages
        .iter()
        .filter(|message| !before.0.contains(message))
        .map(|message| message.client_id.as_str())
        .collect();
    assert!(
        changed.is_empty(),
        "a failed batch must change no row, yet {} changed: {changed:?}",
        changed.len()
    );
    let removed: Vec<&str> = before
        .1
        .iter()
        .filter(|entry| !outbox.contains(entry))
        .map(|entry| entry.client_id.as_str())
        .collect();
    assert!(
        removed.is_empty(),
        "a failed batch must remove no outbox entry, yet {} went: {removed:?}",
        removed.len()
    );
    assert_eq!(outbox, before.1, "the outbox must be as before the batch");
}

#[wasm_bindgen_test]
async fn hundred_write_batch_applies_all() {
    let topic = "ride:batch-ok";
    let store = fresh_store("batch-ok-user").await;
    queue_messages(&store, topic).await;

    // 50 confirmations, then a read receipt for each confirmed message,
    // which must apply after its confirmation.
    let half = BATCH / 2;
    let mut writes: Vec<Write> = (0..half)
        .map(|index| confirm_write(topic, index, index as u64 + 1))
        .collect();
    writes.extend((0..half).map(|index| status_write(topic, index, DeliveryStatus::Read)));
    assert_eq!(writes.len(), BATCH);
    store.write_all(&writes).await.expect("write_all");

    let (messages, outbox) = snapshot(&store, topic).await;
    assert_eq!(messages.len(), BATCH, "no row may be lost or duplicated");
    for (index, message) in messages.iter().enumerate() {
        assert_eq!(message.client_id, client_id(index), "rows keep their order");
        if index < half {
            assert_eq!(message.seq, Some(index as u64 + 1), "row {index} confirmed");
            assert_eq!(message.status, DeliveryStatus::Read, "row {index} read");
        } else {
            assert_eq!(message.seq, None, "row {index} still unconfirmed");
            assert_eq!(message.status, DeliveryStatus::Sending);
        }
    }
    let queued: Vec<String> = outbox.into_iter().map(|entry| entry.client_id).collect();
    let expected: Vec<String> = (half..BATCH).map(client_id).collect();
    assert_eq!(
        queued, expected,
        "only the confirmed entries leave the outbox"
    );
}

#[wasm_bindgen_test]
async fn unstorable_write_undoes_whole_batch() {
    let topic = "ride:batch-unstorable";
    let store = fresh_store("batch-unstorable-user").await;
    queue_messages(&store, topic).await;
    let before = snapshot(&store, topic).await;

    // A seq above 2^53 has no exact JavaScript number, so its row cannot be
    // written. It comes after 50 writes that succeeded in the transaction.
    let half = BATCH / 2;
    let unstorable = (1u64 << 53) + 1;
    let mut writes: Vec<Write> = (0..half)
        .map(|index| confirm_write(topic, index, index as u64 + 1))
        .collect();
    writes.push(confirm_write(topic, half, unstorable));
    writes.extend((0..half - 1).map(|index| status_write(topic, index, DeliveryStatus::Read)));
    assert_eq!(writes.len(), BATCH);

    let result = store.write_all(&writes).await;
    assert!(
        matches!(&result, Err(StoreError::Backend { name, .. }) if name == "DataError"),
        "the unstorable row must fail the batch, got {result:?}"
    );
    assert_unchanged(&store, topic, &before).await;
}

/// Creates the database of `user_id` at the app's schema version, with one
/// more index that rejects two messages with the same `seq`. The app's own
/// schema has no constraint, so this index makes IndexedDB itself reject one
/// write in the middle of a batch.
async fn create_with_unique_seq(user_id: &str) {
    IdbStore::delete(user_id).await.expect("delete");
    let factory = web_sys::window().unwrap().indexed_db().unwrap().unwrap();
    let request = factory
        .open_with_u32(&schema::database_name(user_id), schema::VERSION)
        .unwrap();
    let on_upgrade = Closure::<dyn FnMut(web_sys::Event)>::new({
        let request = request.clone();
        move |_event| {
            let database: web_sys::IdbDatabase = request.result().unwrap().unchecked_into();
            schema::upgrade(&database, 0).expect("the app's schema");
            let messages = request
                .transaction()
                .unwrap()
                .object_store(schema::MESSAGES)
                .unwrap();
            let parameters = js_sys::Object::new();
            js_sys::Reflect::set(&parameters, &"unique".into(), &true.into()).unwrap();
            let create_index: js_sys::Function =
                js_sys::Reflect::get(&messages, &"createIndex".into())
                    .unwrap()
                    .unchecked_into();
            create_index
                .call3(
                    &messages,
                    &"unique_seq".into(),
                    &"message.seq".into(),
                    &parameters,
                )
                .expect("create the unique index");
        }
    });
    request.set_onupgradeneeded(Some(on_upgrade.as_ref().unchecked_ref()));
    let opened = js_sys::Promise::new(&mut |resolve, reject| {
        request.set_onsuccess(Some(&resolve));
        request.set_onerror(Some(&reject));
    });
    wasm_bindgen_futures::JsFuture::from(opened)
        .await
        .expect("create the database");
    request
        .result()
        .unwrap()
        .unchecked_into::<web_sys::IdbDatabase>()
        .close();
}

#[wasm_bindgen_test]
async fn rejected_write_undoes_whole_batch() {
    let user_id = "batch-constraint-user";
    let topic = "ride:batch-constraint";
    create_with_unique_seq(user_id).await;
    let store = IdbStore::open(user_id).await.expect("open");
    queue_messages(&store, topic).await;
    let before = snapshot(&store, topic).await;

    // The 51st write gives a second message seq 1, which the unique index
    // rejects with a ConstraintError. IndexedDB then aborts the transaction.
    let half = BATCH / 2;
    let mut writes: Vec<Write> = (0..half)
        .map(|index| confirm_write(topic, index, index as u64 + 1))
        .collect();
    writes.push(confirm_write(topic, half, 1));
    writes.extend((0..half - 1).map(|index| status_write(topic, index, DeliveryStatus::Read)));
    assert_eq!(writes.len(), BATCH);

    let result = store.write_all(&writes).await;
    assert!(
        matches!(&result, Err(StoreError::Backend { name, .. }) if name == "ConstraintError"),
        "the refused write must fail the batch, got {result:?}"
    );
    assert_unchanged(&store, topic, &before).await;
    store.close();
    IdbStore::delete(user_id).await.expect("delete");
}
