//! The connect timeout: a WebSocket that never opens is abandoned, counted as
//! a failed connect and followed by the reconnect backoff, under virtual time.

mod socket_harness;

use std::time::Duration;

use ridechat_core::socket::{Settings, SocketEvent, SocketState};
use socket_harness::Harness;

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
fn default_connect_timeout_scales() {
    let settings = Settings::default();
    assert_eq!(settings.connect_timeout, Duration::from_secs(10));
    assert_eq!(
        settings.scaled(0.05).connect_timeout,
        Duration::from_millis(500)
    );
}

#[test]
fn stalled_connect_abandoned_after_timeout() {
    let mut harness = Harness::new(socket_harness::settings());
    harness.socket.connect(harness.now);
    harness.drain();
    let started = harness.now;

    assert_eq!(
        harness.socket.next_deadline(),
        Some(started.plus(Duration::from_secs(10)))
    );
    harness.advance(9_999);
    assert_eq!(harness.socket.state(), SocketState::Connecting);
    assert!(harness.disconnects().is_empty());

    harness.advance(1);
    assert_eq!(harness.socket.state(), SocketState::Closed);
    assert_eq!(
        harness.disconnects(),
        [(1, 1000, "connect timeout".to_owned())]
    );
    assert_eq!(connect_failures(&harness), [1]);
    // The first backoff step of the test settings is 10 ms.
    assert_eq!(
        harness.socket.next_deadline(),
        Some(harness.now.plus(Duration::from_millis(10)))
    );
}

#[test]
fn abandoned_connects_back_off() {
    let mut harness = Harness::new(socket_harness::settings());
    harness.socket.connect(harness.now);
    harness.drain();

    // Three stalled attempts of 10, 20 and 40 s, with 10 and 50 ms of
    // backoff between.
    harness.advance(10_000 + 10 + 20_000 + 50 + 40_000);

    assert_eq!(harness.connects(), [1, 2, 3]);
    assert_eq!(connect_failures(&harness), [1, 2, 3]);
    let abandoned: Vec<u64> = harness
        .disconnects()
        .into_iter()
        .map(|(generation, _, _)| generation)
        .collect();
    assert_eq!(abandoned, [1, 2, 3]);
}

#[test]
fn late_close_after_abandon_ignored() {
    let mut harness = Harness::new(socket_harness::settings());
    harness.socket.connect(harness.now);
    harness.drain();
    harness.advance(10_000);
    harness.advance(10);
    assert_eq!(harness.connects(), [1, 2]);

    // Generation 1 finally reports its close while generation 2 connects.
    harness.socket.handle_close(harness.now, 1, 1006);
    harness.socket.handle_open(harness.now, 1);
    harness.drain();

    assert_eq!(harness.socket.state(), SocketState::Connecting);
    assert_eq!(connect_failures(&harness), [1]);
}

#[test]
fn open_in_time_cancels_timeout() {
    let mut harness = Harness::new(socket_harness::settings());
    harness.socket.connect(harness.now);
    harness.drain();
    harness.advance(9_000);
    let generation = harness.generation;
    harness.socket.handle_open(harness.now, generation);
    harness.drain();

    harness.advance(5_000);
    assert_eq!(harness.socket.state(), SocketState::Open);
    assert!(harness.disconnects().is_empty());
    assert!(connect_failures(&harness).is_empty());
}

#[test]
fn connect_timeout_doubles_after_failures() {
    let mut harness = Harness::new(socket_harness::settings());
    harness.socket.connect(harness.now);
    harness.drain();

    let mut timeouts = Vec::new();
    for _ in 0..5 {
        let started = harness.now;
        let deadline = harness.socket.next_deadline().expect("a connect deadline");
        timeouts.push(deadline.0 - started.0);
        // Time out, then wait out the backoff to the next connect.
        harness.advance(deadline.0 - started.0);
        let next = harness
            .socket
            .next_deadline()
            .expect("a reconnect deadline");
        harness.advance(next.0 - harness.now.0);
    }

    assert_eq!(timeouts, [10_000, 20_000, 40_000, 80_000, 80_000]);
}

#[test]
fn open_resets_connect_timeout() {
    let mut harness = Harness::new(socket_harness::settings());
    harness.socket.connect(harness.now);
    harness.drain();
    harness.advance(10_000 + 10);
    assert_eq!(harness.connects(), [1, 2]);

    harness.socket.handle_open(harness.now, 2);
    harness.socket.handle_close(harness.now, 2, 1006);
    harness.drain();
    let next = harness
        .socket
        .next_deadline()
        .expect("a reconnect deadline");
    harness.advance(next.0 - harness.now.0);
    assert_eq!(harness.connects(), [1, 2, 3]);

    let started = harness.now;
    let deadline = harness.socket.next_deadline().expect("a connect deadline");
    assert_eq!(
        deadline.0 - started.0,
        10_000,
        "an open link resets the timeout"
    );
}
