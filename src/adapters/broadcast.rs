//! Store changes between the tabs of one user, over the BroadcastChannel
//! `ridechat-<user_id>`.
//!
//! IndexedDB is shared by the tabs of an origin, but it sends no change
//! events. So after each input the driver announces the topics whose outbox
//! or message statuses the session wrote, as `{"topic": "ride:42"}`, and
//! every other tab passes [`Input::PeerTabChanged`] to its session, which
//! reloads that room from the store. A channel never delivers a message to
//! the tab that posted it.

use futures::channel::mpsc::UnboundedSender;
use js_sys::{Function, Reflect};
use ridechat_core::session::Input;
use serde::{Deserialize, Serialize};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};

use super::send_input;

/// Returns the name of the channel of `user_id`.
pub fn channel_name(user_id: &str) -> String {
    format!("ridechat-{user_id}")
}

/// The message posted on the channel.
#[derive(Debug, Serialize, Deserialize)]
struct StoreChanged {
    topic: String,
}

/// An open channel. Dropping it closes the channel and its listener.
pub struct TabChannel {
    channel: JsValue,
    _on_message: Closure<dyn FnMut(JsValue)>,
}

impl TabChannel {
    /// Opens the channel of `user_id`. Returns `None` when the browser has
    /// no BroadcastChannel: other tabs then see this tab's changes only
    /// when they reload.
    pub fn open(user_id: &str, inputs: UnboundedSender<Input>) -> Option<Self> {
        let global = js_sys::global();
        let constructor = Reflect::get(&global, &JsValue::from_str("BroadcastChannel"))
            .ok()?
            .dyn_into::<Function>()
            .ok()?;
        let arguments = js_sys::Array::of1(&JsValue::from_str(&channel_name(user_id)));
        let channel = match Reflect::construct(&constructor, &arguments) {
            Ok(channel) => channel,
            Err(error) => {
                web_sys::console::warn_2(&"ridechat: cannot open the tab channel:".into(), &error);
                return None;
            }
        };

        let on_message = Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
            let data = Reflect::get(&event, &JsValue::from_str("data"))
                .ok()
                .and_then(|data| data.as_string());
            match data.map(|text| serde_json::from_str::<StoreChanged>(&text)) {
                Some(Ok(change)) => send_input(
                    &inputs,
                    Input::PeerTabChanged {
                        topic: change.topic,
                    },
                ),
                _ => web_sys::console::warn_1(
                    &"ridechat: ignored an invalid tab message; expected {\"topic\": \"ride:<id>\"}"
                        .into(),
                ),
            }
        });
        if Reflect::set(
            &channel,
            &JsValue::from_str("onmessage"),
            on_message.as_ref(),
        )
        .is_err()
        {
            web_sys::console::warn_1(&"ridechat: cannot listen on the tab channel".into());
            return None;
        }
        Some(Self {
            channel,
            _on_message: on_message,
        })
    }

    /// Tells the other tabs that the store changed for `topic`.
    pub fn announce(&self, topic: &str) {
        let message = StoreChanged {
            topic: topic.to_owned(),
        };
        let Ok(text) = serde_json::to_string(&message) else {
            return;
        };
        if let Err(error) = self.call("postMessage", Some(&JsValue::from_str(&text))) {
            web_sys::console::warn_2(&"ridechat: cannot notify the other tabs:".into(), &error);
        }
    }

    fn call(&self, method: &str, argument: Option<&JsValue>) -> Result<JsValue, JsValue> {
        let function = Reflect::get(&self.channel, &JsValue::from_str(method))?
            .dyn_into::<Function>()
            .map_err(|_| JsValue::from_str(&format!("BroadcastChannel.{method} is missing")))?;
        match argument {
            Some(argument) => function.call1(&self.channel, argument),
            None => function.call0(&self.channel),
        }
    }
}

impl Drop for TabChannel {
    fn drop(&mut self) {
        // Removing the listener first means no callback reaches the dropped
        // closure.
        let _ = Reflect::set(
            &self.channel,
            &JsValue::from_str("onmessage"),
            &JsValue::NULL,
        );
        if let Err(error) = self.call("close", None) {
            web_sys::console::warn_2(&"ridechat: cannot close the tab channel:".into(), &error);
        }
    }
}
