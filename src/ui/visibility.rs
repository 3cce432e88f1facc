//! Watches on what the user sees: peer bubbles at least half on screen
//! (an `IntersectionObserver` with threshold 0.5) and the page visibility
//! (`document.visibilityState`).
//!
//! Both only report changes to the session. The session times the 500 ms
//! that make a bubble read, so no timer runs here.
//!
//! NOTE: a bubble taller than twice the visible list never reaches half on
//! screen, so it is never reported read.

use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{
    Element, Event, IntersectionObserver, IntersectionObserverEntry, IntersectionObserverInit,
    VisibilityState,
};

/// Share of a bubble that must be on screen for it to count as seen.
const THRESHOLD: f64 = 0.5;

/// Watches peer bubbles and reports each one that crosses half on screen,
/// by the `data-seq` attribute of its element. Dropping it stops watching.
pub struct BubbleWatch {
    observer: Option<IntersectionObserver>,
    _callback: Closure<dyn FnMut(js_sys::Array)>,
}

impl BubbleWatch {
    /// Creates a watch that calls `on_change(seq, on_screen)`. When the
    /// browser has no `IntersectionObserver`, it warns once and reports
    /// nothing, so no bubble is ever marked read.
    pub fn new(on_change: impl Fn(u64, bool) + 'static) -> Self {
        let callback = Closure::<dyn FnMut(js_sys::Array)>::new(move |entries: js_sys::Array| {
            for entry in entries.iter() {
                let Ok(entry) = entry.dyn_into::<IntersectionObserverEntry>() else {
                    continue;
                };
                let seq = entry
                    .target()
                    .get_attribute("data-seq")
                    .and_then(|seq| seq.parse::<u64>().ok());
                if let Some(seq) = seq {
                    let on_screen =
                        entry.is_intersecting() && entry.intersection_ratio() >= THRESHOLD;
                    on_change(seq, on_screen);
                }
            }
        });
        let options = IntersectionObserverInit::new();
        options.set_threshold_f64(THRESHOLD);
        let observer =
            IntersectionObserver::new_with_options(callback.as_ref().unchecked_ref(), &options);
        let observer = match observer {
            Ok(observer) => Some(observer),
            Err(error) => {
                web_sys::console::warn_2(
                    &"ridechat: cannot watch bubbles on screen, so none is marked read".into(),
                    &error,
                );
                None
            }
        };
        Self {
            observer,
            _callback: callback,
        }
    }

    /// Starts watching a bubble element that carries `data-seq`. A watched
    /// element that leaves the page is reported off screen by the browser.
    pub fn watch(&self, element: &Element) {
        if let Some(observer) = &self.observer {
            observer.observe(element);
        }
    }
}

impl Drop for BubbleWatch {
    fn drop(&mut self) {
        if let Some(observer) = &self.observer {
            observer.disconnect();
        }
    }
}

/// Reports the page's visibility now and on every `visibilitychange`.
/// Dropping it removes the listener.
pub struct PageWatch {
    document: Option<web_sys::Document>,
    callback: Closure<dyn FnMut(Event)>,
}

impl PageWatch {
    pub fn new(on_change: impl Fn(bool) + 'static) -> Self {
        let document = web_sys::window().and_then(|window| window.document());
        let visible =
            |document: &web_sys::Document| document.visibility_state() == VisibilityState::Visible;
        if let Some(document) = &document {
            on_change(visible(document));
        }
        let watched = document.clone();
        let callback = Closure::<dyn FnMut(Event)>::new(move |_event: Event| {
            if let Some(document) = &watched {
                on_change(visible(document));
            }
        });
        if let Some(document) = &document {
            let added = document.add_event_listener_with_callback(
                "visibilitychange",
                callback.as_ref().unchecked_ref(),
            );
            if let Err(error) = added {
                web_sys::console::warn_2(
                    &"ridechat: cannot listen to visibilitychange".into(),
                    &error,
                );
            }
        }
        Self { document, callback }
    }
}

impl Drop for PageWatch {
    fn drop(&mut self) {
        if let Some(document) = &self.document {
            // A listener that was never added cannot be removed either.
            let _ = document.remove_event_listener_with_callback(
                "visibilitychange",
                self.callback.as_ref().unchecked_ref(),
            );
        }
    }
}
