//! BIND-1: the host's IP addresses (`GET /api/v1/system/addresses`), each with the listeners
//! that accept connections on it (a listener on `0.0.0.0` or `::` counts for every address of
//! its family) and the domains bound to it (BIND-4).
//!
//! Invariants: addresses come from the interfaces at the time of the request; an address
//! with no listener is listed too (it stays free for other programs).

use std::net::IpAddr;

use axum::Json;
use axum::extract::State;
use heron_settings::values::canonical;
use serde::Serialize;
use utoipa::ToSchema;

use super::listeners::{ListenerView, listeners};
use crate::auth::{Caller, Shared};
use crate::authz::Action;
use crate::error::{ApiResult, ErrorBody};

/// One address of the host.
#[derive(Serialize, ToSchema)]
pub struct AddressView {
    pub address: String,
    /// Loopback, link-local or other.
    pub scope: String,
    /// Listeners accepting connections on it.
    pub listeners: Vec<ListenerView>,
    /// Hosted domains bound to it (BIND-4).
    pub domains: Vec<String>,
}

fn scope(ip: IpAddr) -> &'static str {
    if ip.is_loopback() {
        return "loopback";
    }
    match ip {
        IpAddr::V4(v4) if v4.is_link_local() => "link-local",
        IpAddr::V6(v6) if (v6.segments()[0] & 0xffc0) == 0xfe80 => "link-local",
        _ => "global",
    }
}

/// The listener's address serves `ip`.
fn covers(l: &ListenerView, ip: IpAddr) -> bool {
    let Ok(addr) = l.address.parse::<std::net::SocketAddr>() else {
        return false;
    };
    let own = canonical(addr.ip());
    own == ip || (own.is_unspecified() && own.is_ipv4() == ip.is_ipv4())
}

/// The host's addresses with their listeners and bound domains.
pub async fn addresses(st: &Shared) -> ApiResult<Vec<AddressView>> {
    let all = listeners(st.dir.settings());
    let domains = st.dir.list_domains().await?;
    let mut ips = heron_net::host_addresses();
    ips.sort();
    ips.dedup();
    Ok(ips
        .into_iter()
        .map(|ip| AddressView {
            address: ip.to_string(),
            scope: scope(ip).into(),
            listeners: all.iter().filter(|l| covers(l, ip)).cloned().collect(),
            domains: domains
                .iter()
                .filter(|d| heron_setup::endpoints::bound_ip(d) == Some(ip))
                .map(|d| d.name.clone())
                .collect(),
        })
        .collect())
}

/// This host's IP addresses, the listeners on each and the domains bound to each.
#[utoipa::path(operation_id = "system_addresses", get, path = "/api/v1/system/addresses", tag = "listeners",
    responses((status = 200, description = "OK", body = Vec<AddressView>), (status = 401, description = "Not authenticated", body = ErrorBody), (status = 403, description = "Forbidden", body = ErrorBody)))]
pub async fn list(State(st): State<Shared>, caller: Caller) -> ApiResult<Json<Vec<AddressView>>> {
    caller.allow(Action::Settings)?;
    Ok(Json(addresses(&st).await?))
}
