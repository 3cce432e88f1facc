//! The shapes of stored records and their conversion to and from JavaScript
//! values.

use ridechat_core::local::LocalMessage;
use ridechat_core::store::StoreError;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use wasm_bindgen::{JsCast, JsValue};

/// A row of the `messages` store.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MessageRecord {
    pub message: LocalMessage,
    /// The `order` of the message's latest enqueue; 0 for a message that only
    /// ever came from the server.
    pub order: u64,
    /// Equal to `order` while the server has not stored the message, and
    /// absent after, so the pending index holds only unconfirmed messages.
    pub pending_order: Option<u64>,
}

impl MessageRecord {
    pub fn new(message: LocalMessage, order: u64) -> Self {
        let pending_order = message.seq.is_none().then_some(order);
        Self {
            message,
            order,
            pending_order,
        }
    }

    /// Recomputes `pending_order` after the message changed.
    pub fn refresh_pending(&mut self) {
        self.pending_order = self.message.seq.is_none().then_some(self.order);
    }
}

/// A row of the `meta` store.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MetaRecord {
    pub key: String,
    pub value: String,
}

/// Converts a record to a plain JavaScript object. `None` becomes `null`,
/// which IndexedDB leaves out of an index, and numbers stay numbers.
pub fn to_js<T: Serialize>(record: &T, kind: &str) -> Result<JsValue, StoreError> {
    record
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|error| StoreError::Backend {
            name: "DataError".to_owned(),
            message: format!("cannot convert the {kind} record for IndexedDB: {error}"),
        })
}

/// Reads a record back, or reports it as corrupt.
pub fn from_js<T: DeserializeOwned>(value: JsValue, kind: &str) -> Result<T, StoreError> {
    serde_wasm_bindgen::from_value(value).map_err(|error| StoreError::Corrupt {
        record: kind.to_owned(),
        message: error.to_string(),
    })
}

/// Reads every value of a `getAll` result.
pub fn all_from_js<T: DeserializeOwned>(values: JsValue, kind: &str) -> Result<Vec<T>, StoreError> {
    let array: js_sys::Array = values.dyn_into().map_err(|value| StoreError::Corrupt {
        record: kind.to_owned(),
        message: format!("expected an array of records, found {value:?}"),
    })?;
    array.iter().map(|value| from_js(value, kind)).collect()
}

/// Kind names used in errors, matching the store names.
pub const MESSAGE: &str = "message";
pub const OUTBOX_ENTRY: &str = "outbox entry";
pub const CONVERSATION: &str = "conversation";
pub const META: &str = "meta";
