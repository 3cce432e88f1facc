//! A TCP fault proxy between the browser and the server.
//!
//! Each accepted connection gets its own upstream connection and two copy
//! loops. The mode is shared through a `watch` channel, so switching it takes
//! effect on every open connection at once:
//!
//! - `Pass` forwards bytes as they come.
//! - `Cut` closes every open connection (the browser gets a WebSocket close
//!   with code 1006, as after a network drop) and closes new ones at once.
//! - `Stall` keeps connections open but forwards nothing, like a link that
//!   stopped carrying packets. Bytes read meanwhile are held and forwarded,
//!   in order, once the mode changes back to `Pass` or `Slow`.
//! - `Slow(delay)` forwards each chunk after `delay`.
//!
//! The proxy counts open and accepted connections, which tells how many
//! WebSockets a page opened.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::error::{HarnessError, Result};

/// What the proxy does with traffic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Pass,
    Cut,
    Stall,
    Slow(Duration),
}

#[derive(Default)]
struct Counters {
    open: AtomicUsize,
    accepted: AtomicUsize,
}

/// A running proxy on 127.0.0.1, stopped when dropped.
pub struct FaultProxy {
    addr: SocketAddr,
    mode: watch::Sender<Mode>,
    counters: Arc<Counters>,
    accept_task: JoinHandle<()>,
}

impl FaultProxy {
    /// Starts a proxy on a free loopback port that forwards to `upstream`.
    pub async fn start(upstream: SocketAddr) -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(HarnessError::io("binding the fault proxy to 127.0.0.1:0"))?;
        let addr = listener
            .local_addr()
            .map_err(HarnessError::io("reading the fault proxy's address"))?;

        let (mode, _) = watch::channel(Mode::Pass);
        let counters = Arc::new(Counters::default());
        let accept_task = tokio::spawn(accept_loop(
            listener,
            upstream,
            mode.clone(),
            counters.clone(),
        ));
        Ok(Self {
            addr,
            mode,
            counters,
            accept_task,
        })
    }

    /// Returns the proxy's listening address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Switches the mode for open and future connections.
    pub fn set_mode(&self, mode: Mode) {
        self.mode.send_replace(mode);
    }

    /// Returns the number of connections open now.
    pub fn open_connections(&self) -> usize {
        self.counters.open.load(Ordering::SeqCst)
    }

    /// Returns the number of connections accepted since the proxy started.
    pub fn accepted_connections(&self) -> usize {
        self.counters.accepted.load(Ordering::SeqCst)
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        // Cutting first closes the connection tasks, which outlive the
        // accept loop otherwise.
        self.mode.send_replace(Mode::Cut);
        self.accept_task.abort();
    }
}

async fn accept_loop(
    listener: TcpListener,
    upstream: SocketAddr,
    mode: watch::Sender<Mode>,
    counters: Arc<Counters>,
) {
    loop {
        let client = match listener.accept().await {
            Ok((client, _)) => client,
            Err(error) => {
                eprintln!("[proxy] accept failed: {error}");
                continue;
            }
        };
        counters.accepted.fetch_add(1, Ordering::SeqCst);

        if *mode.borrow() == Mode::Cut {
            drop(client);
            continue;
        }
        tokio::spawn(serve_connection(
            client,
            upstream,
            mode.subscribe(),
            counters.clone(),
        ));
    }
}

/// Decrements the open-connection count when a connection task ends.
struct OpenGuard(Arc<Counters>);

impl Drop for OpenGuard {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn serve_connection(
    client: TcpStream,
    upstream: SocketAddr,
    mut mode: watch::Receiver<Mode>,
    counters: Arc<Counters>,
) {
    counters.open.fetch_add(1, Ordering::SeqCst);
    let _guard = OpenGuard(counters);

    let server = match TcpStream::connect(upstream).await {
        Ok(server) => server,
        Err(error) => {
            // The server is down: closing the client is what a browser would
            // see from a refused connection at the proxy's address.
            eprintln!("[proxy] connecting to {upstream} failed: {error}");
            return;
        }
    };

    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    let upload = forward(client_read, server_write, mode.clone());
    let download = forward(server_read, client_write, mode.clone());

    // Returning drops both sockets, which closes them on both sides.
    tokio::select! {
        _ = async { tokio::join!(upload, download) } => {}
        _ = mode.wait_for(|mode| *mode == Mode::Cut) => {}
    }
}

/// Copies bytes from `reader` to `writer` under the current mode until either
/// side closes.
async fn forward(
    mut reader: tokio::net::tcp::OwnedReadHalf,
    mut writer: tokio::net::tcp::OwnedWriteHalf,
    mut mode: watch::Receiver<Mode>,
) {
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        let read = match reader.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(read) => read,
        };

        // Hold the chunk while stalled. A cut ends the whole connection in
        // `serve_connection`, so here it only stops forwarding.
        let current = match mode.wait_for(|mode| *mode != Mode::Stall).await {
            Ok(current) => *current,
            Err(_) => break,
        };
        match current {
            Mode::Cut => break,
            Mode::Slow(delay) => tokio::time::sleep(delay).await,
            Mode::Pass | Mode::Stall => {}
        }

        if writer.write_all(&buffer[..read]).await.is_err() {
            break;
        }
    }
    // Pass the end of stream on, so a closed side closes the other.
    let _ = writer.shutdown().await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::time::timeout;

    /// Starts an echo server and a proxy in front of it.
    async fn echo_behind_proxy() -> Result<FaultProxy> {
        let echo = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(HarnessError::io("bind echo"))?;
        let echo_addr = echo
            .local_addr()
            .map_err(HarnessError::io("echo address"))?;
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = echo.accept().await {
                tokio::spawn(async move {
                    let (mut read, mut write) = stream.split();
                    let _ = tokio::io::copy(&mut read, &mut write).await;
                });
            }
        });
        FaultProxy::start(echo_addr).await
    }

    async fn round_trip(stream: &mut TcpStream, text: &[u8]) -> std::io::Result<Vec<u8>> {
        stream.write_all(text).await?;
        let mut reply = vec![0u8; text.len()];
        stream.read_exact(&mut reply).await?;
        Ok(reply)
    }

    #[tokio::test]
    async fn pass_mode_forwards_both_ways() -> Result<()> {
        let proxy = echo_behind_proxy().await?;
        let mut stream = TcpStream::connect(proxy.addr())
            .await
            .map_err(HarnessError::io("connect"))?;

        let reply = round_trip(&mut stream, b"hello")
            .await
            .map_err(HarnessError::io("echo"))?;

        assert_eq!(reply, b"hello");
        assert_eq!(proxy.accepted_connections(), 1);
        assert_eq!(proxy.open_connections(), 1);
        Ok(())
    }

    #[tokio::test]
    async fn cut_mode_closes_open_connections() -> Result<()> {
        let proxy = echo_behind_proxy().await?;
        let mut stream = TcpStream::connect(proxy.addr())
            .await
            .map_err(HarnessError::io("connect"))?;
        round_trip(&mut stream, b"ping")
            .await
            .map_err(HarnessError::io("echo"))?;

        proxy.set_mode(Mode::Cut);
        let mut buffer = [0u8; 8];
        let read = timeout(Duration::from_secs(5), stream.read(&mut buffer)).await;

        assert!(
            matches!(read, Ok(Ok(0)) | Ok(Err(_))),
            "expected a closed stream, got {read:?}"
        );
        Ok(())
    }

    #[tokio::test]
    async fn stall_mode_holds_bytes_until_pass() -> Result<()> {
        let proxy = echo_behind_proxy().await?;
        let mut stream = TcpStream::connect(proxy.addr())
            .await
            .map_err(HarnessError::io("connect"))?;
        round_trip(&mut stream, b"ping")
            .await
            .map_err(HarnessError::io("echo"))?;

        proxy.set_mode(Mode::Stall);
        stream
            .write_all(b"held")
            .await
            .map_err(HarnessError::io("write"))?;
        let mut reply = [0u8; 4];
        let stalled = timeout(Duration::from_millis(300), stream.read_exact(&mut reply)).await;
        assert!(
            stalled.is_err(),
            "bytes crossed a stalled proxy: {stalled:?}"
        );

        proxy.set_mode(Mode::Pass);
        let resumed = timeout(Duration::from_secs(5), stream.read_exact(&mut reply)).await;
        assert!(
            matches!(resumed, Ok(Ok(_))),
            "no bytes after the stall ended: {resumed:?}"
        );
        assert_eq!(&reply, b"held");
        assert_eq!(proxy.open_connections(), 1);
        Ok(())
    }

    #[tokio::test]
    async fn connections_counted_until_closed() -> Result<()> {
        let proxy = echo_behind_proxy().await?;
        let mut first = TcpStream::connect(proxy.addr())
            .await
            .map_err(HarnessError::io("connect"))?;
        let mut second = TcpStream::connect(proxy.addr())
            .await
            .map_err(HarnessError::io("connect"))?;
        round_trip(&mut first, b"a")
            .await
            .map_err(HarnessError::io("echo"))?;
        round_trip(&mut second, b"b")
            .await
            .map_err(HarnessError::io("echo"))?;
        assert_eq!(proxy.open_connections(), 2);

        drop(first);
        let closed = crate::wait::wait_for("one open connection", Duration::from_secs(5), || {
            let open = proxy.open_connections();
            async move { Ok((open, (open == 1).then_some(()))) }
        })
        .await;

        assert!(closed.is_ok(), "{closed:?}");
        assert_eq!(proxy.accepted_connections(), 2);
        Ok(())
    }
}
