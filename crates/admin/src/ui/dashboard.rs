//! `/`: the system administrator's overview (version, uptime, totals, today's traffic, the
//! problems to act on, which services run); other roles go to their own start page.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use heron_settings::{defs, services};

use crate::auth::Shared;
use crate::authz::Action;
use crate::routes::logs::count_today;
use crate::routes::nodes::{NodeView, views};
use crate::ui::format;
use crate::ui::page::{Chrome, Viewer, html, internal};

#[derive(Template)]
#[template(path = "dashboard.html")]
struct Dashboard {
    chrome: Chrome,
    version: &'static str,
    uptime: String,
    /// "1 domain", "2 users", "5 messages (48 KB)".
    domains: String,
    users: String,
    messages: String,
    spool: u64,
    connections: usize,
    online: usize,
    /// Messages taken in over SMTP and delivered to other servers today (UTC), counted in
    /// today's logs; `None` when that log is off.
    received_today: Option<u64>,
    sent_today: Option<u64>,
    /// Things an administrator should act on; empty when all is well.
    problems: Vec<String>,
    /// Each service's name and cluster-wide switch.
    services: Vec<(&'static str, bool)>,
    /// The server processes sharing the store, with their last heartbeat and the services
    /// stopped on each alone.
    nodes: Vec<NodeView>,
}

/// `93784` → `1 day 2 h`, `3720` → `1 h 2 min`, `59` → `59 s`.
fn uptime_text(secs: u64) -> String {
    let (d, h, m) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{secs} s"),
        (0, 0, m) => format!("{m} min"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, h, _) => format!("{} {h} h", format::count(d, "day", "days")),
    }
}

/// `/`: the system administrator's overview; other roles go to their own start page.
pub async fn dashboard(State(st): State<Shared>, v: Viewer) -> Response {
    if let Some(d) = v.own_domain() {
        return Redirect::to(&format!("/domains/{d}")).into_response();
    }
    if matches!(v.principal, crate::authz::Principal::User) {
        return super::home::home(&st, &v).await;
    }
    if !v.may(&Action::ListDomains) {
        return Redirect::to("/password").into_response();
    }
    let store = st.dir.store();
    let totals = match store.totals().await {
        Ok(t) => t,
        Err(e) => return internal(e),
    };
    let spool = match store.spool_list().await {
        Ok(s) => s.len() as u64,
        Err(e) => return internal(e),
    };
    let live = st.runtime.registry.list();
    let s = st.dir.settings();
    let logs = st.runtime.log_dir(s);
    let today =
        |on: bool, kind, text: &str| on.then(|| count_today(&logs, kind, text).ok()).flatten();
    let uptime = st.runtime.started.elapsed().map_or(0, |d| d.as_secs());
    let nodes = match store.list_nodes().await {
        Ok(n) => views(n, chrono::Utc::now().timestamp(), store.node_id()),
        Err(e) => return internal(e),
    };
    html(&Dashboard {
        chrome: v.chrome("dashboard"),
        version: env!("CARGO_PKG_VERSION"),
        uptime: uptime_text(uptime),
        domains: format::count(totals.domains, "domain", "domains"),
        users: format::count(totals.users, "user", "users"),
        messages: format!(
            "{} ({})",
            format::count(totals.messages, "message", "messages"),
            format::size(totals.bytes)
        ),
        received_today: today(s.get(defs::LOG_SMTP) != "none", "smtp", "bytes from <"),
        sent_today: today(
            s.get(defs::LOG_DELIVERY) != "none",
            "delivery",
            ": delivered (",
        ),
        problems: {
            let mut p = (st.runtime.problems)();
            p.extend(crate::routes::certificates::listener_problems(&st));
            p
        },
        spool,
        connections: live.len(),
        online: live.iter().filter(|l| l.user().is_some()).count(),
        services: services::ALL
            .iter()
            .map(|x| (x.label, s.get(x.switch)))
            .collect(),
        nodes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uptime_reads_well() {
        assert_eq!(uptime_text(59), "59 s");
        assert_eq!(uptime_text(3720), "1 h 2 min");
        assert_eq!(uptime_text(93_784), "1 day 2 h");
        assert_eq!(uptime_text(3 * 86_400), "3 days 0 h");
    }
}
