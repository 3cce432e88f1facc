//! The HTTP side: session API, socket upgrade, demo page and the built app.

pub mod cors;
mod demo;
pub mod error;
mod session;
mod socket_route;

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::handler::Handler;
use axum::http::Method;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, get_service, post};
use tokio::sync::watch;
use tower::ServiceExt;
use tower_http::services::{ServeDir, ServeFile};

use crate::chat::Chat;
use crate::token::TokenSigner;
use cors::AllowedOrigins;
use error::ApiError;

/// State shared by every handler.
#[derive(Clone)]
pub struct AppState {
    pub chat: Arc<Chat>,
    pub signer: Arc<TokenSigner>,
    /// Serves `/demo` when true.
    pub demo: bool,
    /// Flips to true when the server shuts down; open sockets close then.
    pub shutdown: watch::Receiver<bool>,
}

/// Builds the router. With `dist`, unknown non-API GET paths serve files from
/// it and fall back to its `index.html`, for the single-page app. A missing
/// path that names a file, such as `/app_bg.wasm`, gets a 404 instead, so a
/// wrong asset name fails clearly and not as HTML parsed as WebAssembly.
///
/// With `origins`, responses carry CORS headers for pages on those origins.
pub fn router(state: AppState, dist: Option<&Path>, origins: &AllowedOrigins) -> Router {
    let max_body = state.chat.limits().max_body_bytes;
    let api = Router::new()
        .route("/api/session", get(session::show))
        .route("/api/session/refresh", post(session::refresh))
        .route("/api/{*rest}", any(api_not_found))
        .route("/socket/websocket", get(socket_route::connect))
        .route("/socket/{*rest}", any(api_not_found))
        .route("/demo", get(demo::page))
        .route("/demo/rides/{ride_id}/close", post(demo::close_ride))
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state);

    let app = match dist {
        Some(dir) => {
            let index = ServeFile::new(dir.join("index.html"))
                .precompressed_br()
                .precompressed_gzip();
            let files = ServeDir::new(dir)
                .precompressed_br()
                .precompressed_gzip()
                .fallback(spa_fallback.with_state(index));
            // Only GET and HEAD read files; other methods get a JSON 405.
            api.fallback_service(get_service(files).fallback(method_not_allowed))
        }
        None => api.fallback(no_app),
    };

    let app = match origins.layer() {
        Some(cors) => app.layer(cors),
        None => app,
    };
    app.layer(DefaultBodyLimit::max(max_body))
        .layer(middleware::from_fn(log_request))
}

/// Serves `index.html` for an app route, or a 404 for a missing file.
async fn spa_fallback(State(index): State<ServeFile>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    if names_file(&path) {
        return ApiError::not_found(format!(
            "{path} not found in the app directory; check the file name against the built app"
        ))
        .into_response();
    }
    match index.oneshot(request).await {
        Ok(response) => response.into_response(),
        Err(never) => match never {},
    }
}

/// Returns true when the last segment of `path` has an extension.
fn names_file(path: &str) -> bool {
    let last = path.rsplit('/').next().unwrap_or_default();
    last.rfind('.')
        .is_some_and(|dot| dot > 0 && dot + 1 < last.len())
}

async fn api_not_found(method: Method, uri: axum::http::Uri) -> ApiError {
    ApiError::not_found(format!("no route for {method} {}", uri.path()))
}

async fn method_not_allowed(method: Method, uri: axum::http::Uri) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("{method} is not allowed on {}", uri.path()),
    )
}

async fn no_app(uri: axum::http::Uri) -> ApiError {
    ApiError::not_found(format!(
        "{} not found: this server was started without --dist, so it serves no app; build the app and pass --dist DIR",
        uri.path()
    ))
}

/// Logs each request by method, path and status. Never the query string,
/// because the socket URL carries the token there.
async fn log_request(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    tracing::info!(
        %method,
        path,
        status = response.status().as_u16(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "request"
    );
    response
}
