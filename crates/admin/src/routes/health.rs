//! Health and metrics for monitoring (OPS-3): `/healthz` (the process answers), `/readyz`
//! (the store answers and every configured mail listener is bound) and `/metrics`
//! (Prometheus's text format, [`heron_metrics`]).
//!
//! Invariants: `/healthz` and `/readyz` need no login and say nothing beyond ready or not and
//! which part is not (no addresses, no error texts) — a load balancer may ask them from
//! anywhere; `/metrics` is answered without a token only to this machine (127.0.0.1, ::1)
//! and to the addresses of `admin.metrics_ips`, to anyone else only with a system administrator's API token or
//! session (401/403 otherwise); the gauges are read from the listeners and the store at each
//! scrape, the counters are the process's own since it started.

use std::time::Duration;

use axum::Json;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use heron_directory::blocks::KINDS;
use heron_metrics::{CONTENT_TYPE, Snapshot, metrics};
use heron_settings::defs;
use heron_settings::values::{Protocol, parse_ip_rules};
use serde::Serialize;

use crate::auth::{Caller, Shared, client_ip};
use crate::authz::Action;
use crate::error::ApiResult;
use crate::sessions::now;

/// Longest `/readyz` waits for the store.
const STORE_DEADLINE: Duration = Duration::from_secs(3);

/// The protocols whose sessions are counted.
const SERVED: [Protocol; 4] = [
    Protocol::Smtp,
    Protocol::Submission,
    Protocol::Pop3,
    Protocol::Imap,
];

/// `GET /healthz`: 200 while the process answers.
pub async fn healthz() -> &'static str {
    "ok\n"
}

/// The answer of `/readyz`.
#[derive(Serialize)]
pub struct Readiness {
    pub ready: bool,
    /// The store answered a read within its deadline.
    pub store: bool,
    /// Every configured mail listener is bound.
    pub listeners: bool,
}

/// `GET /readyz`: 200 when the store answers and every listener is bound, else 503.
pub async fn readyz(State(st): State<Shared>) -> (StatusCode, Json<Readiness>) {
    let read = st.dir.store().get_setting(defs::SERVER_HOSTNAME.name);
    let store = matches!(tokio::time::timeout(STORE_DEADLINE, read).await, Ok(Ok(_)));
    let listeners = (st.runtime.unbound)().is_empty();
    let ready = store && listeners;
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(Readiness {
            ready,
            store,
            listeners,
        }),
    )
}

/// `GET /metrics`.
pub async fn metrics_text(State(st): State<Shared>, req: Request) -> ApiResult<Response> {
    let (mut parts, _) = req.into_parts();
    let ip = heron_settings::values::canonical(client_ip(&parts));
    let listed = parse_ip_rules(&st.dir.settings().get(defs::ADMIN_METRICS_IPS).join(", "))
        .unwrap_or_default()
        .iter()
        .any(|r| r.range.contains(ip));
    let local = ip == std::net::IpAddr::from([127, 0, 0, 1]) || ip == std::net::Ipv6Addr::LOCALHOST;
    if !local && !listed {
        Caller::from_request_parts(&mut parts, &st)
            .await?
            .allow(Action::Connections)?;
    }
    let body = metrics().encode(&snapshot(&st).await);
    Ok(([(header::CONTENT_TYPE, CONTENT_TYPE)], body).into_response())
}

/// The gauges now: sessions per protocol, the queue, the blocks per kind (a part the store
/// cannot give is left at zero).
async fn snapshot(st: &Shared) -> Snapshot {
    let registry = &st.runtime.registry;
    let mut s = Snapshot {
        sessions: SERVED
            .iter()
            .map(|p| (p.as_str().to_owned(), registry.count(*p) as i64))
            .collect(),
        ..Snapshot::default()
    };
    let store = st.dir.store();
    let t = now();
    if let Ok((n, oldest)) = store.spool_summary().await {
        s.queue_messages = i64::try_from(n).unwrap_or(i64::MAX);
        s.queue_oldest_seconds = oldest.map_or(0, |o| (t - o).max(0));
    }
    if let Ok(blocks) = store.limit_blocks(t).await {
        s.blocks = KINDS
            .iter()
            .map(|k| {
                let n = blocks.iter().filter(|b| b.scope == *k).count();
                ((*k).to_owned(), n as i64)
            })
            .collect();
    }
    s
}
