//! "Check the link before delivering": each test serves a deliverable the way some real host
//! does (a share page, a sign-in redirect, a server without HEAD...) on loopback, and reads
//! the verdict the creator would get. The checker used is `allowing_local()`, since the
//! server is on this computer; the one test about local links uses the app's own checker.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use atelier_core::linkcheck::{LinkChecker, LinkProblem, LinkVerdict};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One request as the server saw it.
#[derive(Debug, Clone)]
struct Seen {
    method: Method,
    path: String,
    headers: HeaderMap,
}

type Log = Arc<Mutex<Vec<Seen>>>;

/// A host on loopback serving `routes`, remembering every request it got.
struct Site {
    base: String,
    log: Log,
}

impl Site {
    async fn serve(routes: Router) -> Site {
        let log = Log::default();
        let app = routes.layer(middleware::from_fn_with_state(log.clone(), record));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Site { base, log }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn seen(&self) -> Vec<Seen> {
        self.log.lock().unwrap().clone()
    }

    fn paths(&self) -> Vec<String> {
        self.seen().into_iter().map(|s| s.path).collect()
    }
}

async fn record(State(log): State<Log>, request: Request, next: Next) -> Response {
    log.lock().unwrap().push(Seen {
        method: request.method().clone(),
        path: request.uri().path().to_owned(),
        headers: request.headers().clone(),
    });
    next.run(request).await
}

fn checker() -> LinkChecker {
    LinkChecker::allowing_local()
}

fn file(content_type: &'static str, len: usize) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, content_type)], vec![7u8; len])
}

fn redirect(to: &str) -> Response {
    (StatusCode::FOUND, [(header::LOCATION, to.to_owned())]).into_response()
}

fn assert_problem(verdict: &LinkVerdict, problem: LinkProblem) {
    assert!(!verdict.ok, "{verdict:?}");
    assert_eq!(verdict.problem, Some(problem), "{verdict:?}");
}

#[tokio::test]
async fn a_public_png_is_fine_and_its_size_is_said() {
    let site = Site::serve(Router::new().route(
        "/art/final.png",
        get(|| async { file("image/png", 48_213) }),
    ))
    .await;

    let verdict = checker().check(&site.url("/art/final.png"), "image").await;

    assert!(verdict.ok, "{verdict:?}");
    assert_eq!(verdict.problem, None);
    assert_eq!(verdict.content_type.as_deref(), Some("image/png"));
    assert_eq!(verdict.size_bytes, Some(48_213));
    assert!(verdict.message.contains("48.2 KB"), "{}", verdict.message);
    assert_eq!(verdict.final_url, Some(site.url("/art/final.png")));
    let seen = site.seen();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].method, Method::HEAD);
}

#[tokio::test]
async fn a_share_page_where_an_image_was_promised_is_flagged() {
    let site = Site::serve(Router::new().route(
        "/s/abc123",
        get(|| async { file("text/html; charset=utf-8", 3_000) }),
    ))
    .await;

    let verdict = checker().check(&site.url("/s/abc123"), "image").await;

    assert_problem(&verdict, LinkProblem::WebPageNotMedia);
    assert!(verdict.message.contains("web page"), "{}", verdict.message);
    assert_eq!(verdict.content_type.as_deref(), Some("text/html"));
}

#[tokio::test]
async fn a_redirect_to_a_login_page_asks_for_sign_in() {
    let site = Site::serve(
        Router::new()
            .route(
                "/file/123",
                get(|| async { redirect("/accounts/login?next=/file/123") }),
            )
            .route(
                "/drive/456",
                get(|| async { redirect("https://accounts.google.com/ServiceLogin?continue=x") }),
            )
            .route("/accounts/login", get(|| async { file("text/html", 100) })),
    )
    .await;

    let verdict = checker().check(&site.url("/file/123"), "image").await;
    assert_problem(&verdict, LinkProblem::NeedsSignIn);
    assert!(verdict.message.contains("sign-in"), "{}", verdict.message);

    let verdict = checker().check(&site.url("/drive/456"), "video").await;
    assert_problem(&verdict, LinkProblem::NeedsSignIn);
    assert!(
        verdict.message.contains("accounts.google.com"),
        "{}",
        verdict.message
    );

    // The sign-in page itself is never asked for.
    assert_eq!(site.paths(), ["/file/123", "/drive/456"]);
}

#[tokio::test]
async fn a_server_without_head_is_checked_with_a_one_byte_range() {
    async fn one_byte(headers: HeaderMap) -> Response {
        if headers.get(header::RANGE).map(HeaderValue::as_bytes) != Some(b"bytes=0-0") {
            return StatusCode::BAD_REQUEST.into_response();
        }
        (
            StatusCode::PARTIAL_CONTENT,
            [
                (header::CONTENT_TYPE, "video/mp4"),
                (header::CONTENT_RANGE, "bytes 0-0/7340032"),
            ],
            vec![0u8],
        )
            .into_response()
    }
    let site = Site::serve(
        Router::new()
            .route(
                "/clip.mp4",
                get(one_byte).head(|| async { StatusCode::METHOD_NOT_ALLOWED }),
            )
            .route(
                "/other.mp4",
                get(one_byte).head(|| async { StatusCode::NOT_IMPLEMENTED }),
            ),
    )
    .await;

    for path in ["/clip.mp4", "/other.mp4"] {
        let verdict = checker().check(&site.url(path), "video").await;
        assert!(verdict.ok, "{verdict:?}");
        assert_eq!(verdict.size_bytes, Some(7_340_032));
        assert!(verdict.message.contains("7.3 MB"), "{}", verdict.message);
    }
    let methods: Vec<Method> = site.seen().into_iter().map(|s| s.method).collect();
    assert_eq!(
        methods,
        [Method::HEAD, Method::GET, Method::HEAD, Method::GET]
    );
}

#[tokio::test]
async fn a_signed_link_that_refuses_head_is_checked_with_get() {
    // Signed storage links are valid for GET only and answer HEAD with 403.
    let site = Site::serve(Router::new().route(
        "/bucket/a.png",
        get(|| async { file("image/png", 10) }).head(|| async { StatusCode::FORBIDDEN }),
    ))
    .await;

    let verdict = checker()
        .check(&site.url("/bucket/a.png?X-Sig=1"), "image")
        .await;

    assert!(verdict.ok, "{verdict:?}");
    let seen = site.seen();
    assert_eq!(seen[1].method, Method::GET);
    assert_eq!(seen[1].headers[header::RANGE], "bytes=0-0");
}

#[tokio::test]
async fn a_link_to_this_computer_is_flagged_without_a_request() {
    let site =
        Site::serve(Router::new().route("/a.png", get(|| async { file("image/png", 10) }))).await;
    let port = site.base.rsplit(':').next().unwrap().to_owned();
    let app_checker = LinkChecker::new();

    for link in [
        site.url("/a.png"),
        format!("http://localhost:{port}/a.png"),
        format!("http://[::ffff:127.0.0.1]:{port}/a.png"),
        "http://192.168.1.20/a.png".to_owned(),
        "http://nas.local/a.png".to_owned(),
        "http://[fd00::5]/a.png".to_owned(),
    ] {
        let verdict = app_checker.check(&link, "image").await;
        assert_problem(&verdict, LinkProblem::OnlyThisComputer);
        assert!(
            verdict.message.contains("can't open it"),
            "{}",
            verdict.message
        );
        assert_eq!(verdict.final_url, None, "{link}");
    }
    assert!(site.seen().is_empty(), "{:?}", site.paths());
}

#[tokio::test]
async fn a_404_is_not_found() {
    let site =
        Site::serve(Router::new().route("/gone.png", get(|| async { StatusCode::GONE }))).await;

    let verdict = checker().check(&site.url("/missing.png"), "image").await;
    assert_problem(&verdict, LinkProblem::NotFound);
    assert!(verdict.message.contains("(404)"), "{}", verdict.message);

    let verdict = checker().check(&site.url("/gone.png"), "image").await;
    assert_problem(&verdict, LinkProblem::NotFound);
    assert!(verdict.message.contains("(410)"), "{}", verdict.message);
}

#[tokio::test]
async fn a_403_needs_sign_in() {
    let site = Site::serve(
        Router::new()
            .route("/private.png", get(|| async { StatusCode::FORBIDDEN }))
            .route("/members.png", get(|| async { StatusCode::UNAUTHORIZED })),
    )
    .await;

    let verdict = checker().check(&site.url("/private.png"), "image").await;
    assert_problem(&verdict, LinkProblem::NeedsSignIn);
    assert!(verdict.message.contains("(403)"), "{}", verdict.message);

    let verdict = checker().check(&site.url("/members.png"), "image").await;
    assert_problem(&verdict, LinkProblem::NeedsSignIn);
    assert!(verdict.message.contains("(401)"), "{}", verdict.message);
}

#[tokio::test]
async fn a_server_error_is_said() {
    let site = Site::serve(
        Router::new().route("/a.png", get(|| async { StatusCode::SERVICE_UNAVAILABLE })),
    )
    .await;

    let verdict = checker().check(&site.url("/a.png"), "image").await;

    assert_problem(&verdict, LinkProblem::ServerError);
    assert!(verdict.message.contains("(503)"), "{}", verdict.message);
}

#[tokio::test]
async fn a_video_served_where_an_image_was_promised_is_the_wrong_kind() {
    let site = Site::serve(
        Router::new()
            .route("/clip.mp4", get(|| async { file("video/mp4", 100) }))
            .route("/still.jpg", get(|| async { file("image/jpeg", 100) })),
    )
    .await;

    let verdict = checker().check(&site.url("/clip.mp4"), "image").await;
    assert_problem(&verdict, LinkProblem::WrongKind);
    assert!(
        verdict.message.contains("serves a video"),
        "{}",
        verdict.message
    );
    assert_eq!(verdict.content_type.as_deref(), Some("video/mp4"));

    let verdict = checker().check(&site.url("/still.jpg"), "video").await;
    assert_problem(&verdict, LinkProblem::WrongKind);
    assert!(
        verdict.message.contains("serves an image"),
        "{}",
        verdict.message
    );
}

#[tokio::test]
async fn an_untyped_file_is_a_mild_warning() {
    let site = Site::serve(Router::new().route(
        "/download",
        get(|| async { file("application/octet-stream", 100) }),
    ))
    .await;

    let verdict = checker().check(&site.url("/download"), "image").await;

    assert_problem(&verdict, LinkProblem::UnknownKind);
    assert!(
        verdict.message.contains("can't tell"),
        "{}",
        verdict.message
    );
    assert_eq!(verdict.size_bytes, Some(100));
}

#[tokio::test]
async fn a_redirect_loop_stops() {
    let site = Site::serve(
        Router::new()
            .route("/a", get(|| async { redirect("/b") }))
            .route("/b", get(|| async { redirect("/a") })),
    )
    .await;

    let verdict = checker().check(&site.url("/a"), "image").await;

    assert_problem(&verdict, LinkProblem::TooManyRedirects);
    assert!(verdict.message.contains("circle"), "{}", verdict.message);
    assert_eq!(site.paths(), ["/a", "/b"]);
}

#[tokio::test]
async fn an_endless_chain_of_redirects_stops_after_five() {
    async fn next(axum::extract::Path(n): axum::extract::Path<u32>) -> Response {
        redirect(&format!("/hop/{}", n + 1))
    }
    let site = Site::serve(Router::new().route("/hop/{n}", get(next))).await;

    let verdict = checker().check(&site.url("/hop/0"), "image").await;

    assert_problem(&verdict, LinkProblem::TooManyRedirects);
    assert!(
        verdict.message.contains("more than 5"),
        "{}",
        verdict.message
    );
    // The link itself and five redirects.
    assert_eq!(site.seen().len(), 6, "{:?}", site.paths());
}

#[tokio::test]
async fn a_slow_server_times_out_in_seconds() {
    let site = Site::serve(Router::new().route(
        "/slow.png",
        get(|| async {
            tokio::time::sleep(Duration::from_secs(30)).await;
            file("image/png", 10)
        }),
    ))
    .await;
    let impatient = checker().with_timeouts(Duration::from_millis(300), Duration::from_millis(700));

    let started = Instant::now();
    let verdict = impatient.check(&site.url("/slow.png"), "image").await;

    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_problem(&verdict, LinkProblem::Unreachable);
    assert!(
        verdict.message.contains("didn't answer within 0.7 seconds"),
        "{}",
        verdict.message
    );
    assert_eq!(verdict.final_url, Some(site.url("/slow.png")));
}

#[tokio::test]
async fn a_port_nobody_listens_on_is_unreachable() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);

    let verdict = checker()
        .check(&format!("http://{address}/a.png"), "image")
        .await;

    assert_problem(&verdict, LinkProblem::Unreachable);
    assert!(
        verdict.message.contains("couldn't connect"),
        "{}",
        verdict.message
    );
}

#[tokio::test]
async fn a_name_that_does_not_exist_is_unreachable() {
    // `.invalid` never resolves (RFC 2606); whether the lookup fails at once or hangs on
    // a machine without DNS, the verdict is the same and comes in time.
    let quick = LinkChecker::new().with_timeouts(Duration::from_secs(1), Duration::from_secs(2));
    let started = Instant::now();

    let verdict = quick
        .check("https://no-such-host.invalid/a.png", "image")
        .await;

    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_problem(&verdict, LinkProblem::Unreachable);
}

#[tokio::test]
async fn an_endless_body_is_not_read_past_the_cap() {
    // A raw server, to count every byte it manages to push: HEAD is refused, and GET
    // ignores the range and sends a never-ending "image".
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/huge.png", listener.local_addr().unwrap());
    let (sent_tx, sent_rx) = tokio::sync::oneshot::channel::<u64>();
    tokio::spawn(async move {
        let mut sent_tx = Some(sent_tx);
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let mut request = Vec::new();
            let mut buf = [0u8; 1024];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buf[..n]),
                }
            }
            if request.starts_with(b"HEAD") {
                let _ = stream
                    .write_all(b"HTTP/1.1 405 Method Not Allowed\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                    .await;
                continue;
            }
            let _ = stream
                .write_all(
                    b"HTTP/1.1 200 OK\r\ncontent-type: image/png\r\nconnection: close\r\n\r\n",
                )
                .await;
            let chunk = vec![0u8; 64 * 1024];
            let mut sent = 0u64;
            while stream.write_all(&chunk).await.is_ok() {
                sent += chunk.len() as u64;
            }
            if let Some(tx) = sent_tx.take() {
                let _ = tx.send(sent);
            }
        }
    });
    let checker = checker().with_timeouts(Duration::from_secs(2), Duration::from_secs(3));

    let started = Instant::now();
    let verdict = checker.check(&url, "image").await;

    assert!(verdict.ok, "{verdict:?}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    // The server stops once the checker hangs up; what it pushed by then fits in the
    // socket buffers, nowhere near what it would send to a reader.
    let sent = tokio::time::timeout(Duration::from_secs(2), sent_rx)
        .await
        .expect("the checker hung up")
        .unwrap();
    assert!(sent < 32 * 1024 * 1024, "{sent} bytes sent");
}

#[tokio::test]
async fn the_check_never_sends_cookies_or_authorization() {
    let listener_port = Arc::new(Mutex::new(String::new()));
    let port = listener_port.clone();
    let site = Site::serve(
        Router::new()
            .route(
                "/start",
                get(move || {
                    let port = port.lock().unwrap().clone();
                    async move {
                        (
                            StatusCode::FOUND,
                            [
                                (header::SET_COOKIE, "session=abc; Path=/".to_owned()),
                                (
                                    header::LOCATION,
                                    format!("http://u:p@127.0.0.1:{port}/art.png"),
                                ),
                            ],
                        )
                    }
                }),
            )
            .route("/art.png", get(|| async { file("image/png", 10) })),
    )
    .await;
    *listener_port.lock().unwrap() = site.base.rsplit(':').next().unwrap().to_owned();
    let link = site.url("/start").replace("http://", "http://ana:secret@");

    let verdict = checker().check(&link, "image").await;

    assert!(verdict.ok, "{verdict:?}");
    assert!(
        verdict.message.contains("user name or password"),
        "{}",
        verdict.message
    );
    let seen = site.seen();
    assert_eq!(seen.len(), 2, "{seen:?}");
    for request in &seen {
        assert!(request.headers.get(header::COOKIE).is_none(), "{request:?}");
        assert!(
            request.headers.get(header::AUTHORIZATION).is_none(),
            "{request:?}"
        );
        assert!(
            request.headers.get(header::REFERER).is_none(),
            "{request:?}"
        );
        let agent = request.headers[header::USER_AGENT].to_str().unwrap();
        assert!(
            agent.starts_with("atelier-desk/") && agent.ends_with(" link-check"),
            "{agent}"
        );
    }
}

#[tokio::test]
async fn ftp_and_file_links_are_not_web_links() {
    let app_checker = LinkChecker::new();

    for (link, problem) in [
        ("ftp://files.example.com/art.png", LinkProblem::NotAWebLink),
        ("mailto:ana@example.com", LinkProblem::NotAWebLink),
        ("files.example.com/art.png", LinkProblem::NotAWebLink),
        ("file:///home/ana/art.png", LinkProblem::OnlyThisComputer),
    ] {
        let verdict = app_checker.check(link, "image").await;
        assert_problem(&verdict, problem);
        assert_eq!(verdict.final_url, None, "{link}");
    }
}
