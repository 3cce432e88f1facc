//! The connection loop and the Phoenix protocol rules of one socket.

use std::collections::HashMap;
use std::fmt::Display;
use std::sync::Arc;

use futures_util::{Sink, SinkExt, Stream, StreamExt};
use serde_json::{Value, json};
use tokio::sync::watch;

use ridechat_core::chat::{ErrorReply, Topic};
use ridechat_core::wire::{
    Frame, HEARTBEAT_TOPIC, Payload, ReplyStatus, binary, decode_text, encode_text, events,
};

use super::{ConnectionContext, Inbound, Outbound, close_code};
use crate::chat::{Chat, ChatError};
use crate::hub::{Delivery, SocketHandle};

/// Reason the connection loop stops.
#[derive(Debug)]
enum Stop {
    /// Send this close frame, then end.
    Close { code: u16, reason: String },
    /// The client sent a close frame. The server replies with one, as the
    /// WebSocket closing handshake requires, then ends.
    ClosedByClient,
    /// The client went away or the transport failed.
    Gone(String),
}

/// One joined channel instance on this socket.
#[derive(Debug)]
struct Channel {
    topic: Topic,
    join_ref: Option<String>,
    /// `msg:new` broadcasts at or below this seq are already in the join reply.
    covered_seq: u64,
}

struct Connection<Tx> {
    chat: Arc<Chat>,
    socket: SocketHandle,
    outgoing: Tx,
    channels: HashMap<String, Channel>,
}

/// Serves one connection of `context.user_id` until the client leaves, the
/// transport fails, a protocol violation closes it, or the server shuts down.
pub async fn run<Tx, Rx, E>(context: ConnectionContext, outgoing: Tx, mut incoming: Rx)
where
    Tx: Sink<Outbound> + Unpin,
    Tx::Error: Display,
    Rx: Stream<Item = Result<Inbound, E>> + Unpin,
    E: Display,
{
    let ConnectionContext {
        chat,
        user_id,
        mut shutdown,
    } = context;
    let (socket, mut inbox) = chat.hub().connect(&user_id);
    tracing::info!(user_id, socket_id = socket.id, "socket connected");

    let mut connection = Connection {
        chat,
        socket,
        outgoing,
        channels: HashMap::new(),
    };

    let idle_timeout = connection.chat.limits().idle_timeout;
    let idle = tokio::time::sleep(idle_timeout);
    tokio::pin!(idle);

    let stop = loop {
        // Biased: outgoing work first, so broadcasts queued before a client
        // message are sent before that message's reply.
        let step = tokio::select! {
            biased;
            () = stopping(&mut shutdown) => Err(Stop::Close {
                code: close_code::GOING_AWAY,
                reason: "server is shutting down".to_owned(),
            }),
            () = inbox.overflow.notified() => Err(Stop::Close {
                code: close_code::TRY_AGAIN_LATER,
                reason: "socket queue overflowed; reconnect".to_owned(),
            }),
            Some(delivery) = inbox.deliveries.recv() => connection.deliver(delivery).await,
            () = &mut idle => Err(Stop::Close {
                code: close_code::NORMAL,
                reason: format!(
                    "no message for {} s; send heartbeats more often",
                    idle_timeout.as_secs()
                ),
            }),
            inbound = incoming.next() => match inbound {
                Some(Ok(Inbound::Close)) => Err(Stop::ClosedByClient),
                Some(Ok(message)) => {
                    idle.as_mut().reset(tokio::time::Instant::now() + idle_timeout);
                    connection.on_inbound(message).await
                }
                Some(Err(err)) => Err(Stop::Gone(format!("transport error: {err}"))),
                None => Err(Stop::Gone("stream ended".to_owned())),
            },
        };
        if let Err(stop) = step {
            break stop;
        }
    };

    connection.finish(stop).await;
}

impl<Tx> Connection<Tx>
where
    Tx: Sink<Outbound> + Unpin,
    Tx::Error: Display,
{
    async fn on_inbound(&mut self, message: Inbound) -> Result<(), Stop> {
        let limit = self.chat.limits().max_frame_bytes;
        let size = match &message {
            Inbound::Text(text) => text.len(),
            Inbound::Binary(bytes) => bytes.len(),
            Inbound::Close => return Ok(()),
        };
        if size > limit {
            tracing::warn!(
                user_id = %self.socket.user_id,
                socket_id = self.socket.id,
                size,
                limit,
                "closing socket: frame over the size limit"
            );
            return Err(Stop::Close {
                code: close_code::MESSAGE_TOO_BIG,
                reason: format!("frame is {size} bytes; the limit is {limit}"),
            });
        }

        let frame = match message {
            Inbound::Text(text) => decode_text(&text),
            Inbound::Binary(bytes) => binary::decode_from_client(&bytes),
            Inbound::Close => return Ok(()),
        };
        let frame = frame.map_err(|err| {
            tracing::warn!(
                user_id = %self.socket.user_id,
                socket_id = self.socket.id,
                error = %err,
                "closing socket: frame cannot be decoded"
            );
            Stop::Close {
                code: close_code::INVALID_PAYLOAD,
                reason: err.to_string(),
            }
        })?;
        self.on_frame(frame).await
    }

    async fn on_frame(&mut self, frame: Frame) -> Result<(), Stop> {
        let payload = match &frame.payload {
            Payload::Json(value) => value.clone(),
            Payload::Binary(bytes) | Payload::BinaryReply { data: bytes, .. } => {
                match serde_json::from_slice(bytes) {
                    Ok(value) => value,
                    Err(err) => {
                        let detail = format!("binary payload must be UTF-8 JSON: {err}");
                        let reply = json!({ "reason": "invalid", "detail": detail });
                        return self.reply(&frame, ReplyStatus::Error, reply).await;
                    }
                }
            }
        };

        if frame.topic == HEARTBEAT_TOPIC && frame.event == events::HEARTBEAT {
            return self.reply(&frame, ReplyStatus::Ok, json!({})).await;
        }
        match frame.event.as_str() {
            events::JOIN => self.join(&frame, payload).await,
            events::LEAVE => self.leave(&frame).await,
            _ => self.push(&frame, payload).await,
        }
    }

    async fn join(&mut self, frame: &Frame, params: Value) -> Result<(), Stop> {
        let Ok(topic) = Topic::parse(&frame.topic) else {
            tracing::info!(user_id = %self.socket.user_id, topic = %frame.topic, "join rejected: unmatched topic");
            return self.reply_unmatched(frame).await;
        };

        if let Some(old) = self.channels.remove(&frame.topic) {
            tracing::info!(topic = %frame.topic, old_join_ref = ?old.join_ref, "duplicate join; closing the earlier channel");
            self.chat.leave(&old.topic, &self.socket);
            self.send_close_event(&frame.topic, old.join_ref).await?;
        }

        match self.chat.join(&topic, &params, &self.socket).await {
            Ok(joined) => {
                tracing::info!(
                    user_id = %self.socket.user_id,
                    topic = %frame.topic,
                    join_ref = ?frame.join_ref,
                    "joined"
                );
                let channel = Channel {
                    topic,
                    join_ref: frame.join_ref.clone(),
                    covered_seq: joined.covered_seq,
                };
                self.channels.insert(frame.topic.clone(), channel);
                self.reply(frame, ReplyStatus::Ok, joined.response).await
            }
            Err(err) => {
                self.chat.hub().unsubscribe(&frame.topic, self.socket.id);
                let response = self.log_failure("join", frame, err);
                self.reply(frame, ReplyStatus::Error, response).await
            }
        }
    }

    async fn leave(&mut self, frame: &Frame) -> Result<(), Stop> {
        let Some(channel) = self.channels.get(&frame.topic) else {
            return self.reply_unmatched(frame).await;
        };
        if is_stale(frame, channel) {
            tracing::debug!(topic = %frame.topic, join_ref = ?frame.join_ref, "ignored leave with a stale join_ref");
            return Ok(());
        }

        let Some(channel) = self.channels.remove(&frame.topic) else {
            return Ok(());
        };
        tracing::info!(user_id = %self.socket.user_id, topic = %frame.topic, join_ref = ?channel.join_ref, "left");
        self.chat.leave(&channel.topic, &self.socket);
        self.reply(frame, ReplyStatus::Ok, json!({})).await?;
        self.send_close_event(&frame.topic, channel.join_ref).await
    }

    async fn push(&mut self, frame: &Frame, payload: Value) -> Result<(), Stop> {
        let Some(channel) = self.channels.get(&frame.topic) else {
            tracing::debug!(topic = %frame.topic, event = %frame.event, "push to an unjoined topic");
            return self.reply_unmatched(frame).await;
        };
        if is_stale(frame, channel) {
            tracing::debug!(topic = %frame.topic, join_ref = ?frame.join_ref, "ignored push with a stale join_ref");
            return Ok(());
        }

        let topic = channel.topic.clone();
        match self
            .chat
            .push(&topic, &frame.event, payload, &self.socket)
            .await
        {
            Ok(response) => self.reply(frame, ReplyStatus::Ok, response).await,
            Err(ChatError::Reject(reply)) => {
                let response = self.log_failure("push", frame, ChatError::Reject(reply));
                self.reply(frame, ReplyStatus::Error, response).await
            }
            Err(err @ ChatError::Internal(_)) => {
                self.log_failure("push", frame, err);
                self.crash_channel(&frame.topic).await
            }
        }
    }

    /// Sends a broadcast to the client unless its channel is gone or the join
    /// reply already carried it.
    async fn deliver(&mut self, delivery: Delivery) -> Result<(), Stop> {
        let Some(channel) = self.channels.get(&delivery.topic) else {
            return Ok(());
        };
        if delivery.seq.is_some_and(|seq| seq <= channel.covered_seq) {
            return Ok(());
        }
        let payload = Value::clone(&delivery.payload);
        let frame = Frame::json(None, None, delivery.topic, delivery.event, payload);
        self.send(Outbound::Text(encode_text(&frame))).await
    }

    /// Logs a failed join or push and builds the error reply's response.
    fn log_failure(&self, action: &str, frame: &Frame, err: ChatError) -> Value {
        match err {
            ChatError::Reject(reply) => {
                tracing::info!(
                    user_id = %self.socket.user_id,
                    topic = %frame.topic,
                    event = %frame.event,
                    reason = ?reply.reason,
                    detail = reply.detail.as_deref().unwrap_or(""),
                    "{action} rejected"
                );
                error_response(&reply)
            }
            ChatError::Internal(err) => {
                tracing::error!(
                    user_id = %self.socket.user_id,
                    topic = %frame.topic,
                    event = %frame.event,
                    error = %err,
                    "{action} failed"
                );
                json!({ "reason": format!("{action} crashed") })
            }
        }
    }

    /// Drops a channel after a server fault and sends `phx_error` to the
    /// client, as Phoenix does when a channel process crashes.
    async fn crash_channel(&mut self, topic: &str) -> Result<(), Stop> {
        let Some(channel) = self.channels.remove(topic) else {
            return Ok(());
        };
        self.chat.leave(&channel.topic, &self.socket);
        let frame = Frame::json(
            channel.join_ref.clone(),
            channel.join_ref,
            topic,
            events::ERROR,
            json!({}),
        );
        self.send(Outbound::Text(encode_text(&frame))).await
    }

    async fn reply_unmatched(&mut self, frame: &Frame) -> Result<(), Stop> {
        let response = json!({ "reason": "unmatched topic" });
        self.reply(frame, ReplyStatus::Error, response).await
    }

    async fn reply(
        &mut self,
        request: &Frame,
        status: ReplyStatus,
        response: Value,
    ) -> Result<(), Stop> {
        let frame = Frame::reply(request, status, response);
        self.send(Outbound::Text(encode_text(&frame))).await
    }

    /// Sends `phx_close` for a channel instance; Phoenix sets its `ref` to
    /// the `join_ref`.
    async fn send_close_event(
        &mut self,
        topic: &str,
        join_ref: Option<String>,
    ) -> Result<(), Stop> {
        let frame = Frame::json(join_ref.clone(), join_ref, topic, events::CLOSE, json!({}));
        self.send(Outbound::Text(encode_text(&frame))).await
    }

    async fn send(&mut self, message: Outbound) -> Result<(), Stop> {
        self.outgoing
            .send(message)
            .await
            .map_err(|err| Stop::Gone(format!("send failed: {err}")))
    }

    /// Leaves every channel, sends the close frame if there is one, and logs.
    async fn finish(mut self, stop: Stop) {
        for (_, channel) in self.channels.drain() {
            self.chat.leave(&channel.topic, &self.socket);
        }

        let reason = match stop {
            Stop::Close { code, reason } => {
                let close = Outbound::Close {
                    code,
                    reason: truncate_reason(&reason),
                };
                if let Err(err) = self.outgoing.send(close).await {
                    tracing::debug!(error = %err, "close frame not sent");
                }
                format!("closed by server with code {code}: {reason}")
            }
            Stop::ClosedByClient => {
                // The transport queued the close reply when it read the
                // client's close frame. Closing the sink sends it.
                if let Err(err) = self.outgoing.close().await {
                    tracing::debug!(error = %err, "close frame not sent");
                }
                "client closed".to_owned()
            }
            Stop::Gone(reason) => reason,
        };
        tracing::info!(
            user_id = %self.socket.user_id,
            socket_id = self.socket.id,
            reason,
            "socket disconnected"
        );
    }
}

/// Completes when the server starts shutting down, or when every sender of
/// the flag is gone.
async fn stopping(shutdown: &mut watch::Receiver<bool>) {
    let outcome = shutdown.wait_for(|stopping| *stopping).await.map(|_| ());
    if outcome.is_err() {
        tracing::debug!("shutdown flag dropped; closing socket");
    }
}

fn is_stale(frame: &Frame, channel: &Channel) -> bool {
    frame.join_ref.is_some() && frame.join_ref != channel.join_ref
}

fn error_response(reply: &ErrorReply) -> Value {
    serde_json::to_value(reply).unwrap_or_else(|_| json!({ "reason": "invalid" }))
}

/// Cuts a close reason to the 123 bytes a close frame allows (RFC 6455, 5.5).
fn truncate_reason(reason: &str) -> String {
    const MAX: usize = 123;
    if reason.len() <= MAX {
        return reason.to_owned();
    }
    let mut end = MAX;
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    reason[..end].to_owned()
}
