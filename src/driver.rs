//! The driver: the one task that owns the session for the life of the
//! mounted app.
//!
//! It feeds the session one call at a time, because the store is awaited
//! inside [`ChatSession::handle_all`] and two overlapping calls could reorder
//! writes. Inputs that queued up during a call go in together with the next
//! one, so a burst of server replies costs one IndexedDB transaction, not one
//! each. After each call it performs the socket actions, applies the
//! updates to the UI signals, and re-arms the timer for the next deadline.
//! The task ends when the input channel closes, which unmounting does. The
//! adapters are dropped with it, which closes the socket, removes listeners
//! and releases the outbox lock.
//!
//! Several tabs of one user share the store. Only the tab holding the Web
//! Lock `ridechat-outbox-<user_id>` pushes the outbox (see
//! [`crate::adapters::locks`]), and every tab announces its store changes to
//! the others (see [`crate::adapters::broadcast`]).

use futures::StreamExt;
use futures::channel::mpsc::{UnboundedReceiver, UnboundedSender};
use ridechat_core::session::{ChatSession, Input};
use ridechat_core::socket::Action;
use ridechat_core::store::Store;

use crate::adapters::broadcast::TabChannel;
use crate::adapters::clock;
use crate::adapters::hints::ReconnectHints;
use crate::adapters::locks::FlusherLock;
use crate::adapters::timer::SessionTimer;
use crate::adapters::websocket::WebSocketAdapter;
use crate::boot::expiry::TokenKeeper;
use crate::state::ChatState;

/// Most inputs handled in one call. A bound keeps the UI responsive while a
/// long burst is worked off.
const MAX_BATCH: usize = 200;

/// The driver's context besides the session: UI state, socket URL and token.
pub struct Driver {
    pub state: ChatState,
    /// The full WebSocket URL, with the token. Never logged.
    pub websocket_url: String,
    pub token: TokenKeeper,
}

/// The adapters the driver feeds from the session.
struct Adapters {
    websocket: WebSocketAdapter,
    timer: SessionTimer,
    /// Creates the socket adapter again when the token changed.
    sender: UnboundedSender<Input>,
    _hints: ReconnectHints,
    /// `None` where the browser has no BroadcastChannel.
    tabs: Option<TabChannel>,
    /// `None` where the browser has no Web Locks: the tab then flushes.
    _lock: Option<FlusherLock>,
}

impl Driver {
    /// Runs `session` until `inputs` closes.
    pub async fn run<S: Store>(
        mut self,
        mut session: ChatSession<S>,
        mut inputs: UnboundedReceiver<Input>,
        sender: UnboundedSender<Input>,
    ) {
        let user_id = session.user_id().to_owned();
        let lock = FlusherLock::request(&user_id, sender.clone());
        if lock.is_some() {
            // The lock callback grants the role, possibly at once.
            session = session.without_flusher_role();
        } else {
            // NOTE: without Web Locks every open tab of the user pushes the
            // outbox. The server keeps one copy per client_id, but statuses may
            // flicker between tabs.
            web_sys::console::warn_1(
                &"ridechat: navigator.locks is missing, so every tab sends the outbox".into(),
            );
        }
        let mut adapters = Adapters {
            websocket: WebSocketAdapter::new(self.websocket_url.clone(), sender.clone()),
            timer: SessionTimer::new(sender.clone()),
            tabs: TabChannel::open(&user_id, sender.clone()),
            sender: sender.clone(),
            _hints: ReconnectHints::new(sender),
            _lock: lock,
        };

        session.start(clock::now()).await;
        self.flush(&mut session, &mut adapters);

        while let Some(first) = inputs.next().await {
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match inputs.try_recv() {
                    Ok(input) => batch.push(input),
                    _ => break,
                }
            }
            for input in &batch {
                self.token.observe(input);
            }
            session.handle_all(clock::now(), batch).await;
            self.flush(&mut session, &mut adapters);
        }
    }

    fn flush<S: Store>(&mut self, session: &mut ChatSession<S>, adapters: &mut Adapters) {
        while let Some(action) = session.poll_action() {
            // After the session expired, the socket stays closed.
            if self.token.is_expired() {
                continue;
            }
            // A refreshed token waits for the next connect, which replaces the
            // old socket anyway. It is taken only then: any other action
            // would use it up and leave the next connect on the old token.
            if matches!(action, Action::Connect { .. })
                && let Some(url) = self.token.take_socket_url()
            {
                adapters.websocket = WebSocketAdapter::new(url, adapters.sender.clone());
            }
            adapters.websocket.apply(action);
        }
        while let Some(update) = session.poll_update() {
            self.state.apply(update);
        }
        let changes = session.take_shared_changes();
        if let Some(tabs) = &adapters.tabs {
            for topic in changes {
                tabs.announce(&topic);
            }
        }

        adapters.timer.arm(session.next_deadline(), clock::now());
    }
}
