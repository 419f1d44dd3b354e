//! Domain defaults (DOM-12): change several `domain_defaults.*` settings at once, and push
//! chosen ones to every existing domain. The defaults are ordinary settings (also reachable
//! at `/api/v1/settings/{key}`); new domains take them when created.
//!
//! Invariants: the system administrator's (or an API token's) only; a change or a field list
//! is checked whole before anything is written, so one bad value or name changes nothing; the
//! path lives outside `/api/v1/domains/` so it never shadows a domain name.

use axum::Json;
use axum::extract::State;
use heron_directory::DefaultField;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{Caller, Shared};
use crate::authz::Action;
use crate::body::Body;
use crate::error::{ApiError, ApiResult, ErrorBody};

/// Which defaults to push.
#[derive(Deserialize, ToSchema)]
pub struct PropagateRequest {
    /// Field names: `disk_mb`, `max_users`, `max_aliases`, `max_domain_aliases`,
    /// `max_message_kb`, `max_recipients`, `max_pop_accounts`, `require_smtp_auth`. At
    /// least one.
    pub fields: Vec<String>,
}

/// A value as a client sends it: a number, `true`/`false`, or text.
#[derive(Deserialize, ToSchema)]
#[serde(untagged)]
pub enum DefaultValue {
    Number(u64),
    Bool(bool),
    Text(String),
}

impl DefaultValue {
    fn text(&self) -> String {
        match self {
            Self::Number(n) => n.to_string(),
            Self::Bool(b) => b.to_string(),
            Self::Text(t) => t.clone(),
        }
    }
}

/// New values for some defaults; absent fields stay as they are.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DefaultsChange {
    pub disk_mb: Option<DefaultValue>,
    pub max_users: Option<DefaultValue>,
    pub max_aliases: Option<DefaultValue>,
    pub max_domain_aliases: Option<DefaultValue>,
    pub max_message_kb: Option<DefaultValue>,
    pub max_recipients: Option<DefaultValue>,
    pub max_pop_accounts: Option<DefaultValue>,
    pub require_smtp_auth: Option<DefaultValue>,
}

impl DefaultsChange {
    fn get(&self, f: DefaultField) -> Option<&DefaultValue> {
        match f {
            DefaultField::DiskMb => self.disk_mb.as_ref(),
            DefaultField::MaxUsers => self.max_users.as_ref(),
            DefaultField::MaxAliases => self.max_aliases.as_ref(),
            DefaultField::MaxDomainAliases => self.max_domain_aliases.as_ref(),
            DefaultField::MaxMessageKb => self.max_message_kb.as_ref(),
            DefaultField::MaxRecipients => self.max_recipients.as_ref(),
            DefaultField::MaxPopAccounts => self.max_pop_accounts.as_ref(),
            DefaultField::RequireSmtpAuth => self.require_smtp_auth.as_ref(),
        }
    }
}

/// What a change of defaults did.
#[derive(Serialize, ToSchema)]
pub struct DefaultsSaved {
    /// Setting keys whose value changed.
    pub changed: Vec<String>,
}

/// Change several defaults at once: every value is checked before any is stored.
#[utoipa::path(operation_id = "domain_defaults_put", put, path = "/api/v1/domain-defaults", tag = "domains",
    request_body = DefaultsChange,
    responses((status = 200, description = "Stored; which settings changed", body = DefaultsSaved),
        (status = 400, description = "Malformed request", body = ErrorBody), (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Forbidden", body = ErrorBody), (status = 422, description = "Invalid value (field: the default's name)", body = ErrorBody)))]
pub async fn put(
    State(st): State<Shared>,
    caller: Caller,
    Body(req): Body<DefaultsChange>,
) -> ApiResult<Json<DefaultsSaved>> {
    caller.allow(Action::PropagateDomainDefaults)?;
    let s = st.dir.settings();
    let mut checked = Vec::new();
    for f in DefaultField::ALL {
        let Some(v) = req.get(f) else { continue };
        let key = f.setting_key();
        let value = heron_settings::validate(key, &v.text()).map_err(|e| match e {
            heron_settings::SettingsError::Invalid { reason, .. } => {
                ApiError::invalid(f.as_str(), reason)
            }
            e => ApiError::from(e),
        })?;
        if s.raw(key).as_deref() != Some(value.as_str()) {
            checked.push((key, value));
        }
    }
    let mut changed = Vec::new();
    for (key, value) in checked {
        let stored = s.set(key, &value).await?;
        caller.event(format!("set {key} = {stored:?}"));
        changed.push(key.to_owned());
    }
    Ok(Json(DefaultsSaved { changed }))
}

/// What propagation did.
#[derive(Serialize, ToSchema)]
pub struct PropagateResult {
    /// Domains that changed (those already at the defaults are not counted).
    pub domains: usize,
}

/// The fields named in a request, each once, in the order given; 422 on `fields` for an
/// empty list or an unknown name.
pub fn parse_fields(names: &[String]) -> ApiResult<Vec<DefaultField>> {
    if names.is_empty() {
        return Err(ApiError::invalid(
            "fields",
            format!("name at least one field: {}", DefaultField::names()),
        ));
    }
    let mut out = Vec::new();
    for n in names {
        let f = DefaultField::parse(n).ok_or_else(|| {
            ApiError::invalid(
                "fields",
                format!(
                    "unknown field {n:?}; the fields are {}",
                    DefaultField::names()
                ),
            )
        })?;
        if !out.contains(&f) {
            out.push(f);
        }
    }
    Ok(out)
}

/// Set the chosen fields of every domain to their current defaults.
#[utoipa::path(operation_id = "domain_defaults_propagate", post, path = "/api/v1/domain-defaults/propagate", tag = "domains",
    request_body = PropagateRequest,
    responses((status = 200, description = "Propagated; how many domains changed", body = PropagateResult),
        (status = 400, description = "Malformed request", body = ErrorBody), (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Forbidden", body = ErrorBody), (status = 422, description = "Empty list or unknown field (field `fields`)", body = ErrorBody)))]
pub async fn propagate(
    State(st): State<Shared>,
    caller: Caller,
    Body(req): Body<PropagateRequest>,
) -> ApiResult<Json<PropagateResult>> {
    caller.allow(Action::PropagateDomainDefaults)?;
    let fields = parse_fields(&req.fields)?;
    let n = st.dir.propagate_defaults(&fields).await?;
    let names: Vec<&str> = fields.iter().map(|f| f.as_str()).collect();
    caller.event(format!(
        "propagated domain defaults ({}) to {n} domains",
        names.join(", ")
    ));
    Ok(Json(PropagateResult { domains: n }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn fields_parse() {
        let got = parse_fields(&names(&["max_users", "require_smtp_auth", "max_users"]));
        assert!(
            matches!(
                got.as_deref(),
                Ok([DefaultField::MaxUsers, DefaultField::RequireSmtpAuth])
            ),
            "duplicates collapse, order kept"
        );
        for bad in [&[][..], &["max_users", "quota"][..], &["MAX_USERS"][..]] {
            let e = parse_fields(&names(bad)).err();
            let e = e.map(|e| (e.status.as_u16(), e.field));
            assert_eq!(e, Some((422, Some("fields"))), "{bad:?}");
        }
    }
}
