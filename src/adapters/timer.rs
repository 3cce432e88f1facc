//! The one timer of the session, and a `sleep` future.

use std::time::Duration;

use futures::channel::mpsc::UnboundedSender;
use js_sys::Promise;
use ridechat_core::session::Input;
use ridechat_core::time::Instant;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use wasm_bindgen_futures::JsFuture;

use super::send_input;

/// Maximum delay of `setTimeout` (2^31 - 1 ms, about 24.8 days). The delay
/// is a WebIDL `long`, so a larger value wraps around and fires at once.
const MAX_TIMEOUT_MS: u64 = i32::MAX as u64;

/// One `setTimeout`, re-armed for the session's next deadline after every
/// input. When it fires, it sends [`Input::Timer`].
pub struct SessionTimer {
    on_timeout: Closure<dyn FnMut()>,
    armed: Option<Armed>,
}

struct Armed {
    handle: i32,
    deadline: Instant,
}

impl SessionTimer {
    pub fn new(inputs: UnboundedSender<Input>) -> Self {
        Self {
            on_timeout: Closure::new(move || send_input(&inputs, Input::Timer)),
            armed: None,
        }
    }

    /// Arms the timer for `deadline`, or disarms it for `None`. Keeps the
    /// running timeout when the deadline did not change and is still ahead.
    /// A deadline already due is armed again, because its timeout has fired.
    pub fn arm(&mut self, deadline: Option<Instant>, now: Instant) {
        let unchanged = self.armed.as_ref().map(|armed| armed.deadline) == deadline;
        if unchanged && deadline.is_none_or(|deadline| deadline > now) {
            return;
        }
        self.disarm();
        let Some(deadline) = deadline else {
            return;
        };
        let Some(window) = web_sys::window() else {
            return;
        };

        let delay = deadline.since(now).as_millis();
        let delay = u64::try_from(delay)
            .unwrap_or(MAX_TIMEOUT_MS)
            .min(MAX_TIMEOUT_MS);
        // `delay` is at most i32::MAX, so the cast is exact.
        let result = window.set_timeout_with_callback_and_timeout_and_arguments_0(
            self.on_timeout.as_ref().unchecked_ref(),
            delay as i32,
        );
        match result {
            Ok(handle) => self.armed = Some(Armed { handle, deadline }),
            Err(error) => web_sys::console::error_2(
                &"ridechat: setTimeout failed; timers will not fire until the next input".into(),
                &error,
            ),
        }
    }

    fn disarm(&mut self) {
        if let Some(armed) = self.armed.take()
            && let Some(window) = web_sys::window()
        {
            window.clear_timeout_with_handle(armed.handle);
        }
    }
}

impl Drop for SessionTimer {
    fn drop(&mut self) {
        self.disarm();
    }
}

/// Waits for `duration`. The timeout calls the promise's own `resolve`, so no
/// Rust closure is involved.
pub async fn sleep(duration: Duration) {
    let millis = u64::try_from(duration.as_millis())
        .unwrap_or(MAX_TIMEOUT_MS)
        .min(MAX_TIMEOUT_MS);
    let promise = Promise::new(&mut |resolve, _reject| {
        if let Some(window) = web_sys::window() {
            // `millis` is at most i32::MAX, so the cast is exact. Without a
            // window the promise never resolves, like a timer never fired.
            let _handle = window
                .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, millis as i32);
        }
    });
    // The promise only ever resolves.
    let _ = JsFuture::from(promise).await;
}
