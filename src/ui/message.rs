//! One message bubble with its status. A peer's bubble with a seq is
//! watched on screen, for read receipts.

use leptos::prelude::*;
use ridechat_core::chat::MessageKind;
use ridechat_core::local::{DeliveryStatus, LocalMessage};

use super::room::Bubbles;
use super::time::message_time;
use crate::i18n::{Locale, Text, catalogue};
use crate::state::{ChatState, Intents};

/// Returns the `data-status` value, the visible tick and the label of a
/// status.
fn status_parts(status: &DeliveryStatus) -> (&'static str, &'static str, Text) {
    match status {
        DeliveryStatus::Sending => ("sending", "○", Text::StatusSending),
        DeliveryStatus::Sent => ("sent", "✓", Text::StatusSent),
        DeliveryStatus::Delivered => ("delivered", "✓✓", Text::StatusDelivered),
        DeliveryStatus::Read => ("read", "✓✓", Text::StatusRead),
        DeliveryStatus::Failed { .. } => ("failed", "!", Text::StatusFailed),
    }
}

#[component]
pub fn MessageBubble(topic: String, client_id: String) -> impl IntoView {
    let state = expect_context::<ChatState>();
    let locale = expect_context::<Locale>();
    let intents = expect_context::<Intents>();

    // The room contains every id it lists, so `None` only shows for a moment
    // after a message was deleted.
    let signal = untrack(|| state.room(&topic)).and_then(|room| room.message(&client_id));
    let message = Signal::derive(move || signal.as_ref().map(|signal| signal.get()));
    let read = move |get: fn(&LocalMessage) -> String| {
        move || message.with(|m| m.as_ref().map(get)).unwrap_or_default()
    };
    let mine = move || {
        let user_id = state.user_id.get();
        message.with(|m| {
            m.as_ref()
                .is_some_and(|m| Some(&m.sender_id) == user_id.as_ref())
        })
    };
    let status = move || message.with(|m| m.as_ref().map(|m| status_parts(&m.status)));
    let own_status = move || if mine() { status() } else { None };

    let element = NodeRef::<leptos::html::Li>::new();
    let bubbles = use_context::<Bubbles>();
    Effect::new(move |_| {
        let peer_seq = message.with(|m| m.as_ref().and_then(|m| m.seq)).is_some() && !mine();
        if let (true, Some(Bubbles(bubbles)), Some(element)) = (peer_seq, bubbles, element.get()) {
            // Watching an element twice is a no-op, so reruns are harmless.
            bubbles.with_value(|bubbles| bubbles.watch(&element));
        }
    });
    let body = move || {
        message.with(|m| match m {
            Some(m) if m.kind == MessageKind::Voice => Text::VoiceMessage.get(locale).to_owned(),
            Some(m) => m.body.clone().unwrap_or_default(),
            None => String::new(),
        })
    };
    let time = move || {
        message
            .with(|m| m.as_ref().and_then(|m| message_time(m, locale)))
            .map(|(machine, human)| {
                view! { <time class="ridechat__time" datetime=machine>{human}</time> }
            })
    };
    let failure = move || {
        let reason = message.with(|m| match m.as_ref().map(|m| &m.status) {
            Some(DeliveryStatus::Failed { reason, .. }) => Some(*reason),
            _ => None,
        })?;
        let (retry, delete) = (intents.clone(), intents.clone());
        let (retry_id, delete_id) = (client_id.clone(), client_id.clone());
        Some(view! {
            <div class="ridechat__failure">
                <p class="ridechat__failure-reason">{catalogue::failure(locale, reason)}</p>
                <button type="button" class="ridechat__action" on:click=move |_| retry.retry(&retry_id)>
                    {Text::Retry.get(locale)}
                </button>
                <button type="button" class="ridechat__action" on:click=move |_| delete.delete(&delete_id)>
                    {Text::Delete.get(locale)}
                </button>
            </div>
        })
    };

    view! {
        <li
            class="ridechat__message"
            node_ref=element
            class:ridechat__message--mine=mine
            data-testid="message"
            data-client-id=read(|m| m.client_id.clone())
            data-seq=read(|m| m.seq.map(|seq| seq.to_string()).unwrap_or_default())
            data-status=move || status().map(|(name, _, _)| name)
            data-mine=move || mine().to_string()
        >
            <p class="ridechat__body" data-testid="message-body" dir="auto">{body}</p>
            <span class="ridechat__meta">
                {time}
                // Ticks show the sender how far their message got, so a
                // peer's bubble shows none.
                <span
                    class="ridechat__status"
                    aria-label=move || own_status().map(|(_, _, text)| text.get(locale))
                    title=move || own_status().map(|(_, _, text)| text.get(locale))
                >
                    {move || own_status().map(|(_, tick, _)| tick)}
                </span>
            </span>
            {failure}
        </li>
    }
}
