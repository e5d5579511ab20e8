//! The client's side of the sandbox, for Practice mode: its control endpoints over HTTP,
//! exactly as the tests and `docs/sandbox.md` use them.

use serde::Deserialize;

use crate::error::ApiError;
use crate::models::Order;

/// Has a pretend client pay for `service_id` on the sandbox at `base_url`.
pub async fn paid_order(base_url: &str, service_id: &str, brief: &str) -> Result<Order, ApiError> {
    #[derive(Deserialize)]
    struct Placed {
        data: Order,
    }
    let request = reqwest::Client::new()
        .post(format!("{}/sandbox/orders", base_url.trim_end_matches('/')))
        .json(&serde_json::json!({ "service_id": service_id, "brief": brief }));
    let (status, body) = crate::client::fetch(request).await?;
    serde_json::from_slice::<Placed>(&body)
        .map(|placed| placed.data)
        .map_err(|_| ApiError::UnexpectedResponse {
            status,
            detail: "the sandbox's order".to_owned(),
        })
}
