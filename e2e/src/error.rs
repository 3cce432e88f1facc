//! The harness error type.

use std::fmt;
use std::time::Duration;

/// Errors from starting processes, driving browsers and waiting for pages.
#[derive(thiserror::Error)]
pub enum HarnessError {
    #[error("environment variable {name} is not set: {hint}")]
    MissingEnv {
        name: &'static str,
        hint: &'static str,
    },

    #[error("{action} failed: {source}")]
    Io {
        action: String,
        #[source]
        source: std::io::Error,
    },

    #[error("{action} failed: {source}")]
    WebDriver {
        action: String,
        #[source]
        source: thirtyfour::error::WebDriverError,
    },

    #[error("timed out after {}s waiting for {what}; last observed: {last}", waited.as_secs_f32())]
    Timeout {
        what: String,
        waited: Duration,
        last: String,
    },

    #[error("{0}")]
    Process(String),

    #[error("cannot read the page state: {0}")]
    PageState(String),
}

impl HarnessError {
    /// Returns a `map_err` adapter that wraps an I/O error with `action`.
    pub fn io(action: impl Into<String>) -> impl FnOnce(std::io::Error) -> Self {
        let action = action.into();
        move |source| Self::Io { action, source }
    }

    /// Returns a `map_err` adapter that wraps a WebDriver error with `action`.
    pub fn webdriver(
        action: impl Into<String>,
    ) -> impl FnOnce(thirtyfour::error::WebDriverError) -> Self {
        let action = action.into();
        move |source| Self::WebDriver { action, source }
    }
}

/// Prints the message and its causes, because a test that returns `Err`
/// shows the error through `Debug`.
impl fmt::Debug for HarnessError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{self}")?;
        let mut source = std::error::Error::source(self);
        while let Some(cause) = source {
            write!(formatter, "\n  caused by: {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}

pub type Result<T> = std::result::Result<T, HarnessError>;
