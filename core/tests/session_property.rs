//! Property test of the delivery guarantee: random sequences of sends, peer
//! messages, link cuts, lost replies, rate limits, waits, page reloads and
//! bursts of server frames handled in one call, against the model server
//! that stores by `(sender, client_id)`.
//!
//! Once the network heals and the timers have run, every message the user
//! sent must be stored by the server exactly once, in send order per room,
//! and the device must hold the same messages as the server.

mod session_harness;

use std::collections::BTreeMap;

use proptest::prelude::*;
use ridechat_core::local::DeliveryStatus;
use ridechat_core::store::MemoryStore;
use session_harness::{Harness, ModelServer, USER};

const ROOMS: [&str; 2] = ["ride:1", "ride:2"];

#[derive(Debug, Clone)]
enum Operation {
    Send { room: usize },
    PeerPost { room: usize },
    Cut,
    Restore,
    LoseReplies(bool),
    RateLimited(bool),
    Advance { millis: u64 },
    Reload,
    Batched(bool),
}

fn operation() -> impl Strategy<Value = Operation> {
    prop_oneof![
        4 => (0..ROOMS.len()).prop_map(|room| Operation::Send { room }),
        2 => (0..ROOMS.len()).prop_map(|room| Operation::PeerPost { room }),
        1 => Just(Operation::Cut),
        1 => Just(Operation::Restore),
        1 => any::<bool>().prop_map(Operation::LoseReplies),
        1 => any::<bool>().prop_map(Operation::RateLimited),
        2 => (0u64..40_000).prop_map(|millis| Operation::Advance { millis }),
        1 => Just(Operation::Reload),
        1 => any::<bool>().prop_map(Operation::Batched),
    ]
}

/// Runs the operations, then heals the network and lets every timer run.
/// Returns the harness and the client ids sent per room, in send order.
fn run(operations: &[Operation]) -> (Harness, BTreeMap<&'static str, Vec<String>>) {
    let mut server = ModelServer::new();
    server.rides.insert(ROOMS[1].to_owned(), Vec::new());
    let mut harness = Harness::with_store(MemoryStore::new(), server, 1);
    harness.start();

    let mut sent: BTreeMap<&'static str, Vec<String>> = BTreeMap::new();
    let mut peer_count = 0;
    for (index, operation) in operations.iter().enumerate() {
        match operation {
            Operation::Send { room } => {
                let client_id = format!("c{index}");
                harness.send_to(ROOMS[*room], &format!("message {index}"), &client_id);
                sent.entry(ROOMS[*room]).or_default().push(client_id);
            }
            Operation::PeerPost { room } => {
                peer_count += 1;
                let broadcast = harness.server.post_from_peer(
                    ROOMS[*room],
                    &format!("p{peer_count}"),
                    "from the driver",
                );
                if let Some(frame) = broadcast {
                    harness.deliver(frame);
                }
            }
            Operation::Cut => harness.cut(),
            Operation::Restore => harness.restore(),
            Operation::LoseReplies(lose) => harness.server.lose_replies = *lose,
            Operation::RateLimited(limited) => harness.server.rate_limited = *limited,
            Operation::Advance { millis } => harness.advance(*millis),
            Operation::Reload => harness.reload(),
            Operation::Batched(batched) => harness.batch_inbound = *batched,
        }
    }

    harness.server.lose_replies = false;
    harness.server.rate_limited = false;
    harness.restore();
    harness.advance(120_000);
    (harness, sent)
}

fn check_delivery(harness: &Harness, sent: &BTreeMap<&'static str, Vec<String>>) {
    for room in ROOMS {
        let on_server = &harness.server.rides[room];
        let own: Vec<&str> = on_server
            .iter()
            .filter(|message| message.sender_id == USER)
            .map(|message| message.client_id.as_str())
            .collect();
        let expected: Vec<&str> = sent
            .get(room)
            .map(|ids| ids.iter().map(String::as_str).collect())
            .unwrap_or_default();
        assert_eq!(
            own, expected,
            "{room}: the server must store each sent message once, in send order"
        );

        let on_device = harness.stored(room);
        let device_ids: Vec<&str> = on_device
            .iter()
            .map(|message| message.client_id.as_str())
            .collect();
        let server_ids: Vec<&str> = on_server
            .iter()
            .map(|message| message.client_id.as_str())
            .collect();
        assert_eq!(
            device_ids, server_ids,
            "{room}: the device must hold the server's messages, by seq"
        );
        for message in &on_device {
            assert_eq!(
                message.status,
                DeliveryStatus::Sent,
                "{room}: message {} must be Sent",
                message.client_id
            );
        }
    }
    assert_eq!(harness.outbox_len(), 0, "the outbox must be empty");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn nothing_lost_nor_duplicated(operations in prop::collection::vec(operation(), 1..40)) {
        let (harness, sent) = run(&operations);
        check_delivery(&harness, &sent);
    }
}

#[test]
fn reload_during_lost_replies_delivers_once() {
    let operations = [
        Operation::LoseReplies(true),
        Operation::Send { room: 0 },
        Operation::Send { room: 0 },
        Operation::Reload,
        Operation::Send { room: 1 },
        Operation::Cut,
        Operation::Send { room: 0 },
        Operation::Reload,
    ];
    let (harness, sent) = run(&operations);
    check_delivery(&harness, &sent);
}
