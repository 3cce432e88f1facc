//! The IndexedDB schema of one user's database and its upgrade chain.
//!
//! | store | key | indexes |
//! |---|---|---|
//! | `messages` | `[message.topic, message.client_id]` | `by_topic_seq` on `[message.topic, message.seq]`, `pending_by_topic_order` on `[message.topic, pending_order]` |
//! | `outbox` | `client_id` | `by_order` on `order` |
//! | `conversations` | `topic` | |
//! | `meta` | `key` | |
//!
//! A message row carries `message.seq` only once the server stored it, and
//! `pending_order` only until then. IndexedDB leaves a record out of an index
//! whose key path yields no valid key (`null` here). So `by_topic_seq`
//! contains exactly the confirmed messages in seq order, and
//! `pending_by_topic_order` exactly the unconfirmed ones in send order.

use wasm_bindgen::JsValue;
use web_sys::{IdbDatabase, IdbObjectStoreParameters};

/// Version of the schema below. Raise it together with a new step in
/// [`upgrade`].
pub const VERSION: u32 = 1;

pub const MESSAGES: &str = "messages";
pub const OUTBOX: &str = "outbox";
pub const CONVERSATIONS: &str = "conversations";
pub const META: &str = "meta";

pub const MESSAGES_BY_SEQ: &str = "by_topic_seq";
pub const MESSAGES_PENDING: &str = "pending_by_topic_order";
pub const OUTBOX_BY_ORDER: &str = "by_order";

/// Name of the database of `user_id`.
pub fn database_name(user_id: &str) -> String {
    format!("ridechat-{user_id}")
}

/// Brings a database from `old_version` to [`VERSION`], one step per version,
/// inside the `upgradeneeded` transaction. Version 0 is a new database.
///
/// A later version adds a step `if old_version < 2 { ... }` after the ones
/// here; a step that changes an existing store reaches it through the upgrade
/// transaction (`IDBOpenDBRequest.transaction`), never through a new one.
pub fn upgrade(database: &IdbDatabase, old_version: u32) -> Result<(), JsValue> {
    if old_version < 1 {
        create_version_1(database)?;
    }
    Ok(())
}

fn create_version_1(database: &IdbDatabase) -> Result<(), JsValue> {
    let messages = database.create_object_store_with_optional_parameters(
        MESSAGES,
        &key_path_params(&["message.topic", "message.client_id"]),
    )?;
    messages.create_index_with_str_sequence(
        MESSAGES_BY_SEQ,
        &string_array(&["message.topic", "message.seq"]),
    )?;
    messages.create_index_with_str_sequence(
        MESSAGES_PENDING,
        &string_array(&["message.topic", "pending_order"]),
    )?;

    let outbox = database
        .create_object_store_with_optional_parameters(OUTBOX, &key_path_params(&["client_id"]))?;
    outbox.create_index_with_str(OUTBOX_BY_ORDER, "order")?;

    database.create_object_store_with_optional_parameters(
        CONVERSATIONS,
        &key_path_params(&["topic"]),
    )?;
    database.create_object_store_with_optional_parameters(META, &key_path_params(&["key"]))?;
    Ok(())
}

/// Store parameters with an inline key: one key path, or an array of them
/// for a compound key.
fn key_path_params(paths: &[&str]) -> IdbObjectStoreParameters {
    let params = IdbObjectStoreParameters::new();
    match paths {
        [single] => params.set_key_path(&JsValue::from_str(single)),
        _ => params.set_key_path(&string_array(paths)),
    }
    params
}

fn string_array(items: &[&str]) -> js_sys::Array {
    items.iter().map(|item| JsValue::from_str(item)).collect()
}
