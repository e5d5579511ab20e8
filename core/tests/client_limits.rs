//! A server that misbehaves cannot take the app down with it: an answer that never ends is
//! cut off early, and a 429 that asks for centuries is read as two hours. Each test talks
//! to a tiny HTTP server on loopback that answers every request the same way.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use atelier_core::base_url::BaseUrl;
use atelier_core::client::AtelierClient;
use atelier_core::error::ApiError;
use secrecy::SecretString;

const GIB: u64 = 1 << 30;

/// A loopback server answering each request with `head` and then `body_len` bytes of
/// filler (a JSON array of spaces that never closes), counting what it managed to send.
struct Server {
    base_url: String,
    sent: Arc<AtomicU64>,
    done: std::sync::mpsc::Receiver<()>,
}

impl Server {
    fn start(head: String, body_len: u64) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base_url = format!("http://{}/api/atelier", listener.local_addr().unwrap());
        let sent = Arc::new(AtomicU64::new(0));
        let (done_tx, done) = std::sync::mpsc::channel();
        let counter = sent.clone();
        std::thread::spawn(move || {
            let Ok((mut stream, _)) = listener.accept() else {
                return;
            };
            read_request(&mut stream);
            let _ = stream.write_all(head.as_bytes());
            let mut chunk = vec![b' '; 64 * 1024];
            chunk[0] = b'[';
            let mut left = body_len;
            while left > 0 {
                let n = usize::try_from(left.min(chunk.len() as u64)).unwrap();
                // Fails once the client hangs up, which is the point.
                if stream.write_all(&chunk[..n]).is_err() {
                    break;
                }
                counter.fetch_add(n as u64, Ordering::SeqCst);
                left -= n as u64;
                chunk[0] = b' ';
            }
            let _ = done_tx.send(());
        });
        Server {
            base_url,
            sent,
            done,
        }
    }

    fn client(&self) -> AtelierClient {
        let key = format!("atelier_{}", "0123456789abcdef".repeat(3));
        AtelierClient::new(BaseUrl::parse(&self.base_url).unwrap())
            .unwrap()
            .signed_in(SecretString::from(key))
    }

    /// Bytes the server got out before the client hung up (or all of them). Blocks: the
    /// tests run on two threads so the client's connection task can still hang up.
    fn bytes_sent_once_done(&self) -> u64 {
        self.done
            .recv_timeout(Duration::from_secs(30))
            .expect("the server stops sending once the client hangs up");
        self.sent.load(Ordering::SeqCst)
    }
}

fn read_request(stream: &mut TcpStream) {
    let mut request = Vec::new();
    let mut buf = [0u8; 1024];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => request.extend_from_slice(&buf[..n]),
        }
    }
}

fn head(status: &str, extra: &str, content_length: Option<u64>) -> String {
    let length = content_length.map_or(String::new(), |n| format!("Content-Length: {n}\r\n"));
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\n{extra}{length}Connection: close\r\n\r\n"
    )
}

async fn list_orders(server: &Server) -> (Result<usize, ApiError>, Duration) {
    let started = Instant::now();
    let answer = tokio::time::timeout(
        Duration::from_secs(60),
        server.client().orders("ext_1", &[]),
    )
    .await
    .expect("the client gives up on its own, long before a minute");
    (answer.map(|orders| orders.len()), started.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_list_that_never_ends_is_cut_off_early_and_reported_as_unexpected() {
    let server = Server::start(head("200 OK", "", None), GIB);
    let (answer, took) = list_orders(&server).await;
    let err = answer.expect_err("a gigabyte is no order list");
    assert_eq!(err.code(), "unexpected_response", "{err:?}");
    let sent = server.bytes_sent_once_done();
    assert!(
        sent < GIB / 8,
        "the client read on to {} MiB of a 1 GiB answer",
        sent >> 20
    );
    assert!(took < Duration::from_secs(20), "{took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_announcing_a_gigabyte_is_refused_before_it_is_read() {
    let server = Server::start(head("200 OK", "", Some(GIB)), GIB);
    let (answer, _) = list_orders(&server).await;
    assert_eq!(answer.unwrap_err().code(), "unexpected_response");
    let sent = server.bytes_sent_once_done();
    assert!(sent < GIB / 8, "{} MiB read", sent >> 20);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_with_an_endless_body_still_says_what_it_is() {
    let retry = "Retry-After: 120\r\n";
    let server = Server::start(head("429 Too Many Requests", retry, None), GIB);
    let (answer, took) = list_orders(&server).await;
    let err = answer.unwrap_err();
    assert_eq!(err.code(), "rate_limited", "{err:?}");
    assert_eq!(err.retry_after_secs(), Some(120));
    assert!(server.bytes_sent_once_done() < GIB / 8);
    assert!(took < Duration::from_secs(20), "{took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_asking_to_wait_for_centuries_is_read_as_two_hours() {
    let absurd = "Retry-After: 18446744073709551615\r\nX-RateLimit-Reset: 99999999999\r\n";
    let server = Server::start(head("429 Too Many Requests", absurd, None), 0);
    let (answer, _) = list_orders(&server).await;
    let ApiError::RateLimited {
        retry_after_secs,
        reset_at,
    } = answer.unwrap_err()
    else {
        panic!("a 429 is a rate limit")
    };
    assert_eq!(retry_after_secs, Some(7200));
    let two_hours_on = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 7200;
    let reset = reset_at
        .expect("an absurd reset time is cut, not dropped")
        .unix();
    assert!(reset <= two_hours_on as i64, "{reset} > {two_hours_on}");
}
