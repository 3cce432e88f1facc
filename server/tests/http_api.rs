//! HTTP routes: session, demo page, static app and JSON errors.

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use time::OffsetDateTime;
use tower::ServiceExt;

use common::{TestServer, http_request};
use ridechat_server::chat::Chat;
use ridechat_server::http::cors::AllowedOrigins;
use ridechat_server::http::{AppState, router};
use ridechat_server::settings::Limits;
use ridechat_server::store::Store;
use ridechat_server::token::TokenSigner;

fn app(demo: bool, dist: Option<&Path>, client: SocketAddr) -> (Router, Arc<TokenSigner>) {
    app_for_origins(demo, dist, client, &AllowedOrigins::None)
}

fn app_for_origins(
    demo: bool,
    dist: Option<&Path>,
    client: SocketAddr,
    origins: &AllowedOrigins,
) -> (Router, Arc<TokenSigner>) {
    let store = Store::open_in_memory().expect("store");
    ridechat_server::demo::seed(&store).expect("seed");
    let signer = Arc::new(TokenSigner::from_key(vec![3u8; 32]));
    let (_, shutdown) = tokio::sync::watch::channel(false);
    let state = AppState {
        chat: Arc::new(Chat::new(store, Limits::default())),
        signer: Arc::clone(&signer),
        demo,
        shutdown,
    };
    (
        router(state, dist, origins).layer(MockConnectInfo(client)),
        signer,
    )
}

fn loopback() -> SocketAddr {
    "127.0.0.1:50000".parse().expect("address")
}

async fn get(
    app: &Router,
    path: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let mut request = Request::get(path);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::empty()).expect("request"))
        .await
        .expect("router answers");
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes()
        .to_vec();
    (status, headers, body)
}

fn json_body(body: &[u8]) -> Value {
    serde_json::from_slice(body).expect("JSON body")
}

#[tokio::test]
async fn session_returns_user_or_401() {
    let server = TestServer::start().await;
    let token = server.token("r1");
    let bearer = format!("Bearer {token}");

    let (status, _, body) = http_request(
        server.server.addr,
        "GET",
        "/api/session",
        &[("Authorization", &bearer)],
    )
    .await;
    assert_eq!(status, 200);
    let session: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(session["user_id"], json!("r1"));
    assert!(
        session["expires_at"]
            .as_str()
            .is_some_and(|at| at.ends_with('Z'))
    );

    let (status, head, body) = http_request(server.server.addr, "GET", "/api/session", &[]).await;
    assert_eq!(status, 401);
    assert!(
        head.to_ascii_lowercase()
            .contains("www-authenticate: bearer")
    );
    let error: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(error["error"], json!("unauthorized"));

    let expired = server
        .server
        .signer
        .issue("r1", OffsetDateTime::now_utc() - time::Duration::minutes(1));
    let expired = format!("Bearer {expired}");
    let (status, _, body) = http_request(
        server.server.addr,
        "GET",
        "/api/session",
        &[("Authorization", &expired)],
    )
    .await;
    assert_eq!(status, 401);
    assert!(body.contains("expired"), "body {body}");
}

#[tokio::test]
async fn refresh_issues_working_token() {
    let server = TestServer::start().await;
    let bearer = format!("Bearer {}", server.token("d1"));

    let (status, _, body) = http_request(
        server.server.addr,
        "POST",
        "/api/session/refresh",
        &[("Authorization", &bearer)],
    )
    .await;
    assert_eq!(status, 200, "body {body}");
    let refreshed: Value = serde_json::from_str(&body).expect("JSON");
    let token = refreshed["token"].as_str().expect("token");

    let claims = server
        .server
        .signer
        .verify(token, OffsetDateTime::now_utc())
        .expect("refreshed token verifies");
    assert_eq!(claims.user_id, "d1");

    let (status, _, _) =
        http_request(server.server.addr, "POST", "/api/session/refresh", &[]).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn demo_page_links_each_user_on_loopback() {
    let server = TestServer::start().await;

    let (status, head, body) = http_request(server.server.addr, "GET", "/demo", &[]).await;

    assert_eq!(status, 200);
    assert!(
        head.to_ascii_lowercase()
            .contains("cache-control: no-store")
    );
    for (user_id, name) in [("r1", "Amina"), ("r2", "Karim"), ("d1", "Youssef")] {
        assert!(
            body.contains(&format!("data-user-id=\"{user_id}\"")),
            "no link for {user_id}"
        );
        assert!(body.contains(name), "no name {name}");
    }
    let token = body
        .split("data-user-id=\"r1\" href=\"/#token=")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("r1 link carries a token");
    let claims = server
        .server
        .signer
        .verify(token, OffsetDateTime::now_utc())
        .expect("demo token verifies");
    assert_eq!(claims.user_id, "r1");
}

#[tokio::test]
async fn demo_page_hidden_from_other_hosts() {
    let remote: SocketAddr = "192.0.2.10:40000".parse().expect("address");
    let (app, _) = app(true, None, remote);
    let (status, _, body) = get(&app, "/demo", &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(json_body(&body)["error"], json!("not_found"));

    let (app, _) = app_without_demo();
    let (status, _, _) = get(&app, "/demo", &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

fn app_without_demo() -> (Router, Arc<TokenSigner>) {
    app(false, None, loopback())
}

#[tokio::test]
async fn api_errors_are_json() {
    let (app, _) = app(true, None, loopback());

    let (status, _, body) = get(&app, "/api/nothing", &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(json_body(&body)["error"], json!("not_found"));

    let response = app
        .clone()
        .oneshot(
            Request::delete("/api/session")
                .body(Body::empty())
                .expect("request"),
        )
        .await
        .expect("router answers");
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    assert_eq!(json_body(&body)["error"], json!("method_not_allowed"));

    let (status, _, body) = get(&app, "/socket/websocket?vsn=2.0.0", &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(json_body(&body)["error"], json!("forbidden"));

    let (status, _, body) = get(&app, "/socket/websocket", &[]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        json_body(&body)["detail"]
            .as_str()
            .is_some_and(|detail| detail.contains("vsn=2.0.0"))
    );
}

#[tokio::test]
async fn static_app_with_spa_fallback() {
    let dist = tempfile::tempdir().expect("temp dir");
    std::fs::write(dist.path().join("index.html"), "<!doctype html><p>app</p>").expect("write");
    std::fs::write(dist.path().join("app_bg.wasm"), b"\0asm\x01\0\0\0").expect("write");
    std::fs::write(dist.path().join("app.js"), "plain").expect("write");
    std::fs::write(dist.path().join("app.js.br"), "brotli bytes").expect("write");
    let (app, _) = app(false, Some(dist.path()), loopback());

    let (status, headers, _) = get(&app, "/app_bg.wasm", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "application/wasm");

    let (status, _, body) = get(&app, "/rides/1", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, b"<!doctype html><p>app</p>");

    // A missing file gets a 404, not the app page.
    let (status, _, body) = get(&app, "/ridechat_bg.wasm", &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let detail = json_body(&body)["detail"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(detail.contains("/ridechat_bg.wasm"), "{detail}");

    let (_, headers, body) = get(&app, "/app.js", &[("accept-encoding", "br")]).await;
    assert_eq!(headers[header::CONTENT_ENCODING], "br");
    assert_eq!(body, b"brotli bytes");

    let (_, headers, body) = get(&app, "/app.js", &[]).await;
    assert!(headers.get(header::CONTENT_ENCODING).is_none());
    assert_eq!(body, b"plain");

    let (status, _, body) = get(&app, "/api/missing", &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(json_body(&body)["error"], json!("not_found"));

    let response = app
        .clone()
        .oneshot(
            Request::post("/app.js")
                .body(Body::empty())
                .expect("request"),
        )
        .await
        .expect("router answers");
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    assert_eq!(json_body(&body)["error"], json!("method_not_allowed"));
}

const PORTAL: &str = "https://portal.example";

#[tokio::test]
async fn allowed_origin_gets_cors_headers() {
    let origins = AllowedOrigins::parse(&[PORTAL.to_owned()]).expect("origin");
    let (app, signer) = app_for_origins(false, None, loopback(), &origins);

    let preflight = Request::builder()
        .method("OPTIONS")
        .uri("/api/session")
        .header("origin", PORTAL)
        .header("access-control-request-method", "GET")
        .header("access-control-request-headers", "authorization")
        .body(Body::empty())
        .expect("request");
    let response = app
        .clone()
        .oneshot(preflight)
        .await
        .expect("router answers");
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers();
    assert_eq!(headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], PORTAL);
    let allowed = headers[header::ACCESS_CONTROL_ALLOW_HEADERS]
        .to_str()
        .expect("ASCII");
    assert!(allowed.contains("authorization"), "{allowed}");

    let expires_at = time::OffsetDateTime::now_utc() + time::Duration::minutes(1);
    let bearer = format!("Bearer {}", signer.issue("r1", expires_at));
    let (status, headers, _) = get(
        &app,
        "/api/session",
        &[("origin", PORTAL), ("authorization", &bearer)],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], PORTAL);

    let (_, headers, _) = get(&app, "/api/session", &[("origin", "https://other.example")]).await;
    assert!(headers.get(header::ACCESS_CONTROL_ALLOW_ORIGIN).is_none());
}

#[tokio::test]
async fn no_cors_headers_by_default() {
    let (app, _) = app(false, None, loopback());
    let (_, headers, _) = get(&app, "/api/session", &[("origin", PORTAL)]).await;
    assert!(headers.get(header::ACCESS_CONTROL_ALLOW_ORIGIN).is_none());
}
