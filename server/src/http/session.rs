//! `GET /api/session` and `POST /api/session/refresh`.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::AppState;
use super::error::ApiError;
use crate::token::Claims;

/// Returns who the bearer token belongs to and when it expires, or 401.
pub async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let claims = authenticate(&state, &headers)?;
    Ok(Json(json!({
        "user_id": claims.user_id,
        "expires_at": rfc3339(claims.expires_at)?,
    })))
}

/// Issues a fresh token for the holder of a still valid one.
pub async fn refresh(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let claims = authenticate(&state, &headers)?;
    let expires_at = OffsetDateTime::now_utc() + state.chat.limits().token_ttl;
    let token = state.signer.issue(&claims.user_id, expires_at);
    tracing::info!(user_id = %claims.user_id, "token refreshed");
    Ok(Json(json!({
        "token": token,
        "expires_at": rfc3339(expires_at)?,
    })))
}

/// Verifies the `Authorization: Bearer <token>` header.
pub fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<Claims, ApiError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(ApiError::unauthorized(
            "missing Authorization header; send `Authorization: Bearer <token>`",
        ));
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|text| {
            let (scheme, token) = text.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        })
        .ok_or_else(|| ApiError::unauthorized("Authorization header must be `Bearer <token>`"))?;

    state
        .signer
        .verify(token, OffsetDateTime::now_utc())
        .map_err(|err| {
            tracing::info!(reason = %err, "session rejected");
            ApiError::unauthorized(err.to_string())
        })
}

fn rfc3339(time: OffsetDateTime) -> Result<String, ApiError> {
    time.format(&Rfc3339)
        .map_err(|err| ApiError::internal(format!("cannot format time {time}: {err}")))
}
