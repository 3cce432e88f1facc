//! Helpers shared by the browser tests that mount the whole app offline.

use std::time::Duration;

use ridechat::MountOptions;
use ridechat::adapters::timer::sleep;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement};

/// Returns a new element attached to the page body, to mount the app on.
pub fn new_host() -> HtmlElement {
    let document = web_sys::window().unwrap().document().unwrap();
    let host: HtmlElement = document.create_element("div").unwrap().unchecked_into();
    document.body().unwrap().append_child(&host).unwrap();
    host
}

/// Returns mount options for `token` whose socket never connects, with
/// every protocol timer a hundred times shorter.
pub fn offline_options(token: &str) -> MountOptions {
    MountOptions {
        token: Some(token.to_owned()),
        // Nothing speaks WebSocket on port 9 (discard), so every connect fails.
        socket_url: Some("ws://127.0.0.1:9/socket".to_owned()),
        locale: Some("en".to_owned()),
        api_url: None,
        time_scale: Some(0.01),
        token_callback: None,
    }
}

/// Polls `read` until it returns a value, for at most about 10 seconds.
pub async fn wait_for<T>(what: &str, host: &HtmlElement, read: impl Fn() -> Option<T>) -> T {
    for _ in 0..200 {
        if let Some(value) = read() {
            return value;
        }
        sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}; page: {}", host.inner_html());
}

/// Returns the first element under `host` that matches `selector`.
pub fn find(host: &HtmlElement, selector: &str) -> Option<Element> {
    host.query_selector(selector).ok().flatten()
}
