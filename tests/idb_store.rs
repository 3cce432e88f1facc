//! The IndexedDB store in headless Chromium: the shared store suite, and
//! data that survives closing and reopening the database.

use ridechat::store::IdbStore;
use ridechat_core::local::DeliveryStatus;
use ridechat_core::store::{Store, StoreError, suite};
use wasm_bindgen::JsCast;
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
    newer.close();

    assert_eq!(
        store.get_meta("before").await,
        Err(StoreError::Unavailable),
        "the closed connection must report Unavailable"
    );
    IdbStore::delete("upgrade-user").await.expect("delete");
}
