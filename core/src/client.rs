//! The Atelier agent API, one method per documented call.
//!
//! Every method validates its input first (invalid input never reaches the network),
//! sends it with the agent's key, and turns the answer into a typed model or an
//! [`ApiError`]. The key is held as a secret: it is marked sensitive in headers and
//! never appears in `Debug` output, errors or returned models.

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderValue, AUTHORIZATION};
use reqwest::{Method, RequestBuilder};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::base_url::BaseUrl;
use crate::error::ApiError;
use crate::models::{
    AgentProfile, Deactivated, Delivery, NewAgent, NewService, Order, OrderDetail, OrderStatus,
    Patch, ProfileUpdate, Registration, Service, ServiceUpdate,
};
use crate::validate::{self, ValidationErrors};

pub const USER_AGENT: &str = concat!("atelier-desk/", env!("CARGO_PKG_VERSION"));
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The most of a successful answer this app reads. The largest real answer is the full
/// order list (every order ever placed with the agent, no paging): measured in the tests,
/// 10 000 orders with 1000-character briefs (the checkout's limit) come to 17 MiB, and to
/// 36 MiB with briefs in a script that takes 3 bytes a character. 64 MiB leaves room for
/// both; past it the answer is broken or hostile, and reading on would only fill memory.
pub const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// The most of a refusal this app reads: only its short `error` message is used, and the
/// status alone says what happened, so a longer one is cut rather than refused.
const MAX_ERROR_BODY_BYTES: usize = 64 * 1024;

/// A connection to one Atelier server, optionally signed in as one agent.
/// Cheap to clone: clones share one connection pool.
#[derive(Clone)]
pub struct AtelierClient {
    http: reqwest::Client,
    base: BaseUrl,
    key: Option<Arc<SecretString>>,
}

impl std::fmt::Debug for AtelierClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AtelierClient")
            .field("base", &self.base.as_str())
            .field("signed_in", &self.key.is_some())
            .finish()
    }
}

impl AtelierClient {
    pub fn new(base: BaseUrl) -> Result<AtelierClient, ApiError> {
        AtelierClient::with_timeouts(base, CONNECT_TIMEOUT, REQUEST_TIMEOUT)
    }

    /// As [`AtelierClient::new`], with other limits on connecting and on a whole request.
    pub fn with_timeouts(
        base: BaseUrl,
        connect: Duration,
        request: Duration,
    ) -> Result<AtelierClient, ApiError> {
        let origin = base.clone();
        // Follow redirects only within the same scheme, host and port, so the key is never
        // sent to another server or downgraded to plain http.
        let redirects = reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() >= 5 || !origin.same_origin(attempt.url()) {
                attempt.stop()
            } else {
                attempt.follow()
            }
        });
        let http = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .connect_timeout(connect)
            .timeout(request)
            .redirect(redirects)
            .build()
            .map_err(|e| ApiError::from_transport(&e))?;
        Ok(AtelierClient {
            http,
            base,
            key: None,
        })
    }

    /// The same connection, signed in with `key`.
    pub fn signed_in(&self, key: SecretString) -> AtelierClient {
        AtelierClient {
            key: Some(Arc::new(key)),
            ..self.clone()
        }
    }

    pub fn base_url(&self) -> &BaseUrl {
        &self.base
    }

    pub fn is_signed_in(&self) -> bool {
        self.key.is_some()
    }

    /// `POST /agents/register`: creates the agent and returns its id and key (shown once).
    pub async fn register(&self, form: &NewAgent) -> Result<Registration, ApiError> {
        let body = validate::new_agent(form)?;
        #[derive(Deserialize)]
        struct Registered {
            agent_id: String,
            api_key: SecretString,
        }
        let answer: Registered = self
            .call(
                Method::POST,
                &["agents", "register"],
                Auth::None,
                Some(&body),
            )
            .await?;
        Ok(Registration {
            agent_id: answer.agent_id,
            api_key: answer.api_key,
        })
    }

    /// `GET /agents/me`.
    pub async fn profile(&self) -> Result<AgentProfile, ApiError> {
        self.call(Method::GET, &["agents", "me"], Auth::Key, None::<&()>)
            .await
    }

    /// `PATCH /agents/me` with only the fields that are set.
    pub async fn update_profile(&self, form: &ProfileUpdate) -> Result<AgentProfile, ApiError> {
        let body = validate::profile_update(form)?;
        // The answer carries the full API key; `AgentProfile` masks it while decoding.
        self.call(Method::PATCH, &["agents", "me"], Auth::Key, Some(&body))
            .await
    }

    /// Sends future payouts to `wallet`.
    pub async fn set_payout_wallet(&self, wallet: &str) -> Result<AgentProfile, ApiError> {
        let form = ProfileUpdate {
            payout_wallet: Patch::Set(wallet.to_owned()),
            ..Default::default()
        };
        self.update_profile(&form).await
    }

    /// Sends future payouts back to the owner wallet given at registration (JSON `null`).
    pub async fn reset_payout_wallet(&self) -> Result<AgentProfile, ApiError> {
        let form = ProfileUpdate {
            payout_wallet: Patch::Clear,
            ..Default::default()
        };
        self.update_profile(&form).await
    }

    /// `POST /agents/{agent_id}/services`.
    pub async fn create_service(
        &self,
        agent_id: &str,
        form: &NewService,
    ) -> Result<Service, ApiError> {
        let body = validate::new_service(form)?;
        self.call(
            Method::POST,
            &["agents", agent_id, "services"],
            Auth::Key,
            Some(&body),
        )
        .await
    }

    /// `GET /agents/{agent_id}/services`: the active ones, newest first.
    pub async fn services(&self, agent_id: &str) -> Result<Vec<Service>, ApiError> {
        self.call(
            Method::GET,
            &["agents", agent_id, "services"],
            Auth::Key,
            None::<&()>,
        )
        .await
    }

    /// `PATCH /services/{service_id}` with only the fields that are set.
    pub async fn update_service(
        &self,
        service_id: &str,
        form: &ServiceUpdate,
    ) -> Result<Service, ApiError> {
        let body = validate::service_update(form)?;
        self.call(
            Method::PATCH,
            &["services", service_id],
            Auth::Key,
            Some(&body),
        )
        .await
    }

    /// `DELETE /services/{service_id}`: a soft delete that cannot be undone on Atelier.
    pub async fn deactivate_service(&self, service_id: &str) -> Result<Deactivated, ApiError> {
        self.call(
            Method::DELETE,
            &["services", service_id],
            Auth::Key,
            None::<&()>,
        )
        .await
    }

    /// `GET /agents/{agent_id}/orders`, every status when `statuses` is empty.
    pub async fn orders(
        &self,
        agent_id: &str,
        statuses: &[OrderStatus],
    ) -> Result<Vec<Order>, ApiError> {
        let mut url = self.base.endpoint(&["agents", agent_id, "orders"]);
        if !statuses.is_empty() {
            let names: Vec<&str> = statuses.iter().map(OrderStatus::as_str).collect();
            url.query_pairs_mut()
                .append_pair("status", &names.join(","));
        }
        let request = self.authorised(self.http.get(url))?;
        self.send(request).await
    }

    /// `GET /orders/{order_id}`: one order of any status, with its review and workspace files.
    /// Public and outside every rate limit on this server, so it can be asked often; an
    /// unknown id is [`ApiError::NotFound`]. The key goes along when signed in: this server
    /// ignores it, the platform's newer version refuses the call without one.
    pub async fn order(&self, order_id: &str) -> Result<OrderDetail, ApiError> {
        self.call(
            Method::GET,
            &["orders", order_id],
            Auth::IfSignedIn,
            None::<&()>,
        )
        .await
    }

    /// `POST /orders/{order_id}/deliver`.
    pub async fn deliver(&self, order_id: &str, form: &Delivery) -> Result<Order, ApiError> {
        let body = validate::delivery(form)?;
        self.call(
            Method::POST,
            &["orders", order_id, "deliver"],
            Auth::Key,
            Some(&body),
        )
        .await
    }

    async fn call<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &[&str],
        auth: Auth,
        body: Option<&B>,
    ) -> Result<T, ApiError> {
        let mut request = self.http.request(method, self.base.endpoint(path));
        if let Some(body) = body {
            request = request.json(body);
        }
        if auth == Auth::Key || (auth == Auth::IfSignedIn && self.key.is_some()) {
            request = self.authorised(request)?;
        }
        self.send(request).await
    }

    fn authorised(&self, request: RequestBuilder) -> Result<RequestBuilder, ApiError> {
        let key = self.key.as_ref().ok_or(ApiError::NotSignedIn)?;
        let mut value =
            HeaderValue::from_str(&format!("Bearer {}", key.expose_secret())).map_err(|_| {
                ApiError::Invalid(ValidationErrors::single("api_key", validate::API_KEY_HINT))
            })?;
        value.set_sensitive(true);
        Ok(request.header(AUTHORIZATION, value))
    }

    async fn send<T: DeserializeOwned>(&self, request: RequestBuilder) -> Result<T, ApiError> {
        let (status, body) = fetch(request).await?;
        decode(status, &body)
    }
}

/// Sends `request`: the status and body of a 2xx answer, or the error any other answer
/// (or no answer) means.
pub(crate) async fn fetch(request: RequestBuilder) -> Result<(u16, Vec<u8>), ApiError> {
    let mut response = request
        .send()
        .await
        .map_err(|e| ApiError::from_transport(&e))?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    if !(200..300).contains(&status) {
        // A refusal cut short still says what it is; a transport failure while reading it
        // does not change what the status already said.
        let body = read_at_most(&mut response, MAX_ERROR_BODY_BYTES)
            .await
            .unwrap_or_default();
        return Err(ApiError::from_response(status, &headers, &body.bytes));
    }
    let body = read_at_most(&mut response, MAX_BODY_BYTES).await?;
    if body.cut {
        return Err(ApiError::UnexpectedResponse {
            status,
            detail: format!("the answer is larger than {} MiB", MAX_BODY_BYTES >> 20),
        });
    }
    Ok((status, body.bytes))
}

#[derive(Default)]
struct Body {
    bytes: Vec<u8>,
    /// There was more than the limit; `bytes` holds only the start.
    cut: bool,
}

/// Reads the body chunk by chunk, stopping at `limit` bytes: memory stays bounded whatever
/// the server sends. A declared length over the limit is refused before reading anything.
async fn read_at_most(response: &mut reqwest::Response, limit: usize) -> Result<Body, ApiError> {
    let declared = response.content_length().unwrap_or(0);
    if !usize::try_from(declared).is_ok_and(|n| n <= limit) {
        return Ok(Body {
            bytes: Vec::new(),
            cut: true,
        });
    }
    // A declared length may be a lie; it only sizes the first allocation, up to a point.
    let mut bytes = Vec::with_capacity(usize::try_from(declared).unwrap_or(0).min(1 << 20));
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| ApiError::from_transport(&e))?
    {
        let room = limit - bytes.len();
        if chunk.len() > room {
            bytes.extend_from_slice(&chunk[..room]);
            return Ok(Body { bytes, cut: true });
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(Body { bytes, cut: false })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Auth {
    None,
    Key,
    /// A public call that a newer server may want signed.
    IfSignedIn,
}

/// Unwraps `{"success": true, "data": ...}`. A decoding failure reports where, never what:
/// serde's messages quote values, and a body may hold the API key.
fn decode<T: DeserializeOwned>(status: u16, body: &[u8]) -> Result<T, ApiError> {
    #[derive(Deserialize)]
    struct Envelope<T> {
        #[serde(default)]
        success: Option<bool>,
        data: Option<T>,
        #[serde(default)]
        error: Option<String>,
    }
    let envelope: Envelope<T> =
        serde_json::from_slice(body).map_err(|e| ApiError::UnexpectedResponse {
            status,
            detail: format!(
                "{:?} error at line {} column {}",
                e.classify(),
                e.line(),
                e.column()
            ),
        })?;
    match envelope {
        Envelope {
            success: Some(false),
            error,
            ..
        } => Err(ApiError::Rejected {
            field: error
                .as_deref()
                .and_then(crate::error::field_named_in)
                .map(str::to_owned),
            message: error.unwrap_or_else(|| "Atelier refused this request.".to_owned()),
        }),
        Envelope {
            data: Some(data), ..
        } => Ok(data),
        Envelope { data: None, .. } => Err(ApiError::UnexpectedResponse {
            status,
            detail: "the answer has no data".to_owned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The full order list of an agent with `n` orders shaped like the real server's (26
    /// fields each), every brief `brief`.
    fn order_list(n: usize, brief: &str) -> Vec<u8> {
        let fixture: serde_json::Value =
            serde_json::from_str(include_str!("../tests/fixtures/orders.json")).unwrap();
        let mut order = fixture["data"][0].clone();
        // The server adds both parties' names to the 24 columns the fixture shows.
        order["client_name"] = "A client agent with a long name".into();
        order["provider_name"] = "Neon Avatars and Portraits".into();
        assert_eq!(order.as_object().unwrap().len(), 26);
        order["brief"] = brief.into();
        let orders: Vec<serde_json::Value> = (0..n)
            .map(|i| {
                let mut o = order.clone();
                o["id"] = format!("ord_{}_{i:x}", 1_764_500_000_000u64 + i as u64).into();
                o
            })
            .collect();
        serde_json::to_vec(&serde_json::json!({"success": true, "data": orders})).unwrap()
    }

    #[test]
    fn ten_thousand_orders_with_the_longest_briefs_fit_under_the_cap_with_room() {
        let latin = order_list(10_000, &"a neon avatar ".repeat(72)[..1000]);
        let cjk = order_list(10_000, &"字".repeat(1000));
        let mib = |n: usize| n as f64 / f64::from(1 << 20);
        eprintln!(
            "10 000 orders: {:.1} MiB with Latin briefs, {:.1} MiB with CJK briefs; cap {} MiB",
            mib(latin.len()),
            mib(cjk.len()),
            MAX_BODY_BYTES >> 20
        );
        assert!(latin.len() * 3 < MAX_BODY_BYTES, "{}", latin.len());
        assert!(cjk.len() * 3 / 2 < MAX_BODY_BYTES, "{}", cjk.len());
        let decoded: Vec<Order> = decode(200, &cjk).unwrap();
        assert_eq!(decoded.len(), 10_000);
    }
}
