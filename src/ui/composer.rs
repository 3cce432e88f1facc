//! The composer: a textarea and a send button. Enter sends, Shift+Enter
//! adds a line, and Enter while an input method is composing does neither.
//! Each edit of the text is reported for the typing indicator, and the session
//! throttles the pushes and ends them on send or after a pause.

use leptos::ev::{KeyboardEvent, SubmitEvent};
use leptos::prelude::*;
use ridechat_core::chat::limits::MAX_BODY_CHARS;

use crate::i18n::{Locale, Text, catalogue};
use crate::state::Intents;

#[component]
pub fn Composer(topic: String, closed: Signal<bool>) -> impl IntoView {
    let locale = expect_context::<Locale>();
    let intents = expect_context::<Intents>();

    let draft = RwSignal::new(String::new());
    let too_long = Memo::new(move |_| draft.with(|draft| draft.chars().count() > MAX_BODY_CHARS));
    let input = NodeRef::<leptos::html::Textarea>::new();

    let typed = {
        let (intents, topic) = (intents.clone(), topic.clone());
        move || intents.typed(&topic)
    };
    let send = Callback::new(move |()| {
        let body = draft.get_untracked();
        let body = body.trim();
        if body.is_empty() || too_long.get_untracked() || closed.get_untracked() {
            return;
        }
        intents.send_text(&topic, body);
        draft.set(String::new());
        if let Some(input) = input.get_untracked()
            && input.focus().is_err()
        {
            // Focus is a convenience; the message is sent either way.
        }
    });

    let on_keydown = move |event: KeyboardEvent| {
        if event.key() == "Enter" && !event.shift_key() && !event.is_composing() {
            event.prevent_default();
            send.run(());
        }
    };
    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        send.run(());
    };
    let hint = move || {
        too_long.get().then(|| {
            view! {
                <p class="ridechat__hint" id="ridechat-composer-hint" role="alert">
                    {catalogue::too_long(locale, MAX_BODY_CHARS)}
                </p>
            }
        })
    };

    view! {
        <form class="ridechat__composer" on:submit=on_submit>
            {hint}
            <textarea
                class="ridechat__input"
                data-testid="composer-input"
                node_ref=input
                rows="1"
                dir="auto"
                aria-label=Text::MessageLabel.get(locale)
                placeholder=Text::MessagePlaceholder.get(locale)
                aria-invalid=move || too_long.get().then_some("true")
                aria-describedby=move || too_long.get().then_some("ridechat-composer-hint")
                disabled=move || closed.get()
                prop:value=move || draft.get()
                on:input=move |event| {
                    draft.set(event_target_value(&event));
                    typed();
                }
                on:keydown=on_keydown
            ></textarea>
            <button
                type="submit"
                class="ridechat__send"
                data-testid="composer-send"
                disabled=move || closed.get() || too_long.get()
            >
                {Text::Send.get(locale)}
            </button>
        </form>
    }
}
