//! The timer and reconnect-hint adapters in headless Chromium: what each
//! sends to the driver, and that a dropped one sends nothing more.

use std::time::Duration;

use futures::StreamExt;
use futures::channel::mpsc::{self, UnboundedReceiver};
use futures::future::{Either, select};
use ridechat::adapters::clock;
use ridechat::adapters::hints::ReconnectHints;
use ridechat::adapters::timer::{SessionTimer, sleep};
use ridechat_core::session::Input;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// Returns the next input, or `None` if none arrives within `wait`.
async fn next_within(inputs: &mut UnboundedReceiver<Input>, wait: Duration) -> Option<Input> {
    match select(inputs.next(), Box::pin(sleep(wait))).await {
        Either::Left((input, _)) => input,
        Either::Right(((), _)) => None,
    }
}

fn dispatch_on_window(event_name: &str) {
    let event = web_sys::Event::new(event_name).unwrap();
    web_sys::window().unwrap().dispatch_event(&event).unwrap();
}

#[wasm_bindgen_test]
async fn timer_fires_once_per_deadline() {
    let (sender, mut inputs) = mpsc::unbounded();
    let mut timer = SessionTimer::new(sender);
    let now = clock::now();
    timer.arm(Some(now.plus(Duration::from_millis(20))), now);

    let fired = next_within(&mut inputs, Duration::from_secs(5)).await;
    assert_eq!(fired, Some(Input::Timer));
    let again = next_within(&mut inputs, Duration::from_millis(100)).await;
    assert_eq!(again, None, "one deadline fires one timer input");
}

#[wasm_bindgen_test]
async fn timer_disarmed_by_none() {
    let (sender, mut inputs) = mpsc::unbounded();
    let mut timer = SessionTimer::new(sender);
    let now = clock::now();
    timer.arm(Some(now.plus(Duration::from_millis(30))), now);
    timer.arm(None, now);

    let fired = next_within(&mut inputs, Duration::from_millis(150)).await;
    assert_eq!(fired, None, "a disarmed timer must not fire");
}

#[wasm_bindgen_test]
async fn timer_dropped_never_fires() {
    let (sender, mut inputs) = mpsc::unbounded();
    // Keeps the channel open, so silence means no input, not a closed channel.
    let _open = sender.clone();
    let mut timer = SessionTimer::new(sender);
    let now = clock::now();
    timer.arm(Some(now.plus(Duration::from_millis(30))), now);
    drop(timer);

    let fired = next_within(&mut inputs, Duration::from_millis(150)).await;
    assert_eq!(fired, None, "dropping the adapter must clear its timeout");
}

#[wasm_bindgen_test]
async fn timer_rearms_a_due_deadline() {
    let (sender, mut inputs) = mpsc::unbounded();
    let mut timer = SessionTimer::new(sender);
    let now = clock::now();
    let deadline = now.plus(Duration::from_millis(10));
    timer.arm(Some(deadline), now);
    assert_eq!(
        next_within(&mut inputs, Duration::from_secs(5)).await,
        Some(Input::Timer)
    );

    // The session may still report the same deadline once it is due.
    timer.arm(Some(deadline), clock::now());
    let fired = next_within(&mut inputs, Duration::from_secs(5)).await;
    assert_eq!(fired, Some(Input::Timer), "a due deadline must fire again");
}

#[wasm_bindgen_test]
async fn hints_send_reconnect_until_dropped() {
    let (sender, mut inputs) = mpsc::unbounded();
    // Keeps the channel open, so silence means no input, not a closed channel.
    let _open = sender.clone();
    let hints = ReconnectHints::new(sender);

    for event_name in ["online", "pageshow"] {
        dispatch_on_window(event_name);
        let hint = next_within(&mut inputs, Duration::from_secs(5)).await;
        assert_eq!(hint, Some(Input::ReconnectHint), "{event_name} must hint");
    }

    drop(hints);
    dispatch_on_window("online");
    let hint = next_within(&mut inputs, Duration::from_millis(100)).await;
    assert_eq!(hint, None, "dropping the adapter must stop its hints");
}
