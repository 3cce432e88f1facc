//! The embedder's token callback, called in headless Chromium: what it
//! resolves to, and the clear errors for what it must not return.

use js_sys::Function;
use ridechat::TokenCallback;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn callback(body: &str) -> TokenCallback {
    TokenCallback(Function::new_no_args(body))
}

#[wasm_bindgen_test]
async fn callback_promise_gives_token() {
    let fresh =
        callback("return Promise.resolve({token: 't2', expires_at: '2030-01-01T00:00:00Z'});")
            .fetch()
            .await
            .expect("a resolved token");

    assert_eq!(fresh.token, "t2");
    assert_eq!(fresh.expires_at_ms, 1_893_456_000_000.0);
}

#[wasm_bindgen_test]
async fn callback_plain_object_with_millis() {
    let fresh = callback("return {token: 't3', expires_at: 1893456000000};")
        .fetch()
        .await
        .expect("a returned token");

    assert_eq!(fresh.token, "t3");
    assert_eq!(fresh.expires_at_ms, 1_893_456_000_000.0);
}

#[wasm_bindgen_test]
async fn callback_without_token_is_an_error() {
    let error = callback("return Promise.resolve({expires_at: 1893456000000});")
        .fetch()
        .await
        .expect_err("no token");

    assert!(error.contains("without a token"), "{error}");
}

#[wasm_bindgen_test]
async fn callback_bad_expiry_is_an_error() {
    let error = callback("return {token: 't4', expires_at: 'soon'};")
        .fetch()
        .await
        .expect_err("an unreadable expiry");

    assert!(error.contains("\"soon\""), "{error}");
}

#[wasm_bindgen_test]
async fn callback_rejection_is_an_error() {
    let error = callback("return Promise.reject(new Error('portal is down'));")
        .fetch()
        .await
        .expect_err("a rejected promise");

    assert!(error.contains("rejected: portal is down"), "{error}");
}

#[wasm_bindgen_test]
fn mount_rejects_non_function_callback() {
    let document = web_sys::window().unwrap().document().unwrap();
    let host: web_sys::HtmlElement = document.create_element("div").unwrap().unchecked_into();
    let options = js_sys::Object::new();
    js_sys::Reflect::set(&options, &"token".into(), &"t1".into()).unwrap();
    js_sys::Reflect::set(&options, &"tokenCallback".into(), &"not a function".into()).unwrap();

    let result = ridechat::mount_from_js(host, JsValue::from(options));

    let error = result.err().expect("the mount is rejected");
    let message = JsValue::from(error)
        .dyn_into::<js_sys::Error>()
        .map(|error| String::from(error.message()))
        .unwrap_or_default();
    assert!(
        message.contains("tokenCallback is not a function"),
        "{message}"
    );
}
