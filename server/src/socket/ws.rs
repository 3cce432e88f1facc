//! Adapter from axum's WebSocket to the connection loop.

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures_util::{SinkExt, StreamExt, future};

use super::{ConnectionContext, Inbound, Outbound, run};

/// Serves one upgraded WebSocket.
pub async fn serve(socket: WebSocket, context: ConnectionContext) {
    let (sink, stream) = socket.split();
    let outgoing =
        sink.with(|message: Outbound| future::ready(Ok::<_, axum::Error>(to_axum(message))));
    let incoming = stream.filter_map(|message| future::ready(from_axum(message)));
    run(context, Box::pin(outgoing), Box::pin(incoming)).await;
}

fn to_axum(message: Outbound) -> Message {
    match message {
        Outbound::Text(text) => Message::Text(text.into()),
        Outbound::Close { code, reason } => Message::Close(Some(CloseFrame {
            code,
            reason: reason.into(),
        })),
    }
}

/// Maps a received message. The transport replies to pings itself, so pings
/// and pongs are skipped here.
fn from_axum(message: Result<Message, axum::Error>) -> Option<Result<Inbound, axum::Error>> {
    match message {
        Ok(Message::Text(text)) => Some(Ok(Inbound::Text(text.as_str().to_owned()))),
        Ok(Message::Binary(bytes)) => Some(Ok(Inbound::Binary(bytes.to_vec()))),
        Ok(Message::Close(_)) => Some(Ok(Inbound::Close)),
        Ok(Message::Ping(_) | Message::Pong(_)) => None,
        Err(err) => Some(Err(err)),
    }
}
