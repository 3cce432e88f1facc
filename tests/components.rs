//! The UI components in headless Chromium, driven through `ChatState` and
//! read back through the DOM attributes the end-to-end tests rely on.

use std::time::Duration;

use futures::channel::mpsc::{self, UnboundedReceiver};
use leptos::prelude::*;
use ridechat::adapters::timer::sleep;
use ridechat::i18n::Locale;
use ridechat::state::{ChatState, Intents, Phase};
use ridechat::ui::App;
use ridechat_core::chat::{Conversation, ErrorReason, Peer, RideState, Role};
use ridechat_core::local::{DeliveryStatus, LocalMessage};
use ridechat_core::session::{ConnectionState, Input, Update};
use ridechat_core::store::suite;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement, HtmlTextAreaElement};

wasm_bindgen_test_configure!(run_in_browser);

/// A mounted `App` with its state and the inputs it sends.
struct Mounted {
    host: HtmlElement,
    state: ChatState,
    inputs: UnboundedReceiver<Input>,
    _view: leptos::mount::UnmountHandle<leptos::tachys::view::any_view::AnyViewState>,
}

fn mount_app() -> Mounted {
    let document = web_sys::window().unwrap().document().unwrap();
    let host: HtmlElement = document.create_element("div").unwrap().unchecked_into();
    document.body().unwrap().append_child(&host).unwrap();

    let state = ChatState::new();
    state.phase.set(Phase::Ready);
    state.user_id.set(Some("r1".to_owned()));
    let (sender, inputs) = mpsc::unbounded();
    let intents = Intents::new(sender);
    let view = leptos::mount::mount_to(host.clone(), move || {
        view! { <App state intents locale=Locale::En /> }.into_any()
    });
    Mounted {
        host,
        state,
        inputs,
        _view: view,
    }
}

/// Lets Leptos run the effects that the last signal changes scheduled.
async fn settle() {
    sleep(Duration::ZERO).await;
}

fn conversation(topic: &str, name: &str, unread: u64) -> Conversation {
    Conversation {
        topic: topic.to_owned(),
        ride_id: topic.trim_start_matches("ride:").to_owned(),
        peer: Peer {
            id: "d1".to_owned(),
            name: name.to_owned(),
            role: Role::Driver,
        },
        last_seq: 1,
        last_message: Some(suite::stored_message(1, "last", "d1", "j'arrive")),
        unread,
        state: RideState::Active,
    }
}

fn select_all(host: &HtmlElement, selector: &str) -> Vec<Element> {
    let list = host.query_selector_all(selector).unwrap();
    (0..list.length())
        .filter_map(|index| list.item(index))
        .filter_map(|node| node.dyn_into::<Element>().ok())
        .collect()
}

fn select(host: &HtmlElement, selector: &str) -> Element {
    match host.query_selector(selector).unwrap() {
        Some(element) => element,
        None => panic!("{selector} not found in {}", host.inner_html()),
    }
}

fn attribute(element: &Element, name: &str) -> String {
    element
        .get_attribute(name)
        .unwrap_or_else(|| panic!("attribute {name} missing"))
}

async fn open_ride_1(mounted: &Mounted) {
    mounted.state.apply(Update::Conversations(vec![conversation(
        "ride:1", "Youssef", 0,
    )]));
    settle().await;
    select(
        &mounted.host,
        "[data-testid=conversation][data-topic='ride:1']",
    )
    .unchecked_into::<HtmlElement>()
    .click();
    settle().await;
}

/// Takes the next input that is not a report of what the user sees or types
/// (typing, page visibility, bubbles on screen), which the tests of those
/// reports check on their own.
fn next_intent(inputs: &mut UnboundedReceiver<Input>) -> Option<Input> {
    loop {
        match inputs.try_recv() {
            Ok(Input::Typed { .. } | Input::PageVisible { .. } | Input::BubbleOnScreen { .. }) => {}
            Ok(input) => return Some(input),
            Err(_) => return None,
        }
    }
}

/// Takes every input sent so far.
fn drain_inputs(inputs: &mut UnboundedReceiver<Input>) -> Vec<Input> {
    std::iter::from_fn(|| inputs.try_recv().ok()).collect()
}

fn key_down(target: &Element, shift: bool) {
    let init = web_sys::KeyboardEventInit::new();
    init.set_key("Enter");
    init.set_shift_key(shift);
    init.set_bubbles(true);
    init.set_cancelable(true);
    let event =
        web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap();
    target.dispatch_event(&event).unwrap();
}

fn type_text(input: &HtmlTextAreaElement, text: &str) {
    input.set_value(text);
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    let event = web_sys::Event::new_with_event_init_dict("input", &init).unwrap();
    input.dispatch_event(&event).unwrap();
}

#[wasm_bindgen_test]
async fn inbox_lists_conversations_with_unread() {
    let mounted = mount_app();
    mounted.state.apply(Update::Conversations(vec![
        conversation("ride:1", "Youssef", 2),
        conversation("ride:2", "Karim", 0),
    ]));
    settle().await;

    let entries = select_all(&mounted.host, "[data-testid=conversation]");
    assert_eq!(entries.len(), 2, "one entry per conversation");
    let topics: Vec<String> = entries.iter().map(|e| attribute(e, "data-topic")).collect();
    assert!(topics.contains(&"ride:1".to_owned()));
    assert!(topics.contains(&"ride:2".to_owned()));

    let first = select(&mounted.host, "[data-topic='ride:1'] [data-testid=unread]");
    assert_eq!(first.text_content().as_deref(), Some("2"));
    assert_eq!(attribute(&first, "data-count"), "2");
    let text = entries[0].text_content().unwrap_or_default();
    assert!(
        text.contains("Driver"),
        "the peer's role must show: {text:?}"
    );
}

#[wasm_bindgen_test]
async fn room_opens_and_tracks_joined() {
    let mounted = mount_app();
    open_ride_1(&mounted).await;

    let room = select(&mounted.host, "[data-testid=room]");
    assert_eq!(attribute(&room, "data-topic"), "ride:1");
    assert_eq!(attribute(&room, "data-joined"), "false");

    mounted.state.apply(Update::RoomJoined {
        topic: "ride:1".to_owned(),
    });
    settle().await;
    assert_eq!(attribute(&room, "data-joined"), "true");

    mounted.state.apply(Update::Connection {
        state: ConnectionState::Connecting,
        queued: 0,
    });
    settle().await;
    assert_eq!(
        attribute(&room, "data-joined"),
        "false",
        "a lost socket loses every room"
    );
}

#[wasm_bindgen_test]
async fn messages_show_seq_status_and_owner() {
    let mounted = mount_app();
    open_ride_1(&mounted).await;
    let theirs = LocalMessage::from_stored(
        "ride:1",
        &suite::stored_message(1, "c-theirs", "d1", "j'arrive"),
    );
    let (mine, _) = suite::outgoing("ride:1", "c-mine", "merci", 1);
    let mine = LocalMessage {
        sender_id: "r1".to_owned(),
        ..mine
    };
    mounted.state.apply(Update::RoomLoaded {
        topic: "ride:1".to_owned(),
        messages: vec![theirs, mine.clone()],
    });
    settle().await;

    let bubbles = select_all(&mounted.host, "[data-testid=message]");
    assert_eq!(bubbles.len(), 2);
    assert_eq!(attribute(&bubbles[0], "data-client-id"), "c-theirs");
    assert_eq!(attribute(&bubbles[0], "data-seq"), "1");
    assert_eq!(attribute(&bubbles[0], "data-status"), "sent");
    assert_eq!(attribute(&bubbles[0], "data-mine"), "false");
    assert_eq!(attribute(&bubbles[1], "data-seq"), "");
    assert_eq!(attribute(&bubbles[1], "data-status"), "sending");
    assert_eq!(attribute(&bubbles[1], "data-mine"), "true");
    let body = select(
        &mounted.host,
        "[data-client-id=c-mine] [data-testid=message-body]",
    );
    assert_eq!(body.text_content().as_deref(), Some("merci"));

    let mut confirmed = mine;
    confirmed.seq = Some(2);
    confirmed.status = DeliveryStatus::Read;
    mounted
        .state
        .apply(Update::MessageUpserted { message: confirmed });
    settle().await;
    let bubbles = select_all(&mounted.host, "[data-testid=message]");
    assert_eq!(bubbles.len(), 2, "a confirmation must not add a bubble");
    assert_eq!(attribute(&bubbles[1], "data-seq"), "2");
    assert_eq!(attribute(&bubbles[1], "data-status"), "read");
}

#[wasm_bindgen_test]
async fn enter_sends_and_shift_enter_does_not() {
    let mut mounted = mount_app();
    open_ride_1(&mounted).await;
    let input: HtmlTextAreaElement =
        select(&mounted.host, "[data-testid=composer-input]").unchecked_into();

    type_text(&input, "  on my way \n");
    key_down(&input, true);
    settle().await;
    assert!(
        next_intent(&mut mounted.inputs).is_none(),
        "Shift+Enter must not send"
    );

    key_down(&input, false);
    settle().await;
    match next_intent(&mut mounted.inputs) {
        Some(Input::SendText {
            topic,
            body,
            client_id,
            ..
        }) => {
            assert_eq!(topic, "ride:1");
            assert_eq!(body, "on my way", "the body is sent trimmed");
            assert_eq!(client_id.len(), 36, "a UUID v7 client id, got {client_id}");
        }
        other => panic!("expected SendText, got {other:?}"),
    }
    assert_eq!(input.value(), "", "the composer clears after sending");

    key_down(&input, false);
    settle().await;
    assert!(
        next_intent(&mut mounted.inputs).is_none(),
        "an empty draft must not send"
    );
}

#[wasm_bindgen_test]
async fn send_button_sends_draft() {
    let mut mounted = mount_app();
    open_ride_1(&mounted).await;
    let input: HtmlTextAreaElement =
        select(&mounted.host, "[data-testid=composer-input]").unchecked_into();

    type_text(&input, "bonjour");
    select(&mounted.host, "[data-testid=composer-send]")
        .unchecked_into::<HtmlElement>()
        .click();
    settle().await;
    match next_intent(&mut mounted.inputs) {
        Some(Input::SendText { body, .. }) => assert_eq!(body, "bonjour"),
        other => panic!("expected SendText, got {other:?}"),
    }
}

#[wasm_bindgen_test]
async fn failed_message_offers_retry() {
    let mut mounted = mount_app();
    open_ride_1(&mounted).await;
    let (mut failed, _) = suite::outgoing("ride:1", "c-failed", "too much", 1);
    failed.status = DeliveryStatus::Failed {
        reason: ErrorReason::TooLong,
        detail: None,
    };
    mounted
        .state
        .apply(Update::MessageUpserted { message: failed });
    settle().await;

    let bubble = select(&mounted.host, "[data-client-id=c-failed]");
    assert_eq!(attribute(&bubble, "data-status"), "failed");
    let text = bubble.text_content().unwrap_or_default();
    assert!(text.contains("too long"), "the reason must show: {text:?}");

    let retry = select_all(&mounted.host, "[data-client-id=c-failed] button")
        .into_iter()
        .find(|button| button.text_content().as_deref() == Some("Retry"))
        .expect("a Retry button");
    retry.unchecked_into::<HtmlElement>().click();
    settle().await;
    match next_intent(&mut mounted.inputs) {
        Some(Input::Retry { client_id }) => assert_eq!(client_id, "c-failed"),
        other => panic!("expected Retry, got {other:?}"),
    }
}

#[wasm_bindgen_test]
async fn connection_banner_shows_state_and_queue() {
    let mounted = mount_app();
    let banner = select(&mounted.host, "[data-testid=connection]");
    assert_eq!(attribute(&banner, "data-state"), "connecting");
    assert_eq!(attribute(&banner, "data-queued"), "0");

    mounted.state.apply(Update::Connection {
        state: ConnectionState::Offline,
        queued: 3,
    });
    settle().await;
    assert_eq!(attribute(&banner, "data-state"), "offline");
    assert_eq!(attribute(&banner, "data-queued"), "3");
    let text = banner.text_content().unwrap_or_default();
    assert!(text.contains("3 messages waiting to send"), "got {text:?}");

    mounted.state.apply(Update::Connection {
        state: ConnectionState::Online,
        queued: 0,
    });
    settle().await;
    assert_eq!(attribute(&banner, "data-state"), "online");
}

#[wasm_bindgen_test]
async fn open_room_survives_remount() {
    let first = mount_app();
    open_ride_1(&first).await;
    drop(first);

    let second = mount_app();
    settle().await;
    let room = select(&second.host, "[data-testid=room]");
    assert_eq!(
        attribute(&room, "data-topic"),
        "ride:1",
        "a reload reopens the room"
    );

    select(&second.host, ".ridechat__back")
        .unchecked_into::<HtmlElement>()
        .click();
    settle().await;
    assert!(
        second
            .host
            .query_selector("[data-testid=room]")
            .unwrap()
            .is_none()
    );
    drop(second);

    let third = mount_app();
    settle().await;
    let room = third.host.query_selector("[data-testid=room]").unwrap();
    assert!(room.is_none(), "a closed room stays closed after a reload");
}

#[wasm_bindgen_test]
async fn composer_reports_typing() {
    let mut mounted = mount_app();
    open_ride_1(&mounted).await;
    drain_inputs(&mut mounted.inputs);
    let input: HtmlTextAreaElement =
        select(&mounted.host, "[data-testid=composer-input]").unchecked_into();

    type_text(&input, "o");
    type_text(&input, "on");
    settle().await;

    let typed: Vec<Input> = drain_inputs(&mut mounted.inputs);
    let expected = Input::Typed {
        topic: "ride:1".to_owned(),
    };
    assert_eq!(typed, [expected.clone(), expected], "one report per edit");
}

#[wasm_bindgen_test]
async fn peer_typing_shows_and_hides() {
    let mounted = mount_app();
    open_ride_1(&mounted).await;
    let indicator = select(&mounted.host, "[data-testid=typing]");
    assert!(
        indicator.has_attribute("hidden"),
        "hidden before any typing"
    );

    let typing = |typing| Update::PeerTyping {
        topic: "ride:1".to_owned(),
        user_id: "d1".to_owned(),
        typing,
    };
    mounted.state.apply(typing(true));
    settle().await;
    assert!(!indicator.has_attribute("hidden"));
    assert_eq!(
        indicator.text_content().as_deref(),
        Some("\u{2068}Youssef\u{2069} is typing…")
    );

    mounted.state.apply(typing(false));
    settle().await;
    assert!(indicator.has_attribute("hidden"));
}

#[wasm_bindgen_test]
async fn peer_bubble_on_screen_reported() {
    let mut mounted = mount_app();
    open_ride_1(&mounted).await;
    let theirs = LocalMessage::from_stored(
        "ride:1",
        &suite::stored_message(1, "c-theirs", "d1", "j'arrive"),
    );
    let (mine, _) = suite::outgoing("ride:1", "c-mine", "merci", 1);
    let mut mine = LocalMessage {
        sender_id: "r1".to_owned(),
        ..mine
    };
    mine.seq = Some(2);
    mounted.state.apply(Update::RoomLoaded {
        topic: "ride:1".to_owned(),
        messages: vec![theirs, mine],
    });
    settle().await;

    // The observer reports after the next frame is laid out.
    let mut reports = Vec::new();
    for _ in 0..50 {
        sleep(Duration::from_millis(20)).await;
        reports.extend(
            drain_inputs(&mut mounted.inputs)
                .into_iter()
                .filter(|input| matches!(input, Input::BubbleOnScreen { .. })),
        );
        if !reports.is_empty() {
            break;
        }
    }
    let expected = Input::BubbleOnScreen {
        topic: "ride:1".to_owned(),
        seq: 1,
        on_screen: true,
    };
    assert_eq!(reports, [expected], "only the peer's bubble is watched");
}
