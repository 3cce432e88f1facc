//! The Leptos components. They read [`ChatState`] signals and send
//! [`Intents`]; they never build frames and never touch IndexedDB.
//!
//! Layout is mobile-first: a narrow screen shows the inbox or the open
//! conversation, a wide one shows both side by side (see `style/`).

mod banners;
mod composer;
mod inbox;
mod message;
mod room;
mod time;
mod visibility;

use leptos::prelude::*;

use self::banners::{ConnectionBanner, Notices, StorageBanner};
use self::inbox::Inbox;
use self::room::Room;
use crate::i18n::{Locale, Text};
use crate::state::{ChatState, Intents, Phase};

/// The topic of the open conversation, shared by the inbox and the room.
#[derive(Debug, Clone, Copy)]
pub struct OpenTopic(pub RwSignal<Option<String>>);

/// Renders the root of the app. Everything sits under the `.ridechat`
/// element, which scopes every style.
#[component]
pub fn App(state: ChatState, intents: Intents, locale: Locale) -> impl IntoView {
    provide_context(state);
    provide_context(intents);
    provide_context(locale);
    let open = RwSignal::new(remembered_topic());
    provide_context(OpenTopic(open));
    // Keeps the open room across reloads of this tab.
    Effect::new(move |_| remember_topic(open.get().as_deref()));

    let phase_view = move || {
        let text = match state.phase.get() {
            Phase::Ready => return view! { <Chat /> }.into_any(),
            Phase::Starting => Text::Loading,
            Phase::NoToken => Text::NoToken,
            Phase::Expired => Text::SessionExpired,
            Phase::Unreachable => Text::SessionUnreachable,
        };
        view! {
            <p class="ridechat__phase" role="status">
                {text.get(locale)}
            </p>
        }
        .into_any()
    };

    view! {
        <div class="ridechat" data-testid="app" dir=locale.direction() lang=locale.tag()>
            <ConnectionBanner />
            <StorageBanner />
            <Notices />
            {phase_view}
        </div>
    }
}

/// Key of the open room's topic in `sessionStorage`.
const OPEN_TOPIC_KEY: &str = "ridechat.open_topic";

fn session_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

/// Returns the room this tab had open before a reload, if any.
fn remembered_topic() -> Option<String> {
    session_storage()?.get_item(OPEN_TOPIC_KEY).ok().flatten()
}

fn remember_topic(topic: Option<&str>) {
    let Some(storage) = session_storage() else {
        return;
    };
    let stored = match topic {
        Some(topic) => storage.set_item(OPEN_TOPIC_KEY, topic),
        None => storage.remove_item(OPEN_TOPIC_KEY),
    };
    if stored.is_err() {
        web_sys::console::warn_1(&"ridechat: cannot remember the open room".into());
    }
}

/// Renders the inbox and, once one is chosen, the open conversation.
#[component]
fn Chat() -> impl IntoView {
    let OpenTopic(open) = expect_context::<OpenTopic>();
    let locale = expect_context::<Locale>();

    let room = move || match open.get() {
        Some(topic) => view! { <Room topic /> }.into_any(),
        None => view! {
            <p class="ridechat__placeholder">{Text::ChooseConversation.get(locale)}</p>
        }
        .into_any(),
    };

    view! {
        <div class="ridechat__layout" class:ridechat__layout--room=move || open.with(Option::is_some)>
            <Inbox />
            {room}
        </div>
    }
}
