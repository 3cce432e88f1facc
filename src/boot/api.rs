//! `GET /api/session` (which user a token belongs to) and
//! `POST /api/session/refresh` (a fresh token for a still valid one).

use gloo_net::http::Request;
use serde::Deserialize;

/// The reply of `GET /api/session`.
#[derive(Debug, Deserialize)]
struct SessionInfo {
    user_id: String,
    /// RFC 3339, such as `2026-12-04T22:00:00Z`.
    expires_at: Option<String>,
}

/// The reply of `POST /api/session/refresh`.
#[derive(Deserialize)]
struct RefreshReply {
    token: String,
    expires_at: String,
}

/// A token and when it expires, in milliseconds since the Unix epoch.
#[derive(Clone, PartialEq)]
pub struct FreshToken {
    pub token: String,
    pub expires_at_ms: f64,
}

// The token stays out of debug output, because a log line must never show it.
impl std::fmt::Debug for FreshToken {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("FreshToken")
            .field("expires_at_ms", &self.expires_at_ms)
            .finish_non_exhaustive()
    }
}

/// The server's verdict on a token.
#[derive(Debug, Clone, PartialEq)]
pub enum SessionLookup {
    /// The token is valid for this user, until `expires_at_ms` (milliseconds
    /// since the Unix epoch) when the reply contains it.
    User {
        user_id: String,
        expires_at_ms: Option<f64>,
    },
    /// HTTP 401 or 403: the token is invalid or expired.
    Rejected,
    /// No usable response, so a retry may help. The text gives the reason,
    /// for the log.
    Unreachable(String),
}

/// Asks `<api_url>/api/session` which user `token` belongs to.
pub async fn lookup_session(api_url: &str, token: &str) -> SessionLookup {
    let url = format!("{}/api/session", api_url.trim_end_matches('/'));
    let response = Request::get(&url)
        .header("Authorization", &format!("Bearer {token}"))
        .send()
        .await;
    let response = match response {
        Ok(response) => response,
        Err(error) => return SessionLookup::Unreachable(format!("GET {url} failed: {error}")),
    };

    match response.status() {
        200 => match response.json::<SessionInfo>().await {
            Ok(info) if !info.user_id.is_empty() => SessionLookup::User {
                user_id: info.user_id,
                expires_at_ms: info.expires_at.as_deref().and_then(parse_time_ms),
            },
            Ok(_) => SessionLookup::Unreachable(format!("GET {url} returned an empty user_id")),
            Err(error) => SessionLookup::Unreachable(format!(
                "GET {url} returned invalid JSON: {error}; expected {{\"user_id\", \"expires_at\"}}"
            )),
        },
        401 | 403 => SessionLookup::Rejected,
        status => SessionLookup::Unreachable(format!("GET {url} returned HTTP {status}")),
    }
}

/// Asks `<api_url>/api/session/refresh` for a new token in exchange for
/// `token`, which must still be valid. The error names the failure, for the
/// log, and never contains a token.
pub async fn refresh_token(api_url: &str, token: &str) -> Result<FreshToken, String> {
    let url = format!("{}/api/session/refresh", api_url.trim_end_matches('/'));
    let response = Request::post(&url)
        .header("Authorization", &format!("Bearer {token}"))
        .send()
        .await
        .map_err(|error| format!("POST {url} failed: {error}"))?;
    if response.status() != 200 {
        return Err(format!("POST {url} returned HTTP {}", response.status()));
    }
    let reply = response.json::<RefreshReply>().await.map_err(|error| {
        format!("POST {url} returned invalid JSON: {error}; expected {{\"token\", \"expires_at\"}}")
    })?;
    let expires_at_ms = parse_time_ms(&reply.expires_at).ok_or_else(|| {
        format!(
            "POST {url} returned expires_at {:?}; expected an RFC 3339 time",
            reply.expires_at
        )
    })?;
    Ok(FreshToken {
        token: reply.token,
        expires_at_ms,
    })
}

/// Parses an RFC 3339 time into milliseconds since the Unix epoch.
pub fn parse_time_ms(text: &str) -> Option<f64> {
    let millis = js_sys::Date::parse(text);
    millis.is_finite().then_some(millis)
}
