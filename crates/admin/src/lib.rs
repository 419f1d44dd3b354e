//! The admin HTTP API (`/api/v1`, JSON, OpenAPI at `/api/v1/openapi.json`): domains, users,
//! aliases, settings, the spool and API tokens, with the same operations and validation as
//! the CLI verbs. The admin web UI will be served from here too.
//!
//! The listener ([`listener`], [`conn`]) serves HTTPS and, to loopback clients, plain HTTP on
//! one port ([`transport`]); it caps its connections and gives each request a
//! header deadline. Layers, outside in: the body read (size limit and deadline, before
//! routing), request timeout, body size limit (checked before reading), then the routes; each
//! handler authenticates through [`auth::Caller`] (cookie session with CSRF token, or bearer
//! API token) and asks [`authz::decide`] before acting.
//!
//! Invariants: no handler answers 5xx for bad input (malformed JSON is 400, validation 422);
//! internal failures are logged and answered with a generic 500; every change is logged on
//! the `events` target with who made it and from where; no client holds a connection
//! without sending a request for longer than `admin.header_timeout`, nor a body for longer
//! than `admin.body_timeout`, and the listener never holds more connections than
//! [`listener::cap`].
#![forbid(unsafe_code)]

pub mod auth;
pub mod authz;
mod body;
mod conn;
pub mod csrf;
pub mod error;
pub mod listener;
mod openapi;
mod openapi_roles;
mod plain;
pub mod ratelimit;
mod routes;
#[doc(hidden)]
pub use routes::parse_bodies_for_fuzzing;
pub mod sessions;
mod stall;
pub mod tokens;
pub mod transport;
pub mod ui;

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use heron_directory::Directory;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

pub use auth::Runtime;
pub use listener::ProcessLimits;
pub use openapi::document as openapi_document;

/// Largest request body accepted.
pub const MAX_BODY: usize = 1024 * 1024;
/// Longest a request may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The admin server could not run.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("admin server failed: {0}")]
    Serve(#[source] std::io::Error),
}

/// The whole application over a directory.
pub fn app(dir: Directory, runtime: Runtime) -> Router {
    let settings = dir.settings().clone();
    routes::api()
        .merge(ui::pages())
        .merge(routes::clientsetup::public())
        .with_state(auth::AppState::new(dir, runtime))
        .layer(RequestBodyLimitLayer::new(MAX_BODY))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(axum::middleware::from_fn_with_state(settings, plain::shape))
}

/// Bind the admin listener.
pub async fn bind(addr: SocketAddr) -> Result<TcpListener, AdminError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| AdminError::Bind { addr, source })
}

/// Serve the API on `listener` until `stop` is cancelled, then let open connections finish
/// their current request and return once they have.
pub async fn serve(
    listener: TcpListener,
    dir: Directory,
    runtime: Runtime,
    limits: ProcessLimits,
    stop: CancellationToken,
) -> Result<(), AdminError> {
    let settings = dir.settings().clone();
    let tls = runtime.tls.clone();
    listener::run(listener, app(dir, runtime), settings, (limits, tls), stop).await;
    Ok(())
}
