//! The pages' stylesheet and script, compiled into the binary (no build step, no files to
//! install). They change only with the binary, so browsers may cache them for a day.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

const CSS: &str = include_str!("../../static/heron.css");
const JS: &str = include_str!("../../static/heron.js");

fn asset(body: &'static str, kind: &'static str) -> Response {
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    r
}

/// `/static/heron.css`.
pub async fn css() -> Response {
    asset(CSS, "text/css; charset=utf-8")
}

/// `/static/heron.js`.
pub async fn js() -> Response {
    asset(JS, "text/javascript; charset=utf-8")
}
