//! The whole app in headless Chromium when IndexedDB refuses to open, as in
//! some private modes: `indexedDB.open` throws. The app must still start,
//! warn that messages live only in memory, and keep what the user sends.
//!
//! The socket points at port 9 on 127.0.0.1, where no WebSocket server runs,
//! so every connect fails and a sent message stays queued in memory. This
//! file contains one test, because replacing `indexedDB.open` affects the
//! whole page.

mod common;

use std::time::Duration;

use common::{find, new_host, offline_options, wait_for};
use ridechat::adapters::timer::sleep;
use ridechat::i18n::{Locale, Text};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{HtmlElement, HtmlTextAreaElement, IdbFactory};

wasm_bindgen_test_configure!(run_in_browser);

const TOKEN: &str = "no-storage-token";
const USER: &str = "no-storage-user";
const TOPIC: &str = "ride:88";

fn factory() -> IdbFactory {
    web_sys::window()
        .unwrap()
        .indexed_db()
        .unwrap()
        .expect("this browser has IndexedDB")
}

/// Makes `indexedDB.open` throw until dropped, as a browser that blocks
/// storage does. The replacement is an own property of the factory,
/// so deleting it brings back the browser's method.
struct ThrowingOpen(IdbFactory);

impl ThrowingOpen {
    fn install() -> ThrowingOpen {
        let factory = factory();
        let throwing = js_sys::Function::new_no_args(
            "throw new DOMException('The operation is insecure.', 'SecurityError');",
        );
        js_sys::Reflect::set(&factory, &"open".into(), &throwing).unwrap();
        ThrowingOpen(factory)
    }
}

impl Drop for ThrowingOpen {
    fn drop(&mut self) {
        js_sys::Reflect::delete_property(&self.0, &"open".into()).unwrap();
    }
}

fn queued(host: &HtmlElement) -> Option<String> {
    find(host, "[data-testid=connection]")?.get_attribute("data-queued")
}

fn send(host: &HtmlElement, input: &HtmlTextAreaElement, text: &str) {
    input.set_value(text);
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    input
        .dispatch_event(&web_sys::Event::new_with_event_init_dict("input", &init).unwrap())
        .unwrap();
    find(host, "[data-testid=composer-send]")
        .expect("send button")
        .unchecked_into::<HtmlElement>()
        .click();
}

#[wasm_bindgen_test]
async fn unavailable_idb_keeps_messages_in_memory() {
    let storage = web_sys::window()
        .unwrap()
        .session_storage()
        .unwrap()
        .unwrap();
    storage
        .set_item("ridechat.user", &format!("{TOKEN} {USER}"))
        .unwrap();
    storage.set_item("ridechat.open_topic", TOPIC).unwrap();

    let throwing_open = ThrowingOpen::install();
    assert!(
        factory().open("probe").is_err(),
        "indexedDB.open must throw while replaced"
    );

    let host = new_host();
    let app = ridechat::mount(host.clone(), offline_options(TOKEN));

    let banner = wait_for("the storage banner", &host, || {
        find(&host, "[data-testid=storage-banner]")
    })
    .await;
    assert_eq!(
        banner.text_content().as_deref(),
        Some(Text::StorageMemoryOnly.get(Locale::En)),
        "the banner must say that messages are kept only in memory"
    );

    let input: HtmlTextAreaElement = wait_for("the composer", &host, || {
        find(&host, "[data-testid=composer-input]")
    })
    .await
    .unchecked_into();
    send(&host, &input, "sent without storage");

    let bubble = wait_for("the bubble of the sent message", &host, || {
        find(&host, "[data-testid=message]")
    })
    .await;
    assert_eq!(
        bubble.get_attribute("data-status").as_deref(),
        Some("sending")
    );
    assert_eq!(bubble.get_attribute("data-mine").as_deref(), Some("true"));
    let body = find(&host, "[data-testid=message-body]").expect("message body");
    assert_eq!(body.text_content().as_deref(), Some("sent without storage"));
    wait_for("one queued message", &host, || {
        queued(&host).filter(|count| count == "1")
    })
    .await;

    // Several failed reconnects later (timers run at 1/100), the message is
    // still shown and queued, and no error was reported.
    sleep(Duration::from_millis(500)).await;
    let bubbles = host
        .query_selector_all("[data-testid=message]")
        .unwrap()
        .length();
    assert_eq!(bubbles, 1, "the message must stay on screen, once");
    assert_eq!(
        find(&host, "[data-testid=message]")
            .and_then(|bubble| bubble.get_attribute("data-status"))
            .as_deref(),
        Some("sending"),
        "the message must stay queued, not fail"
    );
    assert_eq!(queued(&host).as_deref(), Some("1"));
    assert!(
        find(&host, "[data-testid=notice]").is_none(),
        "no store error may be reported: {}",
        host.inner_html()
    );
    assert!(
        find(&host, "[data-testid=storage-banner]").is_some(),
        "the banner stays while messages live in memory"
    );

    app.unmount();
    drop(throwing_open);
    assert!(
        !js_sys::Object::has_own(&factory(), &"open".into()),
        "the browser's indexedDB.open must be back"
    );
}
