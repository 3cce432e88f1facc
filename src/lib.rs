//! ridechat: the browser client.
//!
//! The crate is a library. The standalone page calls [`start`], which mounts
//! the app on `document.body` with the options found in the URL fragment.
//! Embedders call [`mount`], or `mount` from JavaScript, on an element of
//! their own.
//!
//! Mounting creates the UI signals and one driver task. The task owns the
//! session, the socket and the outbox for as long as the app is mounted,
//! outside every component, so no view change can drop a send.
//!
//! Parts: [`boot`] resolves the user and opens the store, [`driver`] runs the
//! session, [`adapters`] connect it to browser APIs, [`store`] keeps data in
//! IndexedDB, [`state`] holds what the UI shows, and `ui` renders it.

pub mod adapters;
pub mod boot;
mod driver;
pub mod i18n;
mod ids;
pub mod state;
pub mod store;
pub mod ui;

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

use futures::channel::mpsc::{self, UnboundedSender};
use leptos::prelude::*;
use ridechat_core::session::Input;
use wasm_bindgen::prelude::*;

pub use self::boot::callback::TokenCallback;
pub use self::boot::options::MountOptions;
use self::i18n::Locale;
use self::state::{ChatState, Intents};

/// Mounts the standalone app on `document.body`, for the life of the page.
/// Trunk's loader calls it once the module is initialised.
#[wasm_bindgen]
pub fn start() {
    console_error_panic_hook::set_once();
    let Some(body) = web_sys::window()
        .and_then(|window| window.document())
        .and_then(|document| document.body())
    else {
        web_sys::console::error_1(&"ridechat: no document body to mount on".into());
        return;
    };
    let app = mount(body, MountOptions::from_page());
    // The standalone app lives as long as the page, so its handle is never
    // dropped.
    std::mem::forget(app);
}

/// Mounts the app on `element` with options given from JavaScript as
/// `{token, socketUrl?, locale?, apiUrl?, timeScale?, tokenCallback?}`.
/// The app runs until `unmount()` is called on the returned handle; losing
/// the handle does not stop it.
///
/// # Errors
///
/// Rejects options that are not such an object, and a `tokenCallback` that
/// is not a function.
#[wasm_bindgen(js_name = mount)]
pub fn mount_from_js(
    element: web_sys::HtmlElement,
    options: JsValue,
) -> Result<AppHandle, JsError> {
    let (options, token_callback) = split_token_callback(options)?;
    let mut options: MountOptions = serde_wasm_bindgen::from_value(options).map_err(|error| {
        JsError::new(&format!(
            "invalid ridechat mount options: {error}; expected {{token, socketUrl?, locale?, apiUrl?, timeScale?, tokenCallback?}}"
        ))
    })?;
    options.token_callback = token_callback;
    console_error_panic_hook::set_once();
    Ok(AppHandle::keep(mount(element, options)))
}

/// Takes `tokenCallback` out of a copy of the options, because serde cannot
/// read a function.
fn split_token_callback(options: JsValue) -> Result<(JsValue, Option<TokenCallback>), JsError> {
    if !options.is_object() {
        return Ok((options, None));
    }
    let key = JsValue::from_str("tokenCallback");
    let callback = js_sys::Reflect::get(&options, &key).unwrap_or(JsValue::UNDEFINED);
    if callback.is_undefined() || callback.is_null() {
        return Ok((options, None));
    }
    let Some(function) = callback.dyn_ref::<js_sys::Function>() else {
        return Err(JsError::new(
            "invalid ridechat mount options: tokenCallback is not a function; pass a function that returns {token, expires_at} or a Promise of it",
        ));
    };

    let copy = js_sys::Object::assign(&js_sys::Object::new(), options.unchecked_ref());
    js_sys::Reflect::delete_property(&copy, &key)
        .map_err(|_| JsError::new("cannot read the ridechat mount options"))?;
    Ok((copy.into(), Some(TokenCallback(function.clone()))))
}

/// Mounts the app on `element`. The app runs until the returned value is
/// dropped or [`MountedApp::unmount`] is called.
pub fn mount(element: web_sys::HtmlElement, options: MountOptions) -> MountedApp {
    let locale = options
        .locale
        .as_deref()
        .and_then(Locale::from_tag)
        .unwrap_or_else(Locale::from_browser);
    let (sender, receiver) = mpsc::unbounded::<Input>();

    // The signals belong to this owner, not to a component, so they outlive
    // every view change and are disposed only at unmount.
    let owner = Owner::new();
    let (state, view) = owner.with(|| {
        let state = ChatState::new();
        let intents = Intents::new(sender.clone());
        let view = leptos::mount::mount_to(element, move || {
            view! { <ui::App state intents locale /> }
        });
        (state, view)
    });

    wasm_bindgen_futures::spawn_local(boot::run(state, options, locale, receiver, sender.clone()));

    MountedApp {
        inputs: sender,
        view: Some(Box::new(view)),
        owner,
    }
}

/// A mounted app. Dropping it, or calling `unmount`, stops the session,
/// closes the socket and removes the view.
pub struct MountedApp {
    inputs: UnboundedSender<Input>,
    view: Option<Box<dyn std::any::Any>>,
    owner: Owner,
}

impl MountedApp {
    /// Unmounts the app.
    pub fn unmount(self) {}
}

thread_local! {
    /// The apps mounted from JavaScript, by handle id.
    static MOUNTED: RefCell<BTreeMap<u32, MountedApp>> = const { RefCell::new(BTreeMap::new()) };
    static NEXT_HANDLE: Cell<u32> = const { Cell::new(1) };
}

/// The handle JavaScript gets from `mount`. The app itself is kept here, so
/// the garbage collector freeing an unused handle does not unmount it: an
/// embedder that ignores the return value still has a working chat.
#[wasm_bindgen(js_name = MountedApp)]
pub struct AppHandle {
    id: u32,
}

impl AppHandle {
    fn keep(app: MountedApp) -> AppHandle {
        let id = NEXT_HANDLE.with(|next| {
            let id = next.get();
            next.set(id.wrapping_add(1));
            id
        });
        MOUNTED.with(|apps| apps.borrow_mut().insert(id, app));
        AppHandle { id }
    }
}

#[wasm_bindgen(js_class = MountedApp)]
impl AppHandle {
    /// Unmounts the app. Later calls do nothing.
    pub fn unmount(&self) {
        // Dropped after the borrow ends, because unmounting runs cleanups.
        let app = MOUNTED.with(|apps| apps.borrow_mut().remove(&self.id));
        drop(app);
    }
}

impl Drop for MountedApp {
    fn drop(&mut self) {
        // The driver ends when the channel closes and drops the adapters,
        // which closes the socket and removes the listeners.
        self.inputs.close_channel();
        self.view.take();
        self.owner.cleanup();
    }
}
