//! The token lifecycle of the standalone app: planned refreshes, the check
//! after failed connects, and the expiry notice.
//!
//! A server rejects a bad token at the WebSocket upgrade with HTTP 403, but
//! a browser reports that only as a closed socket, the same as a network
//! drop. The decisions are made by the pure
//! [`TokenLifecycle`]: after two failed connects in a row the keeper
//! requests `/api/session`, and on 401 it requests a new token from
//! `POST /api/session/refresh`. Two bad refreshes in a row end the session:
//! the app stops reconnecting and shows "session expired". A valid token is
//! refreshed at 80 % of its lifetime.
//!
//! A new token reaches the socket at its next connect: the driver takes
//! [`TokenKeeper::take_socket_url`] before each connect. No token is logged.
//!
//! New tokens come from the embedder's `tokenCallback` mount option when
//! there is one, else from `POST /api/session/refresh`. An expired session
//! keeps the conversations on screen, and the banner's `data-state` becomes
//! `expired`.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use ridechat_core::session::Input;
use ridechat_core::session::tokens::{TokenEvent, TokenLifecycle, TokenStep, refresh_due_ms};

use super::api::{FreshToken, SessionLookup, lookup_session, refresh_token};
use super::callback::TokenCallback;
use crate::adapters::timer::sleep;
use crate::i18n::{Locale, Text};
use crate::state::ChatState;

/// Builds the WebSocket URL for a token.
pub type SocketUrl = Rc<dyn Fn(&str) -> String>;

/// Shared by the keeper and the requests it starts.
struct Inner {
    api_url: String,
    token: RefCell<String>,
    /// The embedder's token source; without it, `POST /api/session/refresh`.
    callback: Option<TokenCallback>,
    socket_url: SocketUrl,
    locale: Locale,
    state: ChatState,
    lifecycle: RefCell<TokenLifecycle>,
    /// The socket URL of a refreshed token, for the next connect.
    fresh_url: RefCell<Option<String>>,
    /// Counts planned refreshes, so only the latest one fires.
    refresh_plan: Cell<u64>,
    /// The generation of the last socket that opened.
    opened: Cell<Option<u64>>,
    /// Set when the app is unmounted: pending requests then change nothing.
    closed: Cell<bool>,
}

/// The token of one mounted app. Dropping it cancels what it planned.
pub struct TokenKeeper {
    inner: Rc<Inner>,
}

impl TokenKeeper {
    /// Creates the keeper of `token`. `expires_at_ms` (milliseconds since the
    /// Unix epoch) plans the first refresh. When it is unknown, the keeper requests
    /// `/api/session` for it.
    pub fn new(
        api_url: String,
        token: String,
        callback: Option<TokenCallback>,
        socket_url: SocketUrl,
        expires_at_ms: Option<f64>,
        locale: Locale,
        state: ChatState,
    ) -> Self {
        let inner = Rc::new(Inner {
            api_url,
            token: RefCell::new(token),
            callback,
            socket_url,
            locale,
            state,
            lifecycle: RefCell::new(TokenLifecycle::new()),
            fresh_url: RefCell::new(None),
            refresh_plan: Cell::new(0),
            opened: Cell::new(None),
            closed: Cell::new(false),
        });
        match expires_at_ms {
            Some(expires_at_ms) => plan_refresh(&inner, expires_at_ms),
            None => check_session(Rc::clone(&inner)),
        }
        Self { inner }
    }

    /// Watches the socket inputs for opens and failed connects.
    pub fn observe(&self, input: &Input) {
        let event = match input {
            Input::SocketOpened { generation } => {
                self.inner.opened.set(Some(*generation));
                TokenEvent::Connected
            }
            // A socket that closes without having opened is a failed connect.
            Input::SocketClosed { generation, .. }
                if self.inner.opened.get() != Some(*generation) =>
            {
                TokenEvent::ConnectFailed
            }
            _ => return,
        };
        apply(&self.inner, event);
    }

    /// Returns true once the session expired: the driver stops connecting.
    pub fn is_expired(&self) -> bool {
        self.inner.lifecycle.borrow().is_expired()
    }

    /// Takes the socket URL of a refreshed token, for the next connect.
    pub fn take_socket_url(&self) -> Option<String> {
        self.inner.fresh_url.borrow_mut().take()
    }
}

impl Drop for TokenKeeper {
    fn drop(&mut self) {
        self.inner.closed.set(true);
    }
}

/// Feeds one event to the lifecycle and performs the step it returns.
fn apply(inner: &Rc<Inner>, event: TokenEvent) {
    if inner.closed.get() {
        return;
    }
    let step = inner.lifecycle.borrow_mut().on(event);
    match step {
        TokenStep::Wait | TokenStep::UseToken => {}
        TokenStep::CheckSession => check_session(Rc::clone(inner)),
        TokenStep::Refresh => refresh(Rc::clone(inner)),
        TokenStep::Expire => {
            web_sys::console::warn_1(&"ridechat: the session expired; stopped reconnecting".into());
            inner.state.expire();
            inner
                .state
                .notify(Text::SessionExpired.get(inner.locale).to_owned());
        }
    }
}

/// Requests `/api/session` and feeds the verdict to the lifecycle.
fn check_session(inner: Rc<Inner>) {
    wasm_bindgen_futures::spawn_local(async move {
        let token = inner.token.borrow().clone();
        let event = match lookup_session(&inner.api_url, &token).await {
            SessionLookup::User { expires_at_ms, .. } => {
                if let Some(expires_at_ms) = expires_at_ms {
                    plan_refresh(&inner, expires_at_ms);
                }
                TokenEvent::SessionValid
            }
            SessionLookup::Rejected => TokenEvent::SessionRejected,
            SessionLookup::Unreachable(reason) => {
                web_sys::console::warn_1(&format!("ridechat: {reason}").into());
                TokenEvent::SessionUnreachable
            }
        };
        apply(&inner, event);
    });
}

/// Requests a new token, from the embedder's callback when there is one,
/// and feeds the outcome to the lifecycle.
fn refresh(inner: Rc<Inner>) {
    wasm_bindgen_futures::spawn_local(async move {
        let fetched = match &inner.callback {
            Some(callback) => callback.fetch().await,
            None => {
                let token = inner.token.borrow().clone();
                refresh_token(&inner.api_url, &token).await
            }
        };
        let event = match fetched {
            Ok(fresh) => {
                let now_ms = js_sys::Date::now();
                if fresh.expires_at_ms > now_ms && !inner.closed.get() {
                    use_token(&inner, fresh.clone());
                }
                TokenEvent::Refreshed {
                    expires_at_ms: fresh.expires_at_ms,
                    now_ms,
                }
            }
            Err(reason) => {
                web_sys::console::warn_1(&format!("ridechat: token refresh: {reason}").into());
                TokenEvent::RefreshFailed
            }
        };
        apply(&inner, event);
    });
}

/// Switches to a refreshed token: the next connect, the next check and a
/// reload of this tab use it.
fn use_token(inner: &Rc<Inner>, fresh: FreshToken) {
    *inner.fresh_url.borrow_mut() = Some((inner.socket_url)(&fresh.token));
    super::options::remember_token(&fresh.token);
    *inner.token.borrow_mut() = fresh.token;
    plan_refresh(inner, fresh.expires_at_ms);
}

/// Plans a refresh at 80 % of the remaining lifetime, replacing the
/// previous plan.
fn plan_refresh(inner: &Rc<Inner>, expires_at_ms: f64) {
    let plan = inner.refresh_plan.get().wrapping_add(1);
    inner.refresh_plan.set(plan);
    let now_ms = js_sys::Date::now();
    let wait_ms = (refresh_due_ms(now_ms, expires_at_ms) - now_ms).max(0.0);

    let inner = Rc::clone(inner);
    wasm_bindgen_futures::spawn_local(async move {
        // `wait_ms` is non-negative and finite, so the cast only drops the
        // fraction.
        sleep(Duration::from_millis(wait_ms as u64)).await;
        if inner.refresh_plan.get() == plan {
            apply(&inner, TokenEvent::RefreshDue);
        }
    });
}
