//! Reconnect and rejoin delays, as a pure function of the attempt number.
//!
//! [`delay`] picks the step for the attempt (the last step repeats) and then
//! shortens it by a random fraction of at most `jitter`, so clients that lost
//! the same server at the same moment do not all come back at once. The random
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
    let kept = 1.0 - jitter * random_unit;
    step.mul_f64(kept)
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
