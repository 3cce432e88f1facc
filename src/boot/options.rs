//! Mount options, and how the standalone page finds them.
//!
//! The standalone app is opened as `/#token=<token>` (optionally with
//! `&socket=ws://host:port/socket`). The fragment never reaches the server,
//! so the token never lands in a request log. The app keeps both values in
//! `sessionStorage`, so a reload of the tab without the fragment still works,
//! then removes the fragment from the address bar.

use serde::Deserialize;
use wasm_bindgen::JsValue;
use web_sys::UrlSearchParams;

use super::callback::TokenCallback;

const TOKEN_KEY: &str = "ridechat.token";
const SOCKET_KEY: &str = "ridechat.socket";
const LOCALE_KEY: &str = "ridechat.locale";
const TIME_SCALE_KEY: &str = "ridechat.time_scale";

/// How to mount the app. JavaScript embedders pass these in camelCase:
/// `{token, socketUrl, locale, apiUrl, timeScale, tokenCallback}`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MountOptions {
    /// Bearer token for `/api/session` and the socket. Without one the app
    /// shows how to get one.
    pub token: Option<String>,
    /// Phoenix socket endpoint such as `wss://chat.example.com/socket`; the
    /// app appends `/websocket`. Defaults to `/socket` on the page's host.
    pub socket_url: Option<String>,
    /// Language tag such as `fr`; defaults to the browser's languages.
    pub locale: Option<String>,
    /// Origin of the HTTP API such as `https://chat.example.com`; defaults to
    /// the page's origin.
    pub api_url: Option<String>,
    /// Factor applied to every protocol timeout and backoff step, for tests
    /// that need a dead link found in seconds. Defaults to 1.
    pub time_scale: Option<f64>,
    /// The embedder's source of fresh tokens. Without it the app renews its
    /// token with `POST /api/session/refresh`. Set by [`crate::mount_from_js`]
    /// from `tokenCallback`, because a function cannot be deserialized.
    #[serde(skip)]
    pub token_callback: Option<TokenCallback>,
}

impl MountOptions {
    /// Reads the options of the standalone page from the URL fragment, or
    /// from this tab's `sessionStorage` when the fragment has none, and
    /// removes the fragment from the address bar.
    pub fn from_page() -> MountOptions {
        let fragment = read_fragment();
        let storage = web_sys::window().and_then(|window| window.session_storage().ok().flatten());

        let remembered = |key: &str, value: Option<String>| -> Option<String> {
            let storage = storage.as_ref()?;
            match value {
                Some(value) => {
                    // A full storage only costs the reload without the fragment.
                    if storage.set_item(key, &value).is_err() {
                        web_sys::console::warn_1(&format!("ridechat: cannot keep {key}").into());
                    }
                    Some(value)
                }
                None => storage.get_item(key).ok().flatten(),
            }
        };

        let options = MountOptions {
            token: remembered(TOKEN_KEY, fragment.get("token")),
            socket_url: remembered(SOCKET_KEY, fragment.get("socket")),
            locale: remembered(LOCALE_KEY, fragment.get("locale")),
            api_url: None,
            time_scale: remembered(TIME_SCALE_KEY, fragment.get("time_scale"))
                .and_then(|text| text.parse().ok()),
            token_callback: None,
        };
        if fragment.has("token") {
            remove_fragment();
        }
        options
    }
}

/// Keeps a refreshed token in this tab's `sessionStorage`, so a reload uses
/// it and not the one from the fragment, which may have expired.
pub(crate) fn remember_token(token: &str) {
    let storage = web_sys::window().and_then(|window| window.session_storage().ok().flatten());
    let stored = storage.map(|storage| storage.set_item(TOKEN_KEY, token));
    if !matches!(stored, Some(Ok(()))) {
        web_sys::console::warn_1(&"ridechat: cannot keep the refreshed token for a reload".into());
    }
}

/// Returns the key-value pairs of the URL fragment, empty when there are none.
fn read_fragment() -> Fragment {
    let hash = web_sys::window()
        .and_then(|window| window.location().hash().ok())
        .unwrap_or_default();
    let query = hash.strip_prefix('#').unwrap_or(&hash);
    Fragment(UrlSearchParams::new_with_str(query).ok())
}

/// The parsed fragment; `None` only if the browser failed to parse it.
struct Fragment(Option<UrlSearchParams>);

impl Fragment {
    fn get(&self, key: &str) -> Option<String> {
        self.0.as_ref()?.get(key).filter(|value| !value.is_empty())
    }

    fn has(&self, key: &str) -> bool {
        self.0.as_ref().is_some_and(|params| params.has(key))
    }
}

fn remove_fragment() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let location = window.location();
    let path = location.pathname().unwrap_or_default();
    let search = location.search().unwrap_or_default();
    let url = format!("{path}{search}");
    let replaced = window
        .history()
        .and_then(|history| history.replace_state_with_url(&JsValue::NULL, "", Some(&url)));
    if replaced.is_err() {
        web_sys::console::warn_1(&"ridechat: cannot remove the token from the address bar".into());
    }
}
