//! Logging in and out, who am I, and changing one's own password.
//!
//! Invariants: a failed login says the same for an unknown account and a wrong password, and
//! counts against the client IP ([`crate::ratelimit`]); the cookie is HttpOnly and
//! SameSite=Strict, and `Secure` when the request came over HTTPS (added to every cookie
//! by [`crate::transport::finish`]; plain HTTP is served to loopback clients only).

use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use heron_directory::address::Address;
use heron_directory::{AuthError, DirectoryError};
use heron_store::stats;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{COOKIE, Caller, Shared};
use crate::authz::Action;
use crate::body::Body;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::sessions::{self, Account, REMEMBERED};

/// Login request.
#[derive(Deserialize, ToSchema)]
pub struct LoginRequest {
    /// `admin` for the system administrator, else a user's address.
    pub username: String,
    pub password: String,
    /// Keep the session for 30 days of inactivity instead of 30 minutes.
    #[serde(default)]
    pub remember: bool,
}

/// The logged-in session.
#[derive(Serialize, ToSchema)]
pub struct SessionInfo {
    /// `system-admin`, `domain-admin` or `user`.
    pub role: String,
    pub username: String,
    pub must_change_password: bool,
    /// Send this in `X-CSRF-Token` with every POST, PUT, PATCH and DELETE.
    pub csrf_token: String,
}

/// The caller.
#[derive(Serialize, ToSchema)]
pub struct Me {
    pub username: String,
    pub role: String,
    pub must_change_password: bool,
    /// The domain of a user or domain administrator.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// Who is really acting, while the system administrator impersonates this account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub impersonated_by: Option<String>,
}

/// Password change request.
#[derive(Deserialize, ToSchema)]
pub struct PasswordChange {
    pub current: String,
    pub new: String,
}

const BAD_LOGIN: &str = "wrong username or password";

/// Log in.
#[utoipa::path(operation_id = "session_login", post, path = "/api/v1/session", tag = "session", request_body = LoginRequest,
    responses((status = 200, description = "Logged in; sets the heron_session cookie", body = SessionInfo),
        (status = 401, description = "Wrong username or password", body = ErrorBody),
        (status = 429, description = "Too many failures from this address", body = ErrorBody)))]
pub async fn login(
    State(st): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Body(req): Body<LoginRequest>,
) -> ApiResult<Response> {
    let ip = peer.ip();
    st.check_blocked(ip).await?;
    let account = if req.username == "admin" {
        st.dir
            .verify_admin(&req.username, &req.password)
            .await?
            .map(|_| {
                stats::recorder().server(stats::Event::Login(stats::Login::Web));
                Account::Admin
            })
    } else {
        match st.dir.authenticate(&req.username, &req.password).await {
            Ok(u) => {
                st.dir.record_login(&u).await;
                let web = stats::Event::Login(stats::Login::Web);
                stats::recorder().account(u.domain_id, Some(u.id), web);
                let d = st.dir.store().get_domain_by_id(u.domain_id).await?;
                d.map(|d| Account::User(format!("{}@{}", u.local, d.name)))
            }
            Err(AuthError::Failed(why)) => {
                tracing::info!(target: "events", "admin login of {:?} from {ip} failed: {why}", req.username);
                None
            }
            Err(AuthError::Internal(e)) => return Err(e.into()),
        }
    };
    let Some(account) = account else {
        st.login_failed(ip).await;
        return Err(ApiError::unauthorized(BAD_LOGIN));
    };
    let Some((principal, must_change)) = crate::auth::resolve(&st.dir, &account).await? else {
        st.login_failed(ip).await;
        return Err(ApiError::unauthorized(BAD_LOGIN));
    };
    st.login_succeeded(ip).await;
    let (id, s) = st
        .sessions
        .create(account.clone(), req.remember, sessions::now())
        .await?;
    let username = match account {
        Account::Admin => "admin".to_owned(),
        Account::User(a) => a,
    };
    tracing::info!(target: "events", "admin {username} from {ip}: logged in");
    let max_age = if req.remember {
        format!("; Max-Age={}", REMEMBERED.as_secs())
    } else {
        String::new()
    };
    // `Secure` is added over HTTPS (see the module docs).
    let cookie = format!("{COOKIE}={id}; HttpOnly; SameSite=Strict; Path=/{max_age}");
    let body = SessionInfo {
        role: principal.role().to_owned(),
        username,
        must_change_password: must_change,
        csrf_token: s.csrf_token,
    };
    let mut r = Json(body).into_response();
    let v = HeaderValue::from_str(&cookie).map_err(ApiError::internal)?;
    r.headers_mut().insert(header::SET_COOKIE, v);
    Ok(r)
}

/// Log out.
#[utoipa::path(operation_id = "session_logout", delete, path = "/api/v1/session", tag = "session",
    responses((status = 204, description = "Logged out; the cookie is cleared"),
        (status = 401, description = "Not authenticated", body = ErrorBody), (status = 403, description = "Forbidden", body = ErrorBody)))]
pub async fn logout(State(st): State<Shared>, caller: Caller) -> ApiResult<Response> {
    caller.allow(Action::Logout)?;
    if let Some(id) = &caller.session_id {
        st.sessions.remove(id).await?;
    }
    caller.event("logged out");
    let mut r = StatusCode::NO_CONTENT.into_response();
    let clear = format!("{COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
    if let Ok(v) = HeaderValue::from_str(&clear) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(r)
}

/// The caller's identity and role.
#[utoipa::path(operation_id = "session_me", get, path = "/api/v1/me", tag = "session",
    responses((status = 200, description = "OK", body = Me), (status = 401, description = "Not authenticated", body = ErrorBody), (status = 403, description = "Forbidden", body = ErrorBody)))]
pub async fn me(caller: Caller) -> ApiResult<Json<Me>> {
    caller.allow(Action::Me)?;
    let domain = match &caller.account {
        Some(Account::User(a)) => a.rsplit_once('@').map(|x| x.1.to_owned()),
        _ => None,
    };
    let username = match &caller.account {
        Some(Account::User(a)) => a.clone(),
        _ => caller.who.clone(),
    };
    Ok(Json(Me {
        username,
        role: caller.principal.role().to_owned(),
        must_change_password: caller.must_change,
        domain,
        impersonated_by: caller.impersonation.as_ref().map(|i| i.by.clone()),
    }))
}

/// Change one's own password (SEC-9 policy applies).
#[utoipa::path(operation_id = "session_change_password", post, path = "/api/v1/password", tag = "session", request_body = PasswordChange,
    responses((status = 204, description = "Changed"),
        (status = 401, description = "Not authenticated", body = ErrorBody), (status = 403, description = "Forbidden", body = ErrorBody),
        (status = 422, description = "Wrong current password (field `current`) or policy violation (field `new`)", body = ErrorBody),
        (status = 429, description = "Too many failed logins", body = ErrorBody)))]
pub async fn change_password(
    State(st): State<Shared>,
    caller: Caller,
    Body(req): Body<PasswordChange>,
) -> ApiResult<StatusCode> {
    caller.allow(Action::ChangePassword)?;
    st.check_blocked(caller.ip).await?;
    let account = caller.account.clone().unwrap_or(Account::Admin);
    let ok = match &account {
        Account::Admin => st.dir.verify_admin("admin", &req.current).await?.is_some(),
        Account::User(a) => match st.dir.authenticate(a, &req.current).await {
            Ok(_) => true,
            Err(AuthError::Failed(_)) => false,
            Err(AuthError::Internal(e)) => return Err(e.into()),
        },
    };
    if !ok {
        st.login_failed(caller.ip).await;
        return Err(ApiError::invalid(
            "current",
            "the current password is wrong",
        ));
    }
    let r = match &account {
        Account::Admin => st.dir.set_admin_password(&req.new).await,
        Account::User(a) => st.dir.set_password(a, &req.new).await,
    };
    r.map_err(|e| password_error(e, "new"))?;
    st.sessions
        .remove_account(&account, caller.session_id.as_deref())
        .await?;
    caller.event("changed own password");
    Ok(StatusCode::NO_CONTENT)
}

/// A password-setting failure: policy and other input problems name `field`.
pub fn password_error(e: DirectoryError, field: &'static str) -> ApiError {
    ApiError::from(e).with_field(field)
}

/// The canonical form of an address from a request, or 422 naming `field`.
pub fn parse_address(s: &str, field: &'static str) -> ApiResult<Address> {
    Address::parse(s).map_err(|e| ApiError::invalid(field, e))
}
