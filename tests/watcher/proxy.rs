//! A loopback TCP proxy in front of the sandbox that can lose one delivery's answer (the
//! request reaches the server, the reply never comes back) or the request itself, or
//! refuse connections altogether, so the watcher's timeout handling meets the real client.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Passes everything through.
    Pass,
    /// Forwards the next delivery to the server but drops its answer.
    LoseNextDeliveryAnswer,
    /// Drops the next delivery before it reaches the server.
    LoseNextDeliveryRequest,
    /// Closes every connection at once, like a network that is down.
    Down,
}

pub struct Proxy {
    pub base_url: String,
    mode: Arc<Mutex<Mode>>,
    deliveries_forwarded: Arc<AtomicU32>,
}

impl Proxy {
    pub async fn start(upstream_base_url: &str) -> Proxy {
        let upstream: SocketAddr = upstream_base_url
            .trim_start_matches("http://")
            .split('/')
            .next()
            .and_then(|host| host.parse().ok())
            .expect("the sandbox listens on a loopback address");
        let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let mode = Arc::new(Mutex::new(Mode::Pass));
        let deliveries_forwarded = Arc::new(AtomicU32::new(0));
        let (m, d) = (mode.clone(), deliveries_forwarded.clone());
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (m, d) = (m.clone(), d.clone());
                tokio::spawn(serve(client, upstream, m, d));
            }
        });
        Proxy {
            base_url: format!("http://{addr}/api/atelier"),
            mode,
            deliveries_forwarded,
        }
    }

    pub fn set(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
    }

    /// Delivery requests that reached the sandbox through this proxy.
    pub fn deliveries_forwarded(&self) -> u32 {
        self.deliveries_forwarded.load(Ordering::SeqCst)
    }
}

async fn serve(
    client: TcpStream,
    upstream: SocketAddr,
    mode: Arc<Mutex<Mode>>,
    forwarded: Arc<AtomicU32>,
) {
    if *mode.lock().unwrap() == Mode::Down {
        return;
    }
    let Ok(server) = TcpStream::connect(upstream).await else {
        return;
    };
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let mute = Arc::new(AtomicBool::new(false));
    let muted = mute.clone();
    let answers = tokio::spawn(async move {
        let mut buf = vec![0u8; 16 * 1024];
        while let Ok(n) = server_read.read(&mut buf).await {
            if n == 0 {
                break;
            }
            if muted.load(Ordering::SeqCst) {
                continue;
            }
            if client_write.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
    });
    let mut buf = vec![0u8; 16 * 1024];
    while let Ok(n) = client_read.read(&mut buf).await {
        if n == 0 {
            break;
        }
        if *mode.lock().unwrap() == Mode::Down {
            // Connections kept alive from before go down with the network too.
            break;
        }
        let chunk = &buf[..n];
        // HTTP/1.1 without pipelining: a request line starts a chunk of its own.
        if chunk.starts_with(b"POST ") && contains(chunk, b"/deliver ") {
            let now = {
                let mut mode = mode.lock().unwrap();
                std::mem::replace(&mut *mode, Mode::Pass)
            };
            match now {
                Mode::LoseNextDeliveryRequest => {
                    // Swallow it and stay silent until the client gives up.
                    while let Ok(n) = client_read.read(&mut buf).await {
                        if n == 0 {
                            break;
                        }
                    }
                    break;
                }
                Mode::LoseNextDeliveryAnswer => mute.store(true, Ordering::SeqCst),
                other => *mode.lock().unwrap() = other,
            }
            forwarded.fetch_add(1, Ordering::SeqCst);
        }
        if server_write.write_all(chunk).await.is_err() {
            break;
        }
    }
    answers.abort();
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
