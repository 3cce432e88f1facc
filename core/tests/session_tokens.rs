//! The token decision logic: when to check the session, when to refresh,
//! and when to give up, as a pure state machine.

use ridechat_core::session::tokens::{TokenEvent, TokenLifecycle, TokenStep, refresh_due_ms};

fn refreshed(expires_at_ms: f64, now_ms: f64) -> TokenEvent {
    TokenEvent::Refreshed {
        expires_at_ms,
        now_ms,
    }
}

#[test]
fn refresh_due_at_eighty_percent() {
    assert_eq!(refresh_due_ms(1_000.0, 11_000.0), 9_000.0);
    assert_eq!(refresh_due_ms(0.0, 3_600_000.0), 2_880_000.0);
}

#[test]
fn expired_token_refreshed_now() {
    assert_eq!(refresh_due_ms(5_000.0, 4_000.0), 5_000.0);
}

#[test]
fn one_failed_connect_waits() {
    let mut tokens = TokenLifecycle::new();
    assert_eq!(tokens.on(TokenEvent::ConnectFailed), TokenStep::Wait);
}

#[test]
fn two_failed_connects_check_session() {
    let mut tokens = TokenLifecycle::new();
    tokens.on(TokenEvent::ConnectFailed);
    assert_eq!(
        tokens.on(TokenEvent::ConnectFailed),
        TokenStep::CheckSession
    );
}

#[test]
fn open_socket_resets_failures() {
    let mut tokens = TokenLifecycle::new();
    tokens.on(TokenEvent::ConnectFailed);
    tokens.on(TokenEvent::Connected);
    assert_eq!(tokens.on(TokenEvent::ConnectFailed), TokenStep::Wait);
}

#[test]
fn valid_session_keeps_backing_off() {
    let mut tokens = TokenLifecycle::new();
    tokens.on(TokenEvent::ConnectFailed);
    tokens.on(TokenEvent::ConnectFailed);
    assert_eq!(tokens.on(TokenEvent::SessionValid), TokenStep::Wait);
    assert!(!tokens.is_refreshing());
    // Two more failures check again.
    assert_eq!(tokens.on(TokenEvent::ConnectFailed), TokenStep::Wait);
    assert_eq!(
        tokens.on(TokenEvent::ConnectFailed),
        TokenStep::CheckSession
    );
}

#[test]
fn one_check_in_flight() {
    let mut tokens = TokenLifecycle::new();
    tokens.on(TokenEvent::ConnectFailed);
    tokens.on(TokenEvent::ConnectFailed);
    tokens.on(TokenEvent::ConnectFailed);
    assert_eq!(tokens.on(TokenEvent::ConnectFailed), TokenStep::Wait);
}

#[test]
fn rejected_session_refreshes_token() {
    let mut tokens = TokenLifecycle::new();
    tokens.on(TokenEvent::ConnectFailed);
    tokens.on(TokenEvent::ConnectFailed);
    assert_eq!(tokens.on(TokenEvent::SessionRejected), TokenStep::Refresh);
    assert!(tokens.is_refreshing());
    assert_eq!(tokens.on(refreshed(10_000.0, 1_000.0)), TokenStep::UseToken);
    assert!(!tokens.is_refreshing());
    assert!(!tokens.is_expired());
}

#[test]
fn one_refresh_in_flight() {
    let mut tokens = TokenLifecycle::new();
    assert_eq!(tokens.on(TokenEvent::RefreshDue), TokenStep::Refresh);
    assert_eq!(tokens.on(TokenEvent::RefreshDue), TokenStep::Wait);
    assert_eq!(tokens.on(TokenEvent::SessionRejected), TokenStep::Wait);
    // Failed connects during the refresh do not start a check either.
    tokens.on(TokenEvent::ConnectFailed);
    assert_eq!(tokens.on(TokenEvent::ConnectFailed), TokenStep::Wait);
}

#[test]
fn failed_refresh_tries_again() {
    let mut tokens = TokenLifecycle::new();
    tokens.on(TokenEvent::SessionRejected);
    assert_eq!(tokens.on(TokenEvent::RefreshFailed), TokenStep::Refresh);
    assert!(!tokens.is_expired());
}

#[test]
fn two_failed_refreshes_expire() {
    let mut tokens = TokenLifecycle::new();
    tokens.on(TokenEvent::SessionRejected);
    tokens.on(TokenEvent::RefreshFailed);
    assert_eq!(tokens.on(TokenEvent::RefreshFailed), TokenStep::Expire);
    assert!(tokens.is_expired());
    // Nothing follows an expiry.
    assert_eq!(tokens.on(TokenEvent::ConnectFailed), TokenStep::Wait);
    assert_eq!(tokens.on(TokenEvent::ConnectFailed), TokenStep::Wait);
    assert_eq!(tokens.on(TokenEvent::RefreshDue), TokenStep::Wait);
}

#[test]
fn two_expired_tokens_expire() {
    let mut tokens = TokenLifecycle::new();
    tokens.on(TokenEvent::SessionRejected);
    assert_eq!(tokens.on(refreshed(900.0, 1_000.0)), TokenStep::Refresh);
    assert_eq!(tokens.on(refreshed(1_000.0, 1_000.0)), TokenStep::Expire);
}

#[test]
fn good_token_resets_bad_refreshes() {
    let mut tokens = TokenLifecycle::new();
    tokens.on(TokenEvent::SessionRejected);
    tokens.on(TokenEvent::RefreshFailed);
    assert_eq!(tokens.on(refreshed(10_000.0, 1_000.0)), TokenStep::UseToken);
    // The new token is refused too: two more bad refreshes are allowed.
    tokens.on(TokenEvent::SessionRejected);
    assert_eq!(tokens.on(TokenEvent::RefreshFailed), TokenStep::Refresh);
    assert!(!tokens.is_expired());
}

#[test]
fn failed_planned_refresh_keeps_the_current_token() {
    let mut tokens = TokenLifecycle::new();
    assert_eq!(tokens.on(TokenEvent::RefreshDue), TokenStep::Refresh);
    assert_eq!(tokens.on(TokenEvent::RefreshFailed), TokenStep::Wait);
    assert_eq!(tokens.on(TokenEvent::RefreshDue), TokenStep::Refresh);
    assert_eq!(tokens.on(TokenEvent::RefreshFailed), TokenStep::Wait);
    assert!(!tokens.is_expired(), "the server never refused the token");

    // Once the server refuses it, two bad refreshes end the session.
    tokens.on(TokenEvent::ConnectFailed);
    assert_eq!(
        tokens.on(TokenEvent::ConnectFailed),
        TokenStep::CheckSession
    );
    assert_eq!(tokens.on(TokenEvent::SessionRejected), TokenStep::Refresh);
    assert_eq!(tokens.on(TokenEvent::RefreshFailed), TokenStep::Refresh);
    assert_eq!(tokens.on(TokenEvent::RefreshFailed), TokenStep::Expire);
}

#[test]
fn outage_then_rejected_token_refreshes_once() {
    let mut tokens = TokenLifecycle::new();

    // The planned refresh falls in the outage and fails. The current token
    // stays, because the server never rejected it.
    assert_eq!(tokens.on(TokenEvent::RefreshDue), TokenStep::Refresh);
    assert_eq!(tokens.on(TokenEvent::RefreshFailed), TokenStep::Wait);

    // During two minutes of failed connects, each session check finds the
    // API unreachable, which means a network problem and not a bad token.
    let mut checks = 0;
    for _ in 0..24 {
        match tokens.on(TokenEvent::ConnectFailed) {
            TokenStep::CheckSession => {
                checks += 1;
                assert_eq!(tokens.on(TokenEvent::SessionUnreachable), TokenStep::Wait);
            }
            step => assert_eq!(step, TokenStep::Wait),
        }
    }
    assert_eq!(checks, 12, "one check per two failed connects");
    assert!(!tokens.is_refreshing());
    assert!(!tokens.is_expired(), "an outage must not end the session");

    // The network is back, but the token expired meanwhile. The server
    // rejects it, and exactly one refresh is requested.
    assert_eq!(tokens.on(TokenEvent::ConnectFailed), TokenStep::Wait);
    assert_eq!(
        tokens.on(TokenEvent::ConnectFailed),
        TokenStep::CheckSession
    );
    assert_eq!(tokens.on(TokenEvent::SessionRejected), TokenStep::Refresh);
    for _ in 0..4 {
        assert_eq!(tokens.on(TokenEvent::ConnectFailed), TokenStep::Wait);
    }
    assert_eq!(tokens.on(TokenEvent::RefreshDue), TokenStep::Wait);
    assert_eq!(
        tokens.on(refreshed(70_000.0, 10_000.0)),
        TokenStep::UseToken
    );
    assert_eq!(tokens.on(TokenEvent::Connected), TokenStep::Wait);
    assert!(!tokens.is_expired());
}
