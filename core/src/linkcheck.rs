//! "Check the link before delivering": from the creator's own machine, ask the server behind
//! a deliverable URL for its headers and say, in plain words, whether the client will see
//! the promised image or video.
//!
//! This never goes through the Atelier API and never carries the Atelier key: the point is
//! to see the link the way a stranger's browser will. The verdict is advisory; the creator
//! may deliver anyway.
//!
//! What a check may cost is bounded: at most [`MAX_REDIRECTS`] redirects, two requests per
//! hop (HEAD, then a one-byte ranged GET when HEAD is refused), no response body is read at
//! all, and the whole check, name lookups included, has one deadline.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use reqwest::header::{
    HeaderMap, ACCEPT, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, LOCATION, RANGE,
};
use reqwest::StatusCode;
use serde::Serialize;
use url::{Host, Url};

/// Sent with every check, so a hosting service can tell the check apart from a browser.
pub const USER_AGENT: &str = concat!("atelier-desk/", env!("CARGO_PKG_VERSION"), " link-check");

/// Redirects followed before giving up. Browsers allow about 20, but a deliverable link
/// that needs more than a handful is already fragile, and each hop costs the creator time.
pub const MAX_REDIRECTS: usize = 5;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const TOTAL_TIMEOUT: Duration = Duration::from_secs(10);

/// Longest piece of a server's answer (a content type, a host name) repeated in a message.
const MAX_SHOWN_CHARS: usize = 80;
/// Longest `final_url` returned: it is for display, and a hostile Location may be huge.
const MAX_URL_CHARS: usize = 2000;

/// Words that, as a path segment (before any extension) or as the first label of the host,
/// mark a redirect target as a sign-in page. Small on purpose: a false "needs sign-in"
/// on a working link is worse than a missed one, which the 401/403 rule often catches.
const LOGIN_WORDS: [&str; 10] = [
    "login", "log-in", "signin", "sign-in", "sign_in", "auth", "oauth", "oauth2", "sso", "session",
];

/// Sign-in hosts whose first label is too common a word to be in [`LOGIN_WORDS`].
/// (Microsoft's `login.microsoftonline.com` and `login.live.com` are caught by "login".)
const LOGIN_HOSTS: [&str; 1] = ["accounts.google.com"];

/// Name suffixes that only mean something on the creator's own network: RFC 6761
/// `localhost`, mDNS `.local`, RFC 8375 `home.arpa`, ICANN's private-use `.internal`, and
/// `.lan`, which home routers hand out though no public registry has it.
const LOCAL_SUFFIXES: [&str; 5] = ["localhost", "local", "home.arpa", "internal", "lan"];

/// What the creator says they are delivering, as the order form names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Promised {
    Image,
    Video,
    /// A media type the check does not know: any image or video passes.
    Either,
}

impl Promised {
    fn parse(media_type: &str) -> Promised {
        match media_type.trim().to_ascii_lowercase().as_str() {
            "image" => Promised::Image,
            "video" => Promised::Video,
            _ => Promised::Either,
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Promised::Image => "image",
            Promised::Video => "video",
            Promised::Either => "image or video",
        }
    }

    fn a_noun(self) -> &'static str {
        match self {
            Promised::Image => "an image",
            Promised::Video => "a video",
            Promised::Either => "an image or video",
        }
    }

    /// What a browser asks for when it shows this kind of media in a page, so a server
    /// that negotiates (WebP for some, PNG for others) answers the check as it would the
    /// client.
    fn accept(self) -> &'static str {
        match self {
            Promised::Image => "image/avif,image/webp,image/png,image/*,*/*;q=0.8",
            Promised::Video | Promised::Either => "*/*",
        }
    }
}

/// Why the client would not see what was promised. Serialised in snake_case for the UI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkProblem {
    /// Not an http(s) link at all, or not a complete one.
    NotAWebLink,
    /// A `file:` link, or an address on this computer or the local network.
    OnlyThisComputer,
    /// No server found, no connection, or no answer in time.
    Unreachable,
    /// 404 or 410.
    NotFound,
    /// 5xx.
    ServerError,
    /// 401, 403, or a redirect to a sign-in page.
    NeedsSignIn,
    /// An HTML page where an image or video was promised (a cloud drive's share page).
    WebPageNotMedia,
    /// A video where an image was promised, or the other way round, or some other type.
    WrongKind,
    /// The server does not say what the file is (`application/octet-stream` or nothing):
    /// a mild warning, since it may well be fine; a browser may download it, not show it.
    UnknownKind,
    /// The server says the file is empty.
    EmptyFile,
    /// More than [`MAX_REDIRECTS`] redirects, or a redirect loop.
    TooManyRedirects,
    /// Any other answer (a 429, a 3xx without a target, an odd status).
    Unexpected,
}

/// The outcome of one check. `ok` is true only when nothing was found that would stop the
/// client from seeing the promised media; `problem` is then `None`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LinkVerdict {
    pub ok: bool,
    pub problem: Option<LinkProblem>,
    /// What the client would experience and what to do, in words for a non-technical creator.
    pub message: String,
    /// The media type the server gave (lowercase, without parameters), when it gave one.
    pub content_type: Option<String>,
    /// From Content-Length, or the total in a ranged answer's Content-Range.
    pub size_bytes: Option<u64>,
    /// The last address asked, after redirects; `None` when no request was made.
    pub final_url: Option<String>,
}

impl LinkVerdict {
    fn problem(problem: LinkProblem, message: String) -> LinkVerdict {
        LinkVerdict {
            ok: false,
            problem: Some(problem),
            message,
            content_type: None,
            size_bytes: None,
            final_url: None,
        }
    }

    fn at(mut self, url: &Url) -> LinkVerdict {
        self.final_url = Some(shown(url.as_str(), MAX_URL_CHARS));
        self
    }
}

/// Checks deliverable links. Cheap to clone; clones share one connection pool.
#[derive(Clone)]
pub struct LinkChecker {
    /// `None` when the HTTP client could not be built (no TLS roots, say): every check then
    /// says so instead of panicking.
    http: Option<reqwest::Client>,
    allow_local: bool,
    total: Duration,
}

impl std::fmt::Debug for LinkChecker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinkChecker")
            .field("allow_local", &self.allow_local)
            .field("total", &self.total)
            .finish()
    }
}

impl Default for LinkChecker {
    fn default() -> LinkChecker {
        LinkChecker::new()
    }
}

impl LinkChecker {
    /// The checker the app uses: links to this computer or the local network are refused
    /// without a request, since the client could never open them.
    pub fn new() -> LinkChecker {
        LinkChecker::build(false, CONNECT_TIMEOUT, TOTAL_TIMEOUT)
    }

    /// A checker that asks local addresses too, for tests against a server on loopback.
    pub fn allowing_local() -> LinkChecker {
        LinkChecker::build(true, CONNECT_TIMEOUT, TOTAL_TIMEOUT)
    }

    /// The same checker with other limits on connecting and on the whole check.
    pub fn with_timeouts(self, connect: Duration, total: Duration) -> LinkChecker {
        LinkChecker::build(self.allow_local, connect, total)
    }

    fn build(allow_local: bool, connect: Duration, total: Duration) -> LinkChecker {
        // Redirects are followed by hand so each hop can be judged (a sign-in page, a
        // local address) before it is asked. No cookie store is enabled, so none is kept
        // or sent: the client arrives without the creator's sessions, and so must the check.
        let http = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .redirect(reqwest::redirect::Policy::none())
            .referer(false)
            .connect_timeout(connect)
            .timeout(total)
            .build()
            .ok();
        LinkChecker {
            http,
            allow_local,
            total,
        }
    }

    /// Checks that `url` will show the client the `media_type` ("image" or "video")
    /// promised. Never fails: every outcome, network trouble included, is a verdict.
    pub async fn check(&self, url: &str, media_type: &str) -> LinkVerdict {
        let promised = Promised::parse(media_type);
        let (start, had_credentials) = match self.first_hop(url) {
            Ok(start) => start,
            Err(verdict) => return verdict,
        };
        let Some(http) = &self.http else {
            return LinkVerdict::problem(
                LinkProblem::Unexpected,
                "Atelier Desk couldn't start the check on this computer. You can still \
                 open the link in a private browser window to check it yourself."
                    .to_owned(),
            );
        };
        let mut last = start.clone();
        let followed =
            tokio::time::timeout(self.total, self.follow(http, start, promised, &mut last)).await;
        let mut verdict = match followed {
            Ok(verdict) => verdict,
            Err(_) => no_answer_in(self.total).at(&last),
        };
        if had_credentials {
            verdict.message.push_str(
                " Note: the link has a user name or password in it. The check left them \
                 out; many browsers refuse such links or warn about them, and the client \
                 would see them.",
            );
        }
        verdict
    }

    /// Parses the pasted link and refuses, without a request, what no stranger could open.
    /// Returns the link without any `user:password@`, and whether it had one.
    fn first_hop(&self, input: &str) -> Result<(Url, bool), LinkVerdict> {
        let input = input.trim();
        let mut url = match Url::parse(input) {
            Ok(url) => url,
            Err(url::ParseError::RelativeUrlWithoutBase) => {
                return Err(LinkVerdict::problem(
                    LinkProblem::NotAWebLink,
                    "This isn't a complete web link: it should start with https://. Copy \
                     the whole address from your browser's address bar."
                        .to_owned(),
                ))
            }
            Err(_) => {
                return Err(LinkVerdict::problem(
                    LinkProblem::NotAWebLink,
                    "This isn't a valid web link. Copy the whole address from your \
                     browser's address bar, starting with https://."
                        .to_owned(),
                ))
            }
        };
        match url.scheme() {
            "http" | "https" => {}
            "file" => {
                return Err(LinkVerdict::problem(
                    LinkProblem::OnlyThisComputer,
                    "This link points to a file on this computer; the client can't open it. \
                     Upload the file and use the https:// link you get."
                        .to_owned(),
                ))
            }
            other => {
                return Err(LinkVerdict::problem(
                    LinkProblem::NotAWebLink,
                    format!(
                        "This is a “{}:” link, not a web link, so the client's browser can't \
                         open it. Upload the file somewhere that gives an https:// link.",
                        shown(other, MAX_SHOWN_CHARS)
                    ),
                ))
            }
        }
        if !self.allow_local {
            if let Some(host) = local_host(&url) {
                return Err(LinkVerdict::problem(
                    LinkProblem::OnlyThisComputer,
                    format!(
                        "This link points to this computer or your local network ({host}); \
                         the client can't open it from elsewhere. Upload the file somewhere \
                         public and use that link."
                    ),
                ));
            }
        }
        let had_credentials = strip_credentials(&mut url);
        Ok((url, had_credentials))
    }

    /// Asks each hop in turn until an answer that is not a redirect, judging every
    /// redirect target before asking it. `last` is kept up to date so a timeout can still
    /// say where the check got to.
    async fn follow(
        &self,
        http: &reqwest::Client,
        start: Url,
        promised: Promised,
        last: &mut Url,
    ) -> LinkVerdict {
        let mut url = start;
        let mut visited: Vec<Url> = Vec::new();
        loop {
            *last = url.clone();
            if !self.allow_local {
                if let Some(verdict) = resolves_only_locally(&url).await {
                    return verdict.at(&url);
                }
            }
            let response = match ask(http, &url, promised).await {
                Ok(response) => response,
                Err(err) => return unreachable(&err, &url, self.total).at(&url),
            };
            let status = response.status();
            if !is_redirect(status) {
                return judge(status, response.headers(), promised).at(&url);
            }
            let next = match redirect_target(response.headers(), &url) {
                Ok(next) => next,
                Err(verdict) => return verdict.at(&url),
            };
            if let Some(verdict) = self.judge_redirect(&next) {
                return verdict.at(&url);
            }
            visited.push(url);
            if visited.contains(&next) {
                return LinkVerdict::problem(
                    LinkProblem::TooManyRedirects,
                    "The link forwards in a circle and never reaches a file; the client's \
                     browser would show “too many redirects”. Use the direct link to the file."
                        .to_owned(),
                )
                .at(&next);
            }
            if visited.len() > MAX_REDIRECTS {
                return LinkVerdict::problem(
                    LinkProblem::TooManyRedirects,
                    format!(
                        "The link forwards more than {MAX_REDIRECTS} times without reaching a \
                         file; the client's browser may give up. Use the direct link to the file."
                    ),
                )
                .at(&next);
            }
            url = next;
        }
    }

    /// A redirect target is refused before it is asked when no stranger could follow it.
    fn judge_redirect(&self, next: &Url) -> Option<LinkVerdict> {
        if !matches!(next.scheme(), "http" | "https") {
            return Some(LinkVerdict::problem(
                LinkProblem::NotAWebLink,
                format!(
                    "The link forwards to a “{}:” address, not a web page, so the client's \
                     browser can't open it. Use a direct https:// link to the file.",
                    shown(next.scheme(), MAX_SHOWN_CHARS)
                ),
            ));
        }
        if looks_like_sign_in(next) {
            let host = shown(next.host_str().unwrap_or_default(), MAX_SHOWN_CHARS);
            return Some(LinkVerdict::problem(
                LinkProblem::NeedsSignIn,
                format!(
                    "The link sends the client to a sign-in page ({host}): the file isn't \
                     shared publicly. Make it public (“anyone with the link”) and check again."
                ),
            ));
        }
        if !self.allow_local {
            if let Some(host) = local_host(next) {
                return Some(LinkVerdict::problem(
                    LinkProblem::OnlyThisComputer,
                    format!(
                        "The link forwards to an address on this computer or your local \
                         network ({host}); the client can't open it from elsewhere. Upload \
                         the file somewhere public and use that link."
                    ),
                ));
            }
        }
        None
    }
}

/// HEAD first; a server that refuses HEAD is asked for one byte with GET instead. 403 is in
/// the list because signed links (S3, Google Cloud Storage, R2) are signed for one method,
/// so a GET link answers HEAD with 403 while working in every browser.
async fn ask(
    http: &reqwest::Client,
    url: &Url,
    promised: Promised,
) -> Result<reqwest::Response, reqwest::Error> {
    let head = http
        .head(url.clone())
        .header(ACCEPT, promised.accept())
        .send()
        .await?;
    if !matches!(
        head.status(),
        StatusCode::METHOD_NOT_ALLOWED | StatusCode::NOT_IMPLEMENTED | StatusCode::FORBIDDEN
    ) {
        return Ok(head);
    }
    // The body is never read: the headers hold everything judged, and dropping the
    // response closes the connection, so a server that ignores the range and sends the
    // whole file (or an endless one) costs no more than what sits in the socket buffers.
    http.get(url.clone())
        .header(ACCEPT, promised.accept())
        .header(RANGE, "bytes=0-0")
        .send()
        .await
}

fn is_redirect(status: StatusCode) -> bool {
    matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308)
}

/// Where a redirect leads, relative to the current hop, without any `user:password@`
/// (reqwest would turn those into an Authorization header).
fn redirect_target(headers: &HeaderMap, current: &Url) -> Result<Url, LinkVerdict> {
    let forwards_nowhere = || {
        LinkVerdict::problem(
            LinkProblem::Unexpected,
            "The server forwards the link somewhere it doesn't name, so the client would \
             likely see an error. Use the direct link to the file."
                .to_owned(),
        )
    };
    let Some(location) = headers.get(LOCATION) else {
        return Err(forwards_nowhere());
    };
    let location = String::from_utf8_lossy(location.as_bytes());
    let Ok(mut next) = current.join(location.trim()) else {
        return Err(forwards_nowhere());
    };
    strip_credentials(&mut next);
    Ok(next)
}

/// Turns the final answer into a verdict.
fn judge(status: StatusCode, headers: &HeaderMap, promised: Promised) -> LinkVerdict {
    let code = status.as_u16();
    let mut verdict = match code {
        401 | 403 => LinkVerdict::problem(
            LinkProblem::NeedsSignIn,
            format!(
                "The client would be asked to sign in, or be refused ({code}): the file isn't \
                 shared publicly. Make it public (“anyone with the link”) and check again."
            ),
        ),
        404 | 410 => LinkVerdict::problem(
            LinkProblem::NotFound,
            format!(
                "The client would see “not found” ({code}). Check the link is public and complete."
            ),
        ),
        416 if range_total(headers) == Some(0) => empty_file(),
        500..=599 => LinkVerdict::problem(
            LinkProblem::ServerError,
            format!(
                "The server hosting the file had an error ({code}), so the client would see an \
                 error page. Try again in a while, or host the file elsewhere."
            ),
        ),
        204 | 205 => empty_file(),
        200..=299 => judge_content(status, headers, promised),
        _ => LinkVerdict::problem(
            LinkProblem::Unexpected,
            format!(
                "The server gave an unusual answer ({code}), so the client may not see the \
                 file. Open the link in a private browser window to check."
            ),
        ),
    };
    if (200..300).contains(&code) {
        verdict.content_type = media_type_of(headers).map(|t| shown(&t, MAX_SHOWN_CHARS));
        verdict.size_bytes = size_of(status, headers);
    }
    verdict
}

/// What kind of thing a content type names, as far as a deliverable goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Image,
    Video,
    WebPage,
    /// Missing, empty, or a generic binary type: the server isn't saying.
    Unknown,
    Other,
}

fn kind_of(media_type: Option<&str>) -> Kind {
    let Some(media_type) = media_type else {
        return Kind::Unknown;
    };
    match media_type {
        "" | "application/octet-stream" | "binary/octet-stream" | "application/binary" => {
            Kind::Unknown
        }
        "text/html" | "application/xhtml+xml" => Kind::WebPage,
        t if t.starts_with("image/") => Kind::Image,
        t if t.starts_with("video/") => Kind::Video,
        _ => Kind::Other,
    }
}

fn judge_content(status: StatusCode, headers: &HeaderMap, promised: Promised) -> LinkVerdict {
    let media_type = media_type_of(headers);
    let kind = kind_of(media_type.as_deref());
    let (noun, a_noun) = (promised.noun(), promised.a_noun());
    let size = size_of(status, headers);
    if size == Some(0) && matches!(kind, Kind::Image | Kind::Video | Kind::Unknown) {
        return empty_file();
    }
    match (kind, promised) {
        (Kind::Image, Promised::Image | Promised::Either)
        | (Kind::Video, Promised::Video | Promised::Either) => {
            let seen = if kind == Kind::Image {
                "image"
            } else {
                "video"
            };
            let size = size
                .map(|n| format!(" ({})", human_size(n)))
                .unwrap_or_default();
            LinkVerdict {
                ok: true,
                problem: None,
                message: format!("The link works: the client will see the {seen}{size}."),
                content_type: None,
                size_bytes: None,
                final_url: None,
            }
        }
        (Kind::Image, Promised::Video) => LinkVerdict::problem(
            LinkProblem::WrongKind,
            "The link serves an image, but you chose Video. Pick Image, or check that this \
             is the right link."
                .to_owned(),
        ),
        (Kind::Video, Promised::Image) => LinkVerdict::problem(
            LinkProblem::WrongKind,
            "The link serves a video, but you chose Image. Pick Video, or check that this \
             is the right link."
                .to_owned(),
        ),
        (Kind::WebPage, _) => LinkVerdict::problem(
            LinkProblem::WebPageNotMedia,
            format!(
                "The client would see a web page, not the {noun} itself. Share links from \
                 cloud drives often open a preview page: use the direct link to the file \
                 (often called “download link” or “copy image address”)."
            ),
        ),
        (Kind::Unknown, _) => LinkVerdict::problem(
            LinkProblem::UnknownKind,
            format!(
                "The server doesn't say what kind of file this is, so Atelier Desk can't tell \
                 whether it is {a_noun}. The client's browser may download it instead of \
                 showing it: open the link in a private browser window to check."
            ),
        ),
        (Kind::Other, _) => LinkVerdict::problem(
            LinkProblem::WrongKind,
            format!(
                "The link serves “{}”, not {a_noun}, so the client may get a download \
                 instead of seeing it. Link to the {noun} file itself.",
                shown(media_type.as_deref().unwrap_or_default(), MAX_SHOWN_CHARS)
            ),
        ),
    }
}

fn empty_file() -> LinkVerdict {
    LinkVerdict::problem(
        LinkProblem::EmptyFile,
        "The file at this link is empty (0 bytes), so the client would see nothing. The \
         upload may have failed: upload it again and check the new link."
            .to_owned(),
    )
}

fn no_answer_in(total: Duration) -> LinkVerdict {
    LinkVerdict::problem(
        LinkProblem::Unreachable,
        format!(
            "The server didn't answer within {}. The client would likely wait and see \
             nothing: try again, or check where the file is hosted.",
            seconds(total)
        ),
    )
}

fn unreachable(err: &reqwest::Error, url: &Url, total: Duration) -> LinkVerdict {
    if err.is_timeout() {
        return no_answer_in(total);
    }
    let host = shown(url.host_str().unwrap_or_default(), MAX_SHOWN_CHARS);
    LinkVerdict::problem(
        LinkProblem::Unreachable,
        format!(
            "Atelier Desk couldn't connect to {host}, and the client likely couldn't either. \
             Check the link, and that this computer is online."
        ),
    )
}

/// The media type without parameters, lowercased; `None` when absent or not plain text.
fn media_type_of(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(CONTENT_TYPE)?.to_str().ok()?;
    let essence = value.split(';').next().unwrap_or_default().trim();
    Some(essence.to_ascii_lowercase())
}

/// The file's full size: a ranged answer's total, else Content-Length.
fn size_of(status: StatusCode, headers: &HeaderMap) -> Option<u64> {
    if status == StatusCode::PARTIAL_CONTENT {
        return range_total(headers);
    }
    headers
        .get(CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// The total in `Content-Range: bytes 0-0/12345` (or `bytes */0` on a 416).
fn range_total(headers: &HeaderMap) -> Option<u64> {
    let value = headers.get(CONTENT_RANGE)?.to_str().ok()?;
    let (_, total) = value.rsplit_once('/')?;
    total.trim().parse().ok()
}

fn strip_credentials(url: &mut Url) -> bool {
    let had = !url.username().is_empty() || url.password().is_some();
    // Both only fail for URLs that cannot have credentials, which then have none.
    let _ = url.set_username("");
    let _ = url.set_password(None);
    had
}

fn looks_like_sign_in(url: &Url) -> bool {
    let host = url
        .host_str()
        .unwrap_or_default()
        .trim_end_matches('.')
        .to_ascii_lowercase();
    if LOGIN_HOSTS.contains(&host.as_str()) {
        return true;
    }
    let first_label = host.split('.').next().unwrap_or_default();
    if host.contains('.') && LOGIN_WORDS.contains(&first_label) {
        return true;
    }
    url.path_segments().is_some_and(|mut segments| {
        segments.any(|segment| {
            let stem = segment.split('.').next().unwrap_or_default();
            LOGIN_WORDS.contains(&stem.to_ascii_lowercase().as_str())
        })
    })
}

/// The host, shown, when the URL itself says it is only reachable from here: a private or
/// loopback IP literal, or a name that only a local network resolves.
fn local_host(url: &Url) -> Option<String> {
    let local = match url.host()? {
        Host::Ipv4(ip) => is_local_ip(IpAddr::V4(ip)),
        Host::Ipv6(ip) => is_local_ip(IpAddr::V6(ip)),
        Host::Domain(name) => is_local_name(name),
    };
    local.then(|| shown(url.host_str().unwrap_or_default(), MAX_SHOWN_CHARS))
}

fn is_local_name(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    // A bare name ("nas", "printer") is completed by this computer's search domains; no
    // stranger's browser can find it.
    if !name.contains('.') {
        return true;
    }
    LOCAL_SUFFIXES
        .iter()
        .any(|suffix| name == *suffix || name.ends_with(&format!(".{suffix}")))
}

/// Addresses a stranger on the internet cannot reach: loopback, RFC 1918 private, link-local,
/// unspecified, broadcast, the 100.64/10 shared range (carrier NAT, and where Tailscale puts
/// a creator's own devices), IPv6 unique-local, and IPv4-mapped forms of all these.
fn is_local_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => is_local_v4(ip),
        IpAddr::V6(ip) => is_local_v6(ip),
    }
}

fn is_local_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || (a == 100 && (64..128).contains(&b))
}

fn is_local_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_local_v4(v4);
    }
    let first = ip.segments()[0];
    ip.is_loopback()
        || ip.is_unspecified()
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
}

/// Looks the host name up and refuses it when every address is local (a name in the
/// creator's own DNS, a hosts-file entry). The request resolves the name again; that this
/// could differ does not matter here, because the check guards the client's view, not this
/// computer. A name that does not resolve at all is reported as unreachable.
async fn resolves_only_locally(url: &Url) -> Option<LinkVerdict> {
    let Some(Host::Domain(name)) = url.host() else {
        return None;
    };
    let port = url.port_or_known_default().unwrap_or(443);
    let shown_name = shown(name, MAX_SHOWN_CHARS);
    let addresses: Vec<IpAddr> = match tokio::net::lookup_host((name, port)).await {
        Ok(found) => found.map(|address| address.ip()).collect(),
        Err(_) => Vec::new(),
    };
    if addresses.is_empty() {
        return Some(LinkVerdict::problem(
            LinkProblem::Unreachable,
            format!(
                "Atelier Desk couldn't find the server {shown_name}. Check the link for typos, \
                 and that this computer is online."
            ),
        ));
    }
    addresses.into_iter().all(is_local_ip).then(|| {
        LinkVerdict::problem(
            LinkProblem::OnlyThisComputer,
            format!(
                "The address {shown_name} leads only to this computer or your local network; \
                 the client can't open it from elsewhere. Upload the file somewhere public and \
                 use that link."
            ),
        )
    })
}

/// Text from a server made safe to show: no control, bidi or zero-width characters (which
/// could reorder or hide the words around it), and at most `max_chars` characters.
fn shown(text: &str, max_chars: usize) -> String {
    let mut visible = text.chars().filter(|c| !is_hidden(*c));
    let mut out: String = visible.by_ref().take(max_chars).collect();
    if visible.next().is_some() {
        out.push('…');
    }
    out
}

fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}'
                | '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{2069}'
                | '\u{FEFF}'
        )
}

/// Sizes as a file manager shows them (decimal units).
fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if bytes < 1000 {
        return format!("{bytes} bytes");
    }
    let mut value = bytes as f64 / 1000.0;
    let mut unit = 0;
    while value >= 999.95 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

fn seconds(duration: Duration) -> String {
    let secs = duration.as_secs_f64();
    if duration.subsec_millis() == 0 {
        let whole = duration.as_secs();
        if whole == 1 {
            "1 second".to_owned()
        } else {
            format!("{whole} seconds")
        }
    } else {
        format!("{secs:.1} seconds")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn url(s: &str) -> Url {
        Url::parse(s).expect("test URL")
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).expect("test header"));
        }
        map
    }

    #[test]
    fn sign_in_pages_are_recognised_by_path_or_host() {
        for login in [
            "https://www.dropbox.com/login?cont=x",
            "https://example.com/users/sign_in",
            "https://example.com/Account/Login.aspx?ReturnUrl=%2Fa.png",
            "https://example.com/oauth2/authorize",
            "https://accounts.google.com/ServiceLogin?continue=x",
            "https://login.microsoftonline.com/common/oauth2",
            "https://sso.example.org/",
        ] {
            assert!(looks_like_sign_in(&url(login)), "{login}");
        }
        for file in [
            "https://cdn.example.com/art/final.png",
            "https://example.com/authors/ana/cover.png",
            "https://accounts.example.com/avatar.png",
            "https://example.com/loginbackground.jpg",
        ] {
            assert!(!looks_like_sign_in(&url(file)), "{file}");
        }
    }

    #[test]
    fn addresses_only_this_network_can_reach_are_local() {
        for local in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.9",
            "192.168.1.20",
            "169.254.1.1",
            "0.0.0.0",
            "100.101.102.103",
            "::1",
            "fd12:3456::1",
            "fe80::1",
            "::ffff:192.168.0.1",
        ] {
            let ip: IpAddr = local.parse().expect("test IP");
            assert!(is_local_ip(ip), "{local}");
        }
        for public in [
            "93.184.216.34",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700::1111",
        ] {
            let ip: IpAddr = public.parse().expect("test IP");
            assert!(!is_local_ip(ip), "{public}");
        }
    }

    #[test]
    fn local_names_and_literals_are_caught_from_the_url_alone() {
        for local in [
            "http://localhost:8080/a.png",
            "http://LOCALHOST./a.png",
            "http://app.localhost/a.png",
            "http://nas.local/a.png",
            "http://printer/a.png",
            "http://router.home.arpa/a.png",
            "http://[::1]/a.png",
            "http://2130706433/a.png",
            "http://[::ffff:127.0.0.1]/a.png",
        ] {
            assert!(local_host(&url(local)).is_some(), "{local}");
        }
        assert_eq!(local_host(&url("https://cdn.example.com/a.png")), None);
        assert_eq!(local_host(&url("https://8.8.8.8/a.png")), None);
    }

    #[test]
    fn content_types_are_sorted_by_what_the_client_would_see() {
        assert_eq!(kind_of(Some("image/png")), Kind::Image);
        assert_eq!(kind_of(Some("video/mp4")), Kind::Video);
        assert_eq!(kind_of(Some("text/html")), Kind::WebPage);
        assert_eq!(kind_of(Some("application/xhtml+xml")), Kind::WebPage);
        assert_eq!(kind_of(Some("application/octet-stream")), Kind::Unknown);
        assert_eq!(kind_of(None), Kind::Unknown);
        assert_eq!(kind_of(Some("application/pdf")), Kind::Other);
        let h = headers(&[("content-type", "Text/HTML; charset=utf-8")]);
        assert_eq!(media_type_of(&h).as_deref(), Some("text/html"));
    }

    #[test]
    fn the_size_comes_from_the_range_total_or_the_length() {
        let ranged = headers(&[
            ("content-range", "bytes 0-0/123456"),
            ("content-length", "1"),
        ]);
        assert_eq!(size_of(StatusCode::PARTIAL_CONTENT, &ranged), Some(123_456));
        let whole = headers(&[("content-length", "2048")]);
        assert_eq!(size_of(StatusCode::OK, &whole), Some(2048));
        let unknown = headers(&[("content-range", "bytes 0-0/*")]);
        assert_eq!(size_of(StatusCode::PARTIAL_CONTENT, &unknown), None);
        assert_eq!(human_size(999), "999 bytes");
        assert_eq!(human_size(1_260_000), "1.3 MB");
        assert_eq!(human_size(999_999), "1.0 MB");
    }

    #[test]
    fn an_empty_file_is_said_plainly() {
        let h = headers(&[("content-type", "image/png"), ("content-length", "0")]);
        let verdict = judge(StatusCode::OK, &h, Promised::Image);
        assert_eq!(verdict.problem, Some(LinkProblem::EmptyFile));
        let h = headers(&[("content-range", "bytes */0")]);
        let verdict = judge(StatusCode::RANGE_NOT_SATISFIABLE, &h, Promised::Image);
        assert_eq!(verdict.problem, Some(LinkProblem::EmptyFile));
    }

    #[test]
    fn hostile_header_text_is_cut_and_cleaned() {
        let evil = format!("image/\u{202E}gnp\u{0007}\n{}", "x".repeat(500));
        let clean = shown(&evil, MAX_SHOWN_CHARS);
        assert!(!clean.contains('\u{202E}') && !clean.contains('\n') && !clean.contains('\u{7}'));
        assert_eq!(clean.chars().count(), MAX_SHOWN_CHARS + 1);
        assert!(clean.starts_with("image/gnp") && clean.ends_with('…'));
    }

    #[test]
    fn an_unusual_content_type_is_echoed_short() {
        let long = format!("application/{}", "z".repeat(300));
        let h = headers(&[("content-type", &long)]);
        let verdict = judge(StatusCode::OK, &h, Promised::Video);
        assert_eq!(verdict.problem, Some(LinkProblem::WrongKind));
        assert!(verdict.message.len() < 400, "{}", verdict.message);
        assert!(
            verdict.message.contains("not a video"),
            "{}",
            verdict.message
        );
    }

    #[test]
    fn redirects_to_other_schemes_or_local_hosts_are_judged_before_asking() {
        let checker = LinkChecker::new();
        let to_ftp = checker.judge_redirect(&url("ftp://files.example.com/a.png"));
        assert_eq!(
            to_ftp.map(|v| v.problem),
            Some(Some(LinkProblem::NotAWebLink))
        );
        let to_lan = checker.judge_redirect(&url("http://192.168.1.5/a.png"));
        assert_eq!(
            to_lan.map(|v| v.problem),
            Some(Some(LinkProblem::OnlyThisComputer))
        );
        assert_eq!(
            checker.judge_redirect(&url("https://cdn.example.com/a.png")),
            None
        );
        let relaxed = LinkChecker::allowing_local();
        assert_eq!(
            relaxed.judge_redirect(&url("http://192.168.1.5/a.png")),
            None
        );
    }

    #[test]
    fn credentials_in_a_link_are_taken_out_before_any_request() {
        let checker = LinkChecker::allowing_local();
        let (clean, had) = checker
            .first_hop(" https://ana:secret@cdn.example.com/a.png ")
            .expect("a web link");
        assert!(had);
        assert_eq!(clean.as_str(), "https://cdn.example.com/a.png");
        let mut next = redirect_target(
            &headers(&[("location", "http://u:p@cdn.example.com/b.png")]),
            &clean,
        )
        .expect("a target");
        assert_eq!(next.as_str(), "http://cdn.example.com/b.png");
        assert!(!strip_credentials(&mut next));
    }

    #[test]
    fn a_link_without_a_scheme_is_incomplete() {
        let verdict = LinkChecker::new()
            .first_hop("cdn.example.com/a.png")
            .expect_err("not a web link");
        assert_eq!(verdict.problem, Some(LinkProblem::NotAWebLink));
        assert!(verdict.message.contains("https://"));
    }

    #[test]
    fn problems_reach_the_ui_in_snake_case() {
        let json = serde_json::to_value(LinkProblem::OnlyThisComputer).expect("serialises");
        assert_eq!(json, "only_this_computer");
    }
}
