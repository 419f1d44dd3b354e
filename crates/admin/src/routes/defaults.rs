//! Domain defaults (DOM-12): push chosen `domain_defaults.*` settings to every existing
//! domain. The defaults themselves are ordinary settings (`/api/v1/settings/{key}`); new
//! domains take them when created.
//!
//! Invariants: the system administrator's (or an API token's) only; the field list is
//! checked whole before any domain is touched, so a bad name changes nothing; the path lives
//! outside `/api/v1/domains/` so it never shadows a domain name.

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
    /// `max_message_kb`, `max_recipients`, `require_smtp_auth`. At least one.
    pub fields: Vec<String>,
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
