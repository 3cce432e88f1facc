//! A real server on 127.0.0.1 port 0 and a Phoenix client over
//! tokio-tungstenite, for the real-socket tests.

#![allow(dead_code)]

use std::path::PathBuf;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tempfile::TempDir;
use time::OffsetDateTime;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use ridechat_core::wire::{Frame, Payload, decode_text, encode_text};
use ridechat_server::http::cors::AllowedOrigins;
use ridechat_server::serve::{self, RunningServer, ServeOptions};
use ridechat_server::settings::Limits;

/// How long a test waits for a frame before it fails. A guard against a
/// hang, never an assertion on timing.
const RECEIVE_TIMEOUT: Duration = Duration::from_secs(10);

pub struct TestServer {
    pub server: RunningServer,
    pub dir: TempDir,
}

pub fn db_path(dir: &TempDir) -> PathBuf {
    dir.path().join("chat.sqlite3")
}

pub fn options(dir: &TempDir, limits: Limits) -> ServeOptions {
    ServeOptions {
        addr: "127.0.0.1:0".parse().expect("loopback address"),
        db: db_path(dir),
        secret_file: dir.path().join("chat.secret"),
        dist: None,
        demo: true,
        limits,
        allow_origins: AllowedOrigins::None,
    }
}

/// Limits for tests: the defaults, with a rate limit that bulk inserts
/// never reach.
pub fn test_limits() -> Limits {
    Limits {
        rate_burst: 10_000,
        ..Limits::default()
    }
}

impl TestServer {
    pub async fn start() -> Self {
        Self::start_with(test_limits()).await
    }

    pub async fn start_with(limits: Limits) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let server = serve::start(options(&dir, limits))
            .await
            .expect("server starts");
        Self { server, dir }
    }

    pub fn token(&self, user_id: &str) -> String {
        let expires_at = OffsetDateTime::now_utc() + time::Duration::hours(1);
        self.server.signer.issue(user_id, expires_at)
    }

    pub fn socket_url(&self, token: &str) -> String {
        format!(
            "ws://{}/socket/websocket?vsn=2.0.0&token={token}",
            self.server.addr
        )
    }

    pub fn http_url(&self, path: &str) -> String {
        format!("http://{}{path}", self.server.addr)
    }

    pub async fn connect(&self, user_id: &str) -> Client {
        let url = self.socket_url(&self.token(user_id));
        let (ws, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("socket connects");
        Client { ws, next_ref: 0 }
    }
}

pub struct Client {
    pub ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    next_ref: u64,
}

impl Client {
    pub fn next_ref(&mut self) -> String {
        self.next_ref += 1;
        self.next_ref.to_string()
    }

    pub async fn send_frame(&mut self, frame: &Frame) {
        self.send_raw(WsMessage::Text(encode_text(frame).into()))
            .await;
    }

    pub async fn send_raw(&mut self, message: WsMessage) {
        self.ws.send(message).await.expect("send to socket");
    }

    /// Pushes `event` with `join_ref` and returns the push's ref.
    pub async fn push(
        &mut self,
        join_ref: Option<&str>,
        topic: &str,
        event: &str,
        payload: Value,
    ) -> String {
        let msg_ref = self.next_ref();
        let frame = Frame::json(
            join_ref.map(str::to_owned),
            Some(msg_ref.clone()),
            topic,
            event,
            payload,
        );
        self.send_frame(&frame).await;
        msg_ref
    }

    /// Joins `topic` and returns the join_ref with the reply's
    /// `(status, response)`.
    pub async fn join(&mut self, topic: &str, params: Value) -> (String, String, Value) {
        let join_ref = self.next_ref();
        let frame = Frame::json(
            Some(join_ref.clone()),
            Some(join_ref.clone()),
            topic,
            "phx_join",
            params,
        );
        self.send_frame(&frame).await;
        let (status, response) = self.reply_to(&join_ref).await;
        (join_ref, status, response)
    }

    /// Joins and asserts the reply is ok; returns the join_ref and response.
    pub async fn join_ok(&mut self, topic: &str, params: Value) -> (String, Value) {
        let (join_ref, status, response) = self.join(topic, params).await;
        assert_eq!(status, "ok", "join {topic} failed: {response}");
        (join_ref, response)
    }

    /// Pushes and waits for the reply; returns `(status, response)`.
    pub async fn call(
        &mut self,
        join_ref: &str,
        topic: &str,
        event: &str,
        payload: Value,
    ) -> (String, Value) {
        let msg_ref = self.push(Some(join_ref), topic, event, payload).await;
        self.reply_to(&msg_ref).await
    }

    /// Receives the next frame, which must be the reply to `msg_ref`.
    pub async fn reply_to(&mut self, msg_ref: &str) -> (String, Value) {
        let frame = self.recv().await;
        assert_eq!(frame.event, "phx_reply", "expected a reply, got {frame:?}");
        assert_eq!(
            frame.msg_ref.as_deref(),
            Some(msg_ref),
            "reply to another push: {frame:?}"
        );
        let payload = json_payload(&frame);
        let status = payload["status"].as_str().unwrap_or_default().to_owned();
        (status, payload["response"].clone())
    }

    /// Receives the next frame.
    pub async fn recv(&mut self) -> Frame {
        loop {
            let message = tokio::time::timeout(RECEIVE_TIMEOUT, self.ws.next())
                .await
                .expect("a frame arrives in time")
                .expect("socket still open")
                .expect("socket read succeeds");
            match message {
                WsMessage::Text(text) => {
                    return decode_text(text.as_str()).expect("server frame decodes");
                }
                WsMessage::Ping(_) | WsMessage::Pong(_) => continue,
                other => panic!("expected a text frame, got {other:?}"),
            }
        }
    }

    /// Receives the next frame, which must be `event` on `topic`; returns
    /// its payload.
    pub async fn expect_event(&mut self, topic: &str, event: &str) -> Value {
        let frame = self.recv().await;
        assert_eq!(
            (frame.topic.as_str(), frame.event.as_str()),
            (topic, event),
            "unexpected frame {frame:?}"
        );
        json_payload(&frame)
    }

    /// Proves no frame is queued ahead: a heartbeat's reply must be the next
    /// frame, because the server sends queued broadcasts before replies.
    pub async fn expect_nothing_queued(&mut self) {
        let msg_ref = self.push(None, "phoenix", "heartbeat", json!({})).await;
        let frame = self.recv().await;
        assert_eq!(frame.topic, "phoenix", "unexpected frame {frame:?}");
        assert_eq!(frame.msg_ref.as_deref(), Some(msg_ref.as_str()));
    }

    /// Waits for the server's close frame and returns it.
    pub async fn expect_close(&mut self) -> CloseFrame {
        loop {
            let message = tokio::time::timeout(RECEIVE_TIMEOUT, self.ws.next())
                .await
                .expect("the close arrives in time");
            match message {
                Some(Ok(WsMessage::Close(Some(frame)))) => return frame,
                Some(Ok(WsMessage::Text(text))) => panic!("expected a close, got {text}"),
                Some(Ok(_)) => continue,
                other => panic!("expected a close frame, got {other:?}"),
            }
        }
    }

    /// Sends a text message and returns the stored message from the reply.
    pub async fn send_text(
        &mut self,
        join_ref: &str,
        topic: &str,
        client_id: &str,
        body: &str,
    ) -> Value {
        let payload = json!({"client_id": client_id, "kind": "text", "body": body});
        let (status, response) = self.call(join_ref, topic, "msg:new", payload).await;
        assert_eq!(status, "ok", "msg:new failed: {response}");
        response["message"].clone()
    }

    pub async fn close(mut self) {
        self.ws.close(None).await.expect("close socket");
    }
}

pub fn json_payload(frame: &Frame) -> Value {
    match &frame.payload {
        Payload::Json(value) => value.clone(),
        other => panic!("expected a JSON payload, got {other:?}"),
    }
}

/// A minimal HTTP/1.1 exchange over a fresh connection; returns the status,
/// the raw head and the body.
pub async fn http_request(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> (u16, String, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("Content-Length: 0\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .expect("write request");

    let mut response = Vec::new();
    tokio::time::timeout(RECEIVE_TIMEOUT, stream.read_to_end(&mut response))
        .await
        .expect("response arrives in time")
        .expect("read response");
    let text = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("response has a head");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .expect("status code");
    (status, head.to_owned(), body.to_owned())
}

/// Counts stored messages with `client_id`.
pub fn count_messages(server: &TestServer, client_id: &str) -> i64 {
    let client_id = client_id.to_owned();
    server
        .server
        .store
        .call_blocking(move |connection| {
            connection.query_row(
                "SELECT COUNT(*) FROM messages WHERE client_id = ?1",
                [client_id],
                |row| row.get(0),
            )
        })
        .expect("count messages")
}

/// Stores `count` text messages from `sender_id` straight into the database.
pub fn insert_messages(server: &TestServer, ride_id: &str, sender_id: &str, count: usize) {
    use ridechat_server::store::messages::{self, NewText};

    for index in 0..count {
        let client_id = format!("bulk-{sender_id}-{index}");
        let body = format!("message {index}");
        server
            .server
            .store
            .call_blocking(|connection| {
                let text = NewText {
                    ride_id,
                    sender_id,
                    client_id: &client_id,
                    body: &body,
                };
                messages::insert_text(connection, &text, OffsetDateTime::now_utc())
            })
            .expect("insert message");
    }
}
