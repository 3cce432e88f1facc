//! ridechat-core: the sans-I/O heart of ridechat.
//!
//! Nothing here touches the network, timers or the browser. The socket and
//! channel state machines take events and the current time and return actions;
//! adapters in the browser client and tests under virtual time drive them.

pub mod backoff;
pub mod chat;
pub mod local;
pub mod outbox;
pub mod room;
pub mod session;
pub mod socket;
pub mod store;
pub mod time;
pub mod wire;
