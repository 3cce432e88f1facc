//! The connection banner, the storage banner and the error notices.

use leptos::prelude::*;
use ridechat_core::session::ConnectionState;
use ridechat_core::store::StoreError;

use crate::i18n::{Locale, Text, catalogue};
use crate::state::ChatState;

/// Online, connecting or offline, with the number of messages waiting.
#[component]
pub fn ConnectionBanner() -> impl IntoView {
    let state = expect_context::<ChatState>();
    let locale = expect_context::<Locale>();
    let connection = state.connection;

    let expired = state.expired;

    let state_name = move || match connection.get().state {
        _ if expired.get() => "expired",
        ConnectionState::Online => "online",
        ConnectionState::Connecting => "connecting",
        ConnectionState::Offline => "offline",
    };
    let label = move || match connection.get().state {
        _ if expired.get() => Text::Expired.get(locale),
        ConnectionState::Online => Text::Online.get(locale),
        ConnectionState::Connecting => Text::Connecting.get(locale),
        ConnectionState::Offline => Text::Offline.get(locale),
    };
    let queued = move || {
        let queued = connection.get().queued;
        (queued > 0).then(|| {
            view! {
                <span class="ridechat__queued">{catalogue::queued(locale, queued as u64)}</span>
            }
        })
    };

    view! {
        <div
            class="ridechat__connection"
            data-testid="connection"
            data-state=state_name
            data-queued=move || connection.get().queued.to_string()
            role="status"
            aria-live="polite"
        >
            <span class="ridechat__connection-dot" aria-hidden="true"></span>
            <span class="ridechat__connection-label">{label}</span>
            {queued}
        </div>
    }
}

/// Renders the warning shown while messages live only in memory, so the
/// user knows they are lost when the page closes.
#[component]
pub fn StorageBanner() -> impl IntoView {
    let state = expect_context::<ChatState>();
    let locale = expect_context::<Locale>();

    move || {
        state.storage_fallback.get().map(|error| {
            let text = match error {
                StoreError::QuotaExceeded => Text::StorageFull,
                _ => Text::StorageMemoryOnly,
            };
            view! {
                <p class="ridechat__banner ridechat__banner--warning" data-testid="storage-banner" role="alert">
                    {text.get(locale)}
                </p>
            }
        })
    }
}

/// Error messages from the session, each with a button to dismiss it.
#[component]
pub fn Notices() -> impl IntoView {
    let state = expect_context::<ChatState>();
    let locale = expect_context::<Locale>();
    let notices = state.notices;

    view! {
        <ul class="ridechat__notices" role="alert">
            <For each=move || notices.get() key=|notice| notice.clone() let:notice>
                <li class="ridechat__banner ridechat__banner--error" data-testid="notice">
                    <span>{notice.clone()}</span>
                    <button
                        type="button"
                        class="ridechat__dismiss"
                        on:click=move |_| notices.update(|list| list.retain(|shown| *shown != notice))
                    >
                        {Text::Dismiss.get(locale)}
                    </button>
                </li>
            </For>
        </ul>
    }
}
