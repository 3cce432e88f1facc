//! Start-up: from mount options to a running session.
//!
//! 1. Learn the user id: from this tab's `sessionStorage` when the same token
//!    already resolved (so a reload paints offline), otherwise from
//!    `GET /api/session`, retried while the server is unreachable.
//! 2. Open the user's IndexedDB database, or fall back to memory with a
//!    banner.
//! 3. Run the driver: the session paints from the store, then connects. The
//!    token keeper ([`expiry`]) refreshes the token and detects its expiry.

pub mod api;
pub mod callback;
pub(crate) mod expiry;
pub mod options;

use std::rc::Rc;
use std::time::Duration;

use futures::channel::mpsc::{UnboundedReceiver, UnboundedSender};
use leptos::prelude::Set;
use ridechat_core::session::{ChatSession, Input};
use ridechat_core::socket::Settings;

use self::api::{SessionLookup, lookup_session};
use self::callback::TokenCallback;
use self::expiry::TokenKeeper;
use self::options::MountOptions;
use crate::adapters::timer::sleep;
use crate::driver;
use crate::i18n::Locale;
use crate::ids;
use crate::state::{ChatState, Phase};
use crate::store::AppStore;

/// Key of the cached `token user_id` pair in `sessionStorage`.
const USER_KEY: &str = "ridechat.user";

/// Waits between `/api/session` attempts while the server is unreachable;
/// the last step repeats.
const LOOKUP_RETRY: [Duration; 4] = [
    Duration::from_secs(1),
    Duration::from_secs(2),
    Duration::from_secs(5),
    Duration::from_secs(10),
];

/// Server addresses and protocol settings, resolved from the options and the
/// page.
#[derive(Debug, Clone)]
pub struct Endpoints {
    pub token: String,
    pub api_url: String,
    /// The full WebSocket URL with `vsn` and the token. Never logged.
    pub websocket_url: String,
    /// The socket endpoint without `/websocket`, such as
    /// `ws://127.0.0.1:4000/socket`.
    pub socket_base: String,
    pub settings: Settings,
    /// The embedder's token source, used in place of the refresh endpoint.
    pub token_callback: Option<TokenCallback>,
}

impl Endpoints {
    /// Resolves the endpoints, or `None` without a token.
    pub fn resolve(options: &MountOptions, state: &ChatState) -> Option<Endpoints> {
        let token = options.token.clone().filter(|token| !token.is_empty())?;
        let location = web_sys::window().map(|window| window.location());
        let page_origin = location
            .as_ref()
            .and_then(|location| location.origin().ok())
            .unwrap_or_default();

        let socket_url = match options.socket_url.as_deref() {
            Some(url) if url.starts_with("ws://") || url.starts_with("wss://") => url.to_owned(),
            other => {
                if let Some(url) = other {
                    state.notify(format!(
                        "Ignored socket URL {url:?}: it must start with ws:// or wss://. \
                         Using /socket on this page's host."
                    ));
                }
                default_socket_url(&page_origin)
            }
        };
        let websocket_url = websocket_url(&socket_url, &token);

        let settings = match options.time_scale {
            Some(factor) if factor > 0.0 && factor.is_finite() => {
                Settings::default().scaled(factor)
            }
            _ => Settings::default(),
        };
        Some(Endpoints {
            token,
            api_url: options.api_url.clone().unwrap_or(page_origin),
            websocket_url,
            socket_base: socket_url,
            settings,
            token_callback: options.token_callback.clone(),
        })
    }
}

/// Returns the WebSocket URL of the endpoint `socket_base` for `token`.
fn websocket_url(socket_base: &str, token: &str) -> String {
    format!(
        "{}/websocket?vsn=2.0.0&token={}",
        socket_base.trim_end_matches('/'),
        String::from(js_sys::encode_uri_component(token))
    )
}

/// `ws://host/socket` for an `http:` page, `wss://host/socket` for `https:`.
fn default_socket_url(page_origin: &str) -> String {
    match page_origin.strip_prefix("https://") {
        Some(host) => format!("wss://{host}/socket"),
        None => format!("ws://{}/socket", page_origin.trim_start_matches("http://")),
    }
}

/// Runs the app until it is unmounted: start-up, then the driver.
pub async fn run(
    state: ChatState,
    options: MountOptions,
    locale: Locale,
    inputs: UnboundedReceiver<Input>,
    sender: UnboundedSender<Input>,
) {
    let Some(endpoints) = Endpoints::resolve(&options, &state) else {
        state.phase.try_set(Phase::NoToken);
        state.show_offline();
        return;
    };
    let Some((user_id, expires_at_ms)) = resolve_user(&state, &endpoints, &sender).await else {
        return;
    };

    state.user_id.try_set(Some(user_id.clone()));

    let (store, fallback) = AppStore::open(&user_id).await;
    if let Some(error) = fallback {
        web_sys::console::warn_1(&format!("ridechat: using the in-memory store: {error}").into());
        state.storage_fallback.try_set(Some(error));
    }
    state.phase.try_set(Phase::Ready);

    let socket_base = endpoints.socket_base.clone();
    let token = TokenKeeper::new(
        endpoints.api_url,
        endpoints.token,
        endpoints.token_callback,
        Rc::new(move |token: &str| websocket_url(&socket_base, token)),
        expires_at_ms,
        locale,
        state,
    );
    let session = ChatSession::new(user_id, store, endpoints.settings, ids::random_seed());
    let driver = driver::Driver {
        state,
        websocket_url: endpoints.websocket_url,
        token,
    };
    driver.run(session, inputs, sender).await;
}

/// Returns the user id of the token and its expiry when known, or `None`
/// when the app cannot start (token rejected, or unmounted while retrying).
async fn resolve_user(
    state: &ChatState,
    endpoints: &Endpoints,
    sender: &UnboundedSender<Input>,
) -> Option<(String, Option<f64>)> {
    if let Some(user_id) = cached_user(&endpoints.token) {
        // Start from the cache at once. The token keeper checks the token
        // meanwhile, because its expiry is unknown.
        return Some((user_id, None));
    }

    let mut attempt = 0;
    loop {
        match lookup_session(&endpoints.api_url, &endpoints.token).await {
            SessionLookup::User {
                user_id,
                expires_at_ms,
            } => {
                cache_user(&endpoints.token, &user_id);
                return Some((user_id, expires_at_ms));
            }
            SessionLookup::Rejected => {
                state.expire();
                return None;
            }
            SessionLookup::Unreachable(reason) => {
                web_sys::console::warn_1(&format!("ridechat: {reason}; retrying").into());
                state.phase.try_set(Phase::Unreachable);
            }
        }
        let wait = LOOKUP_RETRY[attempt.min(LOOKUP_RETRY.len() - 1)];
        attempt += 1;
        sleep(wait).await;
        if sender.is_closed() {
            return None;
        }
    }
}

fn session_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

/// Returns the user id cached for `token` in this tab.
fn cached_user(token: &str) -> Option<String> {
    let cached = session_storage()?.get_item(USER_KEY).ok().flatten()?;
    let (cached_token, user_id) = cached.split_once(' ')?;
    (cached_token == token && !user_id.is_empty()).then(|| user_id.to_owned())
}

fn cache_user(token: &str, user_id: &str) {
    // Tokens and user ids contain no spaces, so one space separates them.
    let stored =
        session_storage().map(|storage| storage.set_item(USER_KEY, &format!("{token} {user_id}")));
    if !matches!(stored, Some(Ok(()))) {
        web_sys::console::warn_1(
            &"ridechat: cannot cache the user id; a reload needs the server".into(),
        );
    }
}
