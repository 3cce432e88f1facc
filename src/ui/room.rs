//! The open conversation: header, messages, typing indicator and composer.
//!
//! The room watches which peer bubbles are on screen and whether the page is
//! visible, and reports both to the session, which decides what is read.

use leptos::prelude::*;
use ridechat_core::chat::RideState;

use super::OpenTopic;
use super::composer::Composer;
use super::message::MessageBubble;
use super::visibility::{BubbleWatch, PageWatch};
use crate::i18n::{Locale, Text, catalogue};
use crate::state::{ChatState, Intents};

/// The room's [`BubbleWatch`], for its message bubbles.
#[derive(Clone, Copy)]
pub struct Bubbles(pub StoredValue<BubbleWatch, LocalStorage>);

#[component]
pub fn Room(topic: String) -> impl IntoView {
    let state = expect_context::<ChatState>();
    let locale = expect_context::<Locale>();
    let OpenTopic(open) = expect_context::<OpenTopic>();
    let intents = expect_context::<Intents>();

    let bubbles = BubbleWatch::new({
        let (intents, topic) = (intents.clone(), topic.clone());
        move |seq, on_screen| intents.bubble_on_screen(&topic, seq, on_screen)
    });
    provide_context(Bubbles(StoredValue::new_local(bubbles)));
    let page = PageWatch::new(move |visible| intents.page_visible(visible));
    // Dropped with the room, which removes the listener.
    let _page = StoredValue::new_local(page);

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
    let client_ids = Memo::new({
        let topic = topic.clone();
        move |_| {
            state
                .room(&topic)
                .map(|room| room.client_ids())
                .unwrap_or_default()
        }
    });
    let joined = {
        let topic = topic.clone();
        move || {
            state
                .joined
                .with(|joined| joined.contains(&topic))
                .to_string()
        }
    };
    let closed = Signal::derive(move || {
        conversation.with(|c| c.as_ref().is_some_and(|c| c.state == RideState::Closed))
    });
    let peer_name = move || conversation.with(|c| c.as_ref().map(|c| c.peer.name.clone()));
    let typing = Memo::new({
        let topic = topic.clone();
        move |_| {
            let peers = state.typing.with(|typing| typing.get(&topic).cloned())?;
            let user_id = peers.into_iter().next()?;
            let name = peer_name().unwrap_or(user_id);
            Some(catalogue::typing(locale, &name))
        }
    });
    let peer_role =
        move || conversation.with(|c| c.as_ref().map(|c| catalogue::role(locale, c.peer.role)));

    let heading = NodeRef::<leptos::html::H2>::new();
    // Moves focus into the room when it opens, because on a narrow screen the
    // inbox entry that had focus is hidden.
    Effect::new(move |_| {
        if let Some(heading) = heading.get()
            && heading.focus().is_err()
        {
            // Focus is a convenience; the room works without it.
        }
    });

    let list = NodeRef::<leptos::html::Ol>::new();
    // Keeps the newest message in view as messages arrive.
    Effect::new(move |_| {
        client_ids.track();
        if let Some(list) = list.get() {
            list.set_scroll_top(list.scroll_height());
        }
    });

    let empty = move || {
        client_ids.with(Vec::is_empty).then(|| {
            view! { <p class="ridechat__empty">{Text::NoMessages.get(locale)}</p> }
        })
    };
    let closed_notice = move || {
        closed.get().then(|| {
            view! { <p class="ridechat__closed" role="note">{Text::RideClosed.get(locale)}</p> }
        })
    };
    let message_topic = topic.clone();
    let section_topic = topic.clone();

    view! {
        <section
            class="ridechat__room"
            data-testid="room"
            data-topic=section_topic
            data-joined=joined
            aria-labelledby="ridechat-room-heading"
            on:keydown=move |event| {
                if event.key() == "Escape" {
                    open.set(None);
                }
            }
        >
            <header class="ridechat__room-header">
                <button
                    type="button"
                    class="ridechat__back"
                    aria-label=Text::BackToConversations.get(locale)
                    on:click=move |_| open.set(None)
                >
                    <span aria-hidden="true">"←"</span>
                </button>
                <h2
                    class="ridechat__heading"
                    id="ridechat-room-heading"
                    tabindex="-1"
                    node_ref=heading
                >{peer_name}</h2>
                <span class="ridechat__role">{peer_role}</span>
            </header>
            {empty}
            <ol
                class="ridechat__messages"
                node_ref=list
                role="log"
                aria-live="polite"
                aria-label=Text::Messages.get(locale)
            >
                <For each=move || client_ids.get() key=|client_id| client_id.clone() let:client_id>
                    <MessageBubble topic=message_topic.clone() client_id />
                </For>
            </ol>
            <p
                class="ridechat__typing"
                data-testid="typing"
                aria-live="polite"
                hidden=move || typing.with(Option::is_none)
            >
                {move || typing.get()}
            </p>
            {closed_notice}
            <Composer topic closed />
        </section>
    }
}
