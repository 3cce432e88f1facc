use std::time::Duration;

/// Timings of the socket and its channels.
///
/// [`Settings::default`] returns the phoenix.js defaults plus ridechat's
/// early probe and shorter heartbeat timeout. Tests and browser suites run with
/// [`Settings::scaled`] copies so they stay fast.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Time between heartbeats while the socket is open (phoenix.js: 30 s).
    pub heartbeat_interval: Duration,
    /// Maximum wait for a heartbeat's reply before the link is declared dead.
    pub heartbeat_timeout: Duration,
    /// Time after which a push (or join) with no reply is reported
    /// [`PushTimedOut`](super::SocketEvent::PushTimedOut) (phoenix.js: 10 s).
    pub push_timeout: Duration,
    /// Wait of a push without its reply after which a heartbeat is sent at
    /// once, so a dead link is found before the next regular heartbeat.
    pub probe_after: Duration,
    /// Wait for a requested WebSocket to open. A connect that has not opened
    /// by then (a stalled TCP or TLS handshake) is abandoned and counts as a
    /// failed connect, followed by the reconnect backoff.
    pub connect_timeout: Duration,
    /// Delays before each reconnect attempt, of which the last one repeats.
    pub reconnect_after: Vec<Duration>,
    /// Delays before each rejoin of an errored channel, of which the last one
    /// repeats.
    pub rejoin_after: Vec<Duration>,
    /// Fraction of each backoff delay that is randomised, in `0.0..=1.0`.
    pub jitter: f64,
    /// Minimum time between two `typing {typing: true}` pushes while the
    /// user types. The chat session reads this and the next three timings.
    pub typing_interval: Duration,
    /// Time without a keystroke after which `typing {typing: false}` is sent.
    pub typing_idle: Duration,
    /// Time after a peer's last `typing: true` after which its indicator is
    /// hidden, when no refresh or `typing: false` arrived.
    pub typing_expiry: Duration,
    /// Time a peer's bubble must stay at least half on screen, with the page
    /// visible, to count as read.
    pub read_dwell: Duration,
}

impl Default for Settings {
    /// Returns the phoenix.js defaults (`socket.js` and `constants.js` in the
    /// Phoenix repository) with the changes below: heartbeat 30 s, push and
    /// join timeout 10 s, rejoin after 1, 2, 5 s then 10 s. phoenix.js
    /// reconnects after 10, 50, 100, 150, 200, 250, 500, 1000, 2000 ms then
    /// 5 s.
    ///
    /// ridechat shortens the heartbeat timeout to 10 s, where phoenix.js
    /// waits one heartbeat interval (30 s), and probes after a push has waited
    /// 3 s. Round trips on the mobile networks ridechat targets reach about
    /// 2 s, so 10 s leaves room for a slow link. A dead link is then found
    /// 13 s after a push got no reply. Jitter is 0.5, where phoenix.js has
    /// none.
    ///
    /// A connect that has not opened within 10 s is abandoned, where
    /// phoenix.js waits for the browser, which can take minutes on a stalled
    /// handshake. After failed connects in a row the timeout doubles, up to
    /// 80 s.
    ///
    /// Reconnects wait 1 s at most between attempts 8 and 19, where
    /// phoenix.js waits 2 s then 5 s. Even with every wait shortened by the
    /// full jitter, the 1 s steps last until about 6.6 s into an outage, so a
    /// server back within that time is reached within 1 s of its return. A
    /// cell handover or a short tunnel is expected to be about that short,
    /// an estimate that no field data checks yet.
    ///
    /// Typing indicators are pushed at most every 2 s, cleared after 3 s
    /// without a keystroke and hidden on the receiving side 5 s after the
    /// last refresh. A bubble is read after 500 ms on screen.
    fn default() -> Self {
        let millis = |values: &[u64]| values.iter().copied().map(Duration::from_millis).collect();
        Self {
            heartbeat_interval: Duration::from_secs(30),
            heartbeat_timeout: Duration::from_secs(10),
            push_timeout: Duration::from_secs(10),
            probe_after: Duration::from_secs(3),
            connect_timeout: Duration::from_secs(10),
            reconnect_after: millis(&[
                10, 50, 100, 150, 200, 250, 500, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000,
                1000, 1000, 1000, 1000, 2000, 5000,
            ]),
            rejoin_after: millis(&[1000, 2000, 5000, 10_000]),
            jitter: 0.5,
            typing_interval: Duration::from_secs(2),
            typing_idle: Duration::from_secs(3),
            typing_expiry: Duration::from_secs(5),
            read_dwell: Duration::from_millis(500),
        }
    }
}

impl Settings {
    /// Returns a copy with every duration multiplied by `factor` (tests use
    /// 0.05 and the like). Jitter is unchanged.
    ///
    /// # Panics
    ///
    /// Panics if `factor` is negative, NaN or so large that a duration
    /// overflows: pass a finite factor of 0 or more.
    pub fn scaled(&self, factor: f64) -> Settings {
        assert!(
            factor.is_finite() && factor >= 0.0,
            "Settings::scaled needs a finite factor of 0 or more, got {factor}"
        );
        let scale = |duration: Duration| duration.mul_f64(factor);
        Settings {
            heartbeat_interval: scale(self.heartbeat_interval),
            heartbeat_timeout: scale(self.heartbeat_timeout),
            push_timeout: scale(self.push_timeout),
            probe_after: scale(self.probe_after),
            connect_timeout: scale(self.connect_timeout),
            reconnect_after: self.reconnect_after.iter().copied().map(scale).collect(),
            rejoin_after: self.rejoin_after.iter().copied().map(scale).collect(),
            jitter: self.jitter,
            typing_interval: scale(self.typing_interval),
            typing_idle: scale(self.typing_idle),
            typing_expiry: scale(self.typing_expiry),
            read_dwell: scale(self.read_dwell),
        }
    }
}
