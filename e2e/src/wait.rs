//! Polling waits: every wait in the scenarios names what it waits for and
//! gives up after a timeout, reporting the last value it saw.

use std::fmt::Debug;
use std::future::Future;
use std::time::Duration;

use tokio::time::{Instant, sleep};

use crate::error::{HarnessError, Result};

/// The default upper bound for one wait. Reconnects after a server restart
/// go through the client's backoff, so this leaves room for several attempts.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// Polls `probe` until it returns `Some`, and returns that value.
///
/// `probe` returns the observed state and the extracted value. The timeout
/// error quotes the last state, so a failure shows what the page looked like.
pub async fn wait_for<T, S, F, Fut>(what: &str, timeout: Duration, mut probe: F) -> Result<T>
where
    S: Debug,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(S, Option<T>)>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        let (state, value) = probe().await?;
        if let Some(value) = value {
            return Ok(value);
        }
        if Instant::now() >= deadline {
            return Err(HarnessError::Timeout {
                what: what.to_string(),
                waited: timeout,
                last: format!("{state:?}"),
            });
        }
        sleep(POLL_INTERVAL).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn wait_returns_first_value() {
        let mut calls = 0;
        let value = wait_for("the third call", DEFAULT_TIMEOUT, || {
            calls += 1;
            let current = calls;
            async move { Ok((current, (current == 3).then_some(current * 10))) }
        })
        .await;
        assert_eq!(value.ok(), Some(30));
    }

    #[tokio::test(start_paused = true)]
    async fn wait_times_out_with_last_state() {
        let result: Result<()> = wait_for("a value", Duration::from_secs(1), || async {
            Ok(("still empty", None))
        })
        .await;
        let message = result
            .err()
            .map(|error| error.to_string())
            .unwrap_or_default();
        assert!(message.contains("waiting for a value"), "{message}");
        assert!(message.contains("still empty"), "{message}");
    }
}
