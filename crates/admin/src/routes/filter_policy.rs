//! A domain's and a user's own spam-filter settings (FILTER-3) and the domain's content-
//! filtering switch (DOM-3): read them with the policy in force, replace them as a whole.
//!
//! Invariants: the system administrator (and tokens) may set every name; a domain
//! administrator sets their own domain's levels, actions and texts while
//! `filter.domain_overrides` is on, and their users' while `filter.user_overrides` is on, and
//! never the domain's switch (kept as it was); every value is checked as the `filter.` setting
//! of its name before anything is saved, so a refused request changes nothing.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use heron_filter::Policy;
use heron_filter::policy::{OVERRIDABLE, SWITCH, validate};
use heron_settings::{Settings, defs};
use heron_store::FilterOverrides;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::domains::domain_key;
use super::session::parse_address;
use crate::auth::{Caller, Shared};
use crate::authz::{Action, Principal};
use crate::body::Body;
use crate::error::{ApiError, ApiResult, ErrorBody};

/// What a domain or user set for itself, and what applies.
#[derive(Serialize, ToSchema)]
pub struct FilterPolicyView {
    /// Names of `filter.` settings (`level_low`, `action_medium`, `text_high`, … and for a
    /// domain `enabled`) to the values set; the others are the server's (or the domain's).
    pub overrides: BTreeMap<String, String>,
    /// Whether the levels, actions and texts set here apply now (`filter.domain_overrides`,
    /// `filter.user_overrides`); a domain's `enabled` always applies.
    pub applies: bool,
    /// The policy in force: for a domain, what its users without settings of their own get.
    pub effective: EffectiveView,
}

/// A policy in force.
#[derive(Serialize, ToSchema)]
pub struct EffectiveView {
    /// Mail to the domain is filtered at all (DOM-3).
    pub enabled: bool,
    pub level_low: i64,
    pub level_medium: i64,
    pub level_high: i64,
    pub action_low: String,
    pub action_medium: String,
    pub action_high: String,
    pub text_low: String,
    pub text_medium: String,
    pub text_high: String,
}

impl From<Policy> for EffectiveView {
    fn from(p: Policy) -> Self {
        let [level_low, level_medium, level_high] = p.thresholds;
        let [action_low, action_medium, action_high] = p.actions;
        let [text_low, text_medium, text_high] = p.texts;
        Self {
            enabled: p.enabled,
            level_low,
            level_medium,
            level_high,
            action_low,
            action_medium,
            action_high,
            text_low,
            text_medium,
            text_high,
        }
    }
}

/// The whole set of a domain's or user's filter settings: names of `filter.` settings to
/// values (strings, numbers or booleans); names left out go back to the server's (or the
/// domain's). `{}` clears them all.
#[derive(Deserialize, ToSchema)]
#[serde(transparent)]
pub struct FilterPolicyChange {
    #[schema(value_type = Object)]
    pub overrides: BTreeMap<String, serde_json::Value>,
}

/// A domain's filter settings and switch.
#[utoipa::path(operation_id = "domain_filter_get", get, path = "/api/v1/domains/{name}/filter", tag = "filter",
    params(("name" = String, Path, description = "Domain name")),
    responses((status = 200, description = "OK", body = FilterPolicyView), (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Forbidden", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
pub async fn domain_get(
    State(st): State<Shared>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<Json<FilterPolicyView>> {
    caller.allow(Action::ReadDomain(domain_key(&name)))?;
    let d = st.dir.domain(&name).await?;
    Ok(Json(domain_view(st.dir.settings(), &d.filter)))
}

/// Replace a domain's filter settings and switch.
#[utoipa::path(operation_id = "domain_filter_put", put, path = "/api/v1/domains/{name}/filter", tag = "filter",
    request_body = FilterPolicyChange, params(("name" = String, Path, description = "Domain name")),
    responses((status = 200, description = "OK", body = FilterPolicyView), (status = 400, description = "Malformed request", body = ErrorBody),
        (status = 401, description = "Not authenticated", body = ErrorBody), (status = 403, description = "Forbidden", body = ErrorBody),
        (status = 404, description = "Not found", body = ErrorBody), (status = 422, description = "Invalid name or value", body = ErrorBody)))]
pub async fn domain_put(
    State(st): State<Shared>,
    caller: Caller,
    Path(name): Path<String>,
    Body(change): Body<FilterPolicyChange>,
) -> ApiResult<Json<FilterPolicyView>> {
    let settings = st.dir.settings();
    let key = domain_key(&name);
    let permitted = settings.get(defs::FILTER_DOMAIN_OVERRIDES);
    caller.allow(Action::OwnFilter(key, permitted))?;
    let mut d = st.dir.domain(&name).await?;
    let mut set = checked(&change.overrides)?;
    if !is_admin(&caller) {
        // The switch is the server administrator's: kept as it was.
        if set.0.get(SWITCH) != d.filter.0.get(SWITCH) && set.0.contains_key(SWITCH) {
            return Err(ApiError::forbidden(
                "only the server administrator turns filtering on or off for a domain",
            ));
        }
        set.0.remove(SWITCH);
        if let Some(v) = d.filter.0.get(SWITCH) {
            set.0.insert(SWITCH.to_owned(), v.clone());
        }
    }
    d.filter = set;
    st.dir.update_domain(&d).await?;
    caller.event(format!("set the spam filter settings of {}", d.name));
    Ok(Json(domain_view(settings, &d.filter)))
}

/// A user's filter settings.
#[utoipa::path(operation_id = "user_filter_get", get, path = "/api/v1/users/{address}/filter", tag = "filter",
    params(("address" = String, Path, description = "User address")),
    responses((status = 200, description = "OK", body = FilterPolicyView), (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Forbidden", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
pub async fn user_get(
    State(st): State<Shared>,
    caller: Caller,
    Path(address): Path<String>,
) -> ApiResult<Json<FilterPolicyView>> {
    let a = parse_address(&address, "address")?;
    caller.allow(Action::ManageAccounts(a.domain.clone()))?;
    let u = st.dir.user(&a.to_string()).await?;
    let d = st.dir.domain(&a.domain).await?;
    Ok(Json(user_view(st.dir.settings(), &d.filter, &u.filter)))
}

/// Replace a user's filter settings.
#[utoipa::path(operation_id = "user_filter_put", put, path = "/api/v1/users/{address}/filter", tag = "filter",
    request_body = FilterPolicyChange, params(("address" = String, Path, description = "User address")),
    responses((status = 200, description = "OK", body = FilterPolicyView), (status = 400, description = "Malformed request", body = ErrorBody),
        (status = 401, description = "Not authenticated", body = ErrorBody), (status = 403, description = "Forbidden", body = ErrorBody),
        (status = 404, description = "Not found", body = ErrorBody), (status = 422, description = "Invalid name or value", body = ErrorBody)))]
pub async fn user_put(
    State(st): State<Shared>,
    caller: Caller,
    Path(address): Path<String>,
    Body(change): Body<FilterPolicyChange>,
) -> ApiResult<Json<FilterPolicyView>> {
    let settings = st.dir.settings();
    let a = parse_address(&address, "address")?;
    let permitted = settings.get(defs::FILTER_USER_OVERRIDES);
    caller.allow(Action::OwnFilter(a.domain.clone(), permitted))?;
    let set = checked(&change.overrides)?;
    if set.0.contains_key(SWITCH) {
        return Err(ApiError::invalid(
            SWITCH,
            "filtering is turned on or off for a whole domain, not for one user",
        ));
    }
    let mut u = st.dir.user(&a.to_string()).await?;
    let d = st.dir.domain(&a.domain).await?;
    u.filter = set;
    st.dir.store().update_user(&u).await?;
    caller.event(format!("set the spam filter settings of {a}"));
    Ok(Json(user_view(settings, &d.filter, &u.filter)))
}

fn is_admin(caller: &Caller) -> bool {
    matches!(
        caller.principal,
        Principal::SystemAdmin | Principal::ApiToken
    )
}

/// The overrides of a request, each checked; the first bad one is the error.
fn checked(given: &BTreeMap<String, serde_json::Value>) -> ApiResult<FilterOverrides> {
    let mut out = BTreeMap::new();
    for (name, value) in given {
        let field = OVERRIDABLE
            .iter()
            .chain(std::iter::once(&SWITCH))
            .find(|n| **n == name.as_str())
            .copied()
            .ok_or_else(|| {
                ApiError::invalid(
                    "overrides",
                    format!(
                        "{name} is not a filter setting a domain or user may set (one of: {}, {SWITCH})",
                        OVERRIDABLE.join(", ")
                    ),
                )
            })?;
        let text = match value {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::Bool(b) => b.to_string(),
            _ => return Err(ApiError::invalid(field, "a string, number or boolean")),
        };
        let v = validate(field, &text).map_err(|e| ApiError::invalid(field, e))?;
        out.insert(field.to_owned(), v);
    }
    Ok(FilterOverrides(out))
}

fn domain_view(settings: &Settings, own: &FilterOverrides) -> FilterPolicyView {
    FilterPolicyView {
        overrides: own.0.clone(),
        applies: settings.get(defs::FILTER_DOMAIN_OVERRIDES),
        effective: Policy::of(settings, own, &FilterOverrides::default()).into(),
    }
}

fn user_view(
    settings: &Settings,
    domain: &FilterOverrides,
    own: &FilterOverrides,
) -> FilterPolicyView {
    FilterPolicyView {
        overrides: own.0.clone(),
        applies: settings.get(defs::FILTER_USER_OVERRIDES),
        effective: Policy::of(settings, domain, own).into(),
    }
}
