//! The statistics pages (OPS-3): the server's (`/stats`), a domain's (its "Statistics" tab)
//! and a user's (`/users/{address}/stats`, linked from the user page), each with a period
//! form, the totals and bar charts drawn as SVG on the server ([`super::chart`]). They read
//! what `GET /api/v1/stats`, `/api/v1/domains/{name}/stats` and
//! `/api/v1/users/{address}/stats` give.
//!
//! Invariant: each page checks the API's rule (`Action::Statistics`) before reading.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;

use crate::auth::Shared;
use crate::authz::Action;
use crate::error::ApiError;
use crate::routes::domains::domain_key;
use crate::routes::stats::{
    Period, PeriodQuery, StatsView, domain_stats, server_stats, user_stats,
};
use crate::ui::chart::{Chart, bars};
use crate::ui::format;
use crate::ui::page::{Chrome, Viewer, html, internal, not_found};

#[derive(Template)]
#[template(path = "stats.html")]
struct StatsPage {
    chrome: Chrome,
    /// `server`, `domain` or `user`.
    scope: &'static str,
    /// The domain (for its tabs and crumbs); empty for the server.
    name: String,
    /// The user's address, for a user's page.
    address: String,
    tab: &'static str,
    /// The form's values.
    from: String,
    to: String,
    bucket: String,
    /// Why the period asked for was not used.
    problem: Option<String>,
    /// The same numbers from the API.
    api: String,
    totals: Vec<(&'static str, String)>,
    disk: String,
    charts: Vec<Chart>,
}

fn label(start: &str, bucket: &str) -> String {
    match bucket {
        "hour" => start.get(..16).unwrap_or(start).replace('T', " "),
        _ => start.get(..10).unwrap_or(start).to_owned(),
    }
}

fn plain(n: u64) -> String {
    n.to_string()
}

/// The page's charts and totals from the API's view.
fn charts(v: &StatsView) -> (Vec<Chart>, Vec<(&'static str, String)>) {
    let series = |f: fn(&crate::routes::stats::CountsView) -> u64| -> Vec<(String, u64)> {
        v.series
            .iter()
            .map(|p| (label(&p.start, &v.bucket), f(&p.counts)))
            .collect()
    };
    let charts = vec![
        bars(
            "messages_in",
            "Messages in",
            &series(|c| c.messages_in),
            plain,
        ),
        bars(
            "messages_out",
            "Messages out",
            &series(|c| c.messages_out),
            plain,
        ),
        bars(
            "bytes_in",
            "Bytes in",
            &series(|c| c.bytes_in),
            format::size,
        ),
        bars(
            "bytes_out",
            "Bytes out",
            &series(|c| c.bytes_out),
            format::size,
        ),
        bars(
            "spam",
            "Spam and viruses",
            &series(|c| c.spam + c.virus),
            plain,
        ),
        bars("bounces", "Bounces", &series(|c| c.bounces), plain),
        bars("logins", "Logins", &series(|c| c.logins), plain),
    ];
    let t = &v.totals;
    let totals = vec![
        ("Messages in", plain(t.messages_in)),
        ("Bytes in", format::size(t.bytes_in)),
        ("Messages out", plain(t.messages_out)),
        ("Bytes out", format::size(t.bytes_out)),
        ("Spam", plain(t.spam)),
        ("Viruses", plain(t.virus)),
        ("Bounces", plain(t.bounces)),
        ("IMAP logins", plain(t.logins_imap)),
        ("POP3 logins", plain(t.logins_pop3)),
        ("SMTP logins", plain(t.logins_smtp)),
        ("Web logins", plain(t.logins_web)),
    ];
    (charts, totals)
}

/// The period asked for, or the default one with the reason.
fn period(q: &PeriodQuery) -> (Period, Option<String>) {
    let now = heron_store::rules::now();
    match Period::of(q, now) {
        Ok(p) => (p, None),
        Err(e) => {
            let fallback = PeriodQuery {
                bucket: q.bucket.clone().filter(|b| b == "hour"),
                ..PeriodQuery::default()
            };
            let p =
                Period::of(&fallback, now).or_else(|_| Period::of(&PeriodQuery::default(), now));
            match p {
                Ok(p) => (p, Some(e.error)),
                Err(_) => (
                    Period {
                        from: now - heron_store::stats::DAY,
                        to: now,
                        span: heron_store::stats::Span::Hour,
                    },
                    Some(e.error),
                ),
            }
        }
    }
}

fn query_string(v: &StatsView) -> String {
    format!("?from={}&to={}&bucket={}", v.from, v.to, v.bucket)
}

struct Scoped {
    scope: &'static str,
    name: String,
    address: String,
    api: String,
}

fn page(v: &Viewer, s: Scoped, view: StatsView, problem: Option<String>) -> Response {
    let (charts, totals) = charts(&view);
    html(&StatsPage {
        chrome: v.chrome(match (s.scope, v.own_domain()) {
            ("server", _) | ("domain", Some(_)) => "stats",
            ("user", _) => "users",
            _ => "domains",
        }),
        scope: s.scope,
        name: s.name,
        address: s.address,
        tab: "stats",
        api: format!("{}{}", s.api, query_string(&view)),
        from: view.from.clone(),
        to: view.to.clone(),
        bucket: view.bucket.clone(),
        problem,
        totals,
        disk: format::size(view.disk_used_bytes),
        charts,
    })
}

fn missing(v: &Viewer, e: ApiError, what: String) -> Response {
    match e.status {
        axum::http::StatusCode::NOT_FOUND => not_found(v, what),
        _ => internal(e.error),
    }
}

/// `/stats`.
pub async fn server_page(
    State(st): State<Shared>,
    v: Viewer,
    Query(q): Query<PeriodQuery>,
) -> Response {
    if let Err(r) = v.require(&Action::Statistics(None)) {
        return r;
    }
    let (p, problem) = period(&q);
    match server_stats(&st, p).await {
        Ok(view) => page(
            &v,
            Scoped {
                scope: "server",
                name: String::new(),
                address: String::new(),
                api: "/api/v1/stats".to_owned(),
            },
            view,
            problem,
        ),
        Err(e) => internal(e.error),
    }
}

/// `/domains/{name}/stats`.
pub async fn domain_page(
    State(st): State<Shared>,
    v: Viewer,
    Path(name): Path<String>,
    Query(q): Query<PeriodQuery>,
) -> Response {
    let key = domain_key(&name);
    if let Err(r) = v.require(&Action::Statistics(Some(key.clone()))) {
        return r;
    }
    let (p, problem) = period(&q);
    match domain_stats(&st, &key, p).await {
        Ok(view) => page(
            &v,
            Scoped {
                scope: "domain",
                name: view.name.clone(),
                address: String::new(),
                api: format!("/api/v1/domains/{}/stats", view.name),
            },
            view,
            problem,
        ),
        Err(e) => missing(&v, e, format!("There is no domain {key}.")),
    }
}

/// `/users/{address}/stats`.
pub async fn user_page(
    State(st): State<Shared>,
    v: Viewer,
    Path(address): Path<String>,
    Query(q): Query<PeriodQuery>,
) -> Response {
    let key = domain_key(address.rsplit_once('@').map_or("", |x| x.1));
    if let Err(r) = v.require(&Action::Statistics(Some(key.clone()))) {
        return r;
    }
    let (p, problem) = period(&q);
    let address = address.to_lowercase();
    match user_stats(&st, &address, p).await {
        Ok(view) => page(
            &v,
            Scoped {
                scope: "user",
                name: key,
                api: format!("/api/v1/users/{address}/stats"),
                address,
            },
            view,
            problem,
        ),
        Err(e) => missing(&v, e, format!("There is no user {address}.")),
    }
}
