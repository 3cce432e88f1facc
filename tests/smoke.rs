//! Mounts the whole app in headless Chromium without a token: it must render
//! its root and banner, ask for a token, and unmount cleanly.

use std::time::Duration;

use ridechat::MountOptions;
use ridechat::adapters::timer::sleep;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn new_host() -> web_sys::HtmlElement {
    let document = web_sys::window().unwrap().document().unwrap();
    let host: web_sys::HtmlElement = document.create_element("div").unwrap().unchecked_into();
    document.body().unwrap().append_child(&host).unwrap();
    host
}

#[wasm_bindgen_test]
async fn app_without_token_asks_for_one() {
    let host = new_host();
    let options = MountOptions {
        locale: Some("en".to_owned()),
        ..MountOptions::default()
    };
    let app = ridechat::mount(host.clone(), options);
    sleep(Duration::ZERO).await;

    let root = host.query_selector("[data-testid=app]").unwrap();
    assert!(root.is_some(), "app root missing: {}", host.inner_html());
    let connection = host.query_selector("[data-testid=connection]").unwrap();
    let connection = connection.expect("connection banner");
    assert_eq!(
        connection.get_attribute("data-state").as_deref(),
        Some("offline"),
        "an app without a token never connects"
    );
    let text = host.text_content().unwrap_or_default();
    assert!(
        text.contains("No session"),
        "expected the no-token text, got {text:?}"
    );

    app.unmount();
    assert_eq!(
        host.child_element_count(),
        0,
        "unmount must remove the view"
    );
}

#[wasm_bindgen_test]
async fn arabic_sets_right_to_left() {
    let host = new_host();
    let options = MountOptions {
        locale: Some("ar-MA".to_owned()),
        ..MountOptions::default()
    };
    let app = ridechat::mount(host.clone(), options);
    sleep(Duration::ZERO).await;

    let root = host
        .query_selector("[data-testid=app]")
        .unwrap()
        .expect("app root");
    assert_eq!(root.get_attribute("dir").as_deref(), Some("rtl"));
    assert_eq!(root.get_attribute("lang").as_deref(), Some("ar"));
    drop(app);
}

fn js_options() -> wasm_bindgen::JsValue {
    let options = js_sys::Object::new();
    js_sys::Reflect::set(&options, &"locale".into(), &"en".into()).unwrap();
    options.into()
}

#[wasm_bindgen_test]
async fn lost_js_handle_keeps_app() {
    let dropped_host = new_host();
    let kept_host = new_host();
    {
        // Freed at the end of this block, as the garbage collector frees a
        // handle the page did not keep.
        let _handle = ridechat::mount_from_js(dropped_host.clone(), js_options()).expect("mounted");
    }
    let kept = ridechat::mount_from_js(kept_host.clone(), js_options()).expect("mounted");
    sleep(Duration::ZERO).await;
    assert!(
        dropped_host
            .query_selector("[data-testid=app]")
            .unwrap()
            .is_some(),
        "the app must stay mounted: {}",
        dropped_host.inner_html()
    );

    kept.unmount();
    assert_eq!(
        kept_host.child_element_count(),
        0,
        "unmount must remove the view"
    );
    kept.unmount();
}
