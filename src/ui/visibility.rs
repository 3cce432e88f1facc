//! Watches on what the user sees: peer bubbles on screen (an
//! `IntersectionObserver`) and the page visibility
//! (`document.visibilityState`).
//!
//! A bubble is on screen when at least half of it is visible. A bubble too
//! tall for that (a long message on a small phone) is on screen when it fills
//! at least half of the viewport, or it could never be read and would hold
//! back the read watermark of every later message.
//!
//! Both only report changes to the session. The session times the 500 ms
//! that make a bubble read, so no timer runs here.
//!
//! NOTE: the viewport is the reference, so in an embed whose message list is
//! under half the viewport's height, a bubble taller than twice the list is
//! still never reported on screen.

use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{
    Element, Event, IntersectionObserver, IntersectionObserverEntry, IntersectionObserverInit,
    VisibilityState,
};

/// Share of a bubble, or of the viewport for a tall bubble, that must be on
/// screen for the bubble to count as seen.
const SHARE: f64 = 0.5;

/// Returns true when a bubble counts as seen: at least half of it visible,
/// or at least half of the viewport's height filled by it.
fn counts_as_seen(visible_ratio: f64, visible_height: f64, viewport_height: f64) -> bool {
    visible_ratio >= SHARE || (viewport_height > 0.0 && visible_height >= SHARE * viewport_height)
}

/// Ratios at which the browser reports a bubble: every tenth, so a tall
/// bubble is reported as it comes to fill the viewport.
fn thresholds() -> js_sys::Array {
    (0..=10)
        .map(|step| wasm_bindgen::JsValue::from_f64(f64::from(step) / 10.0))
        .collect()
}

/// Returns the height of the area the observer clips against: the viewport.
fn viewport_height(entry: &IntersectionObserverEntry) -> f64 {
    match entry.root_bounds() {
        Some(bounds) => bounds.height(),
        // Cross-origin frames get no root bounds, so measure the window.
        None => web_sys::window()
            .and_then(|window| window.inner_height().ok())
            .and_then(|height| height.as_f64())
            .unwrap_or(0.0),
    }
}

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
                    let on_screen = entry.is_intersecting()
                        && counts_as_seen(
                            entry.intersection_ratio(),
                            entry.intersection_rect().height(),
                            viewport_height(&entry),
                        );
                    on_change(seq, on_screen);
                }
            }
        });
        let options = IntersectionObserverInit::new();
        options.set_threshold_f64_sequence(&thresholds());
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

#[cfg(test)]
mod tests {
    use super::counts_as_seen;

    #[test]
    fn half_visible_bubble_is_seen() {
        assert!(counts_as_seen(0.5, 40.0, 800.0));
        assert!(!counts_as_seen(0.49, 39.0, 800.0));
    }

    #[test]
    fn tall_bubble_filling_half_viewport_is_seen() {
        // A 2,541 px bubble of which 514 px show in an 800 px viewport.
        assert!(!counts_as_seen(0.2, 514.0, 1_200.0));
        assert!(counts_as_seen(0.2, 514.0, 800.0));
    }

    #[test]
    fn unknown_viewport_needs_half_the_bubble() {
        assert!(!counts_as_seen(0.3, 600.0, 0.0));
    }
}
