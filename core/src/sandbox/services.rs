//! `GET|POST /agents/{id}/services`, `GET|PATCH|DELETE /services/{id}`.

use axum::http::{HeaderMap, StatusCode};
use serde::Serialize;
use serde_json::Value;

use super::agents::CATEGORIES;
use super::app::App;
use super::reply::{self, bad_request, parse_body, Body, Failure, RawBody, Reply};
use super::rows::Service;
use super::store::Store;
use super::{auth, ids, js};

const PRICE_TYPES: [&str; 2] = ["fixed", "quote"];
const TITLE_LENGTH: &str = "title must be between 3 and 100 characters";
const DESCRIPTION_LENGTH: &str = "description must be between 10 and 1000 characters";
const PRICE: &str = "price_usd must be a valid non-negative number";
const DEMO_URL: &str = "demo_url must be a valid URL";

fn one_of(value: &Value, allowed: &[&str]) -> bool {
    matches!(value, Value::String(s) if allowed.contains(&s.as_str()))
}

fn price_type_message() -> String {
    format!("price_type must be one of: {}", PRICE_TYPES.join(", "))
}

/// `isNaN(parseFloat(x)) || parseFloat(x) < 0`.
fn bad_price(value: &Value) -> bool {
    let price = js::parse_float_value(value);
    price.is_nan() || price < 0.0
}

fn text(value: &Value) -> Result<Option<String>, Failure> {
    js::sql_text(value).map_err(|_| reply::internal())
}

fn mismatch() -> Failure {
    reply::error(StatusCode::FORBIDDEN, "Agent ID mismatch")
}

pub fn list(app: &App, headers: &HeaderMap, agent_id: &str) -> Reply {
    let store = app.lock();
    if auth::agent(&store, headers)?.id != agent_id {
        return Err(mismatch());
    }
    reply::ok(StatusCode::OK, store.active_services_of(agent_id))
}

pub fn create(app: &App, headers: &HeaderMap, agent_id: &str, raw: RawBody) -> Reply {
    let mut store = app.lock();
    let agent = auth::agent(&store, headers)?;
    if agent.id != agent_id {
        return Err(mismatch());
    }
    let owner = agent.id.clone();
    let body = parse_body(raw)?;
    let present = |field| body.get(field).filter(|v| js::truthy(Some(v)));

    let Some(category) = present("category").filter(|v| one_of(v, &CATEGORIES)) else {
        return Err(bad_request(format!(
            "category is required. Valid: {}",
            CATEGORIES.join(", ")
        )));
    };
    let Some(title) = body
        .get("title")
        .filter(|v| js::is_string_of_length(v, 3, 100))
    else {
        return Err(bad_request(TITLE_LENGTH));
    };
    let Some(description) = body
        .get("description")
        .filter(|v| js::is_string_of_length(v, 10, 1000))
    else {
        return Err(bad_request(DESCRIPTION_LENGTH));
    };
    let Some(price) = present("price_usd").filter(|v| !bad_price(v)) else {
        return Err(bad_request(PRICE));
    };
    let Some(price_type) = present("price_type").filter(|v| one_of(v, &PRICE_TYPES)) else {
        return Err(bad_request(price_type_message()));
    };
    let demo_url = present("demo_url");
    if demo_url.is_some_and(|v| !js::is_url(v)) {
        return Err(bad_request(DEMO_URL));
    }

    // `turnaround_hours ? Number(turnaround_hours) : undefined`, then `|| 48`.
    let hours = present("turnaround_hours").map_or(0.0, |v| js::to_number(Some(v)));
    let hours = if hours == 0.0 || hours.is_nan() {
        48.0
    } else {
        hours
    };
    let empty = Value::Array(Vec::new());
    let deliverables = present("deliverables").unwrap_or(&empty);
    let service = Service {
        id: ids::new_id("svc"),
        agent_id: owner,
        category: js::to_string(category),
        title: js::to_string(title),
        description: js::to_string(description),
        price_usd: js::to_string(price),
        price_type: js::to_string(price_type),
        turnaround_hours: js::sql_number(hours),
        deliverables: Some(js::json_stringify(deliverables)),
        portfolio_post_ids: Some("[]".to_owned()),
        demo_url: demo_url.map(text).transpose()?.flatten(),
        active: 1,
        total_orders: 0,
        completed_orders: 0,
        avg_rating: None,
        provider_key: None,
        provider_model: None,
        system_prompt: None,
        quota_limit: 0,
        created_at: ids::timestamp_now(),
    };
    let id = service.id.clone();
    store.services.push(service);
    app.commit(&store)?;
    let created = store.service(&id).ok_or_else(reply::internal)?;
    reply::ok(StatusCode::CREATED, store.service_view(created))
}

/// The service `{id}` if it exists and belongs to the caller, else the
/// server's 401, 404 or 403.
fn owned_service(store: &Store, headers: &HeaderMap, service_id: &str) -> Result<(), Failure> {
    let agent = auth::agent(store, headers)?;
    let service = store
        .service(service_id)
        .ok_or_else(|| reply::error(StatusCode::NOT_FOUND, "Service not found"))?;
    if service.agent_id != agent.id {
        return Err(reply::error(
            StatusCode::FORBIDDEN,
            "Service does not belong to this agent",
        ));
    }
    Ok(())
}

pub fn get(app: &App, headers: &HeaderMap, service_id: &str) -> Reply {
    let store = app.lock();
    owned_service(&store, headers, service_id)?;
    let service = store.service(service_id).ok_or_else(reply::internal)?;
    reply::ok(StatusCode::OK, store.service_view(service))
}

/// Column changes a `PATCH /services/{id}` body asks for.
#[derive(Default)]
struct ServiceChanges {
    category: Option<String>,
    title: Option<String>,
    description: Option<String>,
    price_usd: Option<String>,
    price_type: Option<String>,
    turnaround_hours: Option<Value>,
    deliverables: Option<String>,
    demo_url: Option<Option<String>>,
}

fn service_changes(body: &Body) -> Result<ServiceChanges, Failure> {
    let category = body.get("category");
    if category.is_some_and(|v| !one_of(v, &CATEGORIES)) {
        return Err(bad_request(format!(
            "Invalid category. Valid: {}",
            CATEGORIES.join(", ")
        )));
    }
    let title = body.get("title");
    if title.is_some_and(|v| !js::is_string_of_length(v, 3, 100)) {
        return Err(bad_request(TITLE_LENGTH));
    }
    let description = body.get("description");
    if description.is_some_and(|v| !js::is_string_of_length(v, 10, 1000)) {
        return Err(bad_request(DESCRIPTION_LENGTH));
    }
    // Unlike creation, 0 is accepted here: only NaN and negatives are refused.
    let price = body.get("price_usd");
    if price.is_some_and(bad_price) {
        return Err(bad_request(PRICE));
    }
    let price_type = body.get("price_type");
    if price_type.is_some_and(|v| !one_of(v, &PRICE_TYPES)) {
        return Err(bad_request(price_type_message()));
    }
    let demo_url = body.get("demo_url");
    if demo_url.is_some_and(|v| !v.is_null() && !js::is_url(v)) {
        return Err(bad_request(DEMO_URL));
    }
    Ok(ServiceChanges {
        category: category.map(js::to_string),
        title: title.map(js::to_string),
        description: description.map(js::to_string),
        price_usd: price.map(js::to_string),
        price_type: price_type.map(js::to_string),
        turnaround_hours: body
            .get("turnaround_hours")
            .map(|v| js::sql_number(js::to_number(Some(v)))),
        // `JSON.stringify(null)` is the string "null", and that is what is stored.
        deliverables: body.get("deliverables").map(js::json_stringify),
        demo_url: demo_url.map(text).transpose()?,
    })
}

pub fn update(app: &App, headers: &HeaderMap, service_id: &str, raw: RawBody) -> Reply {
    let mut store = app.lock();
    owned_service(&store, headers, service_id)?;
    let changes = service_changes(&parse_body(raw)?)?;
    let service = store.service_mut(service_id).ok_or_else(reply::internal)?;
    let text_columns = [
        (&mut service.category, changes.category),
        (&mut service.title, changes.title),
        (&mut service.description, changes.description),
        (&mut service.price_usd, changes.price_usd),
        (&mut service.price_type, changes.price_type),
    ];
    for (column, change) in text_columns {
        if let Some(value) = change {
            *column = value;
        }
    }
    if let Some(hours) = changes.turnaround_hours {
        service.turnaround_hours = hours;
    }
    if let Some(deliverables) = changes.deliverables {
        service.deliverables = Some(deliverables);
    }
    if let Some(demo_url) = changes.demo_url {
        service.demo_url = demo_url;
    }
    app.commit(&store)?;
    let service = store.service(service_id).ok_or_else(reply::internal)?;
    reply::ok(StatusCode::OK, store.service_view(service))
}

#[derive(Serialize)]
struct Deactivated<'a> {
    id: &'a str,
    active: i64,
}

pub fn deactivate(app: &App, headers: &HeaderMap, service_id: &str) -> Reply {
    let mut store = app.lock();
    owned_service(&store, headers, service_id)?;
    if let Some(service) = store.service_mut(service_id) {
        service.active = 0;
    }
    app.commit(&store)?;
    reply::ok(
        StatusCode::OK,
        Deactivated {
            id: service_id,
            active: 0,
        },
    )
}
