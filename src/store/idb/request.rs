//! IndexedDB requests and transactions as futures, without Rust closures.
//!
//! Each wrapper builds a `Promise` whose `resolve` and `reject` functions are
//! installed directly as the request's or transaction's event handlers. No
//! Rust closure is handed to JavaScript, so none can be called after it was
//! dropped, and none leaks.
//!
//! # The transaction rule
//!
//! A transaction commits itself as soon as no request is pending at the end
//! of a task. Awaiting a request is safe, because its success event resolves
//! the promise, and both the promise reaction and the Rust task that
//! `wasm-bindgen-futures` wakes for it run as microtasks of that event. The
//! transaction is still active then, so the next request is placed in time.
//!
//! Awaiting anything else (a timer, a fetch, a channel) lets the transaction
//! commit underneath, and the next request fails with
//! `TransactionInactiveError`. Code between [`Transaction::new`] and
//! [`Transaction::commit`] therefore awaits only [`request`].

use js_sys::{Array, Promise};
use ridechat_core::store::StoreError;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{DomException, IdbDatabase, IdbObjectStore, IdbRequest, IdbTransaction};

pub use web_sys::IdbTransactionMode as Mode;

/// Waits for `request` and returns its result. A failed request aborts its
/// transaction, since its error event is not cancelled.
pub async fn request(request: Result<IdbRequest, JsValue>) -> Result<JsValue, StoreError> {
    let request = request.map_err(|error| from_js(&error))?;
    let settled = Promise::new(&mut |resolve, reject| {
        request.set_onsuccess(Some(&resolve));
        request.set_onerror(Some(&reject));
    });
    let outcome = JsFuture::from(settled).await;

    request.set_onsuccess(None);
    request.set_onerror(None);
    match outcome {
        Ok(_) => request.result().map_err(|error| from_js(&error)),
        Err(_) => Err(match request.error() {
            Ok(Some(exception)) => from_dom_exception(&exception),
            _ => backend(
                "UnknownError",
                "an IndexedDB request failed without an error",
            ),
        }),
    }
}

/// One IndexedDB transaction, with its completion observed from the start.
///
/// A read-write transaction dropped before [`Transaction::commit`] is
/// aborted, which undoes every write it made. Otherwise a Rust-side error
/// half way (a record that cannot be converted, a corrupt row) or a dropped
/// call would leave no request pending. The browser would then commit the
/// writes made so far.
pub struct Transaction {
    inner: IdbTransaction,
    finished: JsFuture,
    /// True for a read-write transaction that has not reached `commit`.
    abort_on_drop: bool,
}

impl Transaction {
    /// Opens a transaction over `stores`.
    pub fn new(database: &IdbDatabase, stores: &[&str], mode: Mode) -> Result<Self, StoreError> {
        let names: Array = stores.iter().map(|name| JsValue::from_str(name)).collect();
        let inner = database
            .transaction_with_str_sequence_and_mode(&names, mode)
            .map_err(|error| from_js(&error))?;

        // Installed now, before any request, so neither event can be missed.
        let finished = Promise::new(&mut |resolve, reject| {
            inner.set_oncomplete(Some(&resolve));
            inner.set_onabort(Some(&reject));
        });
        Ok(Self {
            inner,
            finished: JsFuture::from(finished),
            abort_on_drop: mode == Mode::Readwrite,
        })
    }

    pub fn store(&self, name: &str) -> Result<IdbObjectStore, StoreError> {
        self.inner
            .object_store(name)
            .map_err(|error| from_js(&error))
    }

    /// Waits until the transaction has committed. An abort, for example with
    /// `QuotaExceededError` when the data reaches the disk, returns its
    /// reason, and all the writes of the aborted transaction are undone.
    pub async fn commit(mut self) -> Result<(), StoreError> {
        self.abort_on_drop = false;
        let outcome = (&mut self.finished).await;
        self.inner.set_oncomplete(None);
        self.inner.set_onabort(None);
        match outcome {
            Ok(_) => Ok(()),
            Err(_) => Err(match self.inner.error() {
                Some(exception) => from_dom_exception(&exception),
                None => backend("AbortError", "the IndexedDB transaction was aborted"),
            }),
        }
    }
}

impl Drop for Transaction {
    fn drop(&mut self) {
        if self.abort_on_drop {
            // Throws InvalidStateError when the browser already aborted it,
            // for example after a failed request, so nothing is left to undo.
            let _ = self.inner.abort();
        }
    }
}

/// Maps a `DOMException` to a store error, keeping its name and message.
pub fn from_dom_exception(exception: &DomException) -> StoreError {
    match exception.name().as_str() {
        "QuotaExceededError" => StoreError::QuotaExceeded,
        name => backend(name, &exception.message()),
    }
}

/// Maps a JavaScript exception, usually a `DOMException`, to a store error.
pub fn from_js(error: &JsValue) -> StoreError {
    if let Some(exception) = error.dyn_ref::<DomException>() {
        return from_dom_exception(exception);
    }
    if let Some(error) = error.dyn_ref::<js_sys::Error>() {
        return backend(&String::from(error.name()), &String::from(error.message()));
    }
    backend("Error", &format!("{error:?}"))
}

fn backend(name: &str, message: &str) -> StoreError {
    StoreError::Backend {
        name: name.to_owned(),
        message: message.to_owned(),
    }
}

#[cfg(all(test, target_arch = "wasm32"))]
mod tests {
    use super::*;
    use wasm_bindgen_test::*;

    wasm_bindgen_test_configure!(run_in_browser);

    #[wasm_bindgen_test]
    fn quota_exception_maps_to_quota_exceeded() {
        let exception = DomException::new_with_message_and_name("disk full", "QuotaExceededError")
            .expect("DOMException constructor");
        assert_eq!(from_js(&exception.into()), StoreError::QuotaExceeded);
    }

    #[wasm_bindgen_test]
    fn other_exception_keeps_name_and_message() {
        let exception = DomException::new_with_message_and_name("no such key", "DataError")
            .expect("DOMException constructor");
        let expected = StoreError::Backend {
            name: "DataError".to_owned(),
            message: "no such key".to_owned(),
        };
        assert_eq!(from_js(&exception.into()), expected);
    }
}
