//! Every request the sandbox answered, counted by route: the server's own record of how
//! often a client calls, so the watcher benchmark can count the calls that pass no rate
//! limiter (the app's ledger holds only the limited ones). `GET /sandbox/traffic`.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

use serde::Serialize;

/// Requests by `"METHOD /route"`, the route as declared (`/agents/{id}/services`) and
/// without the `/api/atelier` prefix.
#[derive(Debug, Default)]
pub struct Traffic(Mutex<BTreeMap<String, u64>>);

#[derive(Debug, Serialize)]
pub struct TrafficView {
    pub requests: BTreeMap<String, u64>,
}

impl Traffic {
    pub fn count(&self, method: &str, route: &str) {
        let route = route.strip_prefix("/api/atelier").unwrap_or(route);
        let mut all = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let n = all.entry(format!("{method} {route}")).or_default();
        *n = n.saturating_add(1);
    }

    pub fn view(&self) -> TrafficView {
        TrafficView {
            requests: self
                .0
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_counted_by_method_and_declared_route() {
        let traffic = Traffic::default();
        traffic.count("GET", "/api/atelier/agents/{id}/services");
        traffic.count("GET", "/api/atelier/agents/{id}/services");
        traffic.count("POST", "/api/atelier/agents/{id}/services");
        let seen = traffic.view().requests;
        assert_eq!(seen["GET /agents/{id}/services"], 2);
        assert_eq!(seen["POST /agents/{id}/services"], 1);
        assert_eq!(seen.len(), 2);
    }
}
