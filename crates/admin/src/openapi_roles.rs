//! Who may call each operation, written into the OpenAPI document (each operation's
//! description ends with an "Allowed:" line and carries `x-heron-roles`), so automation can
//! read the rule without trying. The rule itself is [`crate::authz::decide`]; this table says
//! it in words, and a test checks that every operation of the document has exactly one entry.

use utoipa::openapi::OpenApi;
use utoipa::openapi::extensions::ExtensionsBuilder;

/// The system administrator's session or an API token.
const ADMIN: &str = "system administrator, API token";
/// The same, or the administrator of the domain concerned.
const DOMAIN: &str = "system administrator, API token, domain administrator (own domain)";
/// The domain's or system administrators, or the user named in the path.
const OWN_ACCOUNT: &str =
    "system administrator, API token, domain administrator (own domain), the user themself";
/// Any logged-in account, also before the first password change.
const ANY: &str = "any logged-in account (also while the password must change)";

/// Roles per operation id.
pub const ROLES: &[(&str, &str)] = &[
    ("session_login", "anyone"),
    ("session_logout", ANY),
    ("session_change_password", ANY),
    ("session_me", "any logged-in account, API token"),
    (
        "impersonate_start",
        "the system administrator's own session",
    ),
    ("impersonate_stop", "an impersonation session"),
    ("domains_list", ADMIN),
    ("domains_create", ADMIN),
    ("domains_get", DOMAIN),
    ("domains_patch", ADMIN),
    ("domains_delete", ADMIN),
    ("domain_defaults_put", ADMIN),
    ("domain_defaults_propagate", ADMIN),
    ("domain_aliases_list", ADMIN),
    ("domain_aliases_create", ADMIN),
    ("domain_aliases_delete", ADMIN),
    ("dkim_get", ADMIN),
    ("dkim_generate", ADMIN),
    ("dkim_delete", ADMIN),
    ("filter_test", ADMIN),
    ("domain_filter_get", DOMAIN),
    (
        "domain_filter_put",
        "system administrator, API token, domain administrator (own domain, while filter.domain_overrides is on; not the enabled switch)",
    ),
    ("user_filter_get", DOMAIN),
    (
        "user_filter_put",
        "system administrator, API token, domain administrator (own domain, while filter.user_overrides is on)",
    ),
    (
        "dmarc_reports_list",
        "system administrator, API token, domain administrator (own domain's reports)",
    ),
    ("dmarc_reports_get", DOMAIN),
    ("dmarc_collected", ADMIN),
    ("archive_search", ADMIN),
    ("archive_export", ADMIN),
    ("dmarc_send", ADMIN),
    ("tlsrpt_results", ADMIN),
    ("tlsrpt_send", ADMIN),
    ("stats_server", ADMIN),
    ("stats_domain", DOMAIN),
    ("stats_user", DOMAIN),
    ("bandwidth_domain", DOMAIN),
    (
        "bandwidth_list",
        "system administrator, API token, domain administrator (own domain only)",
    ),
    ("users_list", DOMAIN),
    (
        "users_create",
        "system administrator, API token, domain administrator (own domain; role only by the system administrator)",
    ),
    ("users_get", DOMAIN),
    ("pop_retrieval_list", OWN_ACCOUNT),
    ("pop_retrieval_create", OWN_ACCOUNT),
    ("pop_retrieval_put", OWN_ACCOUNT),
    ("pop_retrieval_delete", OWN_ACCOUNT),
    ("pop_retrieval_fetch", OWN_ACCOUNT),
    (
        "users_patch",
        "system administrator, API token, domain administrator (own domain; role only by the system administrator)",
    ),
    ("users_delete", DOMAIN),
    ("aliases_list", DOMAIN),
    ("aliases_create", DOMAIN),
    ("aliases_delete", DOMAIN),
    ("public_folders_list", DOMAIN),
    ("public_folders_create", DOMAIN),
    ("public_folders_delete", DOMAIN),
    ("public_folders_rights", DOMAIN),
    ("online_users", DOMAIN),
    ("inactive_users", DOMAIN),
    ("messages_send", DOMAIN),
    ("settings_list", ADMIN),
    ("settings_get", ADMIN),
    ("settings_put", ADMIN),
    ("settings_reset", ADMIN),
    ("listeners_list", ADMIN),
    ("listeners_put", ADMIN),
    ("certificates_list", ADMIN),
    ("certificates_upload", ADMIN),
    ("spool_list", ADMIN),
    ("spool_get", ADMIN),
    ("spool_delete", ADMIN),
    ("spool_force", ADMIN),
    ("spool_reset", ADMIN),
    ("spool_priority", ADMIN),
    ("services_list", ADMIN),
    ("nodes_list", ADMIN),
    ("bayes_get", ADMIN),
    ("bayes_reset", ADMIN),
    ("services_start", ADMIN),
    ("services_stop", ADMIN),
    ("connections_list", ADMIN),
    ("connections_end", ADMIN),
    ("connections_blacklist", ADMIN),
    ("logs_read", ADMIN),
    ("logs_types", ADMIN),
    ("logs_download", ADMIN),
    ("tokens_create", "the system administrator's own session"),
    ("tokens_list", ADMIN),
    ("tokens_delete", ADMIN),
    ("blocks_list", ADMIN),
    ("blocks_delete", ADMIN),
    ("blocks_blacklist", ADMIN),
    ("domains_dns", DOMAIN),
    ("system_addresses", ADMIN),
    (
        "users_mobileconfig",
        "system administrator, API token, domain administrator (own domain), the user themself",
    ),
];

/// Every operation of `doc` as (operation id, operation).
fn operations(doc: &mut OpenApi) -> Vec<&mut utoipa::openapi::path::Operation> {
    let mut out = Vec::new();
    for item in doc.paths.paths.values_mut() {
        for op in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
        {
            out.push(op);
        }
    }
    out
}

/// Write each operation's roles into `doc`; returns the operation ids without an entry.
pub fn annotate(doc: &mut OpenApi) -> Vec<String> {
    let mut missing = Vec::new();
    for op in operations(doc) {
        let id = op.operation_id.clone().unwrap_or_default();
        let Some((_, roles)) = ROLES.iter().find(|(k, _)| *k == id) else {
            missing.push(id);
            continue;
        };
        let text = op.description.take().unwrap_or_default();
        let sep = if text.is_empty() { "" } else { "\n\n" };
        op.description = Some(format!("{text}{sep}Allowed: {roles}."));
        let ext = ExtensionsBuilder::new()
            .add(
                "x-heron-roles",
                serde_json::Value::String((*roles).to_owned()),
            )
            .build();
        match &mut op.extensions {
            Some(e) => e.merge(ext),
            None => op.extensions = Some(ext),
        }
    }
    missing
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_has_its_roles_and_no_entry_is_stale() {
        let mut doc = crate::openapi::bare();
        let missing = annotate(&mut doc);
        assert!(missing.is_empty(), "operations without roles: {missing:?}");
        let mut doc = crate::openapi::bare();
        let ids: Vec<String> = operations(&mut doc)
            .iter()
            .filter_map(|o| o.operation_id.clone())
            .collect();
        for (id, _) in ROLES {
            assert!(
                ids.iter().any(|i| i == id),
                "roles for unknown operation {id}"
            );
        }
    }
}
