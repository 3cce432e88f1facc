//! The flusher role between the tabs of one user, as a Web Lock.
//!
//! Every tab requests the exclusive lock `ridechat-outbox-<user_id>` and
//! keeps it until it is unmounted or closed: the lock callback returns a
//! promise that only [`FlusherLock`]'s drop resolves. The browser grants the
//! lock to one tab at a time, and releases it when that tab closes, even
//! without an unload event, so the next waiting tab gets it. A grant sends
//! [`Input::FlusherRole`] to the session.
//!
//! The lock is requested through `js_sys::Reflect`, so the crate needs no
//! extra `web-sys` features for it.

use std::cell::RefCell;
use std::rc::Rc;

use futures::channel::mpsc::UnboundedSender;
use js_sys::{Function, Promise, Reflect};
use ridechat_core::session::Input;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};

use super::send_input;

/// Returns the name of the lock that the flusher of `user_id` holds.
pub fn lock_name(user_id: &str) -> String {
    format!("ridechat-outbox-{user_id}")
}

/// Shared between the lock callback and the handle.
#[derive(Default)]
struct LockState {
    /// Resolves the promise returned to the lock callback, which releases
    /// the lock. Set once the lock is granted.
    release: Option<Function>,
    /// Set when the handle was dropped before the lock was granted.
    dropped: bool,
}

/// A pending or held request for the flusher lock. Dropping it releases the
/// lock, or releases it at once if it is granted later.
pub struct FlusherLock {
    state: Rc<RefCell<LockState>>,
}

impl FlusherLock {
    /// Requests the flusher lock of `user_id`. Returns `None` when the
    /// browser has no `navigator.locks` (insecure context or old browser),
    /// in which case the caller keeps the role itself.
    pub fn request(user_id: &str, inputs: UnboundedSender<Input>) -> Option<Self> {
        let locks = navigator_locks()?;
        let request = Reflect::get(&locks, &JsValue::from_str("request"))
            .ok()?
            .dyn_into::<Function>()
            .ok()?;

        let state = Rc::new(RefCell::new(LockState::default()));
        let granted_state = Rc::clone(&state);
        let callback = Closure::once_into_js(move |_lock: JsValue| -> JsValue {
            if granted_state.borrow().dropped {
                return Promise::resolve(&JsValue::UNDEFINED).into();
            }
            let release_promise = Promise::new(&mut |resolve, _reject| {
                granted_state.borrow_mut().release = Some(resolve);
            });
            send_input(&inputs, Input::FlusherRole { granted: true });
            release_promise.into()
        });

        let name = JsValue::from_str(&lock_name(user_id));
        match request.call2(&locks, &name, &callback) {
            // The returned promise settles when the lock is released. It
            // rejects only for an aborted request or a throwing callback,
            // and this module does neither.
            Ok(_released) => Some(Self { state }),
            Err(error) => {
                web_sys::console::warn_2(
                    &"ridechat: navigator.locks.request failed; this tab sends its own messages:"
                        .into(),
                    &error,
                );
                None
            }
        }
    }
}

impl Drop for FlusherLock {
    fn drop(&mut self) {
        let mut state = self.state.borrow_mut();
        state.dropped = true;
        if let Some(release) = state.release.take()
            && let Err(error) = release.call0(&JsValue::UNDEFINED)
        {
            web_sys::console::warn_2(&"ridechat: cannot release the outbox lock:".into(), &error);
        }
    }
}

/// Returns `navigator.locks`, or `None` where the browser has none.
fn navigator_locks() -> Option<JsValue> {
    let navigator = web_sys::window()?.navigator();
    let locks = Reflect::get(&navigator, &JsValue::from_str("locks")).ok()?;
    (!locks.is_undefined() && !locks.is_null()).then_some(locks)
}
