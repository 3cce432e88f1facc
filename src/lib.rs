//! ridechat: the browser client.

use leptos::prelude::*;
use wasm_bindgen::prelude::*;

/// Mounts the app on `document.body`. Trunk's loader calls it once the module
/// is initialised; embedders call [`mount`] instead.
#[wasm_bindgen]
pub fn start() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(App);
}

/// Mounts the app on `element`.
pub fn mount(element: web_sys::HtmlElement) {
    leptos::mount::mount_to(element, App).forget();
}

#[component]
fn App() -> impl IntoView {
    view! { <main class="ridechat" data-testid="app"><h1>"ridechat"</h1></main> }
}
