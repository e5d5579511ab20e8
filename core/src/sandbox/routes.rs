//! Paths, methods and extraction. Limited endpoints consult the limiter before
//! anything else, as each real route does on its first line, so a request
//! that is later refused with 400, 401 or 403 has still been counted.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::rejection::PathRejection;
use axum::extract::{ConnectInfo, MatchedPath, Path, RawQuery, Request, State};
use axum::http::HeaderMap;
use axum::middleware::{self, Next};
use axum::response::Response;

use axum::routing::{get, post};
use axum::Router;

use super::app::App;
use super::control::{self, Step};
use super::rate_limit::Bucket;
use super::reply::{self, Failure, RawBody, Reply};
use super::{agents, orders, services};

type Shared = State<Arc<App>>;
type Peer = ConnectInfo<SocketAddr>;
type Id = Result<Path<String>, PathRejection>;

pub fn router(app: Arc<App>) -> Router {
    let at = |path: &str| format!("/api/atelier{path}");
    Router::new()
        .route(&at("/agents/register"), post(register))
        .route(&at("/agents/me"), get(me).patch(update_me))
        .route(
            &at("/agents/{id}/services"),
            get(list_services).post(create_service),
        )
        .route(&at("/agents/{id}/orders"), get(list_orders))
        .route(
            &at("/services/{id}"),
            get(get_service)
                .patch(update_service)
                .delete(delete_service),
        )
        .route(&at("/orders/{id}"), get(order_detail))
        .route(&at("/orders/{id}/deliver"), post(deliver))
        .route(&at("/sandbox/orders"), post(place_order))
        .route(&at("/sandbox/orders/{id}/pay"), post(pay_order))
        .route(&at("/sandbox/orders/{id}/cancel"), post(cancel_order))
        .route(&at("/sandbox/orders/{id}/complete"), post(complete_order))
        .route(&at("/sandbox/orders/{id}/dispute"), post(dispute_order))
        .route(&at("/sandbox/orders/{id}/lapse"), post(lapse_review))
        .route(&at("/sandbox/orders/{id}/age"), post(age_order))
        .route(&at("/sandbox/clock"), post(advance_clock))
        .route(&at("/sandbox/traffic"), get(traffic))
        .route_layer(middleware::from_fn_with_state(app.clone(), count))
        .fallback(|| async { reply::not_found_route() })
        .method_not_allowed_fallback(|| async { reply::method_not_allowed() })
        .with_state(app)
}

/// Counts each request to a known route before it is answered (`GET /sandbox/traffic`).
async fn count(State(app): Shared, route: MatchedPath, request: Request, next: Next) -> Response {
    app.traffic.count(request.method().as_str(), route.as_str());
    next.run(request).await
}

async fn traffic(State(app): Shared) -> Reply {
    reply::ok(axum::http::StatusCode::OK, app.traffic.view())
}

fn id(path: Id) -> Result<String, Failure> {
    path.map(|Path(id)| id)
        .map_err(|_| reply::bad_request("Invalid path parameter"))
}

async fn register(
    State(app): Shared,
    ConnectInfo(peer): Peer,
    headers: HeaderMap,
    body: RawBody,
) -> Reply {
    if let Some(limited) = app.rate_limit(&headers, peer, Bucket::Register) {
        return Ok(limited);
    }
    agents::register(&app, body)
}

async fn me(State(app): Shared, headers: HeaderMap) -> Reply {
    agents::me(&app, &headers)
}

async fn update_me(State(app): Shared, headers: HeaderMap, body: RawBody) -> Reply {
    agents::update_me(&app, &headers, body)
}

async fn list_services(State(app): Shared, path: Id, headers: HeaderMap) -> Reply {
    let agent_id = id(path)?;
    services::list(&app, &headers, &agent_id)
}

async fn create_service(
    State(app): Shared,
    ConnectInfo(peer): Peer,
    path: Id,
    headers: HeaderMap,
    body: RawBody,
) -> Reply {
    if let Some(limited) = app.rate_limit(&headers, peer, Bucket::ServiceCreate) {
        return Ok(limited);
    }
    let agent_id = id(path)?;
    services::create(&app, &headers, &agent_id, body)
}

async fn list_orders(
    State(app): Shared,
    ConnectInfo(peer): Peer,
    path: Id,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Reply {
    if let Some(limited) = app.rate_limit(&headers, peer, Bucket::Orders) {
        return Ok(limited);
    }
    let agent_id = id(path)?;
    orders::list(&app, &headers, &agent_id, query.as_deref())
}

async fn get_service(State(app): Shared, path: Id, headers: HeaderMap) -> Reply {
    let service_id = id(path)?;
    services::get(&app, &headers, &service_id)
}

async fn update_service(State(app): Shared, path: Id, headers: HeaderMap, body: RawBody) -> Reply {
    let service_id = id(path)?;
    services::update(&app, &headers, &service_id, body)
}

async fn delete_service(State(app): Shared, path: Id, headers: HeaderMap) -> Reply {
    let service_id = id(path)?;
    services::deactivate(&app, &headers, &service_id)
}

/// Public and unlimited on the real server: the Authorization header, if any, is ignored.
async fn order_detail(State(app): Shared, path: Id) -> Reply {
    let order_id = id(path)?;
    orders::detail(&app, &order_id)
}

async fn deliver(
    State(app): Shared,
    ConnectInfo(peer): Peer,
    path: Id,
    headers: HeaderMap,
    body: RawBody,
) -> Reply {
    if let Some(limited) = app.rate_limit(&headers, peer, Bucket::Orders) {
        return Ok(limited);
    }
    let order_id = id(path)?;
    orders::deliver(&app, &headers, &order_id, body)
}

async fn place_order(State(app): Shared, body: RawBody) -> Reply {
    control::place_order(&app, body)
}

async fn pay_order(State(app): Shared, path: Id) -> Reply {
    let order_id = id(path)?;
    control::advance(&app, &order_id, Step::Pay)
}

async fn cancel_order(State(app): Shared, path: Id) -> Reply {
    let order_id = id(path)?;
    control::advance(&app, &order_id, Step::Cancel)
}

async fn complete_order(State(app): Shared, path: Id, body: RawBody) -> Reply {
    let order_id = id(path)?;
    control::complete(&app, &order_id, body)
}

async fn dispute_order(State(app): Shared, path: Id) -> Reply {
    let order_id = id(path)?;
    control::dispute(&app, &order_id)
}

async fn lapse_review(State(app): Shared, path: Id, body: RawBody) -> Reply {
    let order_id = id(path)?;
    control::lapse(&app, &order_id, body)
}

async fn age_order(State(app): Shared, path: Id, body: RawBody) -> Reply {
    let order_id = id(path)?;
    control::age(&app, &order_id, body)
}

async fn advance_clock(State(app): Shared, body: RawBody) -> Reply {
    control::clock(&app, body)
}
