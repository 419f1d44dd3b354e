//! Public folders of a domain (DOM-5) as `heron public` offers them: list, add, remove, and
//! set who may do what in them. The domain's administrators and the system administrator
//! manage them (the same rule as the domain's users and aliases); IMAP users see them under
//! `Public Folders/` as their rights allow.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use heron_directory::PublicFolder;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::domains::domain_key;
use crate::auth::{Caller, Shared};
use crate::authz::Action;
use crate::body::Body;
use crate::error::{ApiResult, ErrorBody};

/// A public folder, with who may do what in it.
#[derive(Serialize, ToSchema)]
pub struct PublicFolderView {
    /// The name below `Public Folders/` (levels separated by `/`).
    pub name: String,
    pub messages: u32,
    pub bytes: u64,
    /// Entries, `anyone` first.
    pub rights: Vec<RightsEntry>,
}

/// One access-control entry (RFC 4314).
#[derive(Serialize, ToSchema)]
pub struct RightsEntry {
    /// `anyone` (every user of the domain) or a user's address.
    pub grantee: String,
    /// Rights letters among `lrswipkxtea`.
    pub rights: String,
}

/// New public folder.
#[derive(Deserialize, ToSchema)]
pub struct NewPublicFolder {
    /// The name below `Public Folders/`; missing folders above it are added too.
    pub name: String,
}

/// Rights to set.
#[derive(Deserialize, ToSchema)]
pub struct RightsRequest {
    /// Rights letters among `lrswipkxtea` (RFC 4314: l list, r read, s keep seen, w write
    /// flags, i insert, p post, k create below, x delete, t delete messages, e expunge, a
    /// administer); empty removes the entry.
    pub rights: String,
}

fn view(f: PublicFolder) -> PublicFolderView {
    PublicFolderView {
        name: f.name,
        messages: f.messages,
        bytes: f.bytes,
        rights: f
            .rights
            .into_iter()
            .map(|(grantee, rights)| RightsEntry { grantee, rights })
            .collect(),
    }
}

/// Public folders of a domain.
#[utoipa::path(operation_id = "public_folders_list", get, path = "/api/v1/domains/{name}/public-folders", tag = "public folders",
    params(("name" = String, Path, description = "Domain name")),
    responses((status = 200, description = "OK", body = Vec<PublicFolderView>), (status = 403, description = "Forbidden", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
pub async fn list(
    State(st): State<Shared>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<Json<Vec<PublicFolderView>>> {
    caller.allow(Action::ManageAccounts(domain_key(&name)))?;
    let folders = st.dir.list_public(&name).await?;
    Ok(Json(folders.into_iter().map(view).collect()))
}

/// Add a public folder (with no entries: nobody sees it until rights are set).
#[utoipa::path(operation_id = "public_folders_create", post, path = "/api/v1/domains/{name}/public-folders", tag = "public folders",
    request_body = NewPublicFolder,
    params(("name" = String, Path, description = "Domain name")),
    responses((status = 201, description = "Created", body = PublicFolderView), (status = 400, description = "Malformed request", body = ErrorBody), (status = 403, description = "Forbidden", body = ErrorBody),
        (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "Already exists", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn create(
    State(st): State<Shared>,
    caller: Caller,
    Path(name): Path<String>,
    Body(req): Body<NewPublicFolder>,
) -> ApiResult<(StatusCode, Json<PublicFolderView>)> {
    let d = domain_key(&name);
    caller.allow(Action::ManageAccounts(d.clone()))?;
    let f = st
        .dir
        .add_public(&d, &req.name)
        .await
        .map_err(|e| crate::error::ApiError::from(e).with_field("name"))?;
    caller.event(format!("created public folder {} of {d}", f.name));
    Ok((StatusCode::CREATED, Json(view(f))))
}

/// Remove a public folder with its messages and the folders below it.
#[utoipa::path(operation_id = "public_folders_delete", delete, path = "/api/v1/domains/{name}/public-folders/{folder}", tag = "public folders",
    params(("name" = String, Path, description = "Domain name"), ("folder" = String, Path, description = "Folder name (a `/` in it written `%2F`)")),
    responses((status = 204, description = "Deleted"), (status = 403, description = "Forbidden", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
pub async fn delete(
    State(st): State<Shared>,
    caller: Caller,
    Path((name, folder)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let d = domain_key(&name);
    caller.allow(Action::ManageAccounts(d.clone()))?;
    st.dir.remove_public(&d, &folder).await?;
    caller.event(format!("deleted public folder {folder} of {d}"));
    Ok(StatusCode::NO_CONTENT)
}

/// Set the rights of `anyone` (every user of the domain) or of one user of the domain in a
/// public folder; empty rights remove the entry.
#[utoipa::path(operation_id = "public_folders_rights", put, path = "/api/v1/domains/{name}/public-folders/{folder}/rights/{grantee}", tag = "public folders",
    request_body = RightsRequest,
    params(("name" = String, Path, description = "Domain name"), ("folder" = String, Path, description = "Folder name (a `/` in it written `%2F`)"),
        ("grantee" = String, Path, description = "`anyone`, or a user of the domain (address or local part)")),
    responses((status = 200, description = "The folder with its entries", body = PublicFolderView), (status = 400, description = "Malformed request", body = ErrorBody), (status = 403, description = "Forbidden", body = ErrorBody),
        (status = 404, description = "Not found", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn rights(
    State(st): State<Shared>,
    caller: Caller,
    Path((name, folder, grantee)): Path<(String, String, String)>,
    Body(req): Body<RightsRequest>,
) -> ApiResult<Json<PublicFolderView>> {
    let d = domain_key(&name);
    caller.allow(Action::ManageAccounts(d.clone()))?;
    let f = st
        .dir
        .grant_public(&d, &folder, &grantee, &req.rights)
        .await
        .map_err(|e| match e {
            heron_directory::DirectoryError::Invalid(_) => {
                crate::error::ApiError::from(e).with_field("rights")
            }
            e => e.into(),
        })?;
    caller.event(format!(
        "set rights {:?} of {grantee} on public folder {folder} of {d}",
        req.rights
    ));
    Ok(Json(view(f)))
}
