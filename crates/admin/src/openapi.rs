//! The OpenAPI document, generated from the handlers' `#[utoipa::path]` attributes and the
//! request/response types, served at `/api/v1/openapi.json`.

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes::defaults;
use crate::routes::{
    activity, addresses, aliases, archive, bayes, blocks, certificates, clientsetup, connections,
    dkim, dmarc, dns, domain_aliases, domains, filter, filter_policy, impersonate, listeners, logs,
    messages, nodes, pop_retrieval, public_folders, services, session, settings, spool, stats,
    tlsrpt, tokens, users,
};

#[derive(OpenApi)]
#[openapi(
    info(title = "Heron admin API", description = "Domains, users, aliases, settings, the spool, live connections, services, logs, \
        mass messages, DKIM keys, listeners and their TLS certificates, the message archive, the spam filter's message test and DMARC aggregate reports, statistics and per-domain bandwidth of a Heron mail server. \
        Authenticate with POST /api/v1/session (cookie heron_session; send X-CSRF-Token on state-changing requests) \
        or with Authorization: Bearer <API token>."),
    paths(
        session::login, session::logout, session::me, session::change_password,
        impersonate::start, impersonate::stop,
        domains::list, domains::create, domains::get, domains::patch, domains::delete,
        defaults::put,
        defaults::propagate,
        users::list, users::create, users::get, users::patch, users::delete,
        pop_retrieval::list, pop_retrieval::create, pop_retrieval::put, pop_retrieval::delete,
        pop_retrieval::fetch,
        aliases::list, aliases::create, aliases::delete,
        settings::list, settings::get, settings::put, settings::reset,
        spool::list, spool::get, spool::delete, spool::force, spool::reset, spool::priority,
        tokens::create, tokens::list, tokens::delete,
        connections::list, connections::end, connections::blacklist,
        activity::online, activity::inactive,
        services::list, services::start, services::stop,
        nodes::list,
        bayes::get, bayes::reset,
        logs::read, logs::types, logs::download,
        messages::create,
        domain_aliases::list, domain_aliases::create, domain_aliases::delete,
        dkim::get, dkim::create, dkim::delete,
        filter::test,
        filter_policy::domain_get, filter_policy::domain_put,
        filter_policy::user_get, filter_policy::user_put,
        dmarc::list, dmarc::get, dmarc::collected, dmarc::send,
        tlsrpt::results, tlsrpt::send,
        stats::server, stats::domain, stats::user, stats::domain_bandwidth, stats::bandwidth,
        listeners::list, listeners::put,
        certificates::list, certificates::upload,
        blocks::list, blocks::delete, blocks::blacklist,
        dns::get, addresses::list, clientsetup::mobileconfig,
        public_folders::list, public_folders::create, public_folders::delete,
        public_folders::rights,
        archive::list, archive::export,
    ),
    modifiers(&Security),
    security(("session" = []), ("bearer" = [])),
)]
struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let c = doc.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(crate::auth::COOKIE))),
        );
        c.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The document as the handlers describe it, before the roles are added.
pub(crate) fn bare() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// The document as served: made once, on first request.
pub fn cached() -> &'static utoipa::openapi::OpenApi {
    static DOC: std::sync::OnceLock<utoipa::openapi::OpenApi> = std::sync::OnceLock::new();
    DOC.get_or_init(document)
}

/// The document, with who may call each operation.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = bare();
    let missing = crate::openapi_roles::annotate(&mut doc);
    if !missing.is_empty() {
        tracing::warn!(target: "events", "OpenAPI operations without roles: {missing:?}");
    }
    doc
}

#[cfg(test)]
mod tests {
    #[test]
    fn lists_every_route() {
        let doc = super::document();
        let paths: Vec<&String> = doc.paths.paths.keys().collect();
        for p in [
            "/api/v1/session",
            "/api/v1/domains/{name}",
            "/api/v1/domain-defaults/propagate",
            "/api/v1/users/{address}",
            "/api/v1/settings/{key}",
            "/api/v1/spool/{id}/priority",
            "/api/v1/tokens/{id}",
            "/api/v1/connections/{id}/blacklist",
            "/api/v1/online-users",
            "/api/v1/inactive-users",
            "/api/v1/services/{name}/stop",
            "/api/v1/logs/download",
            "/api/v1/messages",
            "/api/v1/domain-aliases/{alias}",
            "/api/v1/domains/{name}/dkim",
            "/api/v1/listeners",
            "/api/v1/certificates",
            "/api/v1/blocks/{kind}/{key}",
            "/api/v1/domains/{name}/public-folders/{folder}/rights/{grantee}",
            "/api/v1/archive",
            "/api/v1/archive/export",
        ] {
            assert!(paths.iter().any(|x| *x == p), "{p} missing from {paths:?}");
        }
    }
}
