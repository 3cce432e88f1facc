//! ridechat-server: the reference server of ridechat.
//!
//! One process with one SQLite file. It speaks the Phoenix Channels protocol
//! (serializer 2.0.0) on `/socket/websocket`, implements the chat contract on
//! the `inbox:<user_id>` and `ride:<ride_id>` topics, issues and checks signed
//! tokens, and serves the built browser app.
//!
//! The parts, from the wire inwards:
//! - [`http`]: the axum router (session API, socket upgrade, demo page, static app).
//! - [`socket`]: one task per WebSocket connection, speaking the Phoenix protocol.
//! - [`chat`]: the chat contract (joins, pushes, broadcasts), on top of
//! - [`store`] (SQLite) and [`hub`] (in-memory publish and subscribe).

pub mod chat;
pub mod cli;
pub mod demo;
pub mod http;
pub mod hub;
pub mod rate_limit;
pub mod serve;
pub mod settings;
pub mod socket;
pub mod store;
pub mod token;
