//! Answers made outside the handlers (by the router and the size and time limits) in the
//! shape their caller reads: JSON `{"error"}` under `/api/`, an HTML page elsewhere.
//!
//! Invariants: an answer a handler made (already JSON, or a page) passes unchanged; every
//! request body is read in full (within the size limit) before routing, so no refusal
//! leaves unread bytes on a keep-alive connection; a body that does not arrive within
//! `admin.body_timeout` is answered 408 and its connection closed (the rest of it is never
//! read).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use heron_settings::{Settings, defs};

use crate::error::ApiError;

fn is_json(r: &Response) -> bool {
    r.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

fn message(status: StatusCode) -> Option<&'static str> {
    Some(match status {
        StatusCode::METHOD_NOT_ALLOWED => "method not allowed for this resource",
        StatusCode::REQUEST_TIMEOUT => "the request took too long",
        StatusCode::PAYLOAD_TOO_LARGE => "request body too large",
        StatusCode::NOT_FOUND => "no such resource",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "send the body as application/json",
        _ => return None,
    })
}

/// Read the whole request body (at most [`crate::MAX_BODY`], within `admin.body_timeout`)
/// before routing, so a request refused without looking at its body (401, 403, 404) still
/// leaves the connection in step and the client can send its next request on it; then give
/// router and limit answers the caller's shape.
pub async fn shape(State(settings): State<Arc<Settings>>, req: Request, next: Next) -> Response {
    let api = req.uri().path().starts_with("/api/");
    let (parts, body) = req.into_parts();
    let deadline = settings
        .get(defs::ADMIN_BODY_TIMEOUT)
        .max(Duration::from_secs(1));
    let read = tokio::time::timeout(deadline, axum::body::to_bytes(body, crate::MAX_BODY));
    let req = match read.await {
        Ok(Ok(bytes)) => Request::from_parts(parts, axum::body::Body::from(bytes)),
        Ok(Err(_)) => return refusal(api, StatusCode::PAYLOAD_TOO_LARGE, "request body too large"),
        Err(_) => {
            let mut r = refusal(
                api,
                StatusCode::REQUEST_TIMEOUT,
                "the request took too long",
            );
            r.headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            return r;
        }
    };
    let r = next.run(req).await;
    let status = r.status();
    if api {
        if is_json(&r) || r.status().is_success() {
            return r;
        }
        let Some(msg) = message(status) else { return r };
        let allow = r.headers().get(header::ALLOW).cloned();
        let mut out = ApiError::new(status, msg).into_response();
        if let Some(a) = allow {
            out.headers_mut().insert(header::ALLOW, a);
        }
        return out;
    }
    if status == StatusCode::NOT_FOUND && is_json(&r) {
        let mut out = (status, NOT_FOUND_PAGE).into_response();
        out.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        return out;
    }
    r
}

/// A refusal made here: the API's JSON shape under `/api/`, plain text elsewhere.
fn refusal(api: bool, status: StatusCode, msg: &'static str) -> Response {
    if api {
        ApiError::new(status, msg).into_response()
    } else {
        (status, msg).into_response()
    }
}

const NOT_FOUND_PAGE: &str = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<title>Not found · Heron</title><link rel=\"stylesheet\" href=\"/static/heron.css\"></head>\
<body><main><h1>Not found</h1><p>There is no such page. <a href=\"/\">Start page</a></p></main></body></html>";
