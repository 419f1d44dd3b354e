//! Bearer API tokens: made from a logged-in system administrator's session, the secret shown
//! once; only its SHA-256 is stored.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{Caller, Shared};
use crate::authz::Action;
use crate::body::Body;
use crate::error::{ApiError, ApiResult, ErrorBody};

/// New token.
#[derive(Deserialize, ToSchema)]
pub struct NewTokenRequest {
    /// What the token is for (1 to 100 characters).
    pub name: String,
}

/// A token just made: the only time its secret is shown.
#[derive(Serialize, ToSchema)]
pub struct CreatedToken {
    pub id: i64,
    pub name: String,
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
}

/// A token, without its secret.
#[derive(Serialize, ToSchema)]
pub struct TokenView {
    pub id: i64,
    pub name: String,
    /// Unix seconds.
    pub created_at: i64,
}

/// Make a token (system administrator's session only).
#[utoipa::path(operation_id = "tokens_create", post, path = "/api/v1/tokens", tag = "tokens", request_body = NewTokenRequest,
    responses((status = 201, description = "Created", body = CreatedToken), (status = 400, description = "Malformed request", body = ErrorBody), (status = 403, description = "Forbidden", body = ErrorBody),
        (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn create(
    State(st): State<Shared>,
    caller: Caller,
    Body(req): Body<NewTokenRequest>,
) -> ApiResult<(StatusCode, Json<CreatedToken>)> {
    caller.allow(Action::CreateToken)?;
    let name = crate::tokens::valid_name(&req.name)
        .ok_or_else(|| ApiError::invalid("name", crate::tokens::NAME_RULE))?;
    let (t, secret) = crate::tokens::create(&st.dir, name).await?;
    caller.event(format!("created API token {} {:?}", t.id, t.name));
    Ok((
        StatusCode::CREATED,
        Json(CreatedToken {
            id: t.id,
            name: t.name,
            token: secret,
        }),
    ))
}

/// Every token (no secrets).
#[utoipa::path(operation_id = "tokens_list", get, path = "/api/v1/tokens", tag = "tokens",
    responses((status = 200, description = "OK", body = Vec<TokenView>), (status = 401, description = "Not authenticated", body = ErrorBody), (status = 403, description = "Forbidden", body = ErrorBody)))]
pub async fn list(State(st): State<Shared>, caller: Caller) -> ApiResult<Json<Vec<TokenView>>> {
    caller.allow(Action::Tokens)?;
    let ts = st.dir.store().list_tokens().await?;
    Ok(Json(
        ts.into_iter()
            .map(|t| TokenView {
                id: t.id,
                name: t.name,
                created_at: t.created_at,
            })
            .collect(),
    ))
}

/// Revoke a token.
#[utoipa::path(operation_id = "tokens_delete", delete, path = "/api/v1/tokens/{id}", tag = "tokens",
    params(("id" = i64, Path, description = "Token id")),
    responses((status = 204, description = "Revoked"), (status = 400, description = "Malformed request", body = ErrorBody), (status = 403, description = "Forbidden", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
pub async fn delete(
    State(st): State<Shared>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    caller.allow(Action::Tokens)?;
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::bad_request("a token id is a number"))?;
    st.dir.store().delete_token(id).await?;
    caller.event(format!("revoked API token {id}"));
    Ok(StatusCode::NO_CONTENT)
}
