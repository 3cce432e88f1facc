//! The chat contract on top of channels: what a join returns, what each push
//! does, and which broadcasts follow.
//!
//! Ordering: a join subscribes the connection to the topic and reads the
//! reply's page inside one critical section on the database, and every new
//! message is broadcast inside the critical section that stored it. So each
//! message stored after the join reply's page reaches the joining connection
//! as a broadcast, and broadcasts leave in seq order. The connection writes
//! the join reply before it drains its queue, so those broadcasts arrive
//! after the reply, and it drops `msg:new` broadcasts whose seq the reply
//! already covered ([`Joined::covered_seq`]).

mod inbox;
mod publish;
mod ride;
mod validate;

use std::sync::Arc;

use serde_json::Value;

use ridechat_core::chat::{ErrorReason, ErrorReply, RideState, Topic};

use crate::hub::{Hub, SocketHandle};
use crate::rate_limit::RateLimiter;
use crate::settings::Limits;
use crate::store::{Store, StoreError, rides};

/// The chat contract, shared by every connection.
pub struct Chat {
    store: Store,
    hub: Arc<Hub>,
    limits: Limits,
    rate_limiter: Arc<RateLimiter>,
}

/// Failure of a join or push.
#[derive(Debug, thiserror::Error)]
pub enum ChatError {
    /// A rejection, sent to the client in an error reply.
    #[error("rejected: {0:?}")]
    Reject(ErrorReply),
    /// A server fault; the channel crashes (`phx_error`) and the client rejoins.
    #[error(transparent)]
    Internal(#[from] StoreError),
}

impl ChatError {
    pub fn reject(reason: ErrorReason, detail: impl Into<String>) -> Self {
        Self::Reject(ErrorReply::new(reason, detail))
    }
}

impl From<rusqlite::Error> for ChatError {
    fn from(err: rusqlite::Error) -> Self {
        Self::Internal(StoreError::from(err))
    }
}

/// A successful join.
#[derive(Debug, Clone, PartialEq)]
pub struct Joined {
    /// The join reply's `response`.
    pub response: Value,
    /// Messages up to this seq are in the reply or before `last_seq`; later
    /// `msg:new` broadcasts with a seq at or below it are duplicates.
    pub covered_seq: u64,
}

impl Chat {
    pub fn new(store: Store, limits: Limits) -> Self {
        let rate_limiter = RateLimiter::new(limits.rate_burst, limits.rate_per_minute);
        Self {
            store,
            hub: Arc::new(Hub::new()),
            limits,
            rate_limiter: Arc::new(rate_limiter),
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn hub(&self) -> &Arc<Hub> {
        &self.hub
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Joins `socket` to `topic` with the client's join `params`.
    pub async fn join(
        &self,
        topic: &Topic,
        params: &Value,
        socket: &SocketHandle,
    ) -> Result<Joined, ChatError> {
        match topic {
            Topic::Inbox(user_id) => inbox::join(self, user_id, socket).await,
            Topic::Ride(ride_id) => ride::join(self, ride_id, params, socket).await,
        }
    }

    /// Handles a push of `event` to a joined `topic`; returns the ok reply's
    /// `response`.
    pub async fn push(
        &self,
        topic: &Topic,
        event: &str,
        payload: Value,
        socket: &SocketHandle,
    ) -> Result<Value, ChatError> {
        match topic {
            Topic::Inbox(_) => Err(ChatError::reject(
                ErrorReason::Invalid,
                format!("unknown event {event:?}: inbox topics accept no pushes"),
            )),
            Topic::Ride(ride_id) => ride::push(self, ride_id, event, payload, socket).await,
        }
    }

    /// Closes a ride: it stays readable but takes no new messages. Pushes
    /// `conversation:upsert` and `conversation:closed` to both members'
    /// inboxes. Returns false when the ride was already closed.
    pub async fn close_ride(&self, ride_id: &str) -> Result<bool, ChatError> {
        let hub = Arc::clone(&self.hub);
        let ride_id = ride_id.to_owned();
        self.store
            .call(move |connection| {
                let Some(ride) = rides::ride(connection, &ride_id)? else {
                    return Err(ChatError::reject(
                        ErrorReason::NotFound,
                        format!("ride:{ride_id} does not exist"),
                    ));
                };
                if !rides::close_ride(connection, &ride_id)? {
                    return Ok(false);
                }
                let ride = rides::Ride {
                    state: RideState::Closed,
                    ..ride
                };
                publish::conversation_upserts(&hub, connection, &ride, &ride.members())?;
                publish::conversation_closed(&hub, &ride);
                tracing::info!(ride_id, "ride closed");
                Ok(true)
            })
            .await
    }

    /// Removes `socket` from `topic` after a leave, a rejoin or a disconnect.
    /// On a ride, broadcasts to the other members that this user stopped
    /// typing.
    pub fn leave(&self, topic: &Topic, socket: &SocketHandle) {
        let name = topic.to_string();
        self.hub.unsubscribe(&name, socket.id);
        if let Topic::Ride(_) = topic {
            publish::typing(&self.hub, &name, &socket.user_id, false);
        }
    }
}
