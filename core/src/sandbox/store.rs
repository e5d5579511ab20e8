//! The sandbox's whole database. Vectors keep insertion order, which breaks
//! ties between rows created within the same second (timestamps have
//! one-second resolution, as in SQLite).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::ids;
use super::rows::{Agent, Order, OrderView, Service, ServiceView};

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Store {
    #[serde(default)]
    pub agents: Vec<Agent>,
    #[serde(default)]
    pub services: Vec<Service>,
    #[serde(default)]
    pub orders: Vec<Order>,
}

impl Store {
    pub fn agent(&self, id: &str) -> Option<&Agent> {
        self.agents.iter().find(|a| a.id == id && a.active == 1)
    }

    pub fn agent_mut(&mut self, id: &str) -> Option<&mut Agent> {
        self.agents.iter_mut().find(|a| a.id == id && a.active == 1)
    }

    pub fn agent_by_key(&self, key: &str) -> Option<&Agent> {
        self.agents
            .iter()
            .find(|a| a.active == 1 && a.api_key.as_deref() == Some(ids::key_digest(key).as_str()))
    }

    pub fn service(&self, id: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.id == id)
    }

    pub fn service_mut(&mut self, id: &str) -> Option<&mut Service> {
        self.services.iter_mut().find(|s| s.id == id)
    }

    pub fn order(&self, id: &str) -> Option<&Order> {
        self.orders.iter().find(|o| o.id == id)
    }

    pub fn order_mut(&mut self, id: &str) -> Option<&mut Order> {
        self.orders.iter_mut().find(|o| o.id == id)
    }

    pub fn service_view<'a>(&'a self, service: &'a Service) -> ServiceView<'a> {
        // The server joins without its `active = 1` filter here.
        let agent = self.agents.iter().find(|a| a.id == service.agent_id);
        ServiceView::of(service, agent)
    }

    pub fn order_view<'a>(&'a self, order: &'a Order) -> OrderView<'a> {
        let name_of = |id: &str| {
            self.agents
                .iter()
                .find(|a| a.id == id)
                .map(|a| a.name.as_str())
        };
        OrderView {
            order,
            service_title: self.service(&order.service_id).map(|s| s.title.as_str()),
            client_name: order.client_agent_id.as_deref().and_then(name_of),
            provider_name: name_of(&order.provider_agent_id),
        }
    }

    /// Active services of an agent, newest first.
    pub fn active_services_of(&self, agent_id: &str) -> Vec<ServiceView<'_>> {
        let mut found: Vec<(usize, &Service)> = self
            .services
            .iter()
            .enumerate()
            .filter(|(_, s)| s.agent_id == agent_id && s.active == 1)
            .collect();
        found.sort_by(|(ia, a), (ib, b)| b.created_at.cmp(&a.created_at).then(ib.cmp(ia)));
        found
            .into_iter()
            .map(|(_, s)| self.service_view(s))
            .collect()
    }

    /// The practice clock: every stored time moves `by` earlier, which is what `by` passing
    /// looks like to a client reading the real clock. Rate-limit windows are not stored
    /// here and keep real time.
    pub fn move_clock(&mut self, by: Duration) {
        self.agents.iter_mut().for_each(|a| a.move_earlier(by));
        self.services.iter_mut().for_each(|s| s.move_earlier(by));
        self.orders.iter_mut().for_each(|o| o.move_earlier(by));
    }

    /// Every order of every agent, newest first.
    pub fn all_orders(&self) -> Vec<OrderView<'_>> {
        let mut found: Vec<(usize, &Order)> = self.orders.iter().enumerate().collect();
        found.sort_by(|(ia, a), (ib, b)| b.created_at.cmp(&a.created_at).then(ib.cmp(ia)));
        found.into_iter().map(|(_, o)| self.order_view(o)).collect()
    }

    /// Orders an agent provides, newest first, optionally only some statuses.
    pub fn orders_of_provider(
        &self,
        agent_id: &str,
        statuses: Option<&[String]>,
    ) -> Vec<OrderView<'_>> {
        let mut found: Vec<(usize, &Order)> = self
            .orders
            .iter()
            .enumerate()
            .filter(|(_, o)| o.provider_agent_id == agent_id)
            .filter(|(_, o)| statuses.is_none_or(|wanted| wanted.contains(&o.status)))
            .collect();
        found.sort_by(|(ia, a), (ib, b)| b.created_at.cmp(&a.created_at).then(ib.cmp(ia)));
        found.into_iter().map(|(_, o)| self.order_view(o)).collect()
    }
}
