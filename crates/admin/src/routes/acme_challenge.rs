//! ACME HTTP-01 answers (RFC 8555 §8.3): `GET /.well-known/acme-challenge/{token}` returns
//! the key authorization of a pending challenge, as plain text, to anyone (the certificate
//! authority does not log in); an unknown token is 404.
//!
//! Invariant: only tokens the ACME client published for an order in progress are answered
//! (`heron_net::challenge`); nothing else is readable under this path.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The key authorization for `token`, or 404.
pub async fn answer(Path(token): Path<String>) -> Response {
    match heron_net::challenge::http(&token) {
        Some(key_authorization) => {
            tracing::info!(target: "events", "answered an HTTP-01 challenge");
            (
                [(header::CONTENT_TYPE, "application/octet-stream")],
                key_authorization,
            )
                .into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
