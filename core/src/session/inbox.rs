//! The inbox topic: the user's conversations, and the ride topics to join.

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::ChatSession;
use crate::chat::{
    Conversation, ConversationClosed, ConversationUpsert, InboxJoinReply, RideState, Topic, events,
};
use crate::store::{Store, Write};
use crate::time::Instant;

impl<S: Store> ChatSession<S> {
    pub(super) async fn on_inbox_joined(&mut self, now: Instant, response: Value) {
        let Some(reply) = self.parse_server::<InboxJoinReply>("inbox join reply", response) else {
            return;
        };
        self.upsert_conversations(now, reply.conversations).await;
    }

    pub(super) async fn on_inbox_message(&mut self, now: Instant, event: &str, payload: Value) {
        match event {
            events::CONVERSATION_UPSERT => {
                if let Some(upsert) = self.parse_server::<ConversationUpsert>(event, payload) {
                    self.upsert_conversations(now, vec![upsert.conversation])
                        .await;
                }
            }
            events::CONVERSATION_CLOSED => {
                if let Some(closed) = self.parse_server::<ConversationClosed>(event, payload) {
                    self.close_conversation(&closed.topic).await;
                }
            }
            _ => {}
        }
    }

    /// Stores conversations, shows them, and joins every ride topic among
    /// them that the session does not carry yet.
    async fn upsert_conversations(&mut self, now: Instant, conversations: Vec<Conversation>) {
        self.hold_write(Write::SaveConversations(conversations.clone()));

        let mut new_topics = Vec::new();
        for conversation in conversations {
            let is_ride = matches!(Topic::parse(&conversation.topic), Ok(Topic::Ride(_)));
            if is_ride && !self.rooms.contains_key(&conversation.topic) {
                new_topics.push(conversation.topic.clone());
            }
            self.conversations
                .insert(conversation.topic.clone(), conversation);
        }
        self.emit_conversations();

        for topic in new_topics {
            self.open_room(now, &topic).await;
        }
    }

    /// Marks a conversation closed. Its room stays joined, because a closed
    /// ride can still be read.
    async fn close_conversation(&mut self, topic: &str) {
        let Some(conversation) = self.conversations.get_mut(topic) else {
            return;
        };
        conversation.state = RideState::Closed;
        let conversation = conversation.clone();
        self.hold_write(Write::SaveConversations(vec![conversation]));
        self.emit_conversations();
    }

    /// Reads a server payload, or reports it as unreadable and returns `None`.
    pub(super) fn parse_server<T: DeserializeOwned>(
        &mut self,
        description: &str,
        payload: Value,
    ) -> Option<T> {
        match serde_json::from_value(payload) {
            Ok(value) => Some(value),
            Err(error) => {
                self.report(format!(
                    "Ignored a {description} from the server that does not match the chat contract: \
                     {error}. The server and this app may be of different versions."
                ));
                None
            }
        }
    }
}
