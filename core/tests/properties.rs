//! Properties that must hold for any input, checked on random ones (proptest, 256 cases
//! each): whatever a server sends — any bytes, any JSON, any status and headers — the
//! decoders and the client end in a value or a clear error, never a panic; money and
//! times read back what was written; validation takes any string a creator can type.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime};

use atelier_core::alerts::for_new_orders;
use atelier_core::base_url::BaseUrl;
use atelier_core::client::AtelierClient;
use atelier_core::error::{field_named_in, parse_rate_limit_reset, parse_retry_after, ApiError};
use atelier_core::models::{
    is_masked_key, mask_key, AgentProfile, Deactivated, Delivery, NewAgent, NewService, Order,
    OrderStatus, Patch, ProfileUpdate, Service, ServiceUpdate, Timestamp, Usd,
};
use atelier_core::{forms, validate};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

const TWO_HOURS: u64 = 7200;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        // A failure is reported with its smallest input; no files written beside the tests.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// --- Inputs ------------------------------------------------------------------------------

/// Any text, weighted towards what breaks parsers: digits, signs, separators, spaces,
/// multi-byte and invisible characters, as well as anything at all.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[0-9.+$ -]{0,24}",
        "[\\PC]{0,40}",
        "[ \\t\\n\\u{202E}\\u{200B}\\u{2066}\\u{FEFF}a-z0-9:TZ.<>&\"'-]{0,40}",
        Just(String::new()),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        text().prop_map(Value::from),
        // Arrays as the server stores them: JSON in a string.
        prop::collection::vec(text(), 0..4)
            .prop_map(|items| Value::from(serde_json::to_string(&items).unwrap())),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{0,12}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Every field name the models read, so random objects hit the real decoders.
const FIELDS: [&str; 34] = [
    "id",
    "agent_id",
    "service_id",
    "service_title",
    "client_wallet",
    "brief",
    "status",
    "quoted_price_usd",
    "platform_fee_usd",
    "created_at",
    "deliverable_url",
    "deliverable_media_type",
    "delivered_at",
    "review_deadline",
    "category",
    "title",
    "description",
    "price_usd",
    "price_type",
    "turnaround_hours",
    "deliverables",
    "demo_url",
    "active",
    "total_orders",
    "name",
    "avatar_url",
    "endpoint_url",
    "capabilities",
    "api_key",
    "verified",
    "completed_orders",
    "avg_rating",
    "owner_wallet",
    "payout_wallet",
];

/// An object with the models' field names and any values; `id` and `status` always there.
fn shaped_object() -> impl Strategy<Value = Value> {
    (
        json_value(),
        json_value(),
        prop::collection::vec((prop::sample::select(FIELDS.to_vec()), json_value()), 0..20),
    )
        .prop_map(|(id, status, fields)| {
            let mut object = Map::new();
            for (name, value) in fields {
                object.insert(name.to_owned(), value);
            }
            object.insert("id".into(), id);
            object.insert("status".into(), status);
            Value::Object(object)
        })
}

// --- Decoding what the server sends ----------------------------------------------------

/// Decodes `bytes` as every model and list of models; the outcome does not matter.
fn decode_all(bytes: &[u8]) {
    let _ = serde_json::from_slice::<Order>(bytes);
    let _ = serde_json::from_slice::<Vec<Order>>(bytes);
    let _ = serde_json::from_slice::<Service>(bytes);
    let _ = serde_json::from_slice::<Vec<Service>>(bytes);
    let _ = serde_json::from_slice::<AgentProfile>(bytes);
    let _ = serde_json::from_slice::<Deactivated>(bytes);
    let _ = serde_json::from_slice::<OrderStatus>(bytes);
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_bytes_into_every_model_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        decode_all(&bytes);
    }

    #[test]
    fn any_json_into_every_model_never_panics(value in json_value()) {
        decode_all(value.to_string().as_bytes());
        decode_all(json!([value]).to_string().as_bytes());
    }

    /// One strange field must not hide a paid order: with an id and a status present,
    /// whatever the other fields hold, an order, a service and a profile decode.
    #[test]
    fn any_values_in_the_known_fields_still_decode(object in shaped_object()) {
        let bytes = object.to_string();
        let order: Result<Order, _> = serde_json::from_str(&bytes);
        prop_assert!(order.is_ok(), "{:?}", order.err());
        let service: Result<Service, _> = serde_json::from_str(&bytes);
        prop_assert!(service.is_ok(), "{:?}", service.err());
        let profile: Result<AgentProfile, _> = serde_json::from_str(&bytes);
        prop_assert!(profile.is_ok(), "{:?}", profile.err());
        let order = order.unwrap();
        // What the inbox and the notifications do with a decoded order.
        let _ = serde_json::to_string(&order).unwrap();
        let _ = order.quoted_price_usd.as_ref().map(|p| (p.display(), p.cents()));
        let _ = for_new_orders(std::slice::from_ref(&order));
        // A key-like value is never kept as it came.
        let key = profile.unwrap().api_key_hint;
        prop_assert!(key.as_deref().is_none_or(is_masked_key_shape), "{:?}", key);
    }

    /// The whole way an answer takes in the app: status, headers and body from a server
    /// on loopback through the real client into every call's model. Ends in a value or
    /// an error with a stable code; a 429 never asks for more than two hours.
    #[test]
    fn any_answer_through_the_real_client_ends_in_a_value_or_a_clear_error(
        status in prop_oneof![Just(200u16), Just(201), Just(400), Just(401), Just(404),
                              Just(409), Just(429), Just(500), 200u16..600],
        retry_after in prop::option::of(text()),
        reset in prop::option::of(text()),
        date in prop::option::of(text()),
        body in prop_oneof![
            json_value().prop_map(|v| v.to_string().into_bytes()),
            (any::<bool>(), json_value(), prop::option::of(text())).prop_map(|(ok, data, error)| {
                json!({"success": ok, "data": data, "error": error}).to_string().into_bytes()
            }),
            shaped_object().prop_map(|o| json!({"success": true, "data": [o]}).to_string().into_bytes()),
            shaped_object().prop_map(|o| json!({"success": true, "data": o}).to_string().into_bytes()),
            prop::collection::vec(any::<u8>(), 0..256),
        ],
    ) {
        let mut headers = Vec::new();
        for (name, value) in [("retry-after", retry_after), ("x-ratelimit-reset", reset), ("date", date)] {
            if let Some(value) = value {
                headers.push((name, value));
            }
        }
        for (call, outcome) in stage().answer_all(Answer { status, headers, body }) {
            if let Err(code) = &outcome {
                prop_assert!(CODES.contains(&code.0), "{call}: {code:?}");
                prop_assert!(code.1.is_none_or(|s| s <= TWO_HOURS), "{call}: {code:?}");
            }
            if !(200..300).contains(&status) {
                prop_assert!(outcome.is_err(), "{call}: status {status} taken as success");
            }
        }
    }
}

/// JSON nested far deeper than any answer: refused by the parser's depth limit, never a
/// stack overflow, in a model, in an order list, and in an array held in a string.
#[test]
fn deeply_nested_json_is_refused_not_a_stack_overflow() {
    let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
    for n in [127, 128, 129, 10_000, 200_000] {
        decode_all(deep(n).as_bytes());
        let order = json!({"id": "ord_1", "status": "paid", "deliverables": deep(n)}).to_string();
        decode_all(order.as_bytes());
        decode_all(format!("[{order}]").as_bytes());
        let service = format!(r#"{{"id":"svc_1","deliverables":{}}}"#, deep(n));
        decode_all(service.as_bytes());
        let body = format!(r#"{{"success":true,"data":{}}}"#, deep(n)).into_bytes();
        for (call, outcome) in stage().answer_all(Answer {
            status: 200,
            headers: vec![],
            body,
        }) {
            // Past the parser's depth limit nothing can be read; just past it, a list
            // may also come back without the one entry it could not read (lists drop
            // what they cannot decode). Either way: an answer, not a stack overflow.
            assert!(
                outcome.is_err() || n < 10_000,
                "{call} at depth {n}: {outcome:?}"
            );
        }
    }
}

/// `atelier_...` and at most four characters: what [`mask_key`] leaves of anything.
fn is_masked_key_shape(key: &str) -> bool {
    key.strip_prefix("atelier_...")
        .is_some_and(|tail| tail.chars().count() <= 4)
}

const CODES: [&str; 10] = [
    "invalid_input",
    "not_signed_in",
    "unauthorized",
    "forbidden",
    "not_found",
    "rate_limited",
    "server_error",
    "network",
    "timeout",
    "unexpected_response",
];

/// What the loopback server answers next.
#[derive(Clone, Debug, Default)]
struct Answer {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

/// A loopback server answering every request with the current [`Answer`], on its own
/// runtime, shared by every case.
struct Stage {
    runtime: tokio::runtime::Runtime,
    answer: Arc<Mutex<Answer>>,
    client: AtelierClient,
    /// One case at a time: tests run in parallel, and a case that set its answer while
    /// another's calls were under way made that other read the wrong one (seen: an order
    /// list 200 000 deep "read" as the `[]` another case had just set).
    turn: Mutex<()>,
}

fn stage() -> &'static Stage {
    static STAGE: OnceLock<Stage> = OnceLock::new();
    STAGE.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let answer = Arc::new(Mutex::new(Answer::default()));
        let serving = answer.clone();
        let addr = runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
                .await
                .unwrap();
            let addr = listener.local_addr().unwrap();
            let app = axum::Router::new().fallback(move || {
                let answer = serving.lock().unwrap().clone();
                async move {
                    let mut response = axum::response::Response::builder().status(
                        axum::http::StatusCode::from_u16(answer.status)
                            .unwrap_or(axum::http::StatusCode::OK),
                    );
                    for (name, value) in &answer.headers {
                        if let Ok(value) = axum::http::HeaderValue::from_str(value) {
                            response = response.header(*name, value);
                        }
                    }
                    response.body(axum::body::Body::from(answer.body)).unwrap()
                }
            });
            tokio::spawn(async move { axum::serve(listener, app).await });
            addr
        });
        let base = BaseUrl::parse(&format!("http://{addr}/api/atelier")).unwrap();
        let client =
            AtelierClient::with_timeouts(base, Duration::from_secs(5), Duration::from_secs(5))
                .unwrap()
                .signed_in(format!("atelier_{}", "ab".repeat(24)).into());
        Stage {
            runtime,
            answer,
            client,
            turn: Mutex::new(()),
        }
    })
}

type Outcome = Result<(), (&'static str, Option<u64>)>;

fn outcome<T>(result: Result<T, ApiError>) -> Outcome {
    result
        .map(|_| ())
        .map_err(|e| (e.code(), e.retry_after_secs()))
}

impl Stage {
    /// Every call the app makes, each answered with `answer`.
    fn answer_all(&self, answer: Answer) -> Vec<(&'static str, Outcome)> {
        // A case that failed (and panicked) while holding the turn must not fail the rest.
        let _turn = self.turn.lock().unwrap_or_else(|p| p.into_inner());
        *self.answer.lock().unwrap() = answer;
        let client = &self.client;
        let delivery = Delivery {
            deliverable_url: "https://storage.example.com/a.png".into(),
            deliverable_media_type: "image".into(),
        };
        let agent = NewAgent {
            name: "Neon Studio".into(),
            description: "Cyberpunk avatars in any style".into(),
            endpoint_url: "https://neon.example.com".into(),
            capabilities: vec!["image_gen".into()],
            owner_wallet: None,
            avatar_url: None,
        };
        let service = NewService {
            category: "image_gen".into(),
            title: "Custom Avatar".into(),
            description: "Professional avatars in any style.".into(),
            price_usd: "5".into(),
            price_type: "fixed".into(),
            turnaround_hours: Some(24),
            deliverables: vec![],
            demo_url: None,
        };
        let rename = ProfileUpdate {
            name: Some("Neon Studio".into()),
            ..ProfileUpdate::default()
        };
        let retitle = ServiceUpdate {
            title: Some("Custom Avatar".into()),
            ..ServiceUpdate::default()
        };
        self.runtime.block_on(async {
            vec![
                ("orders", outcome(client.orders("ext_1", &[]).await)),
                (
                    "paid orders",
                    outcome(client.orders("ext_1", &[OrderStatus::Paid]).await),
                ),
                ("profile", outcome(client.profile().await)),
                (
                    "update_profile",
                    outcome(client.update_profile(&rename).await),
                ),
                ("services", outcome(client.services("ext_1").await)),
                (
                    "create_service",
                    outcome(client.create_service("ext_1", &service).await),
                ),
                (
                    "update_service",
                    outcome(client.update_service("svc_1", &retitle).await),
                ),
                (
                    "deactivate_service",
                    outcome(client.deactivate_service("svc_1").await),
                ),
                ("deliver", outcome(client.deliver("ord_1", &delivery).await)),
                ("register", outcome(client.register(&agent).await)),
            ]
        })
    }
}

// --- Rate-limit headers -------------------------------------------------------------------

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_retry_after_is_at_most_two_hours(value in text(), unix in 0u64..8_000_000_000) {
        let reference = SystemTime::UNIX_EPOCH + Duration::from_secs(unix);
        if let Some(wait) = parse_retry_after(&value, reference) {
            prop_assert!(wait <= TWO_HOURS, "{value:?} → {wait}");
        }
        if let Some(reset) = parse_rate_limit_reset(&value, reference) {
            prop_assert!(reset.unix() as u64 <= unix + TWO_HOURS, "{value:?} → {}", reset.unix());
        }
    }

    #[test]
    fn delta_seconds_are_obeyed_up_to_two_hours(secs in any::<u64>(), extra in "[0-9]{0,30}") {
        let now = SystemTime::now();
        prop_assert_eq!(parse_retry_after(&secs.to_string(), now), Some(secs.min(TWO_HOURS)));
        let longer = format!("{secs}{extra}");
        prop_assert!(parse_retry_after(&longer, now).is_some_and(|w| w <= TWO_HOURS));
        prop_assert_eq!(parse_retry_after(&format!("-{secs}"), now), None);
    }
}

// --- Money -------------------------------------------------------------------------------

proptest! {
    #![proptest_config(config())]

    #[test]
    fn typed_prices_never_panic_and_come_out_canonical(input in text()) {
        if let Ok(usd) = Usd::parse(&input) {
            let text = usd.as_str().to_owned();
            let (whole, cents) = text.split_once('.').expect("a decimal point");
            prop_assert!(!whole.is_empty() && whole.bytes().all(|b| b.is_ascii_digit()), "{text}");
            prop_assert!(cents.len() == 2 && cents.bytes().all(|b| b.is_ascii_digit()), "{text}");
            prop_assert!(usd.cents().is_some(), "{text}");
            prop_assert_eq!(usd.display(), format!("${text}"));
            prop_assert_eq!(Usd::parse(&text), Ok(usd.clone()), "canonical text reads back");
            prop_assert_eq!(validate::price(&input), Ok(text));
        } else {
            prop_assert!(validate::price(&input).is_err());
        }
    }

    #[test]
    fn amounts_round_trip_through_every_way_of_typing_them(
        dollars in 0u64..10_000_000_000,
        cents in 0u64..100,
    ) {
        let canonical = format!("{dollars}.{cents:02}");
        let mut typed = vec![
            canonical.clone(),
            format!("${canonical}"),
            format!("  {canonical} "),
            format!("$ {canonical}"),
            format!("+{canonical}"),
            format!("000{canonical}"),
        ];
        if cents % 10 == 0 {
            typed.push(format!("{dollars}.{}", cents / 10));
        }
        if cents == 0 {
            typed.push(dollars.to_string());
            typed.push(format!("{dollars}."));
        }
        if dollars == 0 {
            typed.push(format!(".{cents:02}"));
        }
        for input in typed {
            let usd = Usd::parse(&input).map_err(|e| TestCaseError::fail(format!("{input:?}: {e}")))?;
            prop_assert_eq!(usd.as_str(), canonical.as_str(), "{:?}", input);
            prop_assert_eq!(usd.cents(), Some(dollars * 100 + cents), "{:?}", input);
            prop_assert_eq!(usd.display(), format!("${canonical}"));
            // A server sending the same text is read the same, and kept verbatim.
            let server = Usd::from_server(&input);
            prop_assert_eq!(server.as_str(), input.as_str());
            prop_assert_eq!(server.cents(), usd.cents());
        }
    }

    #[test]
    fn more_than_ten_digits_of_dollars_is_too_large_not_a_panic(digits in "[1-9][0-9]{10,40}") {
        prop_assert_eq!(Usd::parse(&digits), Err(atelier_core::models::UsdError::TooLarge));
    }

    #[test]
    fn server_amounts_of_any_text_show_without_panicking(input in text()) {
        let usd = Usd::from_server(&input);
        let shown = usd.display();
        prop_assert!(shown.starts_with('$'));
        if let Some(cents) = usd.cents() {
            prop_assert_eq!(shown, format!("${}.{:02}", cents / 100, cents % 100));
        }
    }
}

// --- Times ------------------------------------------------------------------------------

/// Year 1 to 9999, the span both forms can write.
const FIRST: i64 = -62_135_596_800;
const LAST: i64 = 253_402_300_799;

fn parts(unix: i64) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp(unix).unwrap()
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn both_server_forms_read_the_same_instant(unix in FIRST..=LAST, millis in 0u32..1000) {
        let t = parts(unix);
        let date = format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day());
        let clock = format!("{:02}:{:02}:{:02}", t.hour(), t.minute(), t.second());
        let bare = Timestamp::parse(&format!("{date} {clock}"));
        prop_assert_eq!(bare.map(|t| t.unix()), Some(unix), "{} {}", date, clock);
        let iso = Timestamp::parse(&format!("{date}T{clock}.{millis:03}Z"));
        prop_assert_eq!(iso.map(|t| t.unix()), Some(unix), "{}T{}", date, clock);
        let fraction = Timestamp::parse(&format!("{date} {clock}.{millis:03}"));
        prop_assert_eq!(fraction.map(|t| t.unix()), Some(unix));
        let padded = Timestamp::parse(&format!("  {date} {clock}\n"));
        prop_assert_eq!(padded, bare);
        // What the app hands the page reads back as the same instant.
        let again = Timestamp::parse(&bare.unwrap().to_rfc3339());
        prop_assert_eq!(again, bare);
    }

    #[test]
    fn an_offset_moves_the_instant_by_exactly_that(
        unix in 0i64..4_000_000_000,
        hours in -14i64..=14,
        minutes in prop::sample::select(vec![0i64, 30, 45]),
    ) {
        let t = parts(unix);
        let offset = hours * 3600 + hours.signum() * minutes * 60;
        let sign = if offset < 0 { '-' } else { '+' };
        let text = format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{sign}{:02}:{:02}",
            t.year(), u8::from(t.month()), t.day(), t.hour(), t.minute(), t.second(),
            hours.abs(), minutes * i64::from(hours != 0),
        );
        prop_assert_eq!(Timestamp::parse(&text).map(|t| t.unix()), Some(unix - offset), "{}", text);
    }

    #[test]
    fn any_text_as_a_time_never_panics_and_what_parses_reads_back(input in text()) {
        if let Some(t) = Timestamp::parse(&input) {
            prop_assert_eq!(Timestamp::parse(&t.to_rfc3339()), Some(t), "{:?}", input);
        }
    }

    #[test]
    fn any_unix_time_never_panics(unix in any::<i64>()) {
        if let Some(t) = Timestamp::from_unix(unix) {
            prop_assert_eq!(t.unix(), unix);
            let _ = t.to_rfc3339();
        }
    }
}

// --- Validation and the other text a creator or a server hands over ----------------------

proptest! {
    #![proptest_config(config())]

    #[test]
    fn every_field_check_takes_any_string(input in text()) {
        let _ = validate::web_url(&input);
        if let Ok(wallet) = validate::solana_wallet(&input) {
            prop_assert_eq!(bs58::decode(&wallet).into_vec().map(|b| b.len()), Ok(32));
        }
        let _ = validate::price(&input);
        if let Ok(Some(hours)) = validate::turnaround_text(&input) {
            prop_assert!(hours >= 1);
        }
        let _ = validate::api_key(&input);
        let _ = validate::agent_id(&input);
        let _ = field_named_in(&input);
        let _ = BaseUrl::parse(&input);
        let _ = OrderStatus::parse(&input).as_str().to_owned();
        let _ = atelier_core::models::MediaType::guess_from_url(&input);
        let masked = mask_key(&input);
        prop_assert!(is_masked_key_shape(&masked), "{masked:?}");
        let _ = is_masked_key(&input);
    }

    #[test]
    fn every_form_takes_any_strings(
        a in text(), b in text(), c in text(), d in text(), e in text(),
        list in prop::collection::vec(text(), 0..4),
    ) {
        let _ = validate::new_agent(&NewAgent {
            name: a.clone(),
            description: b.clone(),
            endpoint_url: c.clone(),
            capabilities: list.clone(),
            owner_wallet: Some(d.clone()),
            avatar_url: Some(e.clone()),
        });
        let _ = validate::profile_update(&ProfileUpdate {
            name: Some(a.clone()),
            description: Some(b.clone()),
            endpoint_url: Some(c.clone()),
            avatar_url: Patch::Set(e.clone()),
            capabilities: Some(list.clone()),
            payout_wallet: Patch::Set(d.clone()),
        });
        let _ = validate::new_service(&NewService {
            category: a.clone(),
            title: b.clone(),
            description: c.clone(),
            price_usd: d.clone(),
            price_type: e.clone(),
            turnaround_hours: Some(0),
            deliverables: list.clone(),
            demo_url: Some(a.clone()),
        });
        let _ = validate::service_update(&ServiceUpdate {
            category: Some(a.clone()),
            title: Some(b.clone()),
            description: Some(c.clone()),
            price_usd: Some(d.clone()),
            price_type: Some(e.clone()),
            turnaround_hours: Some(u32::MAX),
            deliverables: Some(list.clone()),
            demo_url: Patch::Set(a.clone()),
        });
        let _ = validate::delivery(&Delivery {
            deliverable_url: a,
            deliverable_media_type: b,
        });
    }

    /// The page's live validation takes whatever JSON the page sends, for every form.
    #[test]
    fn live_validation_takes_any_json(kind in prop_oneof![
        Just("agent".to_owned()), Just("wallet".to_owned()), Just("service".to_owned()),
        Just("profile".to_owned()), Just("sign_in".to_owned()), Just("delivery".to_owned()),
        text(),
    ], form in prop_oneof![json_value(), shaped_object()]) {
        let _ = forms::check(&kind, form);
    }
}

// --- Notifications ---------------------------------------------------------------------

/// Characters that make text show something other than what it says, or break a line.
fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}'
                | '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'
                | '\u{2066}'..='\u{2069}'
                | '\u{FEFF}'
        )
}

/// Orders as a server might send them, with these titles, briefs and prices.
fn orders_with(parts: Vec<(String, String, String)>) -> Vec<Order> {
    parts
        .into_iter()
        .enumerate()
        .map(|(i, (title, brief, price))| {
            serde_json::from_value(json!({
                "id": format!("ord_{i}"),
                "status": "paid",
                "service_title": title,
                "brief": brief,
                "quoted_price_usd": price,
            }))
            .unwrap()
        })
        .collect()
}

fn assert_shown_as_written(orders: &[Order]) -> Result<(), TestCaseError> {
    let alert = for_new_orders(orders).expect("an alert for paid orders");
    for (part, shown) in [
        ("title", &alert.title),
        ("body", &alert.body),
        ("text", &alert.text),
    ] {
        prop_assert!(!shown.chars().any(is_hidden), "{part}: {shown:?}");
    }
    prop_assert!(
        !alert.body.contains('<') && !alert.body.contains('>'),
        "{:?}",
        alert.body
    );
    prop_assert_eq!(alert.order_ids.len(), orders.len());
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    /// A stranger writes the brief (and names nothing else): whatever it and the service
    /// title hold, the notification has no direction overrides, invisible or control
    /// characters, and no markup the notification server would render.
    #[test]
    fn a_notification_shows_what_the_brief_and_title_say(
        parts in prop::collection::vec((text(), text(), "[0-9]{1,4}(\\.[0-9]{1,2})?"), 1..4),
    ) {
        assert_shown_as_written(&orders_with(parts))?;
    }

    /// The same for the price, which a compromised or newer server may fill with anything
    /// (`Usd::display` falls back to the raw text: `"5\u{202E}"` once reached the title).
    #[test]
    fn a_notification_shows_what_the_price_says(
        parts in prop::collection::vec((text(), text(), text()), 1..4),
    ) {
        assert_shown_as_written(&orders_with(parts))?;
    }
}
