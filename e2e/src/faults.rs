//! Random network faults from a seed, so a failed chaos run can be replayed.
//!
//! [`FaultPlan`] draws every choice from one seeded generator: how long to
//! wait before the next fault (0.5 to 5 s), which proxies it hits, and the
//! mode it switches them to. [`seed_from_env`] reads `RIDECHAT_CHAOS_SEED`,
//! or picks a new seed from the clock when it is unset; the test prints it.
//!
//! The same seed gives the same sequence of faults and delays. The moments
//! they land relative to the app's own timers still vary from run to run,
//! so a replay makes a failure likely again, not certain.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::error::{HarnessError, Result};
use crate::proxy::Mode;

/// The variable that replays a run's faults.
pub const SEED_VARIABLE: &str = "RIDECHAT_CHAOS_SEED";

const MIN_GAP_MS: u64 = 500;
const MAX_GAP_MS: u64 = 5_000;
const MIN_SLOW_MS: u64 = 20;
const MAX_SLOW_MS: u64 = 300;

/// Returns the seed in `RIDECHAT_CHAOS_SEED`, or a new one from the clock.
pub fn seed_from_env() -> Result<u64> {
    match std::env::var(SEED_VARIABLE) {
        Ok(text) if !text.trim().is_empty() => text.trim().parse().map_err(|_| {
            HarnessError::Process(format!(
                "{SEED_VARIABLE}={text:?} is not a seed: use the decimal number a chaos run printed"
            ))
        }),
        _ => {
            let nanos = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|elapsed| elapsed.as_nanos() as u64)
                .unwrap_or(0x5eed);
            Ok(nanos)
        }
    }
}

/// SplitMix64: small, fast and good enough to spread faults around.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Returns a number in `low..=high`.
    pub fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.next_u64() % (high - low + 1)
    }
}

/// Which of the two proxies a fault hits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    First,
    Second,
    Both,
}

/// One step of the plan: wait `after`, then switch `target` to `mode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fault {
    pub after: Duration,
    pub target: Target,
    pub mode: Mode,
}

/// An endless, seeded sequence of faults.
pub struct FaultPlan {
    rng: Rng,
    /// The modes left in the current round, drawn from the back.
    round: Vec<Mode>,
}

impl FaultPlan {
    pub fn new(seed: u64) -> Self {
        Self {
            rng: Rng::new(seed),
            round: Vec::new(),
        }
    }

    /// Draws the next fault. The modes come in rounds of cut, stall, slow
    /// and pass in a shuffled order, so every four faults contain each once
    /// and a short run still cuts and stalls the link.
    pub fn next_fault(&mut self) -> Fault {
        let after = Duration::from_millis(self.rng.between(MIN_GAP_MS, MAX_GAP_MS));
        let target = match self.rng.between(0, 2) {
            0 => Target::First,
            1 => Target::Second,
            _ => Target::Both,
        };
        if self.round.is_empty() {
            self.new_round();
        }
        let mode = self.round.pop().unwrap_or(Mode::Pass);
        Fault {
            after,
            target,
            mode,
        }
    }

    /// Refills the round with the four modes, shuffled (Fisher-Yates).
    fn new_round(&mut self) {
        let slow = Duration::from_millis(self.rng.between(MIN_SLOW_MS, MAX_SLOW_MS));
        self.round = vec![Mode::Cut, Mode::Stall, Mode::Slow(slow), Mode::Pass];
        for index in (1..self.round.len()).rev() {
            let other = self.rng.between(0, index as u64) as usize;
            self.round.swap(index, other);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_gives_same_faults() {
        let mut first = FaultPlan::new(42);
        let mut second = FaultPlan::new(42);
        for _ in 0..100 {
            assert_eq!(first.next_fault(), second.next_fault());
        }
    }

    #[test]
    fn gaps_stay_between_half_a_second_and_five() {
        let mut plan = FaultPlan::new(7);
        for _ in 0..1_000 {
            let gap = plan.next_fault().after;
            assert!(
                (Duration::from_millis(500)..=Duration::from_secs(5)).contains(&gap),
                "{gap:?}"
            );
        }
    }

    #[test]
    fn every_round_draws_every_mode() {
        let mut plan = FaultPlan::new(1);
        let modes: Vec<Mode> = (0..4).map(|_| plan.next_fault().mode).collect();
        assert!(modes.contains(&Mode::Pass));
        assert!(modes.contains(&Mode::Cut));
        assert!(modes.contains(&Mode::Stall));
        assert!(modes.iter().any(|mode| matches!(mode, Mode::Slow(_))));
    }
}
