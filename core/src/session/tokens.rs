//! The token lifecycle as a pure state machine, without I/O.
//!
//! A browser reports a WebSocket refused for a bad token (HTTP 403 at the
//! upgrade) only as a closed socket, the same as a network drop. So the
//! client tells them apart by asking the API:
//!
//! 1. Refresh ahead of time, at [`REFRESH_AT`] of the token's lifetime
//!    ([`refresh_due_ms`]).
//! 2. After [`CHECK_AFTER_FAILED_CONNECTS`] failed connects in a row, ask
//!    `GET /api/session`. 200 means a network problem: keep backing off.
//!    401 means the token is bad: ask the embedder for a new one.
//! 3. At most one refresh is in flight. A refresh that fails or returns a
//!    token that is already expired counts as bad. A bad planned refresh
//!    keeps the current token, which the server has not refused: the socket
//!    stays up, and the next refused connect leads back to step 2. Once the
//!    server refused the token, a bad refresh is tried again at once, and
//!    after [`MAX_BAD_REFRESHES`] bad refreshes in a row the client stops
//!    reconnecting and shows "session expired".
//!
//! The adapter feeds [`TokenEvent`]s to [`TokenLifecycle::on`] and performs
//! the returned [`TokenStep`].

/// Share of the token's lifetime after which it is refreshed.
pub const REFRESH_AT: f64 = 0.8;

/// Failed connects in a row after which the token is checked.
pub const CHECK_AFTER_FAILED_CONNECTS: u32 = 2;

/// Bad refreshes in a row after which the session is given up.
pub const MAX_BAD_REFRESHES: u32 = 2;

/// Something the adapter observed about the connection or the token.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TokenEvent {
    /// A connect attempt failed (the socket closed before opening).
    ConnectFailed,
    /// The socket opened: the token works.
    Connected,
    /// `GET /api/session` returned 200: the token is valid.
    SessionValid,
    /// `GET /api/session` returned 401 or 403: the token is invalid.
    SessionRejected,
    /// `GET /api/session` failed or returned another status.
    SessionUnreachable,
    /// The refresh returned a token valid until `expires_at_ms`, at
    /// `now_ms` (both milliseconds since the Unix epoch).
    Refreshed { expires_at_ms: f64, now_ms: f64 },
    /// The refresh failed (callback rejected, HTTP error, invalid reply).
    RefreshFailed,
    /// The time for a planned refresh came ([`refresh_due_ms`]).
    RefreshDue,
}

/// The next step for the adapter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenStep {
    /// Nothing: keep the socket's own backoff.
    Wait,
    /// Ask `GET /api/session` whether the token is still valid.
    CheckSession,
    /// Ask for a new token (callback or `POST /api/session/refresh`).
    Refresh,
    /// Use the token just obtained for the next connect.
    UseToken,
    /// Stop reconnecting and show "session expired".
    Expire,
}

/// The decision state of one mounted app's token.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenLifecycle {
    failed_connects: u32,
    check_in_flight: bool,
    refresh_in_flight: bool,
    /// True when the server rejected the current token (`GET /api/session`
    /// returned 401).
    rejected: bool,
    bad_refreshes: u32,
    expired: bool,
}

impl TokenLifecycle {
    pub fn new() -> Self {
        Self::default()
    }

    /// Returns true once the session was given up.
    pub fn is_expired(&self) -> bool {
        self.expired
    }

    /// Returns true while a refresh is in flight.
    pub fn is_refreshing(&self) -> bool {
        self.refresh_in_flight
    }

    /// Applies one event and returns the step to take.
    pub fn on(&mut self, event: TokenEvent) -> TokenStep {
        if self.expired {
            return TokenStep::Wait;
        }
        match event {
            TokenEvent::Connected => {
                self.failed_connects = 0;
                TokenStep::Wait
            }
            TokenEvent::ConnectFailed => {
                self.failed_connects = self.failed_connects.saturating_add(1);
                let busy = self.check_in_flight || self.refresh_in_flight;
                if self.failed_connects >= CHECK_AFTER_FAILED_CONNECTS && !busy {
                    self.failed_connects = 0;
                    self.check_in_flight = true;
                    TokenStep::CheckSession
                } else {
                    TokenStep::Wait
                }
            }
            TokenEvent::SessionValid | TokenEvent::SessionUnreachable => {
                self.check_in_flight = false;
                TokenStep::Wait
            }
            TokenEvent::SessionRejected => {
                self.check_in_flight = false;
                if !self.rejected {
                    self.rejected = true;
                    self.bad_refreshes = 0;
                }
                self.start_refresh()
            }
            TokenEvent::RefreshDue => self.start_refresh(),
            TokenEvent::Refreshed {
                expires_at_ms,
                now_ms,
            } => {
                self.refresh_in_flight = false;
                if expires_at_ms > now_ms {
                    self.bad_refreshes = 0;
                    self.rejected = false;
                    TokenStep::UseToken
                } else {
                    self.bad_refresh()
                }
            }
            TokenEvent::RefreshFailed => {
                self.refresh_in_flight = false;
                self.bad_refresh()
            }
        }
    }

    fn start_refresh(&mut self) -> TokenStep {
        if self.refresh_in_flight {
            return TokenStep::Wait;
        }
        self.refresh_in_flight = true;
        TokenStep::Refresh
    }

    fn bad_refresh(&mut self) -> TokenStep {
        if !self.rejected {
            // A planned refresh: the current token still works.
            return TokenStep::Wait;
        }
        self.bad_refreshes = self.bad_refreshes.saturating_add(1);
        if self.bad_refreshes >= MAX_BAD_REFRESHES {
            self.expired = true;
            return TokenStep::Expire;
        }
        self.start_refresh()
    }
}

/// Returns when a token obtained at `obtained_at_ms` and valid until
/// `expires_at_ms` is refreshed: at [`REFRESH_AT`] of its lifetime, or at
/// once when it is already expired.
pub fn refresh_due_ms(obtained_at_ms: f64, expires_at_ms: f64) -> f64 {
    let lifetime = (expires_at_ms - obtained_at_ms).max(0.0);
    obtained_at_ms + lifetime * REFRESH_AT
}
