//! Domain aliases (DOM-10): other domain names whose mail goes to a domain's mailboxes, as
//! `heron domain alias-add` makes them. List and add under the domain, delete by name.
//!
//! Invariants: the permission is the one for changing the domain the alias points at,
//! checked before anything is revealed (deleting an unknown alias is checked against the
//! alias's own name, so callers without the permission learn nothing); the directory
//! validates names, refuses an alias that is already a domain or an alias, and enforces
//! the domain's DOM-4 limit.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use heron_directory::{Directory, DirectoryError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::domains::domain_key;
use crate::auth::{Caller, Shared};
use crate::authz::Action;
use crate::body::Body;
use crate::error::{ApiError, ApiResult, ErrorBody};

/// A domain alias.
#[derive(Serialize, ToSchema)]
pub struct DomainAliasView {
    /// The alias's name.
    pub alias: String,
    /// The domain it delivers to.
    pub domain: String,
}

/// New domain alias.
#[derive(Deserialize, ToSchema)]
pub struct NewDomainAlias {
    pub alias: String,
}

/// The aliases of a domain, by name.
pub async fn domain_aliases(dir: &Directory, domain: &str) -> ApiResult<Vec<DomainAliasView>> {
    let d = dir.domain(domain).await?;
    let names = dir.store().list_domain_aliases(d.id).await?;
    Ok(names
        .into_iter()
        .map(|alias| DomainAliasView {
            alias,
            domain: d.name.clone(),
        })
        .collect())
}

/// Aliases of a domain.
#[utoipa::path(operation_id = "domain_aliases_list", get, path = "/api/v1/domains/{name}/domain-aliases", tag = "domains",
    params(("name" = String, Path, description = "Domain name")),
    responses((status = 200, description = "OK", body = Vec<DomainAliasView>), (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Forbidden", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
pub async fn list(
    State(st): State<Shared>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<Json<Vec<DomainAliasView>>> {
    caller.allow(Action::ChangeDomain(domain_key(&name)))?;
    Ok(Json(domain_aliases(&st.dir, &name).await?))
}

/// Make another domain name deliver to this domain's mailboxes.
#[utoipa::path(operation_id = "domain_aliases_create", post, path = "/api/v1/domains/{name}/domain-aliases", tag = "domains", request_body = NewDomainAlias,
    params(("name" = String, Path, description = "Domain name")),
    responses((status = 201, description = "Created", body = DomainAliasView), (status = 400, description = "Malformed request", body = ErrorBody),
        (status = 401, description = "Not authenticated", body = ErrorBody), (status = 403, description = "Forbidden", body = ErrorBody),
        (status = 404, description = "No such domain", body = ErrorBody), (status = 409, description = "Already a domain or alias (field `alias`)", body = ErrorBody),
        (status = 422, description = "Invalid name or limit reached (field `alias`)", body = ErrorBody)))]
pub async fn create(
    State(st): State<Shared>,
    caller: Caller,
    Path(name): Path<String>,
    Body(req): Body<NewDomainAlias>,
) -> ApiResult<(StatusCode, Json<DomainAliasView>)> {
    let domain = domain_key(&name);
    caller.allow(Action::ChangeDomain(domain.clone()))?;
    let d = st.dir.domain(&name).await?;
    st.dir
        .add_domain_alias(&req.alias, &d.name)
        .await
        .map_err(|e| match e {
            DirectoryError::NotFound(_) => ApiError::from(e),
            e => ApiError::from(e).with_field("alias"),
        })?;
    let alias = domain_key(&req.alias);
    caller.event(format!("added domain alias {alias} -> {}", d.name));
    Ok((
        StatusCode::CREATED,
        Json(DomainAliasView {
            alias,
            domain: d.name,
        }),
    ))
}

/// Remove a domain alias.
#[utoipa::path(operation_id = "domain_aliases_delete", delete, path = "/api/v1/domain-aliases/{alias}", tag = "domains",
    params(("alias" = String, Path, description = "The alias's name")),
    responses((status = 204, description = "Deleted"), (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Forbidden", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
pub async fn delete(
    State(st): State<Shared>,
    caller: Caller,
    Path(alias): Path<String>,
) -> ApiResult<StatusCode> {
    let alias = domain_key(&alias);
    let store = st.dir.store();
    let target = match store.resolve_domain_alias(&alias).await? {
        Some(id) => store.get_domain_by_id(id).await?.map(|d| d.name),
        None => None,
    };
    let Some(domain) = target else {
        caller.allow(Action::ChangeDomain(alias.clone()))?;
        return Err(ApiError::not_found(format!(
            "domain alias {alias} not found"
        )));
    };
    caller.allow(Action::ChangeDomain(domain.clone()))?;
    store.remove_domain_alias(&alias).await?;
    caller.event(format!("removed domain alias {alias} (of {domain})"));
    Ok(StatusCode::NO_CONTENT)
}
