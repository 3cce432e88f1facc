//! Time in the protocol core: milliseconds on a monotonic clock that the
//! adapter chooses and passes in with every event.

use std::time::Duration;

/// Milliseconds on a monotonic clock chosen by the adapter
/// (`performance.now()` in the browser, virtual time in tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Instant(pub u64);

impl Instant {
    /// Returns this instant moved forward by `duration`, rounded down to whole
    /// milliseconds and saturating at `u64::MAX`.
    pub fn plus(self, duration: Duration) -> Instant {
        let millis = u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
        Instant(self.0.saturating_add(millis))
    }

    /// Returns the time elapsed since `earlier`, or zero if `earlier` is later.
    pub fn since(self, earlier: Instant) -> Duration {
        Duration::from_millis(self.0.saturating_sub(earlier.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plus_adds_whole_milliseconds() {
        assert_eq!(Instant(5).plus(Duration::from_micros(2_900)), Instant(7));
    }

    #[test]
    fn plus_saturates_at_the_end_of_time() {
        assert_eq!(
            Instant(u64::MAX - 1).plus(Duration::from_secs(1)),
            Instant(u64::MAX)
        );
    }

    #[test]
    fn since_is_zero_for_a_later_instant() {
        assert_eq!(Instant(10).since(Instant(30)), Duration::ZERO);
        assert_eq!(Instant(30).since(Instant(10)), Duration::from_millis(20));
    }
}
