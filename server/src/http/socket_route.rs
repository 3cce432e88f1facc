//! `GET /socket/websocket?vsn=2.0.0&token=...`: the Phoenix socket endpoint.
//!
//! The token is checked before the upgrade, so a bad, expired or missing
//! token gets HTTP 403, the status Phoenix returns. The query string carries the
//! token, so nothing here logs it.

use axum::extract::rejection::QueryRejection;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use time::OffsetDateTime;

use ridechat_core::wire::VSN;

use super::AppState;
use super::error::ApiError;
use crate::socket::{ConnectionContext, ws};

/// Bytes above which the transport itself drops a message. Messages between
/// the configured frame limit and this one reach the connection, which
/// closes the socket with 1009 and a reason.
const TRANSPORT_MESSAGE_LIMIT: usize = 16 * 1024 * 1024;

#[derive(Debug, Deserialize)]
pub struct SocketParams {
    vsn: Option<String>,
    token: Option<String>,
}

pub async fn connect(
    State(state): State<AppState>,
    params: Result<Query<SocketParams>, QueryRejection>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    match accept(state, params, upgrade) {
        Ok(response) => response,
        Err(err) => {
            tracing::info!(status = err.status.as_u16(), reason = %err.detail, "socket upgrade rejected");
            err.into_response()
        }
    }
}

fn accept(
    state: AppState,
    params: Result<Query<SocketParams>, QueryRejection>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    let Query(params) =
        params.map_err(|err| ApiError::bad_request(format!("invalid query string: {err}")))?;

    match params.vsn.as_deref() {
        Some(VSN) => {}
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "unsupported serializer vsn {other:?}; this server speaks Phoenix serializer {VSN}: connect with ?vsn={VSN}"
            )));
        }
        None => {
            return Err(ApiError::bad_request(format!(
                "missing vsn; connect with ?vsn={VSN}&token=<token>"
            )));
        }
    }

    let token = params.token.unwrap_or_default();
    let claims = state
        .signer
        .verify(&token, OffsetDateTime::now_utc())
        .map_err(|err| ApiError::forbidden(err.to_string()))?;

    let upgrade = upgrade.map_err(|err| {
        ApiError::new(
            err.status(),
            "bad_request",
            format!("expected a WebSocket upgrade request: {err}"),
        )
    })?;

    let frame_limit = state.chat.limits().max_frame_bytes;
    let transport_limit = TRANSPORT_MESSAGE_LIMIT.max(frame_limit.saturating_mul(2));
    let context = ConnectionContext {
        chat: state.chat.clone(),
        user_id: claims.user_id,
        shutdown: state.shutdown.clone(),
    };
    let response = upgrade
        .max_message_size(transport_limit)
        .max_frame_size(transport_limit)
        .on_upgrade(move |socket| ws::serve(socket, context));
    Ok(response)
}
