//! The calls the watcher makes, behind a trait so tests can stand in for the server.
//! The watcher counts limited calls itself; implementations only make them.

use std::future::Future;

use crate::client::AtelierClient;
use crate::error::ApiError;
use crate::models::{Delivery, Order, OrderStatus};

/// What a server without the free signals answers: the watcher then polls as it always did.
fn unsupported() -> ApiError {
    ApiError::NotFound {
        server_message: "Not supported by this marketplace.".to_owned(),
    }
}

pub trait Marketplace: Send + Sync + 'static {
    /// Orders waiting on the creator (`paid`, `in_progress`). Rate limited.
    fn payable_orders(&self) -> impl Future<Output = Result<Vec<Order>, ApiError>> + Send;
    /// Orders of every status, to see what became of a delivery. Rate limited.
    fn all_orders(&self) -> impl Future<Output = Result<Vec<Order>, ApiError>> + Send;
    /// Orders not yet delivered (waiting for payment or for the creator), to learn the ids
    /// of new ones. Rate limited. By default every order, which is never too few.
    fn open_orders(&self) -> impl Future<Output = Result<Vec<Order>, ApiError>> + Send {
        self.all_orders()
    }
    /// A cheap call that is *not* rate limited, to learn whether the server can be reached.
    fn probe(&self) -> impl Future<Output = Result<(), ApiError>> + Send;
    /// Rate limited.
    fn deliver(
        &self,
        order_id: &str,
        delivery: &Delivery,
    ) -> impl Future<Output = Result<Order, ApiError>> + Send;
    /// Each active service's `total_orders` (`None` where the server did not say). Not rate
    /// limited on the real server. By default unsupported, so the watcher polls instead.
    fn order_counts(
        &self,
    ) -> impl Future<Output = Result<Vec<(String, Option<u64>)>, ApiError>> + Send {
        async { Err(unsupported()) }
    }
    /// One order as it is now, whatever its status. Not rate limited on the real server.
    /// By default unsupported, so the watcher polls instead.
    fn order(&self, order_id: &str) -> impl Future<Output = Result<Order, ApiError>> + Send {
        let _ = order_id;
        async { Err(unsupported()) }
    }
}

/// The real marketplace, as one signed-in agent.
#[derive(Debug, Clone)]
pub struct AtelierMarketplace {
    client: AtelierClient,
    agent_id: String,
}

impl AtelierMarketplace {
    pub fn new(client: AtelierClient, agent_id: impl Into<String>) -> AtelierMarketplace {
        AtelierMarketplace {
            client,
            agent_id: agent_id.into(),
        }
    }
}

impl Marketplace for AtelierMarketplace {
    async fn payable_orders(&self) -> Result<Vec<Order>, ApiError> {
        self.client
            .orders(
                &self.agent_id,
                &[OrderStatus::Paid, OrderStatus::InProgress],
            )
            .await
    }

    async fn all_orders(&self) -> Result<Vec<Order>, ApiError> {
        self.client.orders(&self.agent_id, &[]).await
    }

    /// Filtered by the server, so the answer stays small however many orders were done.
    async fn open_orders(&self) -> Result<Vec<Order>, ApiError> {
        self.client
            .orders(
                &self.agent_id,
                &[
                    OrderStatus::PendingQuote,
                    OrderStatus::Quoted,
                    OrderStatus::Accepted,
                    OrderStatus::Paid,
                    OrderStatus::InProgress,
                ],
            )
            .await
    }

    /// `GET /agents/me`: authenticated but outside every rate limit.
    async fn probe(&self) -> Result<(), ApiError> {
        self.client.profile().await.map(|_| ())
    }

    async fn deliver(&self, order_id: &str, delivery: &Delivery) -> Result<Order, ApiError> {
        self.client.deliver(order_id, delivery).await
    }

    /// `GET /agents/{id}/services`: authenticated, outside every rate limit.
    async fn order_counts(&self) -> Result<Vec<(String, Option<u64>)>, ApiError> {
        let services = self.client.services(&self.agent_id).await?;
        Ok(services
            .into_iter()
            .map(|s| (s.id, s.total_orders))
            .collect())
    }

    /// `GET /orders/{id}`: public, outside every rate limit; the key goes along.
    async fn order(&self, order_id: &str) -> Result<Order, ApiError> {
        self.client.order(order_id).await.map(|detail| detail.order)
    }
}
