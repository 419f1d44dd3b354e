//! The MTA-STS policy file of the hosted domains (RFC 8461 §3.3):
//! `GET /.well-known/mta-sts.txt` with `Host: mta-sts.DOMAIN`, answered without
//! authentication (senders fetch it anonymously).
//!
//! Invariant: only a hosted domain (or domain alias) gets a policy; any other host is 404,
//! so the listener does not vouch for domains it does not serve.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use heron_queue::tls_policy::hosted;

use crate::auth::Shared;

/// The policy, as `text/plain`.
pub async fn policy(State(st): State<Shared>, headers: HeaderMap) -> Response {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    let Some(domain) = hosted::domain_of_host(host) else {
        return not_found();
    };
    match st.dir.find_domain(&domain).await {
        Ok(Some(_)) => (
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            hosted::text(st.dir.settings()),
        )
            .into_response(),
        Ok(None) => not_found(),
        Err(e) => {
            tracing::warn!(target: "events", "MTA-STS policy for {domain}: {e}");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "no MTA-STS policy here\n",
    )
        .into_response()
}
