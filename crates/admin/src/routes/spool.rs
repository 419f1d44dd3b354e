//! The outbound spool and the administrator's actions on it (SPOOL-5), as `heron spool`
//! offers them: list, show, delete, force, reset retries, change priority.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use heron_store::{SpoolChange, SpoolEntry, SpoolRecipient};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{Caller, Shared};
use crate::authz::Action;
use crate::body::Body;
use crate::error::{ApiError, ApiResult, ErrorBody};

/// One recipient's delivery state.
#[derive(Serialize, ToSchema)]
pub struct RecipientView {
    pub address: String,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    pub notify: Option<String>,
    pub orcpt: Option<String>,
    pub last_reply: Option<String>,
}

/// A spooled message.
#[derive(Serialize, ToSchema)]
pub struct SpoolView {
    pub id: i64,
    /// Envelope sender; empty for the null sender.
    pub sender: String,
    pub recipients: Vec<RecipientView>,
    pub size: u64,
    /// 1..10, higher leaves first.
    pub priority: u8,
    pub attempts: u32,
    /// Unix seconds.
    pub created_at: i64,
    pub next_attempt_at: i64,
    pub last_attempt_at: Option<i64>,
    /// A delivery attempt is running.
    pub delivering: bool,
    /// The header block (single-entry reads only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub headers: Option<String>,
}

fn recipient(r: &SpoolRecipient) -> RecipientView {
    RecipientView {
        address: r.address.clone(),
        status: r.status.clone(),
        notify: r.notify.clone(),
        orcpt: r.orcpt.clone(),
        last_reply: r.last_reply.clone(),
    }
}

pub(crate) fn view(e: &SpoolEntry) -> SpoolView {
    SpoolView {
        id: e.id,
        sender: e.sender.clone(),
        recipients: e.recipients.iter().map(recipient).collect(),
        size: e.size,
        priority: e.priority,
        attempts: e.attempts,
        created_at: e.created_at,
        next_attempt_at: e.next_attempt_at,
        last_attempt_at: e.last_attempt_at,
        delivering: e.leased_until != 0,
        headers: None,
    }
}

/// A message's header block as text (through the last header line), for display.
pub(crate) fn header_text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(heron_message::header_block(bytes).fields(bytes)).into_owned()
}

/// New priority.
#[derive(Deserialize, ToSchema)]
pub struct PriorityRequest {
    /// 1..10.
    pub priority: i64,
}

fn parse_id(id: &str) -> ApiResult<i64> {
    id.parse()
        .map_err(|_| ApiError::bad_request("a spool id is a number"))
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Every spooled message, highest priority first.
#[utoipa::path(operation_id = "spool_list", get, path = "/api/v1/spool", tag = "spool",
    responses((status = 200, description = "OK", body = Vec<SpoolView>), (status = 401, description = "Not authenticated", body = ErrorBody), (status = 403, description = "Forbidden", body = ErrorBody)))]
pub async fn list(State(st): State<Shared>, caller: Caller) -> ApiResult<Json<Vec<SpoolView>>> {
    caller.allow(Action::Spool)?;
    let entries = st.dir.store().spool_list().await?;
    Ok(Json(entries.iter().map(view).collect()))
}

/// One spooled message with its headers.
#[utoipa::path(operation_id = "spool_get", get, path = "/api/v1/spool/{id}", tag = "spool",
    params(("id" = i64, Path, description = "Spool entry id")),
    responses((status = 200, description = "OK", body = SpoolView), (status = 400, description = "Malformed request", body = ErrorBody), (status = 403, description = "Forbidden", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
pub async fn get(
    State(st): State<Shared>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<SpoolView>> {
    caller.allow(Action::Spool)?;
    let id = parse_id(&id)?;
    let store = st.dir.store();
    let e = store
        .spool_get(id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no spool entry {id}")))?;
    let bytes = store.spool_read(&e).await?;
    let mut v = view(&e);
    v.headers = Some(header_text(&bytes));
    Ok(Json(v))
}

/// Remove a message from the spool without delivering it.
#[utoipa::path(operation_id = "spool_delete", delete, path = "/api/v1/spool/{id}", tag = "spool",
    params(("id" = i64, Path, description = "Spool entry id")),
    responses((status = 204, description = "Deleted"), (status = 400, description = "Malformed request", body = ErrorBody), (status = 403, description = "Forbidden", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
pub async fn delete(
    State(st): State<Shared>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    caller.allow(Action::Spool)?;
    let id = parse_id(&id)?;
    st.dir.store().spool_delete(id).await?;
    caller.event(format!("deleted spool entry {id}"));
    Ok(StatusCode::NO_CONTENT)
}

async fn change(
    st: &Shared,
    caller: &Caller,
    id: &str,
    c: SpoolChange,
    what: &str,
) -> ApiResult<Json<SpoolView>> {
    caller.allow(Action::Spool)?;
    let id = parse_id(id)?;
    let e = st.dir.store().spool_change(id, c).await?;
    caller.event(format!("spool entry {id}: {what}"));
    Ok(Json(view(&e)))
}

/// Attempt delivery now.
#[utoipa::path(operation_id = "spool_force", post, path = "/api/v1/spool/{id}/force", tag = "spool",
    params(("id" = i64, Path, description = "Spool entry id")),
    responses((status = 200, description = "OK", body = SpoolView), (status = 400, description = "Malformed request", body = ErrorBody), (status = 403, description = "Forbidden", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
pub async fn force(
    State(st): State<Shared>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<SpoolView>> {
    let c = SpoolChange::force(now());
    change(&st, &caller, &id, c, "delivery attempt now").await
}

/// Reset retries: attempts back to zero, failed recipients pending again, attempt now.
#[utoipa::path(operation_id = "spool_reset", post, path = "/api/v1/spool/{id}/reset", tag = "spool",
    params(("id" = i64, Path, description = "Spool entry id")),
    responses((status = 200, description = "OK", body = SpoolView), (status = 400, description = "Malformed request", body = ErrorBody), (status = 403, description = "Forbidden", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
pub async fn reset(
    State(st): State<Shared>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<SpoolView>> {
    let c = SpoolChange::reset(now());
    change(&st, &caller, &id, c, "retries reset, delivery attempt now").await
}

/// Change the priority (1..10, higher leaves first).
#[utoipa::path(operation_id = "spool_priority", put, path = "/api/v1/spool/{id}/priority", tag = "spool", request_body = PriorityRequest,
    params(("id" = i64, Path, description = "Spool entry id")),
    responses((status = 200, description = "OK", body = SpoolView), (status = 400, description = "Malformed request", body = ErrorBody), (status = 403, description = "Forbidden", body = ErrorBody),
        (status = 404, description = "Not found", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)))]
pub async fn priority(
    State(st): State<Shared>,
    caller: Caller,
    Path(id): Path<String>,
    Body(req): Body<PriorityRequest>,
) -> ApiResult<Json<SpoolView>> {
    caller.allow(Action::Spool)?;
    let p = u8::try_from(req.priority)
        .ok()
        .filter(|p| (1..=10).contains(p))
        .ok_or_else(|| ApiError::invalid("priority", "a priority is 1 to 10"))?;
    let c = SpoolChange::priority(p);
    change(&st, &caller, &id, c, &format!("priority {p}")).await
}
