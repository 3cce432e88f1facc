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
use ridechat_core::session::{ChatSession, Input};
use ridechat_core::store::Store;

use crate::adapters::clock;
use crate::adapters::hints::ReconnectHints;
use crate::adapters::timer::SessionTimer;
use crate::adapters::websocket::WebSocketAdapter;
use crate::state::ChatState;

/// The adapters the driver feeds from the session.
struct Adapters {
    websocket: WebSocketAdapter,
    timer: SessionTimer,
    _hints: ReconnectHints,
}

/// Runs `session` until `inputs` closes.
pub async fn run<S: Store>(
    mut session: ChatSession<S>,
    state: ChatState,
    mut inputs: UnboundedReceiver<Input>,
    sender: UnboundedSender<Input>,
    websocket_url: String,
) {
    let mut adapters = Adapters {
        websocket: WebSocketAdapter::new(websocket_url, sender.clone()),
        timer: SessionTimer::new(sender.clone()),
        _hints: ReconnectHints::new(sender),
    };

    session.start(clock::now()).await;
    flush(&mut session, &mut adapters, &state);

    while let Some(input) = inputs.next().await {
        session.handle(clock::now(), input).await;
        flush(&mut session, &mut adapters, &state);
    }
}

fn flush<S: Store>(session: &mut ChatSession<S>, adapters: &mut Adapters, state: &ChatState) {
    while let Some(action) = session.poll_action() {
        adapters.websocket.apply(action);
    }
    while let Some(update) = session.poll_update() {
        state.apply(update);
    }
    adapters.timer.arm(session.next_deadline(), clock::now());
}
