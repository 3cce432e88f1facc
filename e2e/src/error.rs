//! The harness error type.

use std::time::Duration;

/// Errors from starting processes, driving browsers and waiting for pages.
#[derive(Debug, thiserror::Error)]
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
    pub(crate) fn io(action: impl Into<String>) -> impl FnOnce(std::io::Error) -> Self {
        let action = action.into();
        move |source| Self::Io { action, source }
    }

    pub(crate) fn webdriver(
        action: impl Into<String>,
    ) -> impl FnOnce(thirtyfour::error::WebDriverError) -> Self {
        let action = action.into();
        move |source| Self::WebDriver { action, source }
    }
}

pub type Result<T> = std::result::Result<T, HarnessError>;
