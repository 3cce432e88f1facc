//! The WebSocket adapter: opens, feeds and closes the browser's `WebSocket`
//! for the session's socket [`Action`]s.
//!
//! Every event of a socket is tagged with the generation of the
//! [`Action::Connect`] that opened it, so the session ignores a late event of
//! a socket it has given up. Only one socket is kept: a new `Connect`
//! replaces the previous one, and a replaced or dropped socket loses its
//! listeners before it is closed.

use futures::channel::mpsc::UnboundedSender;
use js_sys::{ArrayBuffer, Uint8Array};
use ridechat_core::session::Input;
use ridechat_core::socket::Action;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{BinaryType, CloseEvent, Event, MessageEvent, WebSocket};

use super::send_input;

/// Close code reported when the browser refuses to create a socket, the same
/// code a browser reports for a connection that failed.
const ABNORMAL_CLOSURE: u16 = 1006;

/// Performs socket actions on the browser's `WebSocket`.
pub struct WebSocketAdapter {
    url: String,
    inputs: UnboundedSender<Input>,
    current: Option<Connection>,
}

impl WebSocketAdapter {
    /// Creates an adapter that connects to `url`. The URL carries the token,
    /// so it is never logged.
    pub fn new(url: String, inputs: UnboundedSender<Input>) -> Self {
        Self {
            url,
            inputs,
            current: None,
        }
    }

    pub fn apply(&mut self, action: Action) {
        match action {
            Action::Connect { generation } => self.connect(generation),
            Action::SendText { generation, text } => self.send(generation, &text),
            Action::Disconnect {
                generation,
                code,
                reason,
            } => self.disconnect(generation, code, &reason),
        }
    }

    fn connect(&mut self, generation: u64) {
        // The session gave the previous generation up when it asked for a new one.
        self.current = None;
        match Connection::open(&self.url, generation, &self.inputs) {
            Ok(connection) => self.current = Some(connection),
            Err(error) => {
                web_sys::console::warn_2(
                    &"ridechat: the browser refused to open the WebSocket".into(),
                    &error,
                );
                let closed = Input::SocketClosed {
                    generation,
                    code: ABNORMAL_CLOSURE,
                };
                send_input(&self.inputs, closed);
            }
        }
    }

    fn send(&mut self, generation: u64, text: &str) {
        let Some(connection) = self.current_of(generation) else {
            return;
        };
        // `send` throws only while the socket is still connecting, and a
        // closing or closed socket drops the data silently. Either way the
        // session learns of the loss from the close event or a heartbeat
        // timeout.
        if let Err(error) = connection.socket.send_with_str(text) {
            web_sys::console::warn_2(&"ridechat: WebSocket send failed".into(), &error);
        }
    }

    fn disconnect(&mut self, generation: u64, code: u16, reason: &str) {
        if self.current_of(generation).is_none() {
            return;
        }
        if let Some(connection) = self.current.take() {
            connection.close(code, reason);
        }
    }

    fn current_of(&self, generation: u64) -> Option<&Connection> {
        self.current
            .as_ref()
            .filter(|connection| connection.generation == generation)
    }
}

/// One browser socket and the listeners that tag its events.
struct Connection {
    generation: u64,
    socket: WebSocket,
    _on_open: Closure<dyn FnMut(Event)>,
    _on_close: Closure<dyn FnMut(CloseEvent)>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
}

impl Connection {
    fn open(
        url: &str,
        generation: u64,
        inputs: &UnboundedSender<Input>,
    ) -> Result<Self, wasm_bindgen::JsValue> {
        let socket = WebSocket::new(url)?;
        // Binary frames arrive as ArrayBuffer, readable at once, not as Blob.
        socket.set_binary_type(BinaryType::Arraybuffer);

        let on_open = {
            let inputs = inputs.clone();
            Closure::<dyn FnMut(Event)>::new(move |_event: Event| {
                send_input(&inputs, Input::SocketOpened { generation });
            })
        };
        let on_close = {
            let inputs = inputs.clone();
            Closure::<dyn FnMut(CloseEvent)>::new(move |event: CloseEvent| {
                let code = event.code();
                send_input(&inputs, Input::SocketClosed { generation, code });
            })
        };
        let on_message = {
            let inputs = inputs.clone();
            Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
                if let Some(input) = frame_input(generation, &event) {
                    send_input(&inputs, input);
                }
            })
        };

        socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        // No `error` listener: every error event is followed by a close
        // event, which reports the loss with its code.
        Ok(Self {
            generation,
            socket,
            _on_open: on_open,
            _on_close: on_close,
            _on_message: on_message,
        })
    }

    fn remove_listeners(&self) {
        self.socket.set_onopen(None);
        self.socket.set_onclose(None);
        self.socket.set_onmessage(None);
    }

    /// Closes with `code` and `reason`. Browsers accept only 1000 and
    /// 3000..=4999 from scripts, so with any other code the socket closes
    /// without one.
    fn close(self, code: u16, reason: &str) {
        self.remove_listeners();
        if self
            .socket
            .close_with_code_and_reason(code, reason)
            .is_err()
            && let Err(error) = self.socket.close()
        {
            web_sys::console::warn_2(&"ridechat: WebSocket close failed".into(), &error);
        }
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.remove_listeners();
        // Only a connecting or open socket needs closing.
        if self.socket.ready_state() <= WebSocket::OPEN
            && let Err(error) = self.socket.close()
        {
            web_sys::console::warn_2(&"ridechat: WebSocket close failed".into(), &error);
        }
    }
}

/// Turns a received frame into an input: text frames as text, binary frames
/// as bytes.
fn frame_input(generation: u64, event: &MessageEvent) -> Option<Input> {
    let data = event.data();
    if let Some(text) = data.as_string() {
        return Some(Input::SocketText { generation, text });
    }
    match data.dyn_into::<ArrayBuffer>() {
        Ok(buffer) => Some(Input::SocketBinary {
            generation,
            bytes: Uint8Array::new(&buffer).to_vec(),
        }),
        // Only text and ArrayBuffer arrive with binaryType "arraybuffer".
        Err(_) => None,
    }
}
