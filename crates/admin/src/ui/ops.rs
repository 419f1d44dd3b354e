//! Running-server pages: services (start/stop for the cluster or on one node), current
//! connections (end, blacklist the IP), online and inactive users (end session, disable), and
//! bindings (listeners, and the TLS certificates they present).

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use heron_settings::{Settings, defs, services as switches};
use serde::Deserialize;

use crate::auth::Shared;
use crate::authz::Action;
use crate::routes::activity::{
    DEFAULT_DAYS, InactiveUserView, OnlineUserView, inactive_page, online_users, parse_days,
};
use crate::routes::certificates::{CertificateView, in_use};
use crate::routes::connections::{ConnectionView, connections};
use crate::routes::listeners::listeners;
use crate::routes::nodes::{NodeView, views};
use crate::routes::services::{ServiceView, services};
use crate::ui::page::{Chrome, Viewer, html, internal};
use crate::ui::paging::{Paging, per_page, place};

#[derive(Template)]
#[template(path = "services.html")]
struct Services {
    chrome: Chrome,
    rows: Vec<ServiceView>,
    /// The services' names for the per-node table's head, in its columns' order.
    labels: Vec<&'static str>,
    nodes: Vec<NodeRow>,
}

/// A node on the services page, with each service as it is there.
pub struct NodeRow {
    pub node: NodeView,
    pub cells: Vec<NodeCell>,
}

/// One service on one node.
pub struct NodeCell {
    pub name: &'static str,
    /// Its switch is on and the node has not stopped it.
    pub running: bool,
    /// The node has stopped it on itself.
    pub stopped_here: bool,
}

fn node_row(settings: &Settings, node: NodeView) -> NodeRow {
    let cells = switches::ALL
        .iter()
        .map(|s| {
            let stopped_here = node.stopped_services.iter().any(|x| x == s.name);
            NodeCell {
                name: s.name,
                running: settings.get(s.switch) && !stopped_here,
                stopped_here,
            }
        })
        .collect();
    NodeRow { node, cells }
}

/// `/services`.
pub async fn services_page(State(st): State<Shared>, v: Viewer) -> Response {
    if let Err(r) = v.require(&Action::Services) {
        return r;
    }
    let (rows, nodes) = match services(&st, None).await {
        Ok(x) => x,
        Err(e) => return internal(e.error),
    };
    let me = st.dir.store().node_id().to_owned();
    let nodes = views(nodes, chrono::Utc::now().timestamp(), &me)
        .into_iter()
        .map(|n| node_row(st.dir.settings(), n))
        .collect();
    html(&Services {
        chrome: v.chrome("services"),
        rows,
        labels: switches::ALL.iter().map(|s| s.label).collect(),
        nodes,
    })
}

/// A connection as listed, with the log its lines go to.
pub struct ConnectionRow {
    pub log: &'static str,
    pub id: String,
    pub protocol: String,
    pub peer_ip: String,
    pub peer_port: u16,
    pub local: String,
    pub seconds: u64,
    pub user: Option<String>,
}

/// The log file a protocol's session lines go to.
pub fn log_of(protocol: &str) -> &'static str {
    match protocol {
        "pop3" => "pop3",
        "imap" => "imap",
        _ => "smtp",
    }
}

#[derive(Template)]
#[template(path = "connections.html")]
struct Connections {
    chrome: Chrome,
    rows: Vec<ConnectionRow>,
}

/// `/connections`.
pub async fn connections_page(State(st): State<Shared>, v: Viewer) -> Response {
    if let Err(r) = v.require(&Action::Connections) {
        return r;
    }
    let rows = connections(&st.runtime.registry)
        .into_iter()
        .map(|c: ConnectionView| ConnectionRow {
            log: log_of(&c.protocol),
            id: c.id,
            protocol: c.protocol,
            peer_ip: c.peer_ip,
            peer_port: c.peer_port,
            local: c.local,
            seconds: c.seconds,
            user: c.user,
        })
        .collect();
    html(&Connections {
        chrome: v.chrome("connections"),
        rows,
    })
}

/// `?days=N&page=P` of the online page.
#[derive(Deserialize, Default)]
pub struct OnlineQuery {
    pub days: Option<String>,
    pub page: Option<String>,
}

#[derive(Template)]
#[template(path = "online.html")]
struct Online {
    chrome: Chrome,
    online: Vec<OnlineUserView>,
    inactive: Vec<InactiveUserView>,
    days: u32,
    paging: Paging,
}

/// `/online`: who is logged in now, and who has not logged in for `days`.
pub async fn online_page(
    State(st): State<Shared>,
    v: Viewer,
    Query(q): Query<OnlineQuery>,
) -> Response {
    let scope = v.own_domain().map(str::to_owned);
    if let Err(r) = v.require(&Action::UserActivity(scope.clone())) {
        return r;
    }
    let days = parse_days(q.days.as_deref()).unwrap_or(DEFAULT_DAYS);
    let online = match online_users(&st.dir, &st.runtime.registry, scope.as_deref()).await {
        Ok(o) => o,
        Err(e) => return internal(e.error),
    };
    let now = chrono::Utc::now().timestamp();
    let per = per_page(st.dir.settings().get(defs::ADMIN_ITEMS_PER_PAGE));
    let wanted: usize = q.page.as_deref().and_then(|p| p.parse().ok()).unwrap_or(1);
    // Count first, then read only the page (the page number is clamped like other lists).
    let total = match inactive_page(&st.dir, days, scope.as_deref(), now, 0, 0).await {
        Ok((n, _)) => usize::try_from(n).unwrap_or(usize::MAX),
        Err(e) => return internal(e.error),
    };
    let mut paging = place(total, wanted, per, "/online", "");
    let offset = (paging.page - 1) * per;
    let inactive = match inactive_page(
        &st.dir,
        days,
        scope.as_deref(),
        now,
        per as u64,
        offset as u64,
    )
    .await
    {
        Ok((_, rows)) => rows,
        Err(e) => return internal(e.error),
    };
    let days_arg = format!("&days={days}");
    paging.prev = paging.prev.map(|l| l + &days_arg);
    paging.next = paging.next.map(|l| l + &days_arg);
    html(&Online {
        chrome: v.chrome("online"),
        online,
        inactive,
        days,
        paging,
    })
}

/// A listener row as shown (empty strings for no certificate).
pub struct ListenerRow {
    pub protocol: String,
    pub encryption: String,
    pub address: String,
    pub cert: String,
    pub key: String,
    pub name: String,
    pub description: String,
    /// The listener's own connection limit (PROTO-8), if any.
    pub max: Option<u64>,
}

#[derive(Template)]
#[template(path = "bindings.html")]
struct Bindings {
    chrome: Chrome,
    rows: Vec<ListenerRow>,
    protocols: &'static [&'static str],
    encryptions: &'static [&'static str],
    addresses: Vec<crate::routes::addresses::AddressView>,
    /// The certificates in use, the default first.
    certs: Vec<CertificateView>,
    /// The listeners a certificate can be given to: (address, label).
    targets: Vec<(String, String)>,
}

/// `/bindings`: the host's addresses (BIND-1) and the listeners, edited as one list.
pub async fn bindings_page(State(st): State<Shared>, v: Viewer) -> Response {
    if let Err(r) = v.require(&Action::Settings) {
        return r;
    }
    let all = listeners(st.dir.settings());
    let targets = all
        .iter()
        .filter(|l| l.encryption != "none")
        .map(|l| {
            let label = format!("{} {} {}", l.protocol, l.encryption, l.address);
            (l.address.clone(), label)
        })
        .collect();
    let rows = all
        .into_iter()
        .map(|l| ListenerRow {
            protocol: l.protocol,
            encryption: l.encryption,
            address: l.address,
            cert: l.cert.unwrap_or_default(),
            key: l.key.unwrap_or_default(),
            name: l.name.unwrap_or_default(),
            description: l.description.unwrap_or_default(),
            max: l.max,
        })
        .collect();
    let addresses = match crate::routes::addresses::addresses(&st).await {
        Ok(a) => a,
        Err(e) => return internal(e.error),
    };
    html(&Bindings {
        chrome: v.chrome("bindings"),
        rows,
        addresses,
        protocols: &["smtp", "submission", "pop3", "imap"],
        encryptions: &["none", "starttls", "tls"],
        certs: in_use(&st),
        targets,
    })
}
