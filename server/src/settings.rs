//! Limits of the server, each one a command-line setting.

use std::time::Duration;

use ridechat_core::chat::limits;

/// Limits the server enforces. [`Limits::default`] contains the values the
/// chat contract documents.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// Maximum length of a text body, in Unicode code points.
    pub max_message_chars: usize,
    /// Messages per join reply or `msg:history` page.
    pub page_size: usize,
    /// Largest WebSocket message a client may send, in bytes; larger ones
    /// close the socket with code 1009.
    pub max_frame_bytes: usize,
    /// Largest HTTP request body, in bytes.
    pub max_body_bytes: usize,
    /// Messages a user may send in a burst before `rate_limited`.
    pub rate_burst: u32,
    /// Messages per minute a user may send once the burst is spent.
    pub rate_per_minute: u32,
    /// Lifetime of an issued token.
    pub token_ttl: Duration,
    /// Time without any message from a client after which its socket is
    /// closed. Clients heartbeat every 30 s by default, so a live one never
    /// reaches it.
    pub idle_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_message_chars: limits::MAX_BODY_CHARS,
            page_size: limits::PAGE_SIZE,
            max_frame_bytes: 64 * 1024,
            max_body_bytes: 2 * 1024 * 1024,
            rate_burst: 30,
            rate_per_minute: 60,
            token_ttl: Duration::from_secs(24 * 60 * 60),
            // Phoenix's WebSocket transport uses the same default, 60 s.
            idle_timeout: Duration::from_secs(60),
        }
    }
}
