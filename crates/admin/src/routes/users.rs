//! Users (DOM-9) as `heron user` offers them: list per domain, add, show, change (password,
//! quota, disabled, display name, role), delete. Passwords are never returned.
//!
//! Invariant: the domain checked by authorisation is the domain of the address in the
//! request, before any lookup, so a domain administrator learns nothing about other domains.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use heron_store::{Role, User};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::domains::domain_key;
use super::session::{parse_address, password_error};
use crate::auth::{Caller, Shared};
use crate::authz::Action;
use crate::body::Body;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::routes::domains::throttle_value;
use crate::routes::listing::{ListParams, Listing, answer};
use crate::sessions::Account;

/// A user, without credentials.
#[derive(Serialize, ToSchema)]
pub struct UserView {
    pub address: String,
    pub display_name: String,
    /// `user` or `domain-admin`.
    pub role: String,
    /// Mailbox quota in MB; 0 = only the domain's limit.
    pub quota_mb: u64,
    pub used_bytes: u64,
    pub disabled: bool,
    /// Unix seconds of the last login, if any.
    pub last_login: Option<i64>,
    /// Mail to the user is greylisted when greylisting is on (SEC-3; the user's switch applies
    /// while `greylist.user_override` is on).
    pub greylisting: bool,
    /// The user's own folder auto-clean rules (OPS-6, `autoclean.rules` syntax; empty: none);
    /// they apply when the server and the user's domain let users override.
    pub autoclean_rules: String,
    /// The user's own sending throttles per hour (DOM-7; single-user reads only); a value
    /// absent there is the server's `throttle.user_*` setting.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub throttle: Option<UserThrottleView>,
}

/// A user's own sending throttles per hour (0 = unlimited).
#[derive(Serialize, ToSchema)]
pub struct UserThrottleView {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub messages_per_hour: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mb_per_hour: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bounces_per_hour: Option<u64>,
}

/// `u`'s view with its own throttle values.
async fn full_view(st: &Shared, u: &User, domain: &str) -> ApiResult<UserView> {
    let t = st.dir.store().user_throttle(u.id).await?;
    let mut v = view(u, domain);
    v.throttle = Some(UserThrottleView {
        messages_per_hour: t.messages_per_hour,
        mb_per_hour: t.mb_per_hour,
        bounces_per_hour: t.bounces_per_hour,
    });
    Ok(v)
}

pub(crate) fn view(u: &User, domain: &str) -> UserView {
    UserView {
        address: format!("{}@{domain}", u.local),
        display_name: u.display_name.clone(),
        role: u.role.as_str().to_owned(),
        quota_mb: u.quota_bytes / (1024 * 1024),
        used_bytes: u.used_bytes,
        disabled: u.disabled,
        last_login: u.last_login,
        greylisting: u.greylisting,
        autoclean_rules: u.autoclean_rules.clone(),
        throttle: None,
    }
}

/// New user.
#[derive(Deserialize, ToSchema)]
pub struct NewUserRequest {
    pub address: String,
    pub password: String,
    /// `user` (default) or `domain-admin`.
    pub role: Option<String>,
    pub display_name: Option<String>,
    pub quota_mb: Option<u64>,
}

/// Changes to a user; absent fields stay as they are.
#[derive(Deserialize, ToSchema)]
pub struct UserPatch {
    pub password: Option<String>,
    pub quota_mb: Option<u64>,
    pub disabled: Option<bool>,
    pub display_name: Option<String>,
    /// `user` or `domain-admin` (system administrator only).
    pub role: Option<String>,
    /// Greylist mail to the user when greylisting is on (SEC-3).
    pub greylisting: Option<bool>,
    /// The user's own folder auto-clean rules (OPS-6, `autoclean.rules` syntax); empty
    /// clears them. A user may send a patch holding only this field for itself when its
    /// domain (`autoclean_user_override`) and the server (`autoclean.domain_override`) let
    /// users override.
    pub autoclean_rules: Option<String>,
    /// Messages the user may send per hour (DOM-7; 0 = unlimited; -1 returns to the server's
    /// `throttle.user_messages_per_hour`).
    pub messages_per_hour: Option<i64>,
    /// MB the user may send per hour (-1: the server's default).
    pub mb_per_hour: Option<i64>,
    /// Bounces the mailbox may receive per hour (-1: the server's default).
    pub bounces_per_hour: Option<i64>,
}

/// Whether `caller` is the user `address` itself changing nothing but its own auto-clean
/// rules (which users may do when allowed).
fn own_autoclean_only(caller: &Caller, address: &str, p: &UserPatch) -> bool {
    let me = matches!(&caller.account, Some(Account::User(u)) if u == address);
    let only = p.autoclean_rules.is_some()
        && p.password.is_none()
        && p.quota_mb.is_none()
        && p.disabled.is_none()
        && p.display_name.is_none()
        && p.role.is_none()
        && p.greylisting.is_none()
        && p.messages_per_hour.is_none()
        && p.mb_per_hour.is_none()
        && p.bounces_per_hour.is_none();
    me && only && !caller.must_change
}

fn parse_role(s: &str) -> ApiResult<Role> {
    Role::parse(s).ok_or_else(|| ApiError::invalid("role", "a role is user or domain-admin"))
}

fn quota_bytes(mb: u64) -> ApiResult<u64> {
    mb.checked_mul(1024 * 1024)
        .filter(|b| i64::try_from(*b).is_ok())
        .ok_or_else(|| ApiError::invalid("quota_mb", "quota too large"))
}

/// Users of a domain.
#[utoipa::path(operation_id = "users_list", get, path = "/api/v1/domains/{name}/users", tag = "users",
    params(("name" = String, Path, description = "Domain name"),
        ("q" = Option<String>, Query, description = "Only users whose local part or display name contains this"),
        ("limit" = Option<u64>, Query, description = "At most this many (1-10000); all when absent"),
        ("offset" = Option<u64>, Query, description = "Skip this many (in local-part order)")),
    responses((status = 200, description = "OK; X-Total-Count holds the number matching", body = Vec<UserView>), (status = 400, description = "Malformed request", body = ErrorBody),
        (status = 403, description = "Forbidden", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody),
        (status = 422, description = "Bad q, limit or offset", body = ErrorBody)))]
pub async fn list(
    State(st): State<Shared>,
    caller: Caller,
    Path(name): Path<String>,
    query: Result<Query<ListParams>, QueryRejection>,
) -> ApiResult<Response> {
    let d = domain_key(&name);
    caller.allow(Action::ManageAccounts(d.clone()))?;
    let l = Listing::parse(query)?;
    let domain = st.dir.domain(&name).await?;
    let (total, users) = st
        .dir
        .store()
        .search_users(domain.id, l.needle.as_deref(), l.limit, l.offset)
        .await?;
    let views: Vec<UserView> = users.iter().map(|u| view(u, &d)).collect();
    Ok(answer(views, total))
}

/// Add a user with the default folders.
#[utoipa::path(operation_id = "users_create", post, path = "/api/v1/users", tag = "users", request_body = NewUserRequest,
    responses((status = 201, description = "Created", body = UserView), (status = 400, description = "Malformed request", body = ErrorBody), (status = 403, description = "Forbidden", body = ErrorBody),
        (status = 404, description = "No such domain", body = ErrorBody),
        (status = 409, description = "Already exists", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn create(
    State(st): State<Shared>,
    caller: Caller,
    Body(req): Body<NewUserRequest>,
) -> ApiResult<(StatusCode, Json<UserView>)> {
    let a = parse_address(&req.address, "address")?;
    caller.allow(Action::ManageAccounts(a.domain.clone()))?;
    let role = match req.role.as_deref() {
        None => Role::User,
        Some(r) => parse_role(r)?,
    };
    if role != Role::User {
        caller.allow(Action::SetRole(a.domain.clone()))?;
    }
    let quota = req.quota_mb.map(quota_bytes).transpose()?;
    let mut u = match st.dir.add_user(&a.to_string(), &req.password, role).await {
        Err(e @ heron_directory::DirectoryError::Policy(_)) => {
            return Err(password_error(e, "password"));
        }
        r => r.map_err(|e| ApiError::from(e).with_field("address"))?,
    };
    if quota.is_some() || req.display_name.is_some() {
        quota.into_iter().for_each(|q| u.quota_bytes = q);
        req.display_name
            .into_iter()
            .for_each(|n| u.display_name = n);
        st.dir.update_user(&u).await?;
    }
    caller.event(format!("created user {a} ({})", role.as_str()));
    Ok((StatusCode::CREATED, Json(view(&u, &a.domain))))
}

/// One user.
#[utoipa::path(operation_id = "users_get", get, path = "/api/v1/users/{address}", tag = "users",
    params(("address" = String, Path, description = "User address")),
    responses((status = 200, description = "OK", body = UserView), (status = 403, description = "Forbidden", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
pub async fn get(
    State(st): State<Shared>,
    caller: Caller,
    Path(address): Path<String>,
) -> ApiResult<Json<UserView>> {
    let a = parse_address(&address, "address")?;
    caller.allow(Action::ManageAccounts(a.domain.clone()))?;
    let u = st.dir.user(&a.to_string()).await?;
    Ok(Json(full_view(&st, &u, &a.domain).await?))
}

/// Change a user.
#[utoipa::path(operation_id = "users_patch", patch, path = "/api/v1/users/{address}", tag = "users", request_body = UserPatch,
    params(("address" = String, Path, description = "User address")),
    responses((status = 200, description = "OK", body = UserView), (status = 400, description = "Malformed request", body = ErrorBody), (status = 403, description = "Forbidden", body = ErrorBody),
        (status = 404, description = "Not found", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn patch(
    State(st): State<Shared>,
    caller: Caller,
    Path(address): Path<String>,
    Body(p): Body<UserPatch>,
) -> ApiResult<Json<UserView>> {
    let a = parse_address(&address, "address")?;
    if own_autoclean_only(&caller, &a.to_string(), &p) {
        // OPS-6: users set their own auto-clean rules when their domain and the server let
        // them override.
        let d = st.dir.domain(&a.domain).await?;
        if !(d.autoclean_user_override
            && st
                .dir
                .settings()
                .get(heron_settings::defs::AUTOCLEAN_DOMAIN_OVERRIDE))
        {
            return Err(ApiError::forbidden(format!(
                "{} does not let its users set their own auto-clean rules",
                d.name
            )));
        }
    } else {
        caller.allow(Action::ManageAccounts(a.domain.clone()))?;
    }
    let role = p.role.as_deref().map(parse_role).transpose()?;
    if role.is_some() {
        caller.allow(Action::SetRole(a.domain.clone()))?;
    }
    let quota = p.quota_mb.map(quota_bytes).transpose()?;
    let autoclean = p
        .autoclean_rules
        .as_deref()
        .map(heron_settings::autoclean::check_rules)
        .transpose()
        .map_err(|e| ApiError::invalid("autoclean_rules", e))?;
    let addr = a.to_string();
    if let Some(pw) = &p.password {
        st.dir
            .set_password(&addr, pw)
            .await
            .map_err(|e| password_error(e, "password"))?;
    }
    let mut what: Vec<&str> = Vec::new();
    p.password.is_some().then(|| what.push("password"));
    quota.is_some().then(|| what.push("quota"));
    p.disabled.is_some().then(|| what.push("disabled"));
    p.display_name.is_some().then(|| what.push("display name"));
    role.is_some().then(|| what.push("role"));
    p.greylisting.is_some().then(|| what.push("greylisting"));
    autoclean.is_some().then(|| what.push("auto-clean rules"));
    let mut u = st.dir.user(&addr).await?;
    quota.into_iter().for_each(|q| u.quota_bytes = q);
    p.disabled.into_iter().for_each(|d| u.disabled = d);
    p.display_name.into_iter().for_each(|n| u.display_name = n);
    role.into_iter().for_each(|r| u.role = r);
    p.greylisting.into_iter().for_each(|g| u.greylisting = g);
    autoclean.into_iter().for_each(|r| u.autoclean_rules = r);
    st.dir.update_user(&u).await?;
    let throttle = [p.messages_per_hour, p.mb_per_hour, p.bounces_per_hour];
    if throttle.iter().any(Option::is_some) {
        what.push("throttles");
        let mut t = st.dir.store().user_throttle(u.id).await?;
        let set = |v: Option<i64>, old: Option<u64>| throttle_value(v).unwrap_or(old);
        t.messages_per_hour = set(p.messages_per_hour, t.messages_per_hour);
        t.mb_per_hour = set(p.mb_per_hour, t.mb_per_hour);
        t.bounces_per_hour = set(p.bounces_per_hour, t.bounces_per_hour);
        st.dir.store().set_user_throttle(u.id, &t).await?;
    }
    if p.password.is_some() || p.disabled == Some(true) {
        st.sessions
            .remove_account(&Account::User(addr.clone()), None)
            .await?;
    }
    caller.event(format!("changed user {addr}: {}", what.join(", ")));
    Ok(Json(full_view(&st, &u, &a.domain).await?))
}

/// Delete a user with its mail.
#[utoipa::path(operation_id = "users_delete", delete, path = "/api/v1/users/{address}", tag = "users",
    params(("address" = String, Path, description = "User address")),
    responses((status = 204, description = "Deleted"), (status = 403, description = "Forbidden", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
pub async fn delete(
    State(st): State<Shared>,
    caller: Caller,
    Path(address): Path<String>,
) -> ApiResult<StatusCode> {
    let a = parse_address(&address, "address")?;
    caller.allow(Action::ManageAccounts(a.domain.clone()))?;
    let addr = a.to_string();
    st.dir.delete_user(&addr).await?;
    st.sessions
        .remove_account(&Account::User(addr.clone()), None)
        .await?;
    caller.event(format!("deleted user {addr}"));
    Ok(StatusCode::NO_CONTENT)
}
