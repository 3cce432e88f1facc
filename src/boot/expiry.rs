//! Detection of an expired token while the socket fails to connect.
//!
//! A server rejects a bad token at the WebSocket upgrade with HTTP 403, but
//! a browser reports that only as a closed socket, the same as a network
//! drop. So while the connection is offline, the app requests
//! `/api/session` to learn whether the token is still valid, and shows the
//! expiry notice on 401.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use ridechat_core::session::ConnectionState;
use ridechat_core::time::Instant;

use super::api::{SessionLookup, lookup_session};
use crate::adapters::clock;
use crate::i18n::{Locale, Text};
use crate::state::ChatState;

/// Minimum time between two checks while the server cannot be reached.
const RETRY_AFTER: Duration = Duration::from_secs(5);

/// Minimum time between two checks once the server accepted the token, so an
/// outage of the socket alone costs one request a minute.
const RECHECK_AFTER: Duration = Duration::from_secs(60);

/// Checks the token while the connection is offline, no more often than
/// [`RETRY_AFTER`], or [`RECHECK_AFTER`] once the server accepted it.
pub struct TokenCheck {
    api_url: String,
    token: String,
    locale: Locale,
    state: ChatState,
    /// No check starts before this instant.
    not_before: Rc<Cell<Instant>>,
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
            not_before: Rc::new(Cell::new(Instant(0))),
            in_flight: Rc::new(Cell::new(false)),
            rejected: Rc::new(Cell::new(false)),
        }
    }

    /// Starts a check when the connection is offline and none is due to wait.
    pub fn observe(&mut self, connection: ConnectionState, now: Instant) {
        if connection == ConnectionState::Online {
            self.not_before.set(Instant(0));
            return;
        }
        let waiting = now < self.not_before.get();
        if connection != ConnectionState::Offline
            || waiting
            || self.in_flight.get()
            || self.rejected.get()
        {
            return;
        }
        self.not_before.set(now.plus(RETRY_AFTER));
        self.in_flight.set(true);

        let (api_url, token) = (self.api_url.clone(), self.token.clone());
        let (not_before, in_flight) = (Rc::clone(&self.not_before), Rc::clone(&self.in_flight));
        let rejected = Rc::clone(&self.rejected);
        let (state, notice) = (self.state, Text::SessionExpired.get(self.locale));
        wasm_bindgen_futures::spawn_local(async move {
            match lookup_session(&api_url, &token).await {
                SessionLookup::Rejected => {
                    rejected.set(true);
                    state.notify(notice.to_owned());
                }
                SessionLookup::User(_) => not_before.set(clock::now().plus(RECHECK_AFTER)),
                SessionLookup::Unreachable(_) => {}
            }
            in_flight.set(false);
        });
    }
}
