//! Aliases (DOM-10) as `heron alias` offers them: list per domain, add, delete.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::domains::domain_key;
use super::session::parse_address;
use crate::auth::{Caller, Shared};
use crate::authz::Action;
use crate::body::Body;
use crate::error::{ApiError, ApiResult, ErrorBody};

/// An alias and where it delivers.
#[derive(Serialize, ToSchema)]
pub struct AliasView {
    pub address: String,
    /// Full addresses.
    pub targets: Vec<String>,
}

/// New alias.
#[derive(Deserialize, ToSchema)]
pub struct NewAliasRequest {
    pub address: String,
    /// Addresses, or local parts of the alias's domain.
    pub targets: Vec<String>,
}

/// Aliases of a domain.
#[utoipa::path(operation_id = "aliases_list", get, path = "/api/v1/domains/{name}/aliases", tag = "aliases",
    params(("name" = String, Path, description = "Domain name")),
    responses((status = 200, description = "OK", body = Vec<AliasView>), (status = 403, description = "Forbidden", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
pub async fn list(
    State(st): State<Shared>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<Json<Vec<AliasView>>> {
    let d = domain_key(&name);
    caller.allow(Action::ManageAccounts(d.clone()))?;
    let aliases = st.dir.list_aliases(&name).await?;
    Ok(Json(
        aliases
            .into_iter()
            .map(|a| AliasView {
                address: format!("{}@{d}", a.local),
                targets: a.targets,
            })
            .collect(),
    ))
}

/// Add an alias.
#[utoipa::path(operation_id = "aliases_create", post, path = "/api/v1/aliases", tag = "aliases", request_body = NewAliasRequest,
    responses((status = 201, description = "Created", body = AliasView), (status = 400, description = "Malformed request", body = ErrorBody), (status = 403, description = "Forbidden", body = ErrorBody),
        (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Already exists", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn create(
    State(st): State<Shared>,
    caller: Caller,
    Body(req): Body<NewAliasRequest>,
) -> ApiResult<(StatusCode, Json<AliasView>)> {
    let a = parse_address(&req.address, "address")?;
    caller.allow(Action::ManageAccounts(a.domain.clone()))?;
    if req.targets.is_empty() {
        return Err(ApiError::invalid(
            "targets",
            "an alias needs at least one target",
        ));
    }
    let addr = a.to_string();
    let alias = st
        .dir
        .add_alias(&addr, &req.targets)
        .await
        .map_err(|e| match e {
            heron_directory::DirectoryError::Invalid(_) => ApiError::from(e).with_field("targets"),
            e => ApiError::from(e).with_field("address"),
        })?;
    caller.event(format!(
        "created alias {addr} -> {}",
        alias.targets.join(", ")
    ));
    Ok((
        StatusCode::CREATED,
        Json(AliasView {
            address: addr,
            targets: alias.targets,
        }),
    ))
}

/// Delete an alias.
#[utoipa::path(operation_id = "aliases_delete", delete, path = "/api/v1/aliases/{address}", tag = "aliases",
    params(("address" = String, Path, description = "Alias address")),
    responses((status = 204, description = "Deleted"), (status = 403, description = "Forbidden", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
pub async fn delete(
    State(st): State<Shared>,
    caller: Caller,
    Path(address): Path<String>,
) -> ApiResult<StatusCode> {
    let a = parse_address(&address, "address")?;
    caller.allow(Action::ManageAccounts(a.domain.clone()))?;
    let addr = a.to_string();
    st.dir.delete_alias(&addr).await?;
    caller.event(format!("deleted alias {addr}"));
    Ok(StatusCode::NO_CONTENT)
}
