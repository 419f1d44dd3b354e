//! DOM-13 impersonation: the system administrator acts as a user or domain administrator
//! to see and do what they would, and returns to their own session afterwards.
//!
//! Invariants: only the system administrator's own logged-in session may start one (not an
//! API token, not a session that is already impersonating); the target must be an account
//! that could log in itself (existing, enabled, in an enabled domain); the start, the end and
//! every change made meanwhile are logged as `admin as ADDRESS`; ending it removes the
//! impersonation session and hands back the administrator's session cookie.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::auth::{COOKIE, Caller, Shared, resolve};
use crate::authz::Action;
use crate::body::Body;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::routes::session::{SessionInfo, parse_address};
use crate::sessions::{self, Account, Impersonation};

/// Whom to act as.
#[derive(Deserialize, ToSchema)]
pub struct ImpersonateRequest {
    /// A user's or domain administrator's address.
    pub username: String,
}

/// Point the session cookie at session `id`; an empty id clears the cookie.
fn with_cookie(mut r: Response, id: &str) -> ApiResult<Response> {
    let expire = if id.is_empty() { "; Max-Age=0" } else { "" };
    let cookie = format!("{COOKIE}={id}; HttpOnly; SameSite=Strict; Path=/{expire}");
    let v = HeaderValue::from_str(&cookie).map_err(ApiError::internal)?;
    r.headers_mut().insert(header::SET_COOKIE, v);
    Ok(r)
}

/// Act as another account: the session cookie now names a session of that account.
#[utoipa::path(operation_id = "impersonate_start", post, path = "/api/v1/impersonate", tag = "session", request_body = ImpersonateRequest,
    responses((status = 200, description = "Acting as the account; sets the heron_session cookie", body = SessionInfo),
        (status = 400, description = "Malformed request", body = ErrorBody),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Not the system administrator's own session", body = ErrorBody),
        (status = 404, description = "No such account, or it may not log in", body = ErrorBody),
        (status = 422, description = "Not an address (field `username`)", body = ErrorBody)))]
pub async fn start(
    State(st): State<Shared>,
    caller: Caller,
    Body(req): Body<ImpersonateRequest>,
) -> ApiResult<Response> {
    caller.allow(Action::Impersonate)?;
    let (Some(return_to), None) = (&caller.session_id, &caller.impersonation) else {
        return Err(ApiError::forbidden(
            "impersonation starts from the administrator's own session",
        ));
    };
    let address = parse_address(&req.username, "username")?.to_string();
    let account = Account::User(address.clone());
    let Some((principal, _)) = resolve(&st.dir, &account).await? else {
        return Err(ApiError::not_found(format!(
            "no account {address} that may log in"
        )));
    };
    let by = Impersonation {
        by: caller.who.clone(),
        return_to: return_to.clone(),
    };
    let (id, s) = st
        .sessions
        .impersonate(account, by, sessions::now())
        .await?;
    caller.event(format!("impersonates {address}"));
    let body = SessionInfo {
        role: principal.role().to_owned(),
        username: address,
        must_change_password: false,
        csrf_token: s.csrf_token,
    };
    with_cookie(Json(body).into_response(), &id)
}

/// Stop acting as another account and resume the administrator's session.
#[utoipa::path(operation_id = "impersonate_stop", delete, path = "/api/v1/impersonate", tag = "session",
    responses((status = 204, description = "Back in the administrator's session (cookie reset), or logged out if it has expired"),
        (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 409, description = "This session is not an impersonation", body = ErrorBody)))]
pub async fn stop(State(st): State<Shared>, caller: Caller) -> ApiResult<Response> {
    let (Some(id), Some(imp)) = (&caller.session_id, &caller.impersonation) else {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "this session is not an impersonation",
        ));
    };
    st.sessions.remove(id).await?;
    caller.event("stopped impersonating");
    let r = StatusCode::NO_CONTENT.into_response();
    if st
        .sessions
        .get(&imp.return_to, sessions::now())
        .await?
        .is_some()
    {
        with_cookie(r, &imp.return_to)
    } else {
        with_cookie(r, "")
    }
}
