//! The embedder's token callback: `tokenCallback` in the mount options, a
//! JavaScript function that returns `{token, expires_at}` or a Promise of it.
//!
//! `expires_at` is an RFC 3339 time or milliseconds since the Unix epoch. An
//! embedding portal mints tokens itself, so the app calls this callback rather
//! than the reference server's `POST /api/session/refresh`.

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use super::api::{FreshToken, parse_time_ms};

/// The callback, compared by identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenCallback(pub Function);

impl TokenCallback {
    /// Calls the callback and reads the token it resolves to.
    ///
    /// # Errors
    ///
    /// Returns a message naming what went wrong: the callback threw or
    /// rejected, or resolved to something other than `{token, expires_at}`.
    pub async fn fetch(&self) -> Result<FreshToken, String> {
        let returned = self
            .0
            .call0(&JsValue::NULL)
            .map_err(|error| format!("tokenCallback threw: {}", describe(&error)))?;
        let resolved = JsFuture::from(Promise::resolve(&returned))
            .await
            .map_err(|error| format!("tokenCallback rejected: {}", describe(&error)))?;
        read_fresh_token(&resolved)
    }
}

/// Reads `{token, expires_at}` from what the callback resolved to.
fn read_fresh_token(value: &JsValue) -> Result<FreshToken, String> {
    const EXPECTED: &str =
        "expected {token: string, expires_at: RFC 3339 time or epoch milliseconds}";

    let field = |name: &str| Reflect::get(value, &JsValue::from_str(name)).ok();
    let token = field("token")
        .and_then(|token| token.as_string())
        .filter(|token| !token.is_empty())
        .ok_or_else(|| format!("tokenCallback resolved without a token; {EXPECTED}"))?;

    let expires_at = field("expires_at").unwrap_or(JsValue::UNDEFINED);
    let expires_at_ms = match (expires_at.as_f64(), expires_at.as_string()) {
        (Some(millis), _) if millis.is_finite() => millis,
        (_, Some(text)) => parse_time_ms(&text).ok_or_else(|| {
            format!("tokenCallback resolved expires_at {text:?}, not a time; {EXPECTED}")
        })?,
        _ => {
            return Err(format!(
                "tokenCallback resolved without expires_at; {EXPECTED}"
            ));
        }
    };
    Ok(FreshToken {
        token,
        expires_at_ms,
    })
}

/// Returns the message of a thrown value, for a log line.
fn describe(error: &JsValue) -> String {
    if let Some(error) = error.dyn_ref::<js_sys::Error>() {
        return String::from(error.message());
    }
    error.as_string().unwrap_or_else(|| format!("{error:?}"))
}
