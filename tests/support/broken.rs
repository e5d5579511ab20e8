//! Servers that fail in ways the sandbox never does (outages, hangs, garbage), for the
//! error classes a correct marketplace cannot be made to produce. Loopback only.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

pub enum Misbehaviour {
    /// Answers every request with this status and body.
    Answer {
        status: u16,
        content_type: &'static str,
        body: &'static str,
    },
    /// Accepts the connection and never answers.
    Hang,
}

/// Starts a one-trick HTTP server and returns its base URL.
pub async fn broken_server(how: Misbehaviour) -> String {
    let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let reply = match &how {
                Misbehaviour::Hang => None,
                Misbehaviour::Answer { status, content_type, body } => Some(format!(
                    "HTTP/1.1 {status} Whatever\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                )),
            };
            tokio::spawn(async move {
                let mut buf = [0u8; 8192];
                let _ = socket.read(&mut buf).await;
                match reply {
                    Some(reply) => {
                        let _ = socket.write_all(reply.as_bytes()).await;
                    }
                    None => tokio::time::sleep(Duration::from_secs(30)).await,
                }
            });
        }
    });
    format!("http://{addr}/api/atelier")
}

/// A loopback address where nothing listens.
pub async fn closed_port() -> String {
    let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}/api/atelier")
}
