//! Opening and deleting a database, with the schema upgrade and the
//! `blocked` case.

use std::time::Duration;

use futures::future::{Either, select};
use js_sys::Promise;
use ridechat_core::store::StoreError;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{IdbDatabase, IdbFactory, IdbOpenDbRequest, IdbVersionChangeEvent};

use super::request::{from_dom_exception, from_js};
use super::schema;
use crate::adapters::timer::sleep;

/// How long an upgrade may stay blocked by another tab before the app gives
/// up and runs on the in-memory store. Tabs of this app close their
/// connection on `versionchange`, so only a frozen tab blocks this long.
const BLOCKED_TIMEOUT: Duration = Duration::from_secs(5);

fn factory() -> Result<IdbFactory, StoreError> {
    let window = web_sys::window().ok_or(StoreError::Unavailable)?;
    match window.indexed_db() {
        Ok(Some(factory)) => Ok(factory),
        // Missing in some private modes and embedded browsers.
        Ok(None) => Err(StoreError::Unavailable),
        Err(error) => Err(from_js(&error)),
    }
}

/// Opens `name` at [`schema::VERSION`], creating or upgrading its stores.
///
/// NOTE: two paths are untested because the app cannot reach them with
/// schema version 1. An open queued behind a pending deletion gets no
/// `blocked` event, so it waits without the timeout. And after the timeout
/// the open request stays queued: if it succeeds later, that connection is
/// never closed and would block the next upgrade until the page closes.
pub async fn open_database(name: &str) -> Result<IdbDatabase, StoreError> {
    let request = factory()?
        .open_with_u32(name, schema::VERSION)
        .map_err(|error| from_js(&error))?;

    let on_upgrade = Closure::<dyn FnMut(IdbVersionChangeEvent)>::new({
        let request = request.clone();
        move |event: IdbVersionChangeEvent| upgrade(&request, event.old_version())
    });
    request.set_onupgradeneeded(Some(on_upgrade.as_ref().unchecked_ref()));

    let opened = Promise::new(&mut |resolve, reject| {
        request.set_onsuccess(Some(&resolve));
        request.set_onerror(Some(&reject));
    });
    let blocked = Promise::new(&mut |resolve, _reject| request.set_onblocked(Some(&resolve)));
    let blocked_too_long = async move {
        // Resolves only if the `blocked` event fires; never rejects.
        let _ = JsFuture::from(blocked).await;
        sleep(BLOCKED_TIMEOUT).await;
    };

    match select(JsFuture::from(opened), Box::pin(blocked_too_long)).await {
        Either::Left((outcome, _)) => {
            request.set_onupgradeneeded(None);
            request.set_onblocked(None);
            drop(on_upgrade);
            finish_open(&request, outcome)
        }
        Either::Right(((), _)) => {
            // NOTE: the open request stays queued and may still complete once
            // the other tab closes. Its upgrade must then still create the
            // stores, so the listener outlives this call: one leak per
            // blocked start-up.
            on_upgrade.forget();
            Err(StoreError::Unavailable)
        }
    }
}

fn finish_open(
    request: &IdbOpenDbRequest,
    outcome: Result<JsValue, JsValue>,
) -> Result<IdbDatabase, StoreError> {
    if outcome.is_err() {
        return Err(match request.error() {
            Ok(Some(exception)) => from_dom_exception(&exception),
            _ => StoreError::Unavailable,
        });
    }
    let result = request.result().map_err(|error| from_js(&error))?;
    result
        .dyn_into::<IdbDatabase>()
        .map_err(|value| StoreError::Backend {
            name: "TypeError".to_owned(),
            message: format!("indexedDB.open returned {value:?} instead of a database"),
        })
}

/// Runs the schema upgrade; on failure aborts the upgrade transaction, which
/// makes the open fail and leaves the database at its old version.
fn upgrade(request: &IdbOpenDbRequest, old_version: f64) {
    let Ok(result) = request.result() else {
        return;
    };
    let Ok(database) = result.dyn_into::<IdbDatabase>() else {
        return;
    };
    // Versions are small positive integers, so the conversion is exact.
    let old_version = old_version as u32;
    if let Err(error) = schema::upgrade(&database, old_version) {
        web_sys::console::error_2(
            &JsValue::from_str("ridechat: IndexedDB schema upgrade failed"),
            &error,
        );
        if let Some(transaction) = request.transaction() {
            let _ = transaction.abort();
        }
    }
}

/// Deletes the database `name`.
pub async fn delete_database(name: &str) -> Result<(), StoreError> {
    let request = factory()?
        .delete_database(name)
        .map_err(|error| from_js(&error))?;
    let deleted = Promise::new(&mut |resolve, reject| {
        request.set_onsuccess(Some(&resolve));
        request.set_onerror(Some(&reject));
    });
    match JsFuture::from(deleted).await {
        Ok(_) => Ok(()),
        Err(_) => Err(match request.error() {
            Ok(Some(exception)) => from_dom_exception(&exception),
            _ => StoreError::Unavailable,
        }),
    }
}
