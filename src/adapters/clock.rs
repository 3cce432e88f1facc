//! The two clocks of the client.

use ridechat_core::time::Instant;

/// Returns the monotonic time for the session: `performance.now()` in whole
/// milliseconds. Unlike `Date.now()`, it never jumps when the user or the
/// network changes the device clock.
pub fn now() -> Instant {
    let millis = web_sys::window()
        .and_then(|window| window.performance())
        .map(|performance| performance.now())
        .unwrap_or_else(js_sys::Date::now);
    // `performance.now()` is non-negative and far below 2^53, so the cast
    // only drops the fraction.
    Instant(millis as u64)
}

/// Returns the device clock in milliseconds since the Unix epoch, for the
/// time shown beside a message the user sends.
pub fn wall_clock_ms() -> f64 {
    js_sys::Date::now()
}
