//! Domains (DOM-1) and their switches and DOM-4 limits, as `heron domain` offers them.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use heron_directory::DomainChange;
use heron_directory::address::normalise_domain;
use heron_store::{Domain, DomainLimits};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{Caller, Shared};
use crate::authz::Action;
use crate::body::Body;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::routes::listing::{ListParams, Listing, answer};

/// DOM-4 limits; 0 means unlimited.
#[derive(Serialize, ToSchema)]
pub struct Limits {
    pub disk_mb: u64,
    pub max_users: u32,
    pub max_aliases: u32,
    pub max_domain_aliases: u32,
    /// Largest message the domain's users may send, in KB; mail to the domain is limited by
    /// the server's `smtp_in.max_message_mb` only.
    pub max_message_kb: u64,
    pub max_recipients: u32,
    /// POP-retrieval accounts per user (ACCESS-4).
    pub max_pop_accounts: u32,
    /// Sending throttles (DOM-7; 0 = unlimited): the domain's own values, absent when the
    /// server's `throttle.*` defaults apply.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub messages_per_hour: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mb_per_hour: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bounces_per_hour: Option<u64>,
}

impl From<&DomainLimits> for Limits {
    fn from(l: &DomainLimits) -> Self {
        Self {
            disk_mb: l.disk_mb,
            max_users: l.users,
            max_aliases: l.user_aliases,
            max_domain_aliases: l.domain_aliases,
            max_message_kb: l.max_message_kb,
            max_recipients: l.recipients_per_message,
            max_pop_accounts: l.pop_retrieval_accounts,
            messages_per_hour: l.messages_per_hour,
            mb_per_hour: l.mb_per_hour,
            bounces_per_hour: l.bounces_per_hour,
        }
    }
}

/// A domain.
#[derive(Serialize, ToSchema)]
pub struct DomainView {
    pub name: String,
    pub disabled: bool,
    /// Local part or address receiving mail for unknown recipients.
    pub catch_all: Option<String>,
    pub require_smtp_auth: bool,
    pub limits: Limits,
    /// Mail to the domain is greylisted when greylisting is on (SEC-3, DOM-2).
    pub greylisting: bool,
    /// Other domain names delivering to this domain's mailboxes (single-domain reads only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain_aliases: Option<Vec<String>>,
    /// Bytes used by the domain's mailboxes (single-domain reads only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disk_used_bytes: Option<u64>,
    /// BIND-4: the IP the domain is bound to (its mail host there, its outbound mail from
    /// there), if any.
    pub bind_ip: Option<String>,
    /// DOM-2: the domain's alternate SMTP port, if any.
    pub smtp_alt_port: Option<u16>,
    /// OPS-5: the domain's own archiving rule (none, all, incoming, outgoing); absent, the
    /// server's `archive.rule` applies.
    pub archive_rule: Option<String>,
    /// DOM-3: the users' POP-retrieval accounts are fetched and may be added.
    pub pop_retrieval: bool,
    /// OPS-6: the domain's own folder auto-clean rules (`autoclean.rules` syntax; empty:
    /// none); they apply when the server's `autoclean.domain_override` is on.
    pub autoclean_rules: String,
    /// OPS-6: the domain's users may override its auto-clean rules with their own.
    pub autoclean_user_override: bool,
    /// What the administrator should know about the domain's settings (a bound IP that is
    /// not an address of this host); answers to a change only.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl From<&Domain> for DomainView {
    fn from(d: &Domain) -> Self {
        Self {
            name: d.name.clone(),
            disabled: d.disabled,
            catch_all: d.catch_all.clone(),
            require_smtp_auth: d.require_smtp_auth,
            limits: (&d.limits).into(),
            greylisting: d.greylisting,
            domain_aliases: None,
            disk_used_bytes: None,
            bind_ip: d.bind_ip.clone(),
            smtp_alt_port: d.smtp_alt_port,
            archive_rule: d.archive_rule.map(|r| r.as_str().to_owned()),
            pop_retrieval: d.pop_retrieval,
            autoclean_rules: d.autoclean_rules.clone(),
            autoclean_user_override: d.autoclean_user_override,
            warnings: Vec::new(),
        }
    }
}

/// New domain.
#[derive(Deserialize, ToSchema)]
pub struct NewDomainRequest {
    pub name: String,
}

/// Changes to a domain; absent fields stay as they are (`heron domain set`).
#[derive(Deserialize, ToSchema)]
pub struct DomainPatch {
    pub disabled: Option<bool>,
    /// Empty to clear.
    pub catch_all: Option<String>,
    pub require_smtp_auth: Option<bool>,
    pub disk_mb: Option<u64>,
    pub max_users: Option<u32>,
    pub max_aliases: Option<u32>,
    pub max_domain_aliases: Option<u32>,
    /// Largest message the domain's users may send, in KB (not mail sent to the domain).
    pub max_message_kb: Option<u64>,
    pub max_recipients: Option<u32>,
    /// Greylist mail to the domain when greylisting is on (SEC-3, DOM-2).
    pub greylisting: Option<bool>,
    /// Messages the domain's users may send per hour together (DOM-7; 0 = unlimited; -1
    /// returns to the server's `throttle.messages_per_hour`).
    pub messages_per_hour: Option<i64>,
    /// MB the domain's users may send per hour together (-1: the server's default).
    pub mb_per_hour: Option<i64>,
    /// Bounces the domain may receive per hour (-1: the server's default).
    pub bounces_per_hour: Option<i64>,
    /// BIND-4: the IP address the domain is bound to; empty to clear.
    pub bind_ip: Option<String>,
    /// DOM-2: an alternate SMTP port (1-65535) served besides the standard one; 0 clears it.
    pub smtp_alt_port: Option<u16>,
    /// OPS-5: the domain's own archiving rule: none, all, incoming, outgoing, or `default`
    /// to follow the server's `archive.rule`.
    pub archive_rule: Option<String>,
    /// DOM-4: POP-retrieval accounts per user (0 = unlimited).
    pub max_pop_accounts: Option<u32>,
    /// DOM-3: fetch the users' POP-retrieval accounts and let them add some.
    pub pop_retrieval: Option<bool>,
    /// OPS-6: the domain's own auto-clean rules (`autoclean.rules` syntax); empty clears.
    pub autoclean_rules: Option<String>,
    /// OPS-6: let the domain's users override its auto-clean rules.
    pub autoclean_user_override: Option<bool>,
}

/// BIND-4: a warning when `ip` is set but is not an address of this host (the domain's
/// listeners cannot be reached there, and its outbound mail cannot leave from it).
pub fn bind_ip_warning(ip: Option<&str>) -> Option<String> {
    let ip: std::net::IpAddr = ip?.parse().ok()?;
    (!heron_net::host_addresses().contains(&ip)).then(|| {
        format!("{ip} is not an address of this host: nothing listens there and mail cannot be sent from it until it is")
    })
}

/// A throttle value of a patch: negative returns to the server's default.
pub(crate) fn throttle_value(v: Option<i64>) -> Option<Option<u64>> {
    v.map(|v| u64::try_from(v).ok())
}

/// A domain name from a path, lower-cased (authorisation compares this form).
pub fn domain_key(name: &str) -> String {
    normalise_domain(name).unwrap_or_else(|_| name.to_lowercase())
}

/// Every domain.
#[utoipa::path(operation_id = "domains_list", get, path = "/api/v1/domains", tag = "domains",
    params(("q" = Option<String>, Query, description = "Only domains whose name contains this"),
        ("limit" = Option<u64>, Query, description = "At most this many (1-10000); all when absent"),
        ("offset" = Option<u64>, Query, description = "Skip this many (in name order)")),
    responses((status = 200, description = "OK; X-Total-Count holds the number matching", body = Vec<DomainView>), (status = 400, description = "Malformed request", body = ErrorBody),
        (status = 401, description = "Not authenticated", body = ErrorBody), (status = 403, description = "Forbidden", body = ErrorBody),
        (status = 422, description = "Bad q, limit or offset", body = ErrorBody)))]
pub async fn list(
    State(st): State<Shared>,
    caller: Caller,
    query: Result<Query<ListParams>, QueryRejection>,
) -> ApiResult<Response> {
    caller.allow(Action::ListDomains)?;
    let l = Listing::parse(query)?;
    let mut ds = st.dir.list_domains().await?;
    if let Some(n) = &l.needle {
        ds.retain(|d| d.name.contains(n.as_str()));
    }
    ds.sort_by(|a, b| a.name.cmp(&b.name));
    let total = ds.len() as u64;
    let views: Vec<DomainView> = l.page(ds).iter().map(DomainView::from).collect();
    Ok(answer(views, total))
}

/// Add a domain with the default limits.
#[utoipa::path(operation_id = "domains_create", post, path = "/api/v1/domains", tag = "domains", request_body = NewDomainRequest,
    responses((status = 201, description = "Created", body = DomainView), (status = 400, description = "Malformed request", body = ErrorBody),
        (status = 409, description = "Exists", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn create(
    State(st): State<Shared>,
    caller: Caller,
    Body(req): Body<NewDomainRequest>,
) -> ApiResult<(StatusCode, Json<DomainView>)> {
    caller.allow(Action::CreateDomain)?;
    let d = st
        .dir
        .add_domain(&req.name)
        .await
        .map_err(|e| ApiError::from(e).with_field("name"))?;
    caller.event(format!("created domain {}", d.name));
    Ok((StatusCode::CREATED, Json((&d).into())))
}

/// One domain with its domain aliases and disk use.
#[utoipa::path(operation_id = "domains_get", get, path = "/api/v1/domains/{name}", tag = "domains",
    params(("name" = String, Path, description = "Domain name")),
    responses((status = 200, description = "OK", body = DomainView), (status = 403, description = "Forbidden", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
pub async fn get(
    State(st): State<Shared>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<Json<DomainView>> {
    caller.allow(Action::ReadDomain(domain_key(&name)))?;
    Ok(Json(view(&st, &name).await?))
}

async fn view(st: &Shared, name: &str) -> ApiResult<DomainView> {
    let d = st.dir.domain(name).await?;
    let mut v = DomainView::from(&d);
    v.domain_aliases = Some(st.dir.store().list_domain_aliases(d.id).await?);
    v.disk_used_bytes = Some(st.dir.store().domain_usage(d.id).await?);
    Ok(v)
}

/// Change a domain's switches and limits.
#[utoipa::path(operation_id = "domains_patch", patch, path = "/api/v1/domains/{name}", tag = "domains", request_body = DomainPatch,
    params(("name" = String, Path, description = "Domain name")),
    responses((status = 200, description = "OK", body = DomainView), (status = 400, description = "Malformed request", body = ErrorBody),
        (status = 403, description = "Forbidden", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody),
        (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn patch(
    State(st): State<Shared>,
    caller: Caller,
    Path(name): Path<String>,
    Body(p): Body<DomainPatch>,
) -> ApiResult<Json<DomainView>> {
    caller.allow(Action::ChangeDomain(domain_key(&name)))?;
    let change = DomainChange {
        disabled: p.disabled,
        catch_all: p.catch_all,
        require_smtp_auth: p.require_smtp_auth,
        disk_mb: p.disk_mb,
        max_users: p.max_users,
        max_aliases: p.max_aliases,
        max_domain_aliases: p.max_domain_aliases,
        max_message_kb: p.max_message_kb,
        max_recipients: p.max_recipients,
        greylisting: p.greylisting,
        messages_per_hour: throttle_value(p.messages_per_hour),
        mb_per_hour: throttle_value(p.mb_per_hour),
        bounces_per_hour: throttle_value(p.bounces_per_hour),
        bind_ip: p.bind_ip,
        smtp_alt_port: p.smtp_alt_port,
        archive_rule: p
            .archive_rule
            .as_deref()
            .map(archive_rule)
            .transpose()
            .map_err(|e| ApiError::invalid("archive_rule", e))?,
        max_pop_accounts: p.max_pop_accounts,
        pop_retrieval: p.pop_retrieval,
        autoclean_rules: p.autoclean_rules,
        autoclean_user_override: p.autoclean_user_override,
    };
    if let Some(ip) = &change.bind_ip {
        heron_directory::check_bind_ip(ip).map_err(|e| ApiError::invalid("bind_ip", e))?;
    }
    if let Some(r) = &change.autoclean_rules {
        heron_settings::autoclean::check_rules(r)
            .map_err(|e| ApiError::invalid("autoclean_rules", e))?;
    }
    let d = st
        .dir
        .change_domain(&name, &change)
        .await
        .map_err(|e| match e {
            heron_directory::DirectoryError::Invalid(_) => {
                ApiError::from(e).with_field("catch_all")
            }
            e => ApiError::from(e),
        })?;
    caller.event(format!("changed domain {}", d.name));
    let mut v = view(&st, &d.name).await?;
    v.warnings.extend(bind_ip_warning(d.bind_ip.as_deref()));
    Ok(Json(v))
}

/// Delete a domain with all its users and mail. Irreversible.
#[utoipa::path(operation_id = "domains_delete", delete, path = "/api/v1/domains/{name}", tag = "domains",
    params(("name" = String, Path, description = "Domain name")),
    responses((status = 204, description = "Deleted"), (status = 403, description = "Forbidden", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
pub async fn delete(
    State(st): State<Shared>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    caller.allow(Action::ChangeDomain(domain_key(&name)))?;
    st.dir.delete_domain(&name).await?;
    caller.event(format!("deleted domain {}", domain_key(&name)));
    Ok(StatusCode::NO_CONTENT)
}

/// OPS-5: a domain's archiving rule as given: a rule's name, or `default` (or empty) for the
/// server's.
pub(crate) fn archive_rule(v: &str) -> Result<Option<heron_store::archive::ArchiveRule>, String> {
    let v = v.trim();
    if v.is_empty() || v.eq_ignore_ascii_case("default") {
        return Ok(None);
    }
    heron_store::archive::ArchiveRule::parse(v)
        .map(Some)
        .ok_or_else(|| format!("{v:?} is not none, all, incoming, outgoing or default"))
}
