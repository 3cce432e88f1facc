//! Detection of an expired token while the socket fails to connect.
//!
//! A server rejects a bad token at the WebSocket upgrade with HTTP 403, but
//! a browser reports that only as a closed socket, the same as a network
//! drop. So while the connection is offline, the app asks `/api/session`
//! whether the token is still valid, and shows the expiry notice on 401.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use ridechat_core::session::ConnectionState;
use ridechat_core::time::Instant;

use super::api::{SessionLookup, lookup_session};
use crate::i18n::{Locale, Text};
use crate::state::ChatState;

/// Minimum time between two checks during one offline period.
const RECHECK_AFTER: Duration = Duration::from_secs(60);

/// Checks the token at most once per [`RECHECK_AFTER`] while offline.
pub struct TokenCheck {
    api_url: String,
    token: String,
    locale: Locale,
    state: ChatState,
    last_check: Option<Instant>,
    in_flight: Rc<Cell<bool>>,
    /// Set once the server rejected the token; no further checks follow.
    rejected: Rc<Cell<bool>>,
}

impl TokenCheck {
    pub fn new(api_url: String, token: String, locale: Locale, state: ChatState) -> Self {
        Self {
            api_url,
            token,
            locale,
            state,
            last_check: None,
            in_flight: Rc::new(Cell::new(false)),
            rejected: Rc::new(Cell::new(false)),
        }
    }

    /// Starts a check when the connection is offline and none ran recently.
    pub fn observe(&mut self, connection: ConnectionState, now: Instant) {
        if connection == ConnectionState::Online {
            self.last_check = None;
            return;
        }
        let due = self
            .last_check
            .is_none_or(|last| now.since(last) >= RECHECK_AFTER);
        if connection != ConnectionState::Offline
            || !due
            || self.in_flight.get()
            || self.rejected.get()
        {
            return;
        }
        self.last_check = Some(now);
        self.in_flight.set(true);

        let (api_url, token) = (self.api_url.clone(), self.token.clone());
        let (in_flight, rejected) = (Rc::clone(&self.in_flight), Rc::clone(&self.rejected));
        let (state, notice) = (self.state, Text::SessionExpired.get(self.locale));
        wasm_bindgen_futures::spawn_local(async move {
            if lookup_session(&api_url, &token).await == SessionLookup::Rejected {
                rejected.set(true);
                state.notify(notice.to_owned());
            }
            in_flight.set(false);
        });
    }
}
