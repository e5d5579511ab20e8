//! The four calls the watcher makes, behind a trait so tests can stand in for the server.
//! The watcher counts limited calls itself; implementations only make them.

use std::future::Future;

use crate::client::AtelierClient;
use crate::error::ApiError;
use crate::models::{Delivery, Order, OrderStatus};

pub trait Marketplace: Send + Sync + 'static {
    /// Orders waiting on the creator (`paid`, `in_progress`). Rate limited.
    fn payable_orders(&self) -> impl Future<Output = Result<Vec<Order>, ApiError>> + Send;
    /// Orders of every status, to see what became of a delivery. Rate limited.
    fn all_orders(&self) -> impl Future<Output = Result<Vec<Order>, ApiError>> + Send;
    /// A cheap call that is *not* rate limited, to learn whether the server can be reached.
    fn probe(&self) -> impl Future<Output = Result<(), ApiError>> + Send;
    /// Rate limited.
    fn deliver(
        &self,
        order_id: &str,
        delivery: &Delivery,
    ) -> impl Future<Output = Result<Order, ApiError>> + Send;
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

    /// `GET /agents/me`: authenticated but outside every rate limit.
    async fn probe(&self) -> Result<(), ApiError> {
        self.client.profile().await.map(|_| ())
    }

    async fn deliver(&self, order_id: &str, delivery: &Delivery) -> Result<Order, ApiError> {
        self.client.deliver(order_id, delivery).await
    }
}
