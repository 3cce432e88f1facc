//! Per-user rate limit on stored messages: a token bucket per user, and a
//! per-connection gate that keeps a rate-limited sender's messages in order.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A token bucket per user: `burst` messages at once, then `per_minute`
/// messages per minute. Time comes from the caller, so tests need no clock.
#[derive(Debug)]
pub struct RateLimiter {
    burst: f64,
    per_second: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl RateLimiter {
    pub fn new(burst: u32, per_minute: u32) -> Self {
        Self {
            burst: f64::from(burst.max(1)),
            per_second: f64::from(per_minute) / 60.0,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for `user_id` at `now`. Returns `Err` with the wait
    /// until the next token when the bucket is empty.
    pub fn try_acquire(&self, user_id: &str, now: Instant) -> Result<(), Duration> {
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let bucket = buckets.entry(user_id.to_owned()).or_insert(Bucket {
            tokens: self.burst,
            updated: now,
        });

        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.per_second).min(self.burst);
        bucket.updated = now;

        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            return Ok(());
        }
        if self.per_second <= 0.0 {
            return Err(Duration::MAX);
        }
        let missing = 1.0 - bucket.tokens;
        Err(Duration::from_secs_f64(missing / self.per_second))
    }
}

/// Keeps one connection's messages in send order across a `rate_limited`
/// reply.
///
/// A client pipelines its pushes, so when message N is rejected as rate
/// limited, N+1 may already be on the wire. The token bucket can refill in
/// between, and storing N+1 before the resend of N would break the order the
/// contract promises. So after a rejection the gate keeps that ride closed on
/// this connection: every other `msg:new` there is rejected as `rate_limited`
/// too, until the rejected `client_id` is pushed again. A new connection starts
/// with an open gate, and the client resends from the oldest unconfirmed message.
#[derive(Debug, Clone, Default)]
pub struct OrderGate {
    held: Arc<Mutex<HashMap<String, String>>>,
}

impl OrderGate {
    /// Returns the `client_id` that must come first on `ride_id`, if that is
    /// not `client_id`. A push of the held `client_id` opens the gate.
    pub fn waiting_for(&self, ride_id: &str, client_id: &str) -> Option<String> {
        let mut held = self.lock();
        match held.get(ride_id) {
            Some(head) if head != client_id => Some(head.clone()),
            Some(_) => {
                held.remove(ride_id);
                None
            }
            None => None,
        }
    }

    /// Closes the gate of `ride_id` behind `client_id`, which was just
    /// rejected as rate limited.
    pub fn hold(&self, ride_id: &str, client_id: &str) {
        self.lock()
            .entry(ride_id.to_owned())
            .or_insert_with(|| client_id.to_owned());
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        self.held
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_allows_burst_then_limits() {
        let limiter = RateLimiter::new(3, 60);
        let start = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.try_acquire("r1", start), Ok(()));
        }
        let wait = limiter.try_acquire("r1", start);
        assert_eq!(wait, Err(Duration::from_secs(1)));
    }

    #[test]
    fn bucket_refills_over_time() {
        let limiter = RateLimiter::new(1, 60);
        let start = Instant::now();
        assert_eq!(limiter.try_acquire("r1", start), Ok(()));
        assert!(limiter.try_acquire("r1", start).is_err());
        let later = start + Duration::from_secs(1);
        assert_eq!(limiter.try_acquire("r1", later), Ok(()));
    }

    #[test]
    fn buckets_are_per_user() {
        let limiter = RateLimiter::new(1, 60);
        let now = Instant::now();
        assert_eq!(limiter.try_acquire("r1", now), Ok(()));
        assert_eq!(limiter.try_acquire("d1", now), Ok(()));
        assert!(limiter.try_acquire("r1", now).is_err());
    }

    #[test]
    fn gate_rejects_later_messages_until_head_returns() {
        let gate = OrderGate::default();
        assert_eq!(gate.waiting_for("1", "c1"), None);

        gate.hold("1", "c1");
        assert_eq!(gate.waiting_for("1", "c2"), Some("c1".to_owned()));
        assert_eq!(gate.waiting_for("2", "c9"), None);

        assert_eq!(gate.waiting_for("1", "c1"), None);
        assert_eq!(gate.waiting_for("1", "c2"), None);
    }

    #[test]
    fn gate_keeps_the_first_held_message() {
        let gate = OrderGate::default();
        gate.hold("1", "c1");
        gate.hold("1", "c2");
        assert_eq!(gate.waiting_for("1", "c2"), Some("c1".to_owned()));
    }
}
