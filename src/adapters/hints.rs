//! Browser events that make a reconnect worth trying at once: `online`,
//! `pageshow` (a page restored from the back-forward cache) and
//! `visibilitychange` to visible. Each sends [`Input::ReconnectHint`].
//!
//! These are hints only. A dead link is found by the heartbeat, never by
//! `navigator.onLine`, which reports a network interface, not a route to the
//! server.

use futures::channel::mpsc::UnboundedSender;
use ridechat_core::session::Input;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{Event, EventTarget, VisibilityState};

use super::send_input;

/// The listeners; dropping this removes them.
pub struct ReconnectHints {
    listeners: Vec<Listener>,
}

struct Listener {
    target: EventTarget,
    event: &'static str,
    callback: Closure<dyn FnMut(Event)>,
}

impl ReconnectHints {
    pub fn new(inputs: UnboundedSender<Input>) -> Self {
        let mut listeners = Vec::new();
        let Some(window) = web_sys::window() else {
            return Self { listeners };
        };

        for event in ["online", "pageshow"] {
            let inputs = inputs.clone();
            let callback = Closure::<dyn FnMut(Event)>::new(move |_event: Event| {
                send_input(&inputs, Input::ReconnectHint);
            });
            listeners.push(Listener::add(window.clone().into(), event, callback));
        }

        if let Some(document) = window.document() {
            let visible_document = document.clone();
            let callback = Closure::<dyn FnMut(Event)>::new(move |_event: Event| {
                if visible_document.visibility_state() == VisibilityState::Visible {
                    send_input(&inputs, Input::ReconnectHint);
                }
            });
            listeners.push(Listener::add(document.into(), "visibilitychange", callback));
        }
        Self { listeners }
    }
}

impl Listener {
    fn add(target: EventTarget, event: &'static str, callback: Closure<dyn FnMut(Event)>) -> Self {
        if let Err(error) =
            target.add_event_listener_with_callback(event, callback.as_ref().unchecked_ref())
        {
            web_sys::console::warn_2(
                &format!("ridechat: cannot listen to {event}").into(),
                &error,
            );
        }
        Self {
            target,
            event,
            callback,
        }
    }
}

impl Drop for ReconnectHints {
    fn drop(&mut self) {
        for listener in &self.listeners {
            let removed = listener.target.remove_event_listener_with_callback(
                listener.event,
                listener.callback.as_ref().unchecked_ref(),
            );
            if let Err(error) = removed {
                web_sys::console::warn_2(
                    &format!("ridechat: cannot stop listening to {}", listener.event).into(),
                    &error,
                );
            }
        }
    }
}
