//! The whole app in headless Chromium with no server behind its socket: the
//! driver, the WebSocket adapter, the IndexedDB store and the UI together.
//! A message sent offline must show as sending, stay queued, and come back
//! from IndexedDB after the app is mounted again.
//!
//! The socket points at port 9 on 127.0.0.1, where no WebSocket server
//! runs, so every connect fails. The user id comes from this tab's cache, the way a reload finds it
//! when the server is down.

mod common;

use common::{find, new_host, offline_options, wait_for};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{HtmlElement, HtmlTextAreaElement};

wasm_bindgen_test_configure!(run_in_browser);

const TOKEN: &str = "offline-test-token";
const USER: &str = "offline-user";

fn banner_state(host: &HtmlElement) -> Option<(String, String)> {
    let banner = find(host, "[data-testid=connection]")?;
    Some((
        banner.get_attribute("data-state")?,
        banner.get_attribute("data-queued")?,
    ))
}

#[wasm_bindgen_test]
async fn offline_send_survives_remount() {
    let storage = web_sys::window()
        .unwrap()
        .session_storage()
        .unwrap()
        .unwrap();
    storage
        .set_item("ridechat.user", &format!("{TOKEN} {USER}"))
        .unwrap();
    storage.set_item("ridechat.open_topic", "ride:77").unwrap();
    ridechat::store::IdbStore::delete(USER)
        .await
        .expect("delete the old database");

    let host = new_host();
    let app = ridechat::mount(host.clone(), offline_options(TOKEN));
    wait_for("the offline banner", &host, || {
        banner_state(&host).filter(|(state, _)| state == "offline")
    })
    .await;

    let input: HtmlTextAreaElement = wait_for("the composer", &host, || {
        find(&host, "[data-testid=composer-input]")
    })
    .await
    .unchecked_into();
    input.set_value("written in a tunnel");
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    input
        .dispatch_event(&web_sys::Event::new_with_event_init_dict("input", &init).unwrap())
        .unwrap();
    find(&host, "[data-testid=composer-send]")
        .expect("send button")
        .unchecked_into::<HtmlElement>()
        .click();

    let bubble = wait_for("the pending bubble", &host, || {
        find(&host, "[data-testid=message]")
    })
    .await;
    assert_eq!(
        bubble.get_attribute("data-status").as_deref(),
        Some("sending")
    );
    assert_eq!(bubble.get_attribute("data-seq").as_deref(), Some(""));
    assert_eq!(bubble.get_attribute("data-mine").as_deref(), Some("true"));
    let client_id = bubble.get_attribute("data-client-id").expect("client id");
    let (_, queued) = wait_for("one queued message", &host, || {
        banner_state(&host).filter(|(_, queued)| queued == "1")
    })
    .await;
    assert_eq!(queued, "1");

    app.unmount();
    assert!(
        find(&host, "[data-testid=message]").is_none(),
        "unmount removes the view"
    );

    let again = ridechat::mount(host.clone(), offline_options(TOKEN));
    let restored = wait_for("the restored bubble", &host, || {
        find(&host, "[data-testid=message]")
    })
    .await;
    assert_eq!(restored.get_attribute("data-client-id"), Some(client_id));
    assert_eq!(
        restored.get_attribute("data-status").as_deref(),
        Some("sending")
    );
    let body = find(&host, "[data-testid=message-body]").expect("body");
    assert_eq!(body.text_content().as_deref(), Some("written in a tunnel"));
    drop(again);
}
