//! The sandbox over real HTTP on loopback, checked against what the real
//! Atelier server answers (messages, status codes, row shapes, rate limits).

use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use atelier_core::sandbox::{RateLimits, Sandbox, SandboxConfig};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const WALLET: &str = "EZkoXXZ5HEWdKwfv7wua7k6Dqv8aQxxHWNakq2gG2Qpb";
const OTHER_WALLET: &str = "9WzDXwBbmkg8ZTbNMqUxvQRAyrZzDsGYdLVL9zYtAWWM";

struct Reply {
    status: StatusCode,
    body: Value,
    text: String,
    headers: HeaderMap,
}

impl Reply {
    fn error(&self) -> &str {
        assert_eq!(self.body["success"], json!(false), "{}", self.body);
        self.body["error"].as_str().unwrap_or_default()
    }

    fn data(&self) -> &Value {
        assert_eq!(self.body["success"], json!(true), "{}", self.body);
        &self.body["data"]
    }
}

struct Agent {
    id: String,
    key: String,
}

struct Harness {
    sandbox: Sandbox,
    http: reqwest::Client,
}

impl Harness {
    async fn start(rate_limits: Option<RateLimits>) -> Harness {
        Self::start_with(SandboxConfig {
            rate_limits,
            data_file: None,
        })
        .await
    }

    async fn start_with(config: SandboxConfig) -> Harness {
        let sandbox = Sandbox::start(config).await.expect("sandbox starts");
        let http = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("http client");
        Harness { sandbox, http }
    }

    async fn request(
        &self,
        method: Method,
        path: &str,
        key: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<String>,
    ) -> Reply {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.sandbox.base_url()));
        if let Some(key) = key {
            req = req.header("authorization", format!("Bearer {key}"));
        }
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        if let Some(body) = body {
            req = req.header("content-type", "application/json").body(body);
        }
        let res = req.send().await.expect("request reaches the sandbox");
        let status = res.status();
        let headers = res.headers().clone();
        let text = res.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text:?}"));
        Reply {
            status,
            body,
            text,
            headers,
        }
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        key: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        self.request(method, path, key, &[], body.map(|b| b.to_string()))
            .await
    }

    async fn register_as(&self, name: &str, headers: &[(&str, &str)]) -> Reply {
        let body = json!({
            "name": name,
            "description": "Generates avatars for testing",
            "endpoint_url": "https://agent.example.com",
            "capabilities": ["image_gen"],
            "owner_wallet": WALLET,
        });
        self.request(
            Method::POST,
            "/agents/register",
            None,
            headers,
            Some(body.to_string()),
        )
        .await
    }

    async fn agent(&self, name: &str) -> Agent {
        let reply = self.register_as(name, &[]).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        Agent {
            id: reply.data()["agent_id"]
                .as_str()
                .expect("agent_id")
                .to_owned(),
            key: reply.data()["api_key"]
                .as_str()
                .expect("api_key")
                .to_owned(),
        }
    }

    async fn create_service(&self, agent: &Agent, extra: Value) -> Reply {
        let mut body = json!({
            "category": "image_gen",
            "title": "Custom Avatar Generation",
            "description": "Professional AI-generated avatars in any style.",
            "price_usd": "5.00",
            "price_type": "fixed",
        });
        if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
            body.extend(extra.clone());
        }
        self.call(
            Method::POST,
            &format!("/agents/{}/services", agent.id),
            Some(&agent.key),
            Some(body),
        )
        .await
    }

    async fn service(&self, agent: &Agent) -> String {
        let reply = self.create_service(agent, json!({})).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        reply.data()["id"].as_str().expect("id").to_owned()
    }

    async fn paid_order(&self, service_id: &str) -> String {
        let reply = self
            .call(
                Method::POST,
                "/sandbox/orders",
                None,
                Some(json!({"service_id": service_id, "brief": "A cyberpunk avatar with neon accents"})),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        reply.data()["id"].as_str().expect("id").to_owned()
    }

    async fn deliver(&self, agent: &Agent, order_id: &str, body: &str) -> Reply {
        self.request(
            Method::POST,
            &format!("/orders/{order_id}/deliver"),
            Some(&agent.key),
            &[],
            Some(body.to_owned()),
        )
        .await
    }

    async fn orders(&self, agent: &Agent, query: &str) -> Reply {
        self.call(
            Method::GET,
            &format!("/agents/{}/orders{query}", agent.id),
            Some(&agent.key),
            None,
        )
        .await
    }
}

fn limits(register: u32, service_create: u32, orders: u32, window: Duration) -> Option<RateLimits> {
    Some(RateLimits {
        register,
        service_create,
        orders,
        window,
    })
}

fn header(reply: &Reply, name: &str) -> Option<String> {
    reply
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn keys(value: &Value) -> Vec<&str> {
    value
        .as_object()
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

/// `Value` sorts keys, so column order is checked on the raw text.
fn in_column_order(text: &str, columns: &[&str]) -> bool {
    let positions: Vec<Option<usize>> = columns
        .iter()
        .map(|c| text.find(&format!("\"{c}\":")))
        .collect();
    positions.iter().all(Option::is_some) && positions.windows(2).all(|w| w[0] < w[1])
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn is_sqlite_timestamp(value: &Value) -> bool {
    let Some(s) = value.as_str() else {
        return false;
    };
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    time::PrimitiveDateTime::parse(s, format).is_ok()
}

/// Named so that `cargo test -p atelier-core sandbox` selects these too.
mod sandbox_over_http {
    use super::*;

    // ─── Registration and profile ───

    #[tokio::test]
    async fn register_returns_201_with_ext_id_hex_key_and_protocol_spec() {
        let h = Harness::start(None).await;
        let reply = h.register_as("AvatarBot", &[]).await;
        assert_eq!(reply.status, StatusCode::CREATED);
        let data = reply.data();
        let id = data["agent_id"].as_str().expect("agent_id");
        let parts: Vec<&str> = id.split('_').collect();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[0], "ext");
        let ms: u128 = parts[1].parse().expect("epoch ms");
        assert!(ms > 1_700_000_000_000);
        assert!(parts[2]
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
        let key = data["api_key"].as_str().expect("api_key");
        let hex = key.strip_prefix("atelier_").expect("atelier_ prefix");
        assert_eq!(hex.len(), 48);
        assert!(hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
        assert_eq!(
            data["protocol_spec"]["required_endpoints"]
                .as_array()
                .map(Vec::len),
            Some(4)
        );
    }

    #[tokio::test]
    async fn register_rejects_short_name_with_server_message() {
        let h = Harness::start(None).await;
        let cases = [
        (json!({"name": "A", "description": "Long enough text", "endpoint_url": "https://a.io"}),
         "Name must be between 2 and 50 characters"),
        (json!({"description": "Long enough text", "endpoint_url": "https://a.io"}),
         "Missing required fields: name, description, endpoint_url"),
        (json!({"name": "", "description": "Long enough text", "endpoint_url": "https://a.io"}),
         "Missing required fields: name, description, endpoint_url"),
        (json!({"name": "Bot", "description": "short", "endpoint_url": "https://a.io"}),
         "Description must be between 10 and 500 characters"),
        (json!({"name": "Bot", "description": "Long enough text", "endpoint_url": "not a url"}),
         "endpoint_url must be a valid URL"),
        (json!({"name": "Bot", "description": "Long enough text", "endpoint_url": "https://a.io", "owner_wallet": "0OIl"}),
         "owner_wallet must be a valid base58 Solana address"),
        (json!({"name": "Bot", "description": "Long enough text", "endpoint_url": "https://a.io", "capabilities": ["image_gen", "music", 7]}),
         "Invalid capabilities: music, 7. Valid: image_gen, video_gen, ugc, influencer, brand_content, custom"),
    ];
        for (body, message) in cases {
            let reply = h
                .call(Method::POST, "/agents/register", None, Some(body.clone()))
                .await;
            assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}");
            assert_eq!(reply.error(), message, "{body}");
        }
    }

    #[tokio::test]
    async fn malformed_json_is_500_internal_server_error() {
        let h = Harness::start(None).await;
        for body in ["{not json", "", "null"] {
            let reply = h
                .request(
                    Method::POST,
                    "/agents/register",
                    None,
                    &[],
                    Some(body.to_owned()),
                )
                .await;
            assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR, "{body:?}");
            assert_eq!(reply.error(), "Internal server error");
        }
    }

    #[tokio::test]
    async fn unknown_routes_are_404_and_wrong_methods_405_in_the_error_shape() {
        let h = Harness::start(None).await;
        let reply = h.call(Method::GET, "/nothing/here", None, None).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND);
        assert_eq!(reply.error(), "Not found");
        let reply = h.call(Method::GET, "/agents/register", None, None).await;
        assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(reply.error(), "Method not allowed");
    }

    #[tokio::test]
    async fn auth_failures_are_401_with_the_server_messages() {
        let h = Harness::start(None).await;
        let cases: [(&[(&str, &str)], &str); 4] = [
            (
                &[],
                "Missing or invalid Authorization header. Expected: Bearer <api_key>",
            ),
            (
                &[("authorization", "Basic abc")],
                "Missing or invalid Authorization header. Expected: Bearer <api_key>",
            ),
            (
                &[("authorization", "Bearer sk_live_123")],
                "Invalid API key format",
            ),
            (
                &[("authorization", "Bearer atelier_000000")],
                "Invalid or inactive API key",
            ),
        ];
        for (headers, message) in cases {
            let reply = h
                .request(Method::GET, "/agents/me", None, headers, None)
                .await;
            assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
            assert_eq!(reply.error(), message);
        }
        // Order polling without a Bearer header expects a wallet signature instead.
        let reply = h
            .request(Method::GET, "/agents/ext_1_a/orders", None, &[], None)
            .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            reply.error(),
            "Authentication required: Bearer api_key or wallet signature"
        );
    }

    #[tokio::test]
    async fn get_me_masks_the_key_and_patch_me_returns_the_full_row_with_it() {
        let h = Harness::start(None).await;
        let agent = h.agent("MaskBot").await;
        let me = h
            .call(Method::GET, "/agents/me", Some(&agent.key), None)
            .await;
        assert_eq!(me.status, StatusCode::OK);
        let data = me.data();
        assert_eq!(
            data["api_key"],
            json!(format!("atelier_...{}", &agent.key[agent.key.len() - 4..]))
        );
        let columns = [
            "id",
            "name",
            "description",
            "avatar_url",
            "endpoint_url",
            "capabilities",
            "api_key",
            "verified",
            "total_orders",
            "completed_orders",
            "avg_rating",
            "owner_wallet",
            "payout_wallet",
            "created_at",
        ];
        assert_eq!(keys(data).len(), columns.len(), "{data}");
        assert!(in_column_order(&me.text, &columns), "{}", me.text);
        assert_eq!(data["capabilities"], json!("[\"image_gen\"]"));
        assert_eq!(data["verified"], json!(0));
        assert_eq!(data["avg_rating"], Value::Null);
        assert!(
            is_sqlite_timestamp(&data["created_at"]),
            "{}",
            data["created_at"]
        );

        let patched = h
            .call(
                Method::PATCH,
                "/agents/me",
                Some(&agent.key),
                Some(json!({"description": "Updated description here"})),
            )
            .await;
        assert_eq!(patched.status, StatusCode::OK);
        let row = patched.data();
        assert_eq!(row["api_key"], json!(agent.key));
        assert_eq!(row["description"], json!("Updated description here"));
        assert_eq!(keys(row).len(), 29, "{row}");
        assert_eq!(row["source"], json!("external"));

        let noop = h
            .call(
                Method::PATCH,
                "/agents/me",
                Some(&agent.key),
                Some(json!({})),
            )
            .await;
        assert_eq!(noop.status, StatusCode::OK);
        assert_eq!(
            noop.data()["description"],
            json!("Updated description here")
        );
    }

    #[tokio::test]
    async fn patch_me_ignores_owner_wallet_and_null_resets_payout_wallet() {
        let h = Harness::start(None).await;
        let agent = h.agent("WalletBot").await;
        let key = Some(agent.key.as_str());
        let set = h
            .call(
                Method::PATCH,
                "/agents/me",
                key,
                Some(json!({"payout_wallet": OTHER_WALLET, "owner_wallet": OTHER_WALLET})),
            )
            .await;
        assert_eq!(set.status, StatusCode::OK);
        assert_eq!(set.data()["payout_wallet"], json!(OTHER_WALLET));
        assert_eq!(set.data()["owner_wallet"], json!(WALLET));

        let reset = h
            .call(
                Method::PATCH,
                "/agents/me",
                key,
                Some(json!({"payout_wallet": null})),
            )
            .await;
        assert_eq!(reset.data()["payout_wallet"], Value::Null);

        let cases = [
            (
                json!({"payout_wallet": "not-a-wallet"}),
                "payout_wallet must be a valid base58 Solana address",
            ),
            (
                json!({"payout_wallet": 12}),
                "payout_wallet must be a valid base58 Solana address",
            ),
            (
                json!({"name": 42}),
                "Name must be between 2 and 50 characters",
            ),
            (
                json!({"capabilities": "image_gen"}),
                "capabilities must be an array",
            ),
            (
                json!({"avatar_url": "nope"}),
                "avatar_url must be a valid URL",
            ),
            (
                json!({"endpoint_url": null}),
                "endpoint_url must be a valid URL",
            ),
        ];
        for (body, message) in cases {
            let reply = h
                .call(Method::PATCH, "/agents/me", key, Some(body.clone()))
                .await;
            assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}");
            assert_eq!(reply.error(), message, "{body}");
        }
    }

    // ─── Services ───

    #[tokio::test]
    async fn service_create_returns_a_26_field_row_with_server_defaults() {
        let h = Harness::start(None).await;
        let agent = h.agent("ServiceBot").await;
        let reply = h
            .create_service(
                &agent,
                json!({"deliverables": ["3 variations", "source files"], "price_usd": 7.5}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED);
        let s = reply.data();
        assert!(s["id"].as_str().is_some_and(|id| id.starts_with("svc_")));
        assert_eq!(keys(s).len(), 26, "{s}");
        assert!(
            in_column_order(
                &reply.text,
                &[
                    "id",
                    "agent_id",
                    "category",
                    "created_at",
                    "agent_name",
                    "is_atelier_official"
                ]
            ),
            "{}",
            reply.text
        );
        assert_eq!(s["agent_id"], json!(agent.id));
        assert_eq!(s["agent_name"], json!("ServiceBot"));
        assert_eq!(s["price_usd"], json!("7.5"));
        assert_eq!(s["turnaround_hours"], json!(48));
        assert_eq!(
            s["deliverables"],
            json!("[\"3 variations\",\"source files\"]")
        );
        assert_eq!(s["portfolio_post_ids"], json!("[]"));
        assert_eq!(s["active"], json!(1));
        assert_eq!(s["has_bankr_wallet"], json!(0));
        assert_eq!(s["avg_rating"], Value::Null);
        assert!(is_sqlite_timestamp(&s["created_at"]));

        let zero = h
            .create_service(&agent, json!({"turnaround_hours": 0}))
            .await;
        assert_eq!(zero.data()["turnaround_hours"], json!(48));
        let given = h
            .create_service(&agent, json!({"turnaround_hours": "24"}))
            .await;
        assert_eq!(given.data()["turnaround_hours"], json!(24));
    }

    #[tokio::test]
    async fn service_create_rejects_foreign_agent_id_with_403_agent_id_mismatch() {
        let h = Harness::start(None).await;
        let me = h.agent("Mine").await;
        let other = h.agent("Theirs").await;
        let reply = h
            .call(
                Method::POST,
                &format!("/agents/{}/services", other.id),
                Some(&me.key),
                Some(json!({})),
            )
            .await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN);
        assert_eq!(reply.error(), "Agent ID mismatch");
        let listing = h
            .call(
                Method::GET,
                &format!("/agents/{}/services", other.id),
                Some(&me.key),
                None,
            )
            .await;
        assert_eq!(listing.status, StatusCode::FORBIDDEN);
        assert_eq!(listing.error(), "Agent ID mismatch");
    }

    #[tokio::test]
    async fn service_validation_uses_server_messages_and_parse_float() {
        let h = Harness::start(None).await;
        let agent = h.agent("PriceBot").await;
        let price = "price_usd must be a valid non-negative number";
        let cases = [
        (json!({"category": "music"}), "category is required. Valid: image_gen, video_gen, ugc, influencer, brand_content, custom"),
        (json!({"title": "ab"}), "title must be between 3 and 100 characters"),
        (json!({"description": "too short"}), "description must be between 10 and 1000 characters"),
        (json!({"price_usd": "abc"}), price),
        (json!({"price_usd": "-1"}), price),
        (json!({"price_usd": 0}), price),
        (json!({"price_type": "weekly"}), "price_type must be one of: fixed, quote"),
        (json!({"demo_url": "portfolio"}), "demo_url must be a valid URL"),
    ];
        for (extra, message) in cases {
            let reply = h.create_service(&agent, extra.clone()).await;
            assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{extra}");
            assert_eq!(reply.error(), message, "{extra}");
        }
        // parseFloat reads a numeric prefix, and the string "0" is truthy.
        for (given, stored) in [("12abc", "12abc"), ("0", "0"), (" 3.5", " 3.5")] {
            let reply = h.create_service(&agent, json!({"price_usd": given})).await;
            assert_eq!(reply.status, StatusCode::CREATED, "{given}");
            assert_eq!(reply.data()["price_usd"], json!(stored));
        }
    }

    #[tokio::test]
    async fn services_list_is_active_only_newest_first() {
        let h = Harness::start(None).await;
        let agent = h.agent("ListBot").await;
        let first = h.service(&agent).await;
        let second = h.service(&agent).await;
        let third = h.service(&agent).await;
        let gone = h
            .call(
                Method::DELETE,
                &format!("/services/{second}"),
                Some(&agent.key),
                None,
            )
            .await;
        assert_eq!(gone.status, StatusCode::OK);
        let list = h
            .call(
                Method::GET,
                &format!("/agents/{}/services", agent.id),
                Some(&agent.key),
                None,
            )
            .await;
        let ids: Vec<&str> = list
            .data()
            .as_array()
            .expect("array")
            .iter()
            .filter_map(|s| s["id"].as_str())
            .collect();
        assert_eq!(ids, [third.as_str(), first.as_str()]);
    }

    #[tokio::test]
    async fn patch_service_checks_404_then_403_and_treats_empty_body_as_noop() {
        let h = Harness::start(None).await;
        let owner = h.agent("Owner").await;
        let stranger = h.agent("Stranger").await;
        let id = h.service(&owner).await;
        let path = format!("/services/{id}");

        let missing = h
            .call(
                Method::PATCH,
                "/services/svc_0_missing",
                Some(&owner.key),
                Some(json!({})),
            )
            .await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
        assert_eq!(missing.error(), "Service not found");
        let foreign = h
            .call(Method::PATCH, &path, Some(&stranger.key), Some(json!({})))
            .await;
        assert_eq!(foreign.status, StatusCode::FORBIDDEN);
        assert_eq!(foreign.error(), "Service does not belong to this agent");

        let noop = h
            .call(Method::PATCH, &path, Some(&owner.key), Some(json!({})))
            .await;
        assert_eq!(noop.status, StatusCode::OK);
        assert_eq!(noop.data()["price_usd"], json!("5.00"));

        let changed = h
            .call(
                Method::PATCH,
                &path,
                Some(&owner.key),
                Some(json!({"price_usd": 0, "deliverables": null, "title": "New title"})),
            )
            .await;
        assert_eq!(changed.status, StatusCode::OK);
        assert_eq!(changed.data()["price_usd"], json!("0"));
        assert_eq!(changed.data()["deliverables"], json!("null"));
        assert_eq!(changed.data()["title"], json!("New title"));

        for (body, message) in [
        (json!({"category": "music"}), "Invalid category. Valid: image_gen, video_gen, ugc, influencer, brand_content, custom"),
        (json!({"price_usd": null}), "price_usd must be a valid non-negative number"),
        (json!({"price_type": "monthly"}), "price_type must be one of: fixed, quote"),
    ] {
        let reply = h.call(Method::PATCH, &path, Some(&owner.key), Some(body.clone())).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(reply.error(), message);
    }
    }

    #[tokio::test]
    async fn delete_service_answers_id_and_active_0_and_is_idempotent() {
        let h = Harness::start(None).await;
        let owner = h.agent("Deleter").await;
        let id = h.service(&owner).await;
        for _ in 0..2 {
            let reply = h
                .call(
                    Method::DELETE,
                    &format!("/services/{id}"),
                    Some(&owner.key),
                    None,
                )
                .await;
            assert_eq!(reply.status, StatusCode::OK);
            assert_eq!(reply.data(), &json!({"id": id, "active": 0}));
        }
        let missing = h
            .call(Method::DELETE, "/services/svc_nope", Some(&owner.key), None)
            .await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
    }

    // ─── Orders ───

    #[tokio::test]
    async fn orders_list_every_status_newest_first_and_filters_exactly() {
        let h = Harness::start(None).await;
        let agent = h.agent("OrderBot").await;
        let service = h.service(&agent).await;
        let first = h.paid_order(&service).await;
        let second = h.paid_order(&service).await;
        let delivered = h
        .deliver(&agent, &first, r#"{"deliverable_url":"https://cdn.example.com/a.png","deliverable_media_type":"image"}"#)
        .await;
        assert_eq!(delivered.status, StatusCode::OK);

        let all = h.orders(&agent, "").await;
        let rows = all.data().as_array().expect("array");
        let ids: Vec<&str> = rows.iter().filter_map(|o| o["id"].as_str()).collect();
        assert_eq!(ids, [second.as_str(), first.as_str()]);
        assert_eq!(keys(&rows[0]).len(), 26, "{}", rows[0]);
        assert_eq!(rows[0]["service_title"], json!("Custom Avatar Generation"));
        assert_eq!(rows[0]["provider_name"], json!("OrderBot"));
        assert_eq!(rows[0]["quoted_price_usd"], json!("5.00"));
        assert_eq!(rows[0]["platform_fee_usd"], json!("0.50"));

        let paid = h.orders(&agent, "?status=paid,%20in_progress").await;
        let ids: Vec<&str> = paid
            .data()
            .as_array()
            .expect("array")
            .iter()
            .filter_map(|o| o["id"].as_str())
            .collect();
        assert_eq!(ids, [second.as_str()]);
        let upper = h.orders(&agent, "?status=PAID").await;
        assert_eq!(upper.data(), &json!([]));
    }

    #[tokio::test]
    async fn orders_list_is_403_for_another_agents_id() {
        let h = Harness::start(None).await;
        let me = h.agent("Poller").await;
        let other = h.agent("Other").await;
        let reply = h
            .call(
                Method::GET,
                &format!("/agents/{}/orders", other.id),
                Some(&me.key),
                None,
            )
            .await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN);
        assert_eq!(reply.error(), "Agent ID mismatch");
    }

    #[tokio::test]
    async fn deliver_checks_404_then_403_then_status_then_body() {
        let h = Harness::start(None).await;
        let provider = h.agent("Provider").await;
        let intruder = h.agent("Intruder").await;
        let service = h.service(&provider).await;
        let order = h.paid_order(&service).await;
        let valid = r#"{"deliverable_url":"https://cdn.example.com/out.png","deliverable_media_type":"image"}"#;

        // A malformed body is never read before the order checks.
        let missing = h.deliver(&intruder, "ord_0_missing", "{broken").await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
        assert_eq!(missing.error(), "Order not found");
        let foreign = h.deliver(&intruder, &order, "{broken").await;
        assert_eq!(foreign.status, StatusCode::FORBIDDEN);
        assert_eq!(foreign.error(), "You are not the provider for this order");

        for (body, message) in [
            ("{}", "deliverable_url is required"),
            (r#"{"deliverable_url": 5}"#, "deliverable_url is required"),
            (
                r#"{"deliverable_url":"not a url"}"#,
                "deliverable_url must be a valid URL",
            ),
            (
                r#"{"deliverable_url":"https://cdn.example.com/a.mp3","deliverable_media_type":"audio"}"#,
                "deliverable_media_type must be one of: image, video",
            ),
        ] {
            let reply = h.deliver(&provider, &order, body).await;
            assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}");
            assert_eq!(reply.error(), message);
        }
        let broken = h.deliver(&provider, &order, "{broken").await;
        assert_eq!(broken.status, StatusCode::INTERNAL_SERVER_ERROR);

        assert_eq!(
            h.deliver(&provider, &order, valid).await.status,
            StatusCode::OK
        );
        // Once delivered, the status check fires before the body is even parsed.
        let again = h.deliver(&provider, &order, "{broken").await;
        assert_eq!(again.status, StatusCode::BAD_REQUEST);
        assert_eq!(
            again.error(),
            "Cannot deliver order with status \"delivered\". Must be \"paid\" or \"in_progress\"."
        );
    }

    #[tokio::test]
    async fn deliver_marks_the_order_delivered_with_a_48_hour_review_deadline() {
        let h = Harness::start(None).await;
        let provider = h.agent("Deliverer").await;
        let service = h.service(&provider).await;
        let order = h.paid_order(&service).await;
        let reply = h
        .deliver(&provider, &order, r#"{"deliverable_url":"https://cdn.example.com/v.mp4","deliverable_media_type":"video"}"#)
        .await;
        assert_eq!(reply.status, StatusCode::OK);
        let o = reply.data();
        assert_eq!(o["status"], json!("delivered"));
        assert_eq!(o["deliverable_url"], json!("https://cdn.example.com/v.mp4"));
        assert_eq!(o["deliverable_media_type"], json!("video"));
        let format =
            time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
        let parse =
            |v: &Value| time::PrimitiveDateTime::parse(v.as_str().unwrap_or_default(), format);
        let delivered = parse(&o["delivered_at"]).expect("delivered_at");
        let deadline = parse(&o["review_deadline"]).expect("review_deadline");
        let gap = deadline - delivered;
        assert!(
            gap >= time::Duration::hours(48)
                && gap <= time::Duration::hours(48) + time::Duration::seconds(1),
            "{gap}"
        );
    }

    #[tokio::test]
    async fn control_orders_are_paid_and_can_be_completed_or_disputed_once_delivered() {
        let h = Harness::start(None).await;
        let provider = h.agent("Seller").await;
        let service = h.service(&provider).await;

        let placed = h
        .call(Method::POST, "/sandbox/orders", None, Some(json!({"service_id": service, "brief": "Make me a neon avatar", "client_wallet": OTHER_WALLET})))
        .await;
        assert_eq!(placed.status, StatusCode::CREATED);
        let o = placed.data();
        assert_eq!(o["status"], json!("paid"));
        assert_eq!(o["provider_agent_id"], json!(provider.id));
        assert_eq!(o["client_wallet"], json!(OTHER_WALLET));
        assert!(o["id"].as_str().is_some_and(|id| id.starts_with("ord_")));
        let completed_id = o["id"].as_str().unwrap_or_default().to_owned();

        let generated = h.paid_order(&service).await;
        let rows = h.orders(&provider, "").await;
        let row = rows
            .data()
            .as_array()
            .and_then(|a| a.first())
            .cloned()
            .unwrap_or_default();
        assert_eq!(row["id"], json!(generated));
        let wallet = row["client_wallet"].as_str().unwrap_or_default();
        assert_eq!(
            bs58::decode(wallet).into_vec().map(|b| b.len()).ok(),
            Some(32),
            "{wallet}"
        );

        let early = h
            .call(
                Method::POST,
                &format!("/sandbox/orders/{completed_id}/complete"),
                None,
                None,
            )
            .await;
        assert_eq!(early.status, StatusCode::BAD_REQUEST);
        assert!(early.error().contains("\"paid\""), "{}", early.error());

        let body = r#"{"deliverable_url":"https://cdn.example.com/a.png","deliverable_media_type":"image"}"#;
        h.deliver(&provider, &completed_id, body).await;
        h.deliver(&provider, &generated, body).await;
        let done = h
            .call(
                Method::POST,
                &format!("/sandbox/orders/{completed_id}/complete"),
                None,
                None,
            )
            .await;
        assert_eq!(done.status, StatusCode::OK);
        assert_eq!(done.data()["status"], json!("completed"));
        assert!(is_sqlite_timestamp(&done.data()["completed_at"]));
        let disputed = h
            .call(
                Method::POST,
                &format!("/sandbox/orders/{generated}/dispute"),
                None,
                None,
            )
            .await;
        assert_eq!(disputed.data()["status"], json!("disputed"));
        let twice = h
            .call(
                Method::POST,
                &format!("/sandbox/orders/{generated}/complete"),
                None,
                None,
            )
            .await;
        assert_eq!(twice.status, StatusCode::BAD_REQUEST);

        let unknown = h
            .call(Method::POST, "/sandbox/orders/ord_x/dispute", None, None)
            .await;
        assert_eq!(unknown.status, StatusCode::NOT_FOUND);
        let no_brief = h
            .call(
                Method::POST,
                "/sandbox/orders",
                None,
                Some(json!({"service_id": service})),
            )
            .await;
        assert_eq!(no_brief.status, StatusCode::BAD_REQUEST);
        let gone = h
            .call(
                Method::POST,
                "/sandbox/orders",
                None,
                Some(json!({"service_id": "svc_nope", "brief": "Anything at all here"})),
            )
            .await;
        assert_eq!(gone.status, StatusCode::NOT_FOUND);
        assert_eq!(gone.error(), "Service not found or inactive");
    }

    // ─── Rate limiting ───

    #[tokio::test]
    async fn rate_limit_counter_is_shared_across_endpoints() {
        let h = Harness::start(Some(RateLimits::default())).await;
        let agent = h.agent("Shared").await; // 1 registration
        for _ in 0..4 {
            let reply = h.create_service(&agent, json!({})).await;
            assert_eq!(reply.status, StatusCode::CREATED);
            assert_eq!(
                header(&reply, "x-ratelimit-limit"),
                None,
                "headers only on 429s"
            );
        }
        // 5 counted so far: registration's own limit is reached.
        let limited = h.register_as("Another", &[]).await;
        assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(
            limited.error(),
            "Too many requests. Please try again later."
        );
        assert_eq!(header(&limited, "x-ratelimit-limit").as_deref(), Some("5"));
        assert_eq!(
            header(&limited, "x-ratelimit-remaining").as_deref(),
            Some("0")
        );
        let retry: u64 = header(&limited, "retry-after")
            .and_then(|v| v.parse().ok())
            .expect("Retry-After");
        assert!((3590..=3600).contains(&retry), "{retry}");
        let reset: u64 = header(&limited, "x-ratelimit-reset")
            .and_then(|v| v.parse().ok())
            .expect("reset");
        assert!(reset.abs_diff(unix_now() + 3600) <= 5, "{reset}");
        // Service creation, with its higher limit, still goes through.
        assert_eq!(
            h.create_service(&agent, json!({})).await.status,
            StatusCode::CREATED
        );
    }

    #[tokio::test]
    async fn rate_limit_window_is_fixed_from_first_request() {
        let window = Duration::from_secs(3);
        let h = Harness::start(limits(5, 5, 3, window)).await;
        let started = Instant::now();
        let agent = h.agent("Windowed").await; // the first limited request opens the window
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(h.orders(&agent, "").await.status, StatusCode::OK);
        assert_eq!(h.orders(&agent, "").await.status, StatusCode::OK);
        let limited = h.orders(&agent, "").await;
        assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
        let retry: u64 = header(&limited, "retry-after")
            .and_then(|v| v.parse().ok())
            .expect("Retry-After");
        assert!((1..=2).contains(&retry), "{retry}");
        // A sliding or last-request window would still be closed 3.4 s after the start.
        tokio::time::sleep((window + Duration::from_millis(400)).saturating_sub(started.elapsed()))
            .await;
        for _ in 0..3 {
            assert_eq!(h.orders(&agent, "").await.status, StatusCode::OK);
        }
        assert_eq!(
            h.orders(&agent, "").await.status,
            StatusCode::TOO_MANY_REQUESTS
        );
    }

    #[tokio::test]
    async fn responses_400_count_toward_limit_but_429s_do_not() {
        let h = Harness::start(limits(3, 6, 30, Duration::from_secs(3600))).await;
        for _ in 0..3 {
            let bad = h
                .call(
                    Method::POST,
                    "/agents/register",
                    None,
                    Some(json!({"name": "x"})),
                )
                .await;
            assert_eq!(bad.status, StatusCode::BAD_REQUEST);
        }
        for _ in 0..5 {
            let refused = h.register_as("Refused", &[]).await;
            assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
        }
        // Count is 3, not 8: three more requests fit under the service limit of 6,
        // even though each is refused with a 401.
        for _ in 0..3 {
            let unauthorized = h
                .call(
                    Method::POST,
                    "/agents/ext_1_x/services",
                    None,
                    Some(json!({})),
                )
                .await;
            assert_eq!(unauthorized.status, StatusCode::UNAUTHORIZED);
        }
        let limited = h
            .call(
                Method::POST,
                "/agents/ext_1_x/services",
                None,
                Some(json!({})),
            )
            .await;
        assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(header(&limited, "x-ratelimit-limit").as_deref(), Some("6"));
        // Unlimited endpoints are unaffected.
        let me = h.call(Method::GET, "/agents/me", None, None).await;
        assert_eq!(me.status, StatusCode::UNAUTHORIZED);
    }

    #[tokio::test]
    async fn forwarded_for_first_entry_keys_the_limit() {
        let h = Harness::start(limits(1, 1, 1, Duration::from_secs(3600))).await;
        let first = h
            .register_as("Proxied", &[("x-forwarded-for", "203.0.113.7, 10.0.0.1")])
            .await;
        assert_eq!(first.status, StatusCode::CREATED);
        let same = h
            .register_as("Proxied", &[("x-forwarded-for", " 203.0.113.7 ")])
            .await;
        assert_eq!(same.status, StatusCode::TOO_MANY_REQUESTS);
        let other = h
            .register_as(
                "Proxied",
                &[("x-forwarded-for", "198.51.100.2, 203.0.113.7")],
            )
            .await;
        assert_eq!(other.status, StatusCode::CREATED);
        let direct = h.register_as("Direct", &[]).await;
        assert_eq!(
            direct.status,
            StatusCode::CREATED,
            "the peer address is its own client"
        );
    }

    #[tokio::test]
    async fn rate_limits_can_be_turned_off() {
        let h = Harness::start(None).await;
        for i in 0..8 {
            let reply = h.register_as(&format!("Bot {i}"), &[]).await;
            assert_eq!(reply.status, StatusCode::CREATED);
        }
    }

    // ─── Lifecycle ───

    fn scratch_file(name: &str) -> PathBuf {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let dir = std::env::temp_dir().join(format!(
            "atelier-sandbox-{name}-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).expect("scratch dir");
        dir.join("sandbox.json")
    }

    #[tokio::test]
    async fn persisted_state_survives_restart() {
        let file = scratch_file("persist");
        let config = SandboxConfig {
            rate_limits: None,
            data_file: Some(file.clone()),
        };
        let h = Harness::start_with(config.clone()).await;
        let agent = h.agent("Persistent").await;
        let service = h.service(&agent).await;
        let order = h.paid_order(&service).await;
        h.sandbox.shutdown().await;
        assert!(file.exists());

        let h = Harness::start_with(config).await;
        let me = h
            .call(Method::GET, "/agents/me", Some(&agent.key), None)
            .await;
        assert_eq!(me.status, StatusCode::OK);
        assert_eq!(me.data()["id"], json!(agent.id));
        let orders = h.orders(&agent, "?status=paid").await;
        assert_eq!(orders.data()[0]["id"], json!(order));
        assert_eq!(orders.data()[0]["service_id"], json!(service));
        h.sandbox.shutdown().await;
        std::fs::remove_dir_all(file.parent().expect("dir")).ok();
    }

    #[tokio::test]
    async fn the_data_file_never_holds_a_key_in_clear() {
        let file = scratch_file("no-clear-keys");
        let config = SandboxConfig {
            rate_limits: None,
            data_file: Some(file.clone()),
        };
        let h = Harness::start_with(config).await;
        let agent = h.agent("Keyholder").await;
        let patched = h
            .call(
                Method::PATCH,
                "/agents/me",
                Some(&agent.key),
                Some(json!({"name": "Keyholder Two"})),
            )
            .await;
        assert_eq!(
            patched.data()["api_key"],
            json!(agent.key),
            "PATCH still answers with the full key"
        );
        let on_disk = std::fs::read_to_string(&file).expect("saved");
        assert!(on_disk.contains("Keyholder Two"), "the file is current");
        assert!(
            !on_disk.contains(&agent.key),
            "only a digest of the key is stored"
        );
        h.sandbox.shutdown().await;
        std::fs::remove_dir_all(file.parent().expect("dir")).ok();
    }

    #[tokio::test]
    async fn a_corrupt_data_file_stops_start_with_invalid_data() {
        let file = scratch_file("corrupt");
        std::fs::write(&file, "{ nope").expect("write");
        let err = Sandbox::start(SandboxConfig {
            rate_limits: None,
            data_file: Some(file.clone()),
        })
        .await
        .expect_err("must refuse");
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
        std::fs::remove_dir_all(file.parent().expect("dir")).ok();
    }

    #[tokio::test]
    async fn start_on_refuses_non_loopback_addresses() {
        let err = Sandbox::start_on(SandboxConfig::default(), "0.0.0.0:0".parse().expect("addr"))
            .await
            .expect_err("must refuse");
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    }

    #[tokio::test]
    async fn base_url_has_no_trailing_slash_and_shutdown_stops_serving() {
        let h = Harness::start(None).await;
        let base = h.sandbox.base_url();
        assert_eq!(
            base,
            format!("http://127.0.0.1:{}/api/atelier", h.sandbox.addr().port())
        );
        h.sandbox.shutdown().await;
        let after = h.http.get(format!("{base}/agents/me")).send().await;
        assert!(after.is_err(), "still serving after shutdown");
    }

    // ─── The server's own count of calls ───

    #[tokio::test]
    async fn the_sandbox_counts_every_request_by_route_including_the_free_ones() {
        let h = Harness::start(None).await;
        let agent = h.agent("Traffic Counter").await;
        let service = h.service(&agent).await;
        let order = h.paid_order(&service).await;
        for _ in 0..3 {
            h.call(
                Method::GET,
                &format!("/agents/{}/services", agent.id),
                Some(&agent.key),
                None,
            )
            .await;
        }
        h.call(Method::GET, &format!("/orders/{order}"), None, None)
            .await;
        h.call(Method::GET, "/agents/me", Some(&agent.key), None)
            .await;
        h.orders(&agent, "").await;
        let seen = h.call(Method::GET, "/sandbox/traffic", None, None).await;
        let requests = &seen.data()["requests"];
        assert_eq!(
            requests["GET /agents/{id}/services"],
            json!(3),
            "{requests}"
        );
        assert_eq!(requests["GET /orders/{id}"], json!(1), "{requests}");
        assert_eq!(requests["GET /agents/me"], json!(1), "{requests}");
        assert_eq!(requests["GET /agents/{id}/orders"], json!(1), "{requests}");
        assert_eq!(requests["POST /agents/register"], json!(1), "{requests}");
        assert_eq!(requests["POST /sandbox/orders"], json!(1), "{requests}");
    }
}
