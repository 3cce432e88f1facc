//! The driver: the one task that owns the session for the life of the
//! mounted app.
//!
//! It feeds the session one [`Input`] at a time, because the store is awaited
//! inside [`ChatSession::handle`] and two overlapping calls could reorder
//! writes. After each input it performs the socket actions, applies the
//! updates to the UI signals, and re-arms the timer for the next deadline.
//! The task ends when the input channel closes, which unmounting does; the
//! adapters are dropped with it, closing the socket and removing listeners.

use futures::StreamExt;
use futures::channel::mpsc::{UnboundedReceiver, UnboundedSender};
use leptos::prelude::GetUntracked;
use ridechat_core::session::{ChatSession, Input};
use ridechat_core::store::Store;

use crate::adapters::clock;
use crate::adapters::hints::ReconnectHints;
use crate::adapters::timer::SessionTimer;
use crate::adapters::websocket::WebSocketAdapter;
use crate::boot::expiry::TokenCheck;
use crate::state::ChatState;

/// The driver's context besides the session: UI state, socket URL and token check.
pub struct Driver {
    pub state: ChatState,
    /// The full WebSocket URL, with the token. Never logged.
    pub websocket_url: String,
    pub token_check: TokenCheck,
}

/// The adapters the driver feeds from the session.
struct Adapters {
    websocket: WebSocketAdapter,
    timer: SessionTimer,
    _hints: ReconnectHints,
}

impl Driver {
    /// Runs `session` until `inputs` closes.
    pub async fn run<S: Store>(
        mut self,
        mut session: ChatSession<S>,
        mut inputs: UnboundedReceiver<Input>,
        sender: UnboundedSender<Input>,
    ) {
        let mut adapters = Adapters {
            websocket: WebSocketAdapter::new(self.websocket_url.clone(), sender.clone()),
            timer: SessionTimer::new(sender.clone()),
            _hints: ReconnectHints::new(sender),
        };

        session.start(clock::now()).await;
        self.flush(&mut session, &mut adapters);

        while let Some(input) = inputs.next().await {
            session.handle(clock::now(), input).await;
            self.flush(&mut session, &mut adapters);
        }
    }

    fn flush<S: Store>(&mut self, session: &mut ChatSession<S>, adapters: &mut Adapters) {
        while let Some(action) = session.poll_action() {
            adapters.websocket.apply(action);
        }
        while let Some(update) = session.poll_update() {
            self.state.apply(update);
        }

        let now = clock::now();
        adapters.timer.arm(session.next_deadline(), now);
        if let Some(connection) = self.state.connection.try_get_untracked() {
            self.token_check.observe(connection.state, now);
        }
    }
}
