//! `/api/v1/users/{address}/pop-retrieval`: a user's POP-retrieval accounts (ACCESS-4) —
//! list, create, change, delete, and fetch now. Allowed to the system administrator, the
//! domain's administrators, and the user themself.
//!
//! Invariants: no answer holds a password (only `password_set`); creation over the domain's
//! `pop_retrieval_accounts` limit is a 422 naming `limit`; creating or fetching an account
//! of a domain whose POP-retrieval switch is off is a 422 naming `pop_retrieval`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use heron_pop3::retrieval::accounts::{self, AccountInput, AccountView};
use heron_pop3::retrieval::{Retrieval, RetrievalError};
use heron_store::{PopTls, UserId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::session::parse_address;
use crate::auth::{Caller, Shared};
use crate::authz::Action;
use crate::body::Body;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::sessions::Account;

/// A POP-retrieval account as shown (no password).
#[derive(Serialize, ToSchema)]
pub struct PopAccountView {
    pub id: i64,
    pub host: String,
    pub port: u16,
    /// `none`, `starttls` or `tls`.
    pub tls: String,
    pub verify_tls: bool,
    pub login: String,
    pub password_set: bool,
    pub leave_on_server: bool,
    pub folder: String,
    pub enabled: bool,
    /// Unix seconds of the last run's end; 0: never.
    pub last_run: i64,
    /// The last run's error; empty when it succeeded.
    pub last_error: String,
}

impl From<AccountView> for PopAccountView {
    fn from(v: AccountView) -> Self {
        Self {
            id: v.id,
            host: v.host,
            port: v.port,
            tls: v.tls.as_str().to_owned(),
            verify_tls: v.verify_tls,
            login: v.login,
            password_set: v.password_set,
            leave_on_server: v.leave_on_server,
            folder: v.folder,
            enabled: v.enabled,
            last_run: v.last_run,
            last_error: v.last_error,
        }
    }
}

/// A new or changed POP-retrieval account.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PopAccountRequest {
    pub host: String,
    /// Default 110, or 995 with `tls` = `tls`.
    pub port: Option<u16>,
    /// `none`, `starttls` (default) or `tls`.
    pub tls: Option<String>,
    /// Verify the server's certificate (default true).
    pub verify_tls: Option<bool>,
    pub login: String,
    /// Required on creation; absent on a change keeps the stored one.
    pub password: Option<String>,
    /// Keep fetched messages on the server (default true).
    pub leave_on_server: Option<bool>,
    /// Default INBOX.
    pub folder: Option<String>,
    /// Default true.
    pub enabled: Option<bool>,
}

/// What a fetch did.
#[derive(Serialize, ToSchema)]
pub struct FetchResult {
    pub fetched: usize,
    pub deleted: usize,
    pub skipped: usize,
}

fn input(r: PopAccountRequest) -> ApiResult<AccountInput> {
    let tls = match r.tls.as_deref() {
        None => PopTls::Starttls,
        Some(t) => PopTls::parse(t)
            .ok_or_else(|| ApiError::invalid("tls", "tls must be none, starttls or tls"))?,
    };
    Ok(AccountInput {
        host: r.host,
        port: r.port.unwrap_or(if tls == PopTls::Tls { 995 } else { 110 }),
        tls,
        verify_tls: r.verify_tls.unwrap_or(true),
        login: r.login,
        password: r.password,
        leave_on_server: r.leave_on_server.unwrap_or(true),
        folder: r.folder.unwrap_or_else(|| "INBOX".into()),
        enabled: r.enabled.unwrap_or(true),
    })
}

fn api_error(e: RetrievalError) -> ApiError {
    match e {
        RetrievalError::Limit(m) => ApiError::invalid("limit", m),
        RetrievalError::Off(m) => ApiError::invalid("pop_retrieval", m),
        RetrievalError::Invalid(m) => ApiError::invalid("account", m),
        RetrievalError::NotFound(m) => ApiError::not_found(m),
        RetrievalError::Store(e) => e.into(),
        other => ApiError::internal(other),
    }
}

/// The user named by the path, once the caller may manage its accounts.
async fn allowed(st: &Shared, caller: &Caller, address: &str) -> ApiResult<UserId> {
    let a = parse_address(address, "address")?;
    let me = matches!(&caller.account, Some(Account::User(u)) if *u == a.to_string());
    if !me || caller.must_change {
        caller.allow(Action::ManageAccounts(a.domain.clone()))?;
    }
    Ok(st.dir.user(&a.to_string()).await?.id)
}

/// A user's POP-retrieval accounts.
#[utoipa::path(operation_id = "pop_retrieval_list", get, path = "/api/v1/users/{address}/pop-retrieval", tag = "users",
    params(("address" = String, Path, description = "User address")),
    responses((status = 200, description = "OK", body = Vec<PopAccountView>), (status = 403, description = "Forbidden", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
pub async fn list(
    State(st): State<Shared>,
    caller: Caller,
    Path(address): Path<String>,
) -> ApiResult<Json<Vec<PopAccountView>>> {
    let user = allowed(&st, &caller, &address).await?;
    let all = st.dir.store().pop_accounts(Some(user)).await?;
    Ok(Json(
        all.iter().map(|a| AccountView::from(a).into()).collect(),
    ))
}

/// Add a POP-retrieval account (within the domain's per-user limit).
#[utoipa::path(operation_id = "pop_retrieval_create", post, path = "/api/v1/users/{address}/pop-retrieval", tag = "users", request_body = PopAccountRequest,
    params(("address" = String, Path, description = "User address")),
    responses((status = 201, description = "Created", body = PopAccountView), (status = 400, description = "Malformed request", body = ErrorBody), (status = 403, description = "Forbidden", body = ErrorBody),
        (status = 404, description = "Not found", body = ErrorBody), (status = 422, description = "Invalid input, over the limit (field `limit`) or POP retrieval off for the domain (field `pop_retrieval`)", body = ErrorBody)))]
pub async fn create(
    State(st): State<Shared>,
    caller: Caller,
    Path(address): Path<String>,
    Body(req): Body<PopAccountRequest>,
) -> ApiResult<(StatusCode, Json<PopAccountView>)> {
    let user = allowed(&st, &caller, &address).await?;
    let v = accounts::add(st.dir.store().as_ref(), user, &input(req)?)
        .await
        .map_err(api_error)?;
    caller.event(format!(
        "added POP-retrieval account {} for {address}",
        v.id
    ));
    Ok((StatusCode::CREATED, Json(v.into())))
}

/// Change a POP-retrieval account.
#[utoipa::path(operation_id = "pop_retrieval_put", put, path = "/api/v1/users/{address}/pop-retrieval/{id}", tag = "users", request_body = PopAccountRequest,
    params(("address" = String, Path, description = "User address"), ("id" = i64, Path, description = "Account id")),
    responses((status = 200, description = "OK", body = PopAccountView), (status = 400, description = "Malformed request", body = ErrorBody), (status = 403, description = "Forbidden", body = ErrorBody),
        (status = 404, description = "Not found", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn put(
    State(st): State<Shared>,
    caller: Caller,
    Path((address, id)): Path<(String, i64)>,
    Body(req): Body<PopAccountRequest>,
) -> ApiResult<Json<PopAccountView>> {
    let user = allowed(&st, &caller, &address).await?;
    let v = accounts::update(st.dir.store().as_ref(), user, id, &input(req)?)
        .await
        .map_err(api_error)?;
    caller.event(format!("changed POP-retrieval account {id} of {address}"));
    Ok(Json(v.into()))
}

/// Remove a POP-retrieval account.
#[utoipa::path(operation_id = "pop_retrieval_delete", delete, path = "/api/v1/users/{address}/pop-retrieval/{id}", tag = "users",
    params(("address" = String, Path, description = "User address"), ("id" = i64, Path, description = "Account id")),
    responses((status = 204, description = "Removed"), (status = 403, description = "Forbidden", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
pub async fn delete(
    State(st): State<Shared>,
    caller: Caller,
    Path((address, id)): Path<(String, i64)>,
) -> ApiResult<StatusCode> {
    let user = allowed(&st, &caller, &address).await?;
    let store = st.dir.store();
    accounts::owned(store.as_ref(), user, id)
        .await
        .map_err(api_error)?;
    store.pop_account_remove(id).await?;
    caller.event(format!("removed POP-retrieval account {id} of {address}"));
    Ok(StatusCode::NO_CONTENT)
}

/// Fetch a POP-retrieval account now; its error (if any) is also kept as `last_error`.
#[utoipa::path(operation_id = "pop_retrieval_fetch", post, path = "/api/v1/users/{address}/pop-retrieval/{id}/fetch", tag = "users",
    params(("address" = String, Path, description = "User address"), ("id" = i64, Path, description = "Account id")),
    responses((status = 200, description = "Fetched", body = FetchResult), (status = 403, description = "Forbidden", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody),
        (status = 409, description = "Being fetched already", body = ErrorBody), (status = 422, description = "POP retrieval off for the domain (field `pop_retrieval`)", body = ErrorBody), (status = 502, description = "The remote server failed (see last_error)", body = ErrorBody)))]
pub async fn fetch(
    State(st): State<Shared>,
    caller: Caller,
    Path((address, id)): Path<(String, i64)>,
) -> ApiResult<Json<FetchResult>> {
    let user = allowed(&st, &caller, &address).await?;
    let store = st.dir.store().clone();
    accounts::owned(store.as_ref(), user, id)
        .await
        .map_err(api_error)?;
    let r = Retrieval::new(store, st.dir.settings().clone());
    match r.fetch_now(id).await.map_err(api_error)? {
        None => Err(ApiError::new(
            StatusCode::CONFLICT,
            "the account is being fetched already",
        )),
        Some(Ok(o)) => Ok(Json(FetchResult {
            fetched: o.fetched,
            deleted: o.deleted,
            skipped: o.skipped,
        })),
        Some(Err(e)) => Err(ApiError::new(StatusCode::BAD_GATEWAY, e.to_string())),
    }
}
