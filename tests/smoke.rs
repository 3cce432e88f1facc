//! Mounts the app in headless Chromium and reads the DOM back.

use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn app_mounts_into_element() {
    let document = web_sys::window().unwrap().document().unwrap();
    let host: web_sys::HtmlElement = document.create_element("div").unwrap().unchecked_into();
    document.body().unwrap().append_child(&host).unwrap();

    ridechat::mount(host.clone());

    let app = host.query_selector("[data-testid=app]").unwrap();
    assert!(app.is_some(), "app root missing: {}", host.inner_html());
}
