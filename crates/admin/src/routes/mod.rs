//! The `/api/v1` routes: one file per resource, each handler checking its action with
//! [`crate::authz::decide`] (through [`crate::auth::Caller::allow`]) before touching anything.

pub mod acme_challenge;
pub mod activity;
pub mod addresses;
pub mod aliases;
pub mod archive;
pub mod bayes;
pub mod blocks;
pub mod certificates;
pub mod clientsetup;
pub mod connections;
pub mod defaults;
pub mod dkim;
pub mod dmarc;
pub mod dns;
pub mod domain_aliases;
pub mod domains;
pub mod filter;
pub mod filter_policy;
pub mod health;
pub mod impersonate;
pub mod listeners;
pub mod listing;
pub mod logs;
pub mod messages;
pub mod mta_sts;
pub mod nodes;
pub mod pop_retrieval;
pub mod public_folders;
pub mod services;
pub mod session;
pub mod settings;
pub mod spool;
pub mod stats;
pub mod tlsrpt;
pub mod tokens;
pub mod users;

use axum::Json;
use axum::Router;
use axum::routing::{get, post, put};

use crate::auth::Shared;
use crate::error::ApiError;
use crate::openapi;

/// Every API route.
pub fn api() -> Router<Shared> {
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics_text))
        .route(
            "/api/v1/openapi.json",
            get(|| async { Json(openapi::cached()) }),
        )
        .route(
            "/api/v1/session",
            post(session::login).delete(session::logout),
        )
        .route("/api/v1/me", get(session::me))
        .route(
            "/api/v1/impersonate",
            post(impersonate::start).delete(impersonate::stop),
        )
        .route("/api/v1/password", post(session::change_password))
        .route("/api/v1/domains", get(domains::list).post(domains::create))
        .route(
            "/api/v1/domains/{name}",
            get(domains::get)
                .patch(domains::patch)
                .delete(domains::delete),
        )
        .route("/api/v1/domains/{name}/users", get(users::list))
        .route("/api/v1/domains/{name}/aliases", get(aliases::list))
        .route("/api/v1/domain-defaults", put(defaults::put))
        .route(
            "/api/v1/domain-defaults/propagate",
            post(defaults::propagate),
        )
        .route("/api/v1/users", post(users::create))
        .route(
            "/api/v1/users/{address}",
            get(users::get).patch(users::patch).delete(users::delete),
        )
        .route(
            "/api/v1/users/{address}/pop-retrieval",
            get(pop_retrieval::list).post(pop_retrieval::create),
        )
        .route(
            "/api/v1/users/{address}/pop-retrieval/{id}",
            put(pop_retrieval::put).delete(pop_retrieval::delete),
        )
        .route(
            "/api/v1/users/{address}/pop-retrieval/{id}/fetch",
            post(pop_retrieval::fetch),
        )
        .route("/api/v1/aliases", post(aliases::create))
        .route(
            "/api/v1/aliases/{address}",
            axum::routing::delete(aliases::delete),
        )
        .route("/api/v1/settings", get(settings::list))
        .route(
            "/api/v1/settings/{key}",
            get(settings::get)
                .put(settings::put)
                .delete(settings::reset),
        )
        .route("/api/v1/spool", get(spool::list))
        .route("/api/v1/spool/{id}", get(spool::get).delete(spool::delete))
        .route("/api/v1/spool/{id}/force", post(spool::force))
        .route("/api/v1/spool/{id}/reset", post(spool::reset))
        .route("/api/v1/spool/{id}/priority", put(spool::priority))
        .route("/api/v1/tokens", get(tokens::list).post(tokens::create))
        .route("/api/v1/tokens/{id}", axum::routing::delete(tokens::delete))
        .route("/api/v1/connections", get(connections::list))
        .route(
            "/api/v1/connections/{id}",
            axum::routing::delete(connections::end),
        )
        .route(
            "/api/v1/connections/{id}/blacklist",
            post(connections::blacklist),
        )
        .route("/api/v1/online-users", get(activity::online))
        .route("/api/v1/inactive-users", get(activity::inactive))
        .route("/api/v1/nodes", get(nodes::list))
        .route(
            "/.well-known/acme-challenge/{token}",
            get(acme_challenge::answer),
        )
        .route("/api/v1/bayes", get(bayes::get))
        .route("/api/v1/bayes/reset", post(bayes::reset))
        .route("/api/v1/services", get(services::list))
        .route("/api/v1/services/{name}/start", post(services::start))
        .route("/api/v1/services/{name}/stop", post(services::stop))
        .route("/api/v1/logs", get(logs::read))
        .route("/api/v1/logs/types", get(logs::types))
        .route("/api/v1/logs/download", get(logs::download))
        .route("/api/v1/messages", post(messages::create))
        .route(
            "/api/v1/domains/{name}/domain-aliases",
            get(domain_aliases::list).post(domain_aliases::create),
        )
        .route(
            "/api/v1/domain-aliases/{alias}",
            axum::routing::delete(domain_aliases::delete),
        )
        .route(
            "/api/v1/domains/{name}/dkim",
            get(dkim::get).post(dkim::create).delete(dkim::delete),
        )
        .route("/api/v1/filter/test", post(filter::test))
        .route("/api/v1/archive", get(archive::list))
        .route("/api/v1/archive/export", get(archive::export))
        .route("/api/v1/dmarc/reports", get(dmarc::list))
        .route("/api/v1/dmarc/reports/{id}", get(dmarc::get))
        .route("/api/v1/dmarc/collected", get(dmarc::collected))
        .route("/api/v1/dmarc/send", post(dmarc::send))
        .route("/api/v1/tlsrpt/results", get(tlsrpt::results))
        .route("/api/v1/tlsrpt/send", post(tlsrpt::send))
        .route("/api/v1/stats", get(stats::server))
        .route("/api/v1/domains/{name}/stats", get(stats::domain))
        .route("/api/v1/users/{address}/stats", get(stats::user))
        .route(
            "/api/v1/domains/{name}/bandwidth",
            get(stats::domain_bandwidth),
        )
        .route("/api/v1/bandwidth", get(stats::bandwidth))
        .route("/.well-known/mta-sts.txt", get(mta_sts::policy))
        .route(
            "/api/v1/domains/{name}/filter",
            get(filter_policy::domain_get).put(filter_policy::domain_put),
        )
        .route(
            "/api/v1/users/{address}/filter",
            get(filter_policy::user_get).put(filter_policy::user_put),
        )
        .route(
            "/api/v1/listeners",
            get(listeners::list).put(listeners::put),
        )
        .route(
            "/api/v1/certificates",
            get(certificates::list).post(certificates::upload),
        )
        .route("/api/v1/blocks", get(blocks::list))
        .route(
            "/api/v1/blocks/{kind}/{key}",
            axum::routing::delete(blocks::delete),
        )
        .route(
            "/api/v1/blocks/{kind}/{key}/blacklist",
            post(blocks::blacklist),
        )
        .route("/api/v1/domains/{name}/dns", get(dns::get))
        .route(
            "/api/v1/users/{address}/mobileconfig",
            get(clientsetup::mobileconfig),
        )
        .route("/api/v1/system/addresses", get(addresses::list))
        .route(
            "/api/v1/domains/{name}/public-folders",
            get(public_folders::list).post(public_folders::create),
        )
        .route(
            "/api/v1/domains/{name}/public-folders/{folder}",
            axum::routing::delete(public_folders::delete),
        )
        .route(
            "/api/v1/domains/{name}/public-folders/{folder}/rights/{grantee}",
            put(public_folders::rights),
        )
        .fallback(|| async { ApiError::not_found("no such resource") })
}

/// Fuzzing entry point (`crates/admin/fuzz`), not part of the API: decodes `body` as the
/// JSON body of every API request that takes one, as the `Body` extractor does, and
/// returns how many request types accepted it.
pub fn parse_bodies_for_fuzzing(body: &[u8]) -> usize {
    fn accepts<T: serde::de::DeserializeOwned>(body: &[u8]) -> usize {
        usize::from(serde_json::from_slice::<T>(body).is_ok())
    }
    [
        accepts::<aliases::NewAliasRequest>,
        accepts::<certificates::CertificateUpload>,
        accepts::<defaults::PropagateRequest>,
        accepts::<defaults::DefaultsChange>,
        accepts::<dkim::NewDkimKey>,
        accepts::<filter::FilterTestRequest>,
        accepts::<filter_policy::FilterPolicyChange>,
        accepts::<domain_aliases::NewDomainAlias>,
        accepts::<domains::DomainPatch>,
        accepts::<domains::NewDomainRequest>,
        accepts::<impersonate::ImpersonateRequest>,
        accepts::<Vec<listeners::ListenerView>>,
        accepts::<messages::MessageRequest>,
        accepts::<pop_retrieval::PopAccountRequest>,
        accepts::<public_folders::NewPublicFolder>,
        accepts::<public_folders::RightsRequest>,
        accepts::<session::LoginRequest>,
        accepts::<session::PasswordChange>,
        accepts::<settings::SettingValue>,
        accepts::<spool::PriorityRequest>,
        accepts::<tokens::NewTokenRequest>,
        accepts::<users::NewUserRequest>,
        accepts::<users::UserPatch>,
    ]
    .iter()
    .map(|parse| parse(body))
    .sum()
}
