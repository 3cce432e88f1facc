//! Reconnect and rejoin delays, as a pure function of the attempt number.
//!
//! [`delay`] picks the step for the attempt (the last step repeats) and then
//! shortens it by a random fraction of at most `jitter`. Clients that lost the
//! same server at the same moment therefore do not all come back at once. The random
//! number is an argument, which keeps the function testable without sleeping.
//! [`SplitMix64`] supplies those numbers from a seed, so core needs no `rand`.

use std::time::Duration;

/// Returns the wait before attempt number `attempt` (0 for the first retry).
///
/// The step is `steps[attempt]`, or the last step once `attempt` runs past the
/// end. The result lies in `step * (1 - jitter) ..= step`: `jitter` is the
/// fraction of the step that is randomised and `random_unit` (in `0.0..1.0`)
/// picks the point in that range. Both are clamped to `0.0..=1.0`, and NaN
/// counts as 0. An empty `steps` returns zero.
pub fn delay(steps: &[Duration], attempt: u32, jitter: f64, random_unit: f64) -> Duration {
    let Some(last) = steps.last() else {
        return Duration::ZERO;
    };
    let index = usize::try_from(attempt).unwrap_or(usize::MAX);
    let step = steps.get(index).unwrap_or(last);

    let jitter = clamp_unit(jitter);
    let random_unit = clamp_unit(random_unit);
    let fraction = 1.0 - jitter * random_unit;
    step.mul_f64(fraction)
}

fn clamp_unit(value: f64) -> f64 {
    if value.is_nan() {
        0.0
    } else {
        value.clamp(0.0, 1.0)
    }
}

/// A small deterministic pseudo-random generator (SplitMix64, by Sebastiano
/// Vigna), good enough for jitter and not for anything secret.
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// Creates a generator whose sequence is fixed by `seed`.
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// Returns the next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Returns a number in `0.0..1.0` with 53 random bits.
    pub fn next_unit(&mut self) -> f64 {
        const SCALE: f64 = 1.0 / (1u64 << 53) as f64;
        (self.next_u64() >> 11) as f64 * SCALE
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn phoenix_reconnect_steps() -> Vec<Duration> {
        [10, 50, 100, 150, 200, 250, 500, 1000, 2000, 5000]
            .into_iter()
            .map(Duration::from_millis)
            .collect()
    }

    #[test]
    fn delay_follows_steps_without_jitter() {
        let steps = phoenix_reconnect_steps();
        let delays: Vec<u128> = (0..12)
            .map(|attempt| delay(&steps, attempt, 0.0, 0.7).as_millis())
            .collect();
        assert_eq!(
            delays,
            [
                10, 50, 100, 150, 200, 250, 500, 1000, 2000, 5000, 5000, 5000
            ]
        );
    }

    #[test]
    fn delay_repeats_last_step_for_huge_attempts() {
        let steps = phoenix_reconnect_steps();
        assert_eq!(delay(&steps, u32::MAX, 0.0, 0.0), Duration::from_secs(5));
    }

    #[test]
    fn delay_with_full_jitter_reaches_zero() {
        let steps = [Duration::from_secs(10)];
        assert_eq!(delay(&steps, 0, 1.0, 0.0), Duration::from_secs(10));
        assert_eq!(delay(&steps, 0, 1.0, 1.0), Duration::ZERO);
        assert_eq!(delay(&steps, 0, 0.5, 0.5), Duration::from_millis(7_500));
    }

    #[test]
    fn delay_clamps_out_of_range_inputs() {
        let steps = [Duration::from_secs(1)];
        assert_eq!(delay(&steps, 0, 2.0, 1.0), Duration::ZERO);
        assert_eq!(delay(&steps, 0, -1.0, 1.0), Duration::from_secs(1));
        assert_eq!(delay(&steps, 0, f64::NAN, 1.0), Duration::from_secs(1));
        assert_eq!(delay(&steps, 0, 0.5, f64::NAN), Duration::from_secs(1));
    }

    #[test]
    fn delay_of_empty_steps_is_zero() {
        assert_eq!(delay(&[], 3, 0.5, 0.5), Duration::ZERO);
    }

    #[test]
    fn splitmix_is_deterministic_per_seed() {
        let first: Vec<u64> = {
            let mut random = SplitMix64::new(42);
            (0..4).map(|_| random.next_u64()).collect()
        };
        let again: Vec<u64> = {
            let mut random = SplitMix64::new(42);
            (0..4).map(|_| random.next_u64()).collect()
        };
        let other = SplitMix64::new(43).next_u64();
        assert_eq!(first, again);
        assert_ne!(first[0], other);
    }

    #[test]
    fn splitmix_matches_reference_output() {
        // First output for seed 0 of Vigna's splitmix64.c.
        assert_eq!(SplitMix64::new(0).next_u64(), 0xE220_A839_7B1D_CDAF);
    }

    proptest! {
        #[test]
        fn jittered_delay_stays_within_bounds(
            attempt in 0u32..20,
            jitter in 0.0f64..=1.0,
            random_unit in 0.0f64..1.0,
        ) {
            let steps = phoenix_reconnect_steps();
            let step = steps[usize::try_from(attempt).unwrap_or(usize::MAX).min(steps.len() - 1)];
            let wait = delay(&steps, attempt, jitter, random_unit);
            prop_assert!(wait <= step, "{wait:?} above {step:?}");
            prop_assert!(wait >= step.mul_f64(1.0 - jitter), "{wait:?} below the jitter floor");
        }

        #[test]
        fn unit_numbers_stay_in_range(seed in any::<u64>()) {
            let mut random = SplitMix64::new(seed);
            for _ in 0..100 {
                let unit = random.next_unit();
                prop_assert!((0.0..1.0).contains(&unit), "{unit}");
            }
        }
    }
}
