//! Per-user rate limit on stored messages: a token bucket per user.

use std::collections::HashMap;
use std::sync::Mutex;
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
}
