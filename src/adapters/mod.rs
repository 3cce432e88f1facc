//! Thin adapters between browser APIs and the sans-I/O session.
//!
//! Each adapter turns browser callbacks into session [`Input`]s sent over one
//! unbounded channel, and performs the session's actions. Each owns its
//! closures and removes its listeners when dropped, so an unmounted app leaves
//! nothing behind.
//!
//! [`Input`]: ridechat_core::session::Input

pub mod broadcast;
pub mod clock;
pub mod hints;
pub mod locks;
pub mod timer;
pub mod websocket;

use futures::channel::mpsc::UnboundedSender;
use ridechat_core::session::Input;

/// Sends `input` to the driver. The channel only closes when the app is
/// unmounted, and then no session remains to handle the input, so a failed
/// send is dropped on purpose.
pub(crate) fn send_input(inputs: &UnboundedSender<Input>, input: Input) {
    if inputs.unbounded_send(input).is_err() {
        // The driver has stopped: the app was unmounted.
    }
}
