//! Connection lifecycle: generations, reconnect backoff, `reconnect_now` and
//! `disconnect`, under virtual time.

mod socket_harness;

use ridechat_core::socket::{Settings, SocketEvent, SocketState};
use ridechat_core::time::Instant;
use ridechat_core::wire::{Frame, events};
use serde_json::json;
use socket_harness::{Harness, TOPIC};

fn connect_failures(harness: &Harness) -> Vec<u32> {
    harness
        .events
        .iter()
        .filter_map(|event| match event {
            SocketEvent::ConnectFailed { consecutive } => Some(*consecutive),
            _ => None,
        })
        .collect()
}

#[test]
fn connect_requests_first_generation() {
    let mut harness = Harness::new(socket_harness::settings());

    harness.socket.connect(harness.now);
    harness.drain();
    assert_eq!(harness.connects(), [1]);
    assert_eq!(harness.socket.state(), SocketState::Connecting);

    harness.socket.handle_open(harness.now, 1);
    harness.drain();
    assert_eq!(harness.socket.state(), SocketState::Open);
    assert_eq!(
        harness.events,
        [
            SocketEvent::StateChanged(SocketState::Connecting),
            SocketEvent::StateChanged(SocketState::Open),
        ]
    );
}

#[test]
fn connect_twice_opens_one_socket() {
    let mut harness = Harness::new(socket_harness::settings());
    harness.socket.connect(harness.now);
    harness.socket.connect(harness.now);
    harness.socket.reconnect_now(harness.now);
    harness.drain();

    assert_eq!(harness.connects(), [1]);
}

#[test]
fn close_reconnects_after_backoff_steps() {
    let mut harness = Harness::new(socket_harness::settings());
    harness.open();
    harness.close(1006);
    assert_eq!(harness.socket.state(), SocketState::Closed);

    // Steps 10, 50, 100 ms, then 1 s repeats.
    let mut waits = Vec::new();
    for _ in 0..5 {
        let closed_at = harness.now;
        let deadline = harness
            .socket
            .next_deadline()
            .expect("a reconnect is scheduled");
        waits.push(deadline.0 - closed_at.0);
        harness.advance(deadline.0 - closed_at.0);
        harness.close(1006);
    }

    assert_eq!(waits, [10, 50, 100, 1000, 1000]);
    assert_eq!(harness.connects(), [1, 2, 3, 4, 5, 6]);
    assert_eq!(connect_failures(&harness), [1, 2, 3, 4, 5]);
}

#[test]
fn reconnect_waits_until_deadline() {
    let mut harness = Harness::new(socket_harness::settings());
    harness.open();
    harness.close(1000);

    harness.advance(9);
    assert_eq!(harness.connects(), [1]);
    harness.advance(1);
    assert_eq!(harness.connects(), [1, 2]);
}

#[test]
fn open_resets_backoff_attempts() {
    let mut harness = Harness::new(socket_harness::settings());
    harness.open();
    harness.close(1006);
    harness.advance(10);
    harness.close(1006);
    harness.advance(50);
    harness.close(1006);
    harness.advance(100);
    assert_eq!(connect_failures(&harness), [1, 2]);

    harness.socket.handle_open(harness.now, harness.generation);
    harness.close(1006);

    let wait = harness
        .socket
        .next_deadline()
        .map(|at| at.0 - harness.now.0);
    assert_eq!(wait, Some(10));
    harness.advance(10);
    harness.close(1006);
    assert_eq!(connect_failures(&harness), [1, 2, 1]);
}

#[test]
fn jitter_shortens_reconnect_within_bounds() {
    for seed in 0..50 {
        let settings = Settings {
            jitter: 0.5,
            ..socket_harness::settings()
        };
        let mut socket = ridechat_core::socket::Socket::new(settings, seed);
        socket.connect(Instant(0));
        socket.handle_open(Instant(0), 1);
        socket.handle_close(Instant(0), 1, 1006);

        let wait = socket.next_deadline().map(|at| at.0);
        assert!(
            matches!(wait, Some(5..=10)),
            "seed {seed}: wait {wait:?} outside 5..=10 ms"
        );
    }
}

#[test]
fn stale_generation_events_ignored() {
    let mut harness = Harness::new(socket_harness::settings());
    harness.open();
    harness.join(TOPIC, json!({}));
    harness.close(1006);
    harness.advance(10);
    assert_eq!(harness.generation, 2);
    harness.clear();

    let join = Frame::json(
        Some("1".into()),
        Some("1".into()),
        TOPIC,
        events::REPLY,
        json!({"status": "ok", "response": {}}),
    );
    let now = harness.now;
    harness.socket.handle_open(now, 1);
    harness
        .socket
        .handle_text(now, 1, &ridechat_core::wire::encode_text(&join));
    harness.socket.handle_close(now, 1, 1006);
    harness.drain();

    assert_eq!(harness.socket.state(), SocketState::Connecting);
    assert!(harness.events.is_empty(), "got {:?}", harness.events);
    assert!(harness.actions.is_empty(), "got {:?}", harness.actions);
}

#[test]
fn frames_before_open_ignored() {
    let mut harness = Harness::new(socket_harness::settings());
    harness.socket.connect(harness.now);
    harness.receive_text(r#"[null,null,"ride:42","msg:new",{}]"#);

    assert!(
        harness
            .events
            .iter()
            .all(|event| !matches!(event, SocketEvent::Message { .. }))
    );
}

#[test]
fn reconnect_now_skips_backoff_wait() {
    let mut harness = Harness::new(socket_harness::settings());
    harness.open();
    harness.close(1006);
    harness.advance(10);
    harness.close(1006);
    assert_eq!(harness.connects(), [1, 2]);

    harness.socket.reconnect_now(harness.now);
    harness.socket.reconnect_now(harness.now);
    harness.drain();

    assert_eq!(harness.connects(), [1, 2, 3], "one socket at a time");
    // The only timer left is the connect timeout of generation 3: twice
    // the 10 s, because generation 2 failed to connect.
    assert_eq!(
        harness.socket.next_deadline(),
        Some(harness.now.plus(std::time::Duration::from_secs(20)))
    );
}

#[test]
fn connect_keeps_backoff_wait() {
    let mut harness = Harness::new(socket_harness::settings());
    harness.open();
    harness.close(1006);

    harness.socket.connect(harness.now);
    harness.drain();

    assert_eq!(harness.connects(), [1]);
    assert_eq!(harness.socket.state(), SocketState::Closed);
}

#[test]
fn disconnect_stops_reconnecting() {
    let mut harness = Harness::new(socket_harness::settings());
    harness.open();

    harness.socket.disconnect(harness.now);
    harness.drain();
    assert_eq!(
        harness.disconnects(),
        [(1, 1000, "client disconnect".to_owned())]
    );
    assert_eq!(harness.socket.state(), SocketState::Closing);

    harness.close(1000);
    assert_eq!(harness.socket.state(), SocketState::Closed);
    assert_eq!(harness.socket.next_deadline(), None);
    harness.advance(60_000);
    harness.socket.reconnect_now(harness.now);
    harness.drain();
    assert_eq!(harness.connects(), [1]);
}

#[test]
fn disconnect_during_backoff_cancels_reconnect() {
    let mut harness = Harness::new(socket_harness::settings());
    harness.open();
    harness.close(1006);

    harness.socket.disconnect(harness.now);
    harness.advance(60_000);

    assert_eq!(harness.connects(), [1]);
    assert!(harness.disconnects().is_empty());
}

#[test]
fn connect_after_disconnect_rejoins_channels() {
    let mut harness = Harness::joined();
    harness.socket.disconnect(harness.now);
    harness.drain();
    harness.socket.connect(harness.now);
    harness.drain();
    assert_eq!(harness.connects(), [2]);

    harness.socket.handle_open(harness.now, 2);
    harness.drain();
    let joins = harness.sent_events(events::JOIN);
    assert_eq!(joins.len(), 1);
}
