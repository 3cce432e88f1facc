//! ridechat: the browser client.
