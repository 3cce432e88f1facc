//! `GET /demo`: a page that opens the app as each user, on loopback only.
//!
//! Each link is `/#token=<fresh token>`; browsers never send the fragment,
//! so the token stays out of request logs.

use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use serde_json::{Value, json};
use time::OffsetDateTime;

use ridechat_core::chat::{Peer, Role};

use super::AppState;
use super::error::ApiError;
use crate::chat::ChatError;
use crate::store::rides;

pub async fn page(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
) -> Result<Response, ApiError> {
    require_demo_client(&state, peer, "GET /demo")?;

    let users = state
        .chat
        .store()
        .call(|connection| rides::all_users(connection))
        .await
        .map_err(|err| {
            tracing::error!(error = %err, "demo page failed to read users");
            ApiError::internal(format!("failed to read users: {err}"))
        })?;

    let expires_at = OffsetDateTime::now_utc() + state.chat.limits().token_ttl;
    let links: Vec<(Peer, String)> = users
        .into_iter()
        .map(|user| {
            let token = state.signer.issue(&user.id, expires_at);
            (user, token)
        })
        .collect();

    let html = render(&links);
    Ok(([(header::CACHE_CONTROL, "no-store")], Html(html)).into_response())
}

/// `POST /demo/rides/{ride_id}/close`: closes a ride, so the closed state
/// can be tried from the demo and from end-to-end tests.
pub async fn close_ride(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(ride_id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    require_demo_client(&state, peer, "POST /demo/rides/{ride_id}/close")?;
    match state.chat.close_ride(&ride_id).await {
        Ok(changed) => Ok(Json(
            json!({ "ride_id": ride_id, "closed": true, "changed": changed }),
        )),
        Err(ChatError::Reject(reply)) => {
            Err(ApiError::not_found(reply.detail.unwrap_or_else(|| {
                format!("ride {ride_id} does not exist")
            })))
        }
        Err(ChatError::Internal(err)) => {
            tracing::error!(ride_id, error = %err, "closing ride failed");
            Err(ApiError::internal(format!(
                "failed to close ride {ride_id}: {err}"
            )))
        }
    }
}

/// Demo routes exist only with `--demo` and only for loopback clients;
/// everyone else gets 404.
fn require_demo_client(state: &AppState, peer: SocketAddr, route: &str) -> Result<(), ApiError> {
    // An IPv4 client on a dual-stack socket shows up as ::ffff:127.0.0.1.
    // NOTE: behind a reverse proxy on the same host every client is a
    // loopback peer, so never expose a --demo server through one.
    if state.demo && peer.ip().to_canonical().is_loopback() {
        return Ok(());
    }
    Err(ApiError::not_found(format!("no route for {route}")))
}

fn render(links: &[(Peer, String)]) -> String {
    let items: String = links
        .iter()
        .map(|(user, token)| {
            let role = match user.role {
                Role::Rider => "rider",
                Role::Driver => "driver",
            };
            format!(
                "<li><a data-testid=\"demo-user\" data-user-id=\"{id}\" href=\"/#token={token}\" target=\"_blank\" rel=\"noopener\">{name}</a> ({role}, <code>{id}</code>)</li>\n",
                id = escape(&user.id),
                name = escape(&user.name),
                token = escape(token),
            )
        })
        .collect();

    format!(
        "<!doctype html>
<html lang=\"en\">
<head>
<meta charset=\"utf-8\">
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">
<title>ridechat demo</title>
<style>body {{ font-family: system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; }} li {{ margin: .5rem 0; }}</style>
</head>
<body>
<h1>ridechat demo</h1>
<p>Open a rider and the driver in two windows and chat between them. Each link carries a fresh token in the URL fragment, which the browser never sends to the server.</p>
<ul>
{items}</ul>
</body>
</html>
"
    )
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}
