//! The inbox: one entry per conversation, the most recent first.

use leptos::prelude::*;
use ridechat_core::chat::{Conversation, MessageKind};

use super::OpenTopic;
use crate::i18n::{Locale, Text, catalogue};
use crate::state::ChatState;

#[component]
pub fn Inbox() -> impl IntoView {
    let state = expect_context::<ChatState>();
    let locale = expect_context::<Locale>();

    let topics = Memo::new(move |_| {
        let mut conversations = state.conversations.get();
        // Newest activity first; `last_seq` only orders within a ride, so the
        // server time of the last message decides, and the topic breaks ties.
        conversations.sort_by(|a, b| {
            let time = |c: &Conversation| c.last_message.as_ref().map(|m| m.inserted_at.clone());
            time(b).cmp(&time(a)).then_with(|| a.topic.cmp(&b.topic))
        });
        conversations
            .into_iter()
            .map(|conversation| conversation.topic)
            .collect::<Vec<_>>()
    });
    let empty = move || {
        topics.with(Vec::is_empty).then(|| {
            view! { <p class="ridechat__empty">{Text::NoConversations.get(locale)}</p> }
        })
    };

    view! {
        <nav class="ridechat__inbox" aria-label=Text::Conversations.get(locale)>
            <h2 class="ridechat__heading">{Text::Conversations.get(locale)}</h2>
            {empty}
            <ul class="ridechat__conversations">
                <For each=move || topics.get() key=|topic| topic.clone() let:topic>
                    <ConversationItem topic />
                </For>
            </ul>
        </nav>
    }
}

/// Renders one inbox entry: peer name and role, last message, unread count.
#[component]
fn ConversationItem(topic: String) -> impl IntoView {
    let state = expect_context::<ChatState>();
    let locale = expect_context::<Locale>();
    let OpenTopic(open) = expect_context::<OpenTopic>();

    let conversation = Memo::new({
        let topic = topic.clone();
        move |_| {
            state.conversations.with(|conversations| {
                conversations
                    .iter()
                    .find(|conversation| conversation.topic == topic)
                    .cloned()
            })
        }
    });
    let field = move |read: fn(&Conversation, Locale) -> String| {
        move || {
            conversation
                .with(|conversation| conversation.as_ref().map(|c| read(c, locale)))
                .unwrap_or_default()
        }
    };
    let unread = move || conversation.with(|c| c.as_ref().map_or(0, |c| c.unread));
    let is_open = {
        let topic = topic.clone();
        move || open.with(|open| open.as_deref() == Some(topic.as_str()))
    };
    let select = {
        let topic = topic.clone();
        move |_| open.set(Some(topic.clone()))
    };

    view! {
        <li>
            <button
                type="button"
                class="ridechat__conversation"
                data-testid="conversation"
                data-topic=topic
                aria-current=move || is_open().then_some("true")
                on:click=select
            >
                <span class="ridechat__peer" dir="auto">{field(|c, _| c.peer.name.clone())}</span>
                <span class="ridechat__role">
                    {field(|c, locale| catalogue::role(locale, c.peer.role).to_owned())}
                </span>
                <span class="ridechat__last" dir="auto">{field(last_message_preview)}</span>
                <span
                    class="ridechat__unread"
                    class:ridechat__unread--none=move || unread() == 0
                    data-testid="unread"
                    data-count=move || unread().to_string()
                    aria-label=move || catalogue::unread(locale, unread())
                >
                    {move || unread().to_string()}
                </span>
            </button>
        </li>
    }
}

fn last_message_preview(conversation: &Conversation, locale: Locale) -> String {
    let Some(message) = &conversation.last_message else {
        return String::new();
    };
    match message.kind {
        MessageKind::Voice => Text::VoiceMessage.get(locale).to_owned(),
        MessageKind::Text => message.body.clone().unwrap_or_default(),
    }
}
