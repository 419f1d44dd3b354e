//! Runtime settings as `heron settings` offers them. Values are validated and normalised by
//! `heron_settings` before they are stored; a running service applies a change at once.

use axum::Json;
use axum::extract::{Path, State};
use heron_settings::defs::{self, DEFS};
use heron_settings::{Def, Settings};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{Caller, Shared};
use crate::authz::Action;
use crate::body::Body;
use crate::error::{ApiError, ApiResult, ErrorBody};

/// One setting.
#[derive(Serialize, ToSchema)]
pub struct SettingView {
    pub key: String,
    /// The value in force (stored, else default).
    pub value: String,
    pub default: String,
    /// Whether a value is stored (changed from the default).
    pub set: bool,
    pub doc: String,
    /// `bool`, `count`, `seconds`, `text`, `list` or a choice.
    pub kind: String,
    /// Set only in the answer to a change that was stored but does not take effect yet (a
    /// `tls.cert` whose `tls.key` does not match it yet, for one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

fn view(s: &Settings, d: &Def) -> SettingView {
    SettingView {
        key: d.key.to_owned(),
        value: s.raw(d.key).unwrap_or_default(),
        default: s.default_of(d.key).unwrap_or_else(|| d.default.to_owned()),
        set: s.is_set(d.key),
        doc: d.doc.trim().to_owned(),
        kind: d.kind.name().to_owned(),
        warning: None,
    }
}

fn find(key: &str) -> ApiResult<&'static Def> {
    defs::find(key).ok_or_else(|| ApiError::not_found(format!("unknown setting {key:?}")))
}

/// New value of a setting.
#[derive(Deserialize, ToSchema)]
pub struct SettingValue {
    pub value: String,
}

/// Every setting with its value, default and meaning.
#[utoipa::path(operation_id = "settings_list", get, path = "/api/v1/settings", tag = "settings",
    responses((status = 200, description = "OK", body = Vec<SettingView>), (status = 401, description = "Not authenticated", body = ErrorBody), (status = 403, description = "Forbidden", body = ErrorBody)))]
pub async fn list(State(st): State<Shared>, caller: Caller) -> ApiResult<Json<Vec<SettingView>>> {
    caller.allow(Action::Settings)?;
    let s = st.dir.settings();
    Ok(Json(DEFS.iter().map(|d| view(s, d)).collect()))
}

/// One setting.
#[utoipa::path(operation_id = "settings_get", get, path = "/api/v1/settings/{key}", tag = "settings",
    params(("key" = String, Path, description = "Setting key, e.g. smtp_in.banner")),
    responses((status = 200, description = "OK", body = SettingView), (status = 403, description = "Forbidden", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
pub async fn get(
    State(st): State<Shared>,
    caller: Caller,
    Path(key): Path<String>,
) -> ApiResult<Json<SettingView>> {
    caller.allow(Action::Settings)?;
    Ok(Json(view(st.dir.settings(), find(&key)?)))
}

/// Store a value (validated first); running services apply it at once.
#[utoipa::path(operation_id = "settings_put", put, path = "/api/v1/settings/{key}", tag = "settings", request_body = SettingValue,
    params(("key" = String, Path, description = "Setting key")),
    responses((status = 200, description = "OK", body = SettingView), (status = 400, description = "Malformed request", body = ErrorBody), (status = 403, description = "Forbidden", body = ErrorBody),
        (status = 404, description = "Not found", body = ErrorBody), (status = 422, description = "Invalid value (field `value`)", body = ErrorBody)))]
pub async fn put(
    State(st): State<Shared>,
    caller: Caller,
    Path(key): Path<String>,
    Body(req): Body<SettingValue>,
) -> ApiResult<Json<SettingView>> {
    caller.allow(Action::Settings)?;
    let d = find(&key)?;
    let s = st.dir.settings();
    let warning = heron_net::tls::check_setting(s, d.key, &req.value)
        .map_err(|e| ApiError::invalid("value", e.to_string()))?;
    let stored = s.set(d.key, &req.value).await?;
    caller.event(format!("set {} = {stored:?}", d.key));
    Ok(Json(SettingView {
        warning,
        ..view(s, d)
    }))
}

/// Forget the stored value so the default applies.
#[utoipa::path(operation_id = "settings_reset", delete, path = "/api/v1/settings/{key}", tag = "settings",
    params(("key" = String, Path, description = "Setting key")),
    responses((status = 200, description = "Reset; the setting as it now is", body = SettingView),
        (status = 403, description = "Forbidden", body = ErrorBody), (status = 404, description = "Not found", body = ErrorBody)))]
pub async fn reset(
    State(st): State<Shared>,
    caller: Caller,
    Path(key): Path<String>,
) -> ApiResult<Json<SettingView>> {
    caller.allow(Action::Settings)?;
    let d = find(&key)?;
    let s = st.dir.settings();
    s.reset(d.key).await?;
    caller.event(format!("reset {} to its default", d.key));
    Ok(Json(view(s, d)))
}
