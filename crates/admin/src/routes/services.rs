//! Services and their start/stop switches (OPS-1): POP3, IMAP, SMTP (MX and submission
//! together) and the outbound spool, plus LDAP and XMPP once they have a switch setting.
//!
//! Invariants: a service is running exactly when its switch setting is true, and starting or
//! stopping one only stores that setting (validated like any other), so the listeners and
//! the scheduler follow it by themselves; names outside the table are 404.

use axum::Json;
use axum::extract::{Path, State};
use heron_net::registry::Registry;
use heron_settings::values::Protocol;
use heron_settings::{FromSetting, Kind, Settings, defs};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::{Caller, Shared};
use crate::authz::Action;
use crate::error::{ApiError, ApiResult, ErrorBody};

/// A service: its name, its switch setting and the protocols whose sessions it runs.
struct Service {
    name: &'static str,
    setting: &'static str,
    protocols: &'static [Protocol],
}

/// Every service that may have a switch; those whose setting does not exist are left out.
const SERVICES: &[Service] = &[
    Service {
        name: "pop3",
        setting: "pop.enabled",
        protocols: &[Protocol::Pop3],
    },
    Service {
        name: "imap",
        setting: "imap.enabled",
        protocols: &[Protocol::Imap],
    },
    Service {
        name: "smtp",
        setting: "smtp_in.enabled",
        protocols: &[Protocol::Smtp, Protocol::Submission],
    },
    Service {
        name: "spool",
        setting: "spool.enabled",
        protocols: &[],
    },
];

/// A service's state.
#[derive(Serialize, ToSchema)]
pub struct ServiceView {
    /// pop3, imap, smtp or spool.
    pub name: String,
    /// The setting that switches it.
    pub setting: String,
    /// Whether it is switched on.
    pub running: bool,
    /// Live sessions of its protocols (0 for the spool, which has none).
    pub sessions: usize,
}

fn available() -> impl Iterator<Item = &'static Service> {
    SERVICES
        .iter()
        .filter(|s| defs::find(s.setting).is_some_and(|d| d.kind == Kind::Bool))
}

fn view(settings: &Settings, registry: &Registry, s: &Service) -> ServiceView {
    ServiceView {
        name: s.name.to_owned(),
        setting: s.setting.to_owned(),
        running: settings
            .raw(s.setting)
            .and_then(|v| bool::from_setting(&v))
            .unwrap_or(false),
        sessions: s.protocols.iter().map(|p| registry.count(*p)).sum(),
    }
}

/// Every service with its state.
pub fn services(settings: &Settings, registry: &Registry) -> Vec<ServiceView> {
    available().map(|s| view(settings, registry, s)).collect()
}

/// Switch a service on or off; the service as it is now.
pub async fn switch(
    settings: &Settings,
    registry: &Registry,
    name: &str,
    on: bool,
) -> ApiResult<ServiceView> {
    let s = available()
        .find(|s| s.name == name)
        .ok_or_else(|| ApiError::not_found(format!("no service {name:?}")))?;
    settings
        .set(s.setting, if on { "true" } else { "false" })
        .await?;
    Ok(view(settings, registry, s))
}

/// Services and whether they run.
#[utoipa::path(operation_id = "services_list", get, path = "/api/v1/services", tag = "services",
    responses((status = 200, description = "OK", body = Vec<ServiceView>), (status = 401, description = "Not authenticated", body = ErrorBody), (status = 403, description = "Forbidden", body = ErrorBody)))]
pub async fn list(State(st): State<Shared>, caller: Caller) -> ApiResult<Json<Vec<ServiceView>>> {
    caller.allow(Action::Services)?;
    Ok(Json(services(st.dir.settings(), &st.runtime.registry)))
}

async fn change(
    st: &Shared,
    caller: &Caller,
    name: &str,
    on: bool,
) -> ApiResult<Json<ServiceView>> {
    caller.allow(Action::Services)?;
    let v = switch(st.dir.settings(), &st.runtime.registry, name, on).await?;
    let what = if on { "started" } else { "stopped" };
    caller.event(format!("{what} service {} ({} = {on})", v.name, v.setting));
    Ok(Json(v))
}

/// Start a service (its listeners bind, or the spool delivers again).
#[utoipa::path(operation_id = "services_start", post, path = "/api/v1/services/{name}/start", tag = "services",
    params(("name" = String, Path, description = "pop3, imap, smtp or spool")),
    responses((status = 200, description = "Started", body = ServiceView), (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Forbidden", body = ErrorBody), (status = 404, description = "No such service", body = ErrorBody)))]
pub async fn start(
    State(st): State<Shared>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<Json<ServiceView>> {
    change(&st, &caller, &name, true).await
}

/// Stop a service (its listeners close; live sessions run on; the spool stops delivering).
#[utoipa::path(operation_id = "services_stop", post, path = "/api/v1/services/{name}/stop", tag = "services",
    params(("name" = String, Path, description = "pop3, imap, smtp or spool")),
    responses((status = 200, description = "Stopped", body = ServiceView), (status = 401, description = "Not authenticated", body = ErrorBody),
        (status = 403, description = "Forbidden", body = ErrorBody), (status = 404, description = "No such service", body = ErrorBody)))]
pub async fn stop(
    State(st): State<Shared>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<Json<ServiceView>> {
    change(&st, &caller, &name, false).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn switches_are_settings() {
        let names: Vec<_> = available().map(|s| s.name).collect();
        for n in ["pop3", "imap", "smtp", "spool"] {
            assert!(names.contains(&n), "{n} missing from {names:?}");
        }
        for s in available() {
            let d = defs::find(s.setting);
            assert!(d.is_some_and(|d| d.kind.name() == "bool"), "{}", s.setting);
        }
    }
}
