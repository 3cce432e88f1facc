//! `GET /api/session`: which user a token belongs to.

use gloo_net::http::Request;
use serde::Deserialize;

/// The reply of `GET /api/session`.
#[derive(Debug, Deserialize)]
struct SessionInfo {
    user_id: String,
}

/// The server's verdict on a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionLookup {
    /// The token is valid for this user.
    User(String),
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
            Ok(info) if !info.user_id.is_empty() => SessionLookup::User(info.user_id),
            Ok(_) => SessionLookup::Unreachable(format!("GET {url} returned an empty user_id")),
            Err(error) => SessionLookup::Unreachable(format!(
                "GET {url} returned invalid JSON: {error}; expected {{\"user_id\", \"expires_at\"}}"
            )),
        },
        401 | 403 => SessionLookup::Rejected,
        status => SessionLookup::Unreachable(format!("GET {url} returned HTTP {status}")),
    }
}
