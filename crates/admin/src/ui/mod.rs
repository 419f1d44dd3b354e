//! The admin web interface: server-rendered pages (askama templates in `templates/`) with
//! one small script (`static/heron.js`) that sends every action to the JSON API. Pages only
//! read; every change goes through `/api/v1`, with the same validation, authorisation and
//! logging as automation gets.
//!
//! Invariants: a page checks its role with the API's rule before reading anything; lists
//! are paged (`admin.items_per_page`) and searchable; pages never show a password or a
//! token secret other than a new token's, once.

pub mod account;
pub mod accounts;
pub mod archive;
mod assets;
pub mod blocks;
pub mod chart;
pub mod dashboard;
pub mod defaults;
pub mod dmarc;
pub mod domain_dns;
pub mod domains;
pub mod filter;
pub mod filter_policy;
pub mod format;
pub mod home;
pub mod logs;
pub mod messages;
pub mod ops;
pub mod page;
pub mod paging;
pub mod public_folders;
pub mod settings;
pub mod spool;
pub mod stats;
pub mod tokens;

use axum::Router;
use axum::routing::get;

use crate::auth::Shared;

/// Every page route.
pub fn pages() -> Router<Shared> {
    Router::new()
        .route("/static/heron.css", get(assets::css))
        .route("/static/heron.js", get(assets::js))
        .route("/login", get(account::login))
        .route("/password", get(account::password))
        .route("/", get(dashboard::dashboard))
        .route("/domains", get(domains::list))
        .route("/domains/{name}", get(domains::show))
        .route("/domains/{name}/users", get(accounts::users))
        .route("/domains/{name}/aliases", get(accounts::aliases))
        .route("/domains/{name}/public-folders", get(public_folders::page))
        .route("/domains/{name}/filter", get(filter_policy::domain_page))
        .route("/domains/{name}/dns", get(domain_dns::page))
        .route("/domains/{name}/stats", get(stats::domain_page))
        .route("/users/{address}", get(accounts::user))
        .route("/users/{address}/stats", get(stats::user_page))
        .route("/stats", get(stats::server_page))
        .route("/domain-defaults", get(defaults::page))
        .route("/settings", get(settings::index))
        .route("/settings/{group}", get(settings::group))
        .route("/spool", get(spool::list))
        .route("/spool/{id}", get(spool::show))
        .route("/tokens", get(tokens::list))
        .route("/services", get(ops::services_page))
        .route("/connections", get(ops::connections_page))
        .route("/blocks", get(blocks::blocks_page))
        .route("/online", get(ops::online_page))
        .route("/bindings", get(ops::bindings_page))
        .route("/logs", get(logs::logs_page))
        .route("/messages", get(messages::messages_page))
        .route("/filter", get(filter::filter_page))
        .route("/archive", get(archive::page))
        .route("/dmarc", get(dmarc::list))
        .route("/dmarc/{id}", get(dmarc::show))
}
