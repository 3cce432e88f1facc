//! Message times as the user reads them.

use js_sys::{Date, Object, Reflect};
use ridechat_core::local::LocalMessage;
use wasm_bindgen::JsValue;

use crate::i18n::Locale;

/// Returns the message's time as `(machine, human)`: an ISO 8601 string for
/// the `datetime` attribute and the hour and minute in `locale`. Uses the
/// server time once known, the device time before.
pub fn message_time(message: &LocalMessage, locale: Locale) -> Option<(String, String)> {
    let date = match &message.inserted_at {
        Some(inserted_at) => Date::new(&JsValue::from_str(inserted_at)),
        None if message.created_at_ms > 0.0 => Date::new(&JsValue::from_f64(message.created_at_ms)),
        None => return None,
    };
    if date.get_time().is_nan() {
        return None;
    }

    let options = Object::new();
    // `Reflect.set` fails only when the target is not an object.
    let _ = Reflect::set(&options, &"hour".into(), &"2-digit".into());
    let _ = Reflect::set(&options, &"minute".into(), &"2-digit".into());
    let human = date.to_locale_time_string_with_options(locale.tag(), &options);
    Some((String::from(date.to_iso_string()), String::from(human)))
}
