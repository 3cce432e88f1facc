//! Heartbeats, the dead-link rule, early probes and the phoenix.js default
//! timings, under virtual time.

mod socket_harness;

use std::time::Duration;

use ridechat_core::socket::{ChannelState, Settings, SocketEvent, SocketState};
use ridechat_core::wire::events;
use serde_json::json;
use socket_harness::{Harness, TOPIC};

#[test]
fn heartbeat_sent_every_interval() {
    let mut harness = Harness::joined();

    harness.advance(29_999);
    assert!(harness.sent_events(events::HEARTBEAT).is_empty());

    harness.advance(1);
    let heartbeats = harness.sent_events(events::HEARTBEAT);
    assert_eq!(heartbeats.len(), 1);
    assert_eq!(heartbeats[0].join_ref, None);
    assert_eq!(heartbeats[0].topic, "phoenix");
    assert_eq!(heartbeats[0].json_payload(), Some(&json!({})));

    harness.reply_to_heartbeat();
    harness.advance(30_000);
    assert_eq!(harness.sent_events(events::HEARTBEAT).len(), 2);
}

#[test]
fn heartbeat_frame_has_phoenix_layout() {
    let mut harness = Harness::new(socket_harness::settings());
    harness.open();
    harness.advance(30_000);

    let texts: Vec<&str> = harness
        .actions
        .iter()
        .filter_map(|action| match action {
            ridechat_core::socket::Action::SendText { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(texts, [r#"[null,"1","phoenix","heartbeat",{}]"#]);
}

#[test]
fn unanswered_heartbeat_disconnects() {
    let mut harness = Harness::joined();
    harness.advance(30_000);

    harness.advance(9_999);
    assert!(harness.disconnects().is_empty());
    assert_eq!(harness.socket.state(), SocketState::Open);

    harness.advance(1);
    assert_eq!(
        harness.disconnects(),
        [(1, 1000, "heartbeat timeout".to_owned())]
    );
    assert_eq!(harness.socket.state(), SocketState::Closed);
    assert_eq!(
        harness.socket.channel_state(TOPIC),
        Some(ChannelState::Errored)
    );
}

#[test]
fn dead_link_reconnects_without_waiting_for_close() {
    let mut harness = Harness::joined();
    harness.advance(40_000);
    assert_eq!(harness.disconnects().len(), 1);

    harness.advance(10);
    assert_eq!(harness.connects(), [2]);

    // The given-up socket reports its close much later: it is ignored.
    harness.socket.handle_close(harness.now, 1, 1006);
    harness.drain();
    assert_eq!(harness.socket.state(), SocketState::Connecting);
    let failures = harness
        .events
        .iter()
        .filter(|event| matches!(event, SocketEvent::ConnectFailed { .. }))
        .count();
    assert_eq!(failures, 0);
}

#[test]
fn late_timer_after_reply_keeps_link() {
    let mut harness = Harness::joined();
    harness.advance(30_000);
    harness.advance(500);
    harness.reply_to_heartbeat();

    // A hidden tab's timer fires a minute late: the reply did arrive.
    harness.late_timer(60_000);

    assert!(harness.disconnects().is_empty());
    assert_eq!(harness.socket.state(), SocketState::Open);
    assert_eq!(harness.sent_events(events::HEARTBEAT).len(), 2);
}

#[test]
fn late_timer_sends_overdue_heartbeat() {
    let mut harness = Harness::joined();

    harness.late_timer(90_000);

    assert!(harness.disconnects().is_empty());
    assert_eq!(harness.sent_events(events::HEARTBEAT).len(), 1);
    let deadline = harness.socket.next_deadline();
    assert_eq!(deadline, Some(harness.now.plus(Duration::from_secs(10))));
}

#[test]
fn late_timer_without_reply_disconnects() {
    let mut harness = Harness::joined();
    harness.advance(30_000);

    harness.late_timer(60_000);

    assert_eq!(harness.disconnects().len(), 1);
    assert_eq!(harness.socket.state(), SocketState::Closed);
}

#[test]
fn waiting_push_triggers_early_probe() {
    let mut harness = Harness::joined();
    harness.push("msg:new", json!({"body": "hello"}));

    harness.advance(2_999);
    assert!(harness.sent_events(events::HEARTBEAT).is_empty());

    harness.advance(1);
    assert_eq!(harness.sent_events(events::HEARTBEAT).len(), 1);

    harness.reply_to_heartbeat();
    harness.advance(5_000);
    assert_eq!(
        harness.sent_events(events::HEARTBEAT).len(),
        1,
        "a push probes once per wait"
    );
}

#[test]
fn unanswered_probe_finds_dead_link() {
    let mut harness = Harness::joined();
    let push = harness.push("msg:new", json!({"body": "hello"}));

    harness.advance(10_000);
    assert!(harness.events.contains(&SocketEvent::PushTimedOut {
        topic: TOPIC.to_owned(),
        push
    }));
    assert!(harness.disconnects().is_empty());

    harness.advance(3_000);
    assert_eq!(
        harness.disconnects().len(),
        1,
        "probe at 3 s, timeout 10 s later"
    );
}

#[test]
fn each_new_push_may_probe_again() {
    let mut harness = Harness::joined();
    harness.push("msg:new", json!({"body": "one"}));
    harness.advance(3_000);
    harness.reply_to_heartbeat();

    harness.push("msg:new", json!({"body": "two"}));
    harness.advance(3_000);

    assert_eq!(harness.sent_events(events::HEARTBEAT).len(), 2);
}

#[test]
fn reconnect_now_probes_open_socket() {
    let mut harness = Harness::joined();

    harness.socket.reconnect_now(harness.now);
    harness.drain();
    harness.socket.reconnect_now(harness.now);
    harness.drain();

    assert_eq!(harness.sent_events(events::HEARTBEAT).len(), 1);
    assert!(harness.connects().is_empty());
}

#[test]
fn phoenix_default_timings_hold() {
    let defaults = Settings::default();
    assert_eq!(defaults.heartbeat_interval, Duration::from_secs(30));
    assert_eq!(defaults.push_timeout, Duration::from_secs(10));
    assert_eq!(
        defaults.reconnect_after,
        socket_harness::millis(&[
            10, 50, 100, 150, 200, 250, 500, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000,
            1000, 1000, 1000, 2000, 5000
        ])
    );
    assert_eq!(
        defaults.rejoin_after,
        socket_harness::millis(&[1000, 2000, 5000, 10_000])
    );

    let mut harness = Harness::new(defaults);
    harness.open();
    harness.join(TOPIC, json!({}));
    harness.reply_to_last_join(json!({}));
    let opened_at = harness.now;
    let push = harness.push("msg:new", json!({}));
    harness.advance(3_000);
    harness.reply_to_heartbeat();

    harness.advance(6_999);
    assert!(
        !harness
            .events
            .iter()
            .any(|event| matches!(event, SocketEvent::PushTimedOut { .. }))
    );
    harness.advance(1);
    assert_eq!(
        harness.events.last(),
        Some(&SocketEvent::PushTimedOut {
            topic: TOPIC.to_owned(),
            push
        })
    );
    assert_eq!(harness.now, opened_at.plus(Duration::from_secs(10)));

    // The probe at 3 s moved the regular heartbeat to 3 s + 30 s.
    harness.advance(22_999);
    assert_eq!(harness.sent_events(events::HEARTBEAT).len(), 1);
    harness.advance(1);
    assert_eq!(harness.sent_events(events::HEARTBEAT).len(), 2);
}

#[test]
fn scaled_settings_multiply_every_duration() {
    let scaled = Settings::default().scaled(0.05);
    assert_eq!(scaled.heartbeat_interval, Duration::from_millis(1_500));
    assert_eq!(scaled.push_timeout, Duration::from_millis(500));
    assert_eq!(scaled.reconnect_after[20], Duration::from_millis(250));
    assert_eq!(scaled.rejoin_after[0], Duration::from_millis(50));
    assert_eq!(scaled.jitter, Settings::default().jitter);
}

#[test]
fn reconnect_gaps_stay_short_early() {
    let steps = Settings::default().reconnect_after;
    let jitter = Settings::default().jitter;
    // Every wait shortened the most, and not at all.
    for random_unit in [0.999_999, 0.0] {
        let mut at = Duration::ZERO;
        let mut attempt = 0;
        while at < Duration::from_millis(6_500) {
            let wait = ridechat_core::backoff::delay(&steps, attempt, jitter, random_unit);
            assert!(
                wait <= Duration::from_secs(1),
                "attempt {attempt} at {at:?} waits {wait:?}, more than 1 s"
            );
            at += wait;
            attempt += 1;
        }
    }
}

#[test]
fn idle_link_heartbeats_every_interval() {
    let mut harness = Harness::joined();
    let joined_at = harness.now;

    // Ten idle minutes, checked every second. A proxy that closes a socket
    // after 60 s without traffic must never see it that quiet.
    let mut sent_after = Vec::new();
    for _ in 0..600 {
        harness.advance(1_000);
        if harness.sent_events(events::HEARTBEAT).len() > sent_after.len() {
            sent_after.push(harness.now.0 - joined_at.0);
            harness.reply_to_heartbeat();
        }
    }

    let expected: Vec<u64> = (1..=20).map(|beat| beat * 30_000).collect();
    assert_eq!(sent_after, expected, "one heartbeat every 30 s");
    assert!(harness.disconnects().is_empty());
    assert!(harness.connects().is_empty());
    assert_eq!(harness.socket.state(), SocketState::Open);
}
