//! In-memory publish and subscribe between socket connections.
//!
//! Each connection registers a [`SocketHandle`] per topic it joins. A
//! broadcast puts a [`Delivery`] into the bounded queue of every subscribed
//! connection, without waiting. A connection whose queue is full is too slow
//! to keep up: the hub signals it to close, and the client reconnects and
//! fills the gap by `last_seq`, so no message is lost, only delayed.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use serde_json::Value;
use tokio::sync::{Notify, mpsc};

use crate::rate_limit::OrderGate;

/// Identifies one WebSocket connection for the life of the process.
pub type SocketId = u64;

/// Deliveries a connection may have queued before it counts as too slow.
pub const QUEUE_CAPACITY: usize = 1024;

/// A broadcast on its way to one connection.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub topic: String,
    pub event: String,
    pub payload: Arc<Value>,
    /// The message seq, for `msg:new`; lets a connection drop a broadcast of
    /// a message its join reply already carried.
    pub seq: Option<u64>,
}

/// The sending side of one connection's queue.
#[derive(Debug, Clone)]
pub struct SocketHandle {
    pub id: SocketId,
    pub user_id: String,
    sender: mpsc::Sender<Delivery>,
    overflow: Arc<Notify>,
    /// Keeps this connection's messages in order across `rate_limited`.
    pub order_gate: OrderGate,
}

/// The receiving side of one connection's queue.
#[derive(Debug)]
pub struct SocketInbox {
    pub deliveries: mpsc::Receiver<Delivery>,
    /// Notified when the queue overflowed and the connection must close.
    pub overflow: Arc<Notify>,
}

/// Topic subscriptions of every connection.
#[derive(Debug, Default)]
pub struct Hub {
    topics: Mutex<HashMap<String, HashMap<SocketId, SocketHandle>>>,
    next_id: AtomicU64,
}

impl Hub {
    pub fn new() -> Self {
        Self::default()
    }

    /// Creates the queue of a new connection of `user_id`.
    pub fn connect(&self, user_id: &str) -> (SocketHandle, SocketInbox) {
        let (sender, deliveries) = mpsc::channel(QUEUE_CAPACITY);
        let overflow = Arc::new(Notify::new());
        let handle = SocketHandle {
            id: self.next_id.fetch_add(1, Ordering::Relaxed) + 1,
            user_id: user_id.to_owned(),
            sender,
            overflow: Arc::clone(&overflow),
            order_gate: OrderGate::default(),
        };
        (
            handle,
            SocketInbox {
                deliveries,
                overflow,
            },
        )
    }

    pub fn subscribe(&self, topic: &str, handle: &SocketHandle) {
        self.lock()
            .entry(topic.to_owned())
            .or_default()
            .insert(handle.id, handle.clone());
    }

    pub fn unsubscribe(&self, topic: &str, socket_id: SocketId) {
        let mut topics = self.lock();
        if let Some(subscribers) = topics.get_mut(topic) {
            subscribers.remove(&socket_id);
            if subscribers.is_empty() {
                topics.remove(topic);
            }
        }
    }

    /// Queues `delivery` for every subscriber of its topic, except the
    /// connections of `except_user`. Returns how many connections got it.
    pub fn broadcast(&self, delivery: &Delivery, except_user: Option<&str>) -> usize {
        let topics = self.lock();
        let Some(subscribers) = topics.get(&delivery.topic) else {
            return 0;
        };

        let mut sent = 0;
        for handle in subscribers.values() {
            if except_user == Some(handle.user_id.as_str()) {
                continue;
            }
            match handle.sender.try_send(delivery.clone()) {
                Ok(()) => sent += 1,
                Err(mpsc::error::TrySendError::Full(_)) => {
                    tracing::warn!(
                        socket_id = handle.id,
                        user_id = %handle.user_id,
                        topic = %delivery.topic,
                        "socket queue full; closing the slow socket"
                    );
                    handle.overflow.notify_one();
                }
                // The connection ended and will unsubscribe itself.
                Err(mpsc::error::TrySendError::Closed(_)) => {}
            }
        }
        sent
    }

    /// Counts the connections subscribed to `topic`.
    pub fn subscriber_count(&self, topic: &str) -> usize {
        self.lock().get(topic).map_or(0, HashMap::len)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, HashMap<SocketId, SocketHandle>>> {
        self.topics.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delivery(topic: &str) -> Delivery {
        Delivery {
            topic: topic.to_owned(),
            event: "typing".to_owned(),
            payload: Arc::new(serde_json::json!({})),
            seq: None,
        }
    }

    #[test]
    fn broadcast_reaches_subscribers_of_topic_only() {
        let hub = Hub::new();
        let (rider, mut rider_inbox) = hub.connect("r1");
        let (driver, mut driver_inbox) = hub.connect("d1");
        hub.subscribe("ride:1", &rider);
        hub.subscribe("ride:2", &driver);

        assert_eq!(hub.broadcast(&delivery("ride:1"), None), 1);
        assert_eq!(
            rider_inbox.deliveries.try_recv().ok(),
            Some(delivery("ride:1"))
        );
        assert!(driver_inbox.deliveries.try_recv().is_err());
    }

    #[test]
    fn broadcast_skips_excepted_user() {
        let hub = Hub::new();
        let (rider, mut rider_inbox) = hub.connect("r1");
        let (driver, mut driver_inbox) = hub.connect("d1");
        hub.subscribe("ride:1", &rider);
        hub.subscribe("ride:1", &driver);

        assert_eq!(hub.broadcast(&delivery("ride:1"), Some("r1")), 1);
        assert!(rider_inbox.deliveries.try_recv().is_err());
        assert!(driver_inbox.deliveries.try_recv().is_ok());
    }

    #[test]
    fn unsubscribe_stops_deliveries() {
        let hub = Hub::new();
        let (rider, mut rider_inbox) = hub.connect("r1");
        hub.subscribe("ride:1", &rider);
        hub.unsubscribe("ride:1", rider.id);

        assert_eq!(hub.broadcast(&delivery("ride:1"), None), 0);
        assert!(rider_inbox.deliveries.try_recv().is_err());
        assert_eq!(hub.subscriber_count("ride:1"), 0);
    }

    #[tokio::test]
    async fn full_queue_signals_overflow() {
        let hub = Hub::new();
        let (rider, rider_inbox) = hub.connect("r1");
        hub.subscribe("ride:1", &rider);
        for _ in 0..QUEUE_CAPACITY {
            hub.broadcast(&delivery("ride:1"), None);
        }
        assert_eq!(hub.broadcast(&delivery("ride:1"), None), 0);
        // The permit stored by notify_one makes this return at once.
        rider_inbox.overflow.notified().await;
    }
}
