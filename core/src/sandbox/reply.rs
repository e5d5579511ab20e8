//! The two response envelopes, and reading a body the way Next.js's
//! `request.json()` does.

use std::borrow::Cow;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use serde_json::Value;

#[derive(Serialize)]
struct Success<T> {
    success: bool,
    data: T,
}

/// An error answer: `{"success":false,"error":"..."}` with its status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    status: StatusCode,
    message: Cow<'static, str>,
}

#[derive(Serialize)]
struct FailureBody<'a> {
    success: bool,
    error: &'a str,
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let body = FailureBody {
            success: false,
            error: &self.message,
        };
        (self.status, Json(body)).into_response()
    }
}

/// What a handler produces: a success response, or a failure to render.
pub type Reply = Result<Response, Failure>;

/// `{"success":true,"data":...}`; serialised straight from `data` so that row
/// fields keep their column order.
pub fn ok<T: Serialize>(status: StatusCode, data: T) -> Reply {
    Ok((
        status,
        Json(Success {
            success: true,
            data,
        }),
    )
        .into_response())
}

pub fn error(status: StatusCode, message: impl Into<Cow<'static, str>>) -> Failure {
    Failure {
        status,
        message: message.into(),
    }
}

pub fn bad_request(message: impl Into<Cow<'static, str>>) -> Failure {
    error(StatusCode::BAD_REQUEST, message)
}

/// What the server answers for anything it did not anticipate, including
/// bodies that are not JSON.
pub fn internal() -> Failure {
    error(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error")
}

pub fn not_found_route() -> Failure {
    error(StatusCode::NOT_FOUND, "Not found")
}

pub fn method_not_allowed() -> Failure {
    error(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed")
}

/// A request body as extracted, read only once the checks that precede
/// `request.json()` in the server have passed.
pub type RawBody = Result<Bytes, BytesRejection>;

/// A JSON body whose fields the handlers read. Like destructuring in
/// JavaScript, fields of a non-object body are all `undefined`.
pub struct Body(Value);

impl Body {
    pub fn get(&self, field: &str) -> Option<&Value> {
        match &self.0 {
            Value::Object(map) => map.get(field),
            _ => None,
        }
    }
}

/// Parse a request body as the server does; any failure is its 500, and so
/// is a literal `null` (destructuring `null` throws).
pub fn parse_body(raw: RawBody) -> Result<Body, Failure> {
    let bytes = raw.map_err(|_| internal())?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Null) | Err(_) => Err(internal()),
        Ok(value) => Ok(Body(value)),
    }
}
