//! Mail client setup: Thunderbird autoconfig (`/.well-known/autoconfig/mail/config-v1.1.xml`
//! and `/mail/config-v1.1.xml` for the `autoconfig.DOMAIN` host), Outlook autodiscover (POST
//! `/autodiscover/autodiscover.xml`, either case) and a user's Apple `.mobileconfig` profile
//! (`/api/v1/users/{address}/mobileconfig`).
//!
//! Invariants: autoconfig and autodiscover need no login (clients ask before they have one)
//! and answer only for hosted domains, saying nothing else about the server; the autodiscover
//! body is bounded by [`heron_setup::autodiscover::MAX_REQUEST`]; the profile is given to the
//! user themself or to an administrator of the user's domain only.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use heron_setup::{autoconfig, autodiscover, endpoints, mobileconfig};
use heron_store::Domain;
use serde::Deserialize;

use crate::auth::{Caller, Shared};
use crate::authz::Action;
use crate::error::{ApiError, ApiResult};
use crate::sessions::Account;

/// The routes clients reach without a login.
pub fn public() -> Router<Shared> {
    Router::new()
        .route(
            "/.well-known/autoconfig/mail/config-v1.1.xml",
            get(autoconfig_xml),
        )
        .route("/mail/config-v1.1.xml", get(autoconfig_xml))
        .route("/autodiscover/autodiscover.xml", post(autodiscover_xml))
        .route("/Autodiscover/Autodiscover.xml", post(autodiscover_xml))
}

/// The autoconfig query.
#[derive(Deserialize)]
pub struct AutoconfigQuery {
    /// The address being set up (Thunderbird sends it).
    pub emailaddress: Option<String>,
}

fn xml(status: StatusCode, content_type: &'static str, body: String) -> Response {
    let mut r = (status, body).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "no such domain here").into_response()
}

/// The hosted domain of an address or host name (domain aliases included).
async fn hosted(st: &Shared, name: &str) -> Result<Option<Domain>, Response> {
    match st.dir.find_domain(name).await {
        Ok(d) => Ok(d.filter(|d| !d.disabled)),
        Err(e) => {
            tracing::error!(target: "events", "client setup: looking up {name} failed: {e}");
            Err(StatusCode::INTERNAL_SERVER_ERROR.into_response())
        }
    }
}

/// The domain asked about: the address's, else the `autoconfig.DOMAIN` host's.
fn asked_domain(q: &AutoconfigQuery, headers: &HeaderMap) -> Option<String> {
    if let Some(a) = &q.emailaddress {
        return a.rsplit_once('@').map(|(_, d)| d.trim().to_owned());
    }
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let host = host.rsplit_once(':').map_or(host, |(h, p)| {
        if p.chars().all(|c| c.is_ascii_digit()) {
            h
        } else {
            host
        }
    });
    host.to_ascii_lowercase()
        .strip_prefix("autoconfig.")
        .map(str::to_owned)
}

/// `GET /.well-known/autoconfig/mail/config-v1.1.xml?emailaddress=ADDRESS`.
pub async fn autoconfig_xml(
    State(st): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<AutoconfigQuery>,
) -> Response {
    let Some(name) = asked_domain(&q, &headers) else {
        return not_found();
    };
    let d = match hosted(&st, &name).await {
        Ok(Some(d)) => d,
        Ok(None) => return not_found(),
        Err(r) => return r,
    };
    let setup = endpoints::for_domain(st.dir.settings(), &d);
    xml(
        StatusCode::OK,
        autoconfig::CONTENT_TYPE,
        autoconfig::render(&setup),
    )
}

/// `POST /autodiscover/autodiscover.xml` with an Outlook request.
pub async fn autodiscover_xml(State(st): State<Shared>, body: Bytes) -> Response {
    let answer =
        |status, msg: &str| xml(status, autodiscover::CONTENT_TYPE, autodiscover::error(msg));
    if body.len() > autodiscover::MAX_REQUEST {
        return answer(StatusCode::PAYLOAD_TOO_LARGE, "Request too large");
    }
    let Some(address) = autodiscover::requested_address(&body) else {
        return answer(StatusCode::BAD_REQUEST, "Invalid Request");
    };
    let domain = address.rsplit_once('@').map(|(_, d)| d).unwrap_or_default();
    let d = match hosted(&st, domain).await {
        Ok(Some(d)) => d,
        Ok(None) => return answer(StatusCode::NOT_FOUND, "Invalid Request"),
        Err(r) => return r,
    };
    let setup = endpoints::for_domain(st.dir.settings(), &d);
    xml(
        StatusCode::OK,
        autodiscover::CONTENT_TYPE,
        autodiscover::render(&setup, &address),
    )
}

/// A user's Apple configuration profile (unsigned): for the user themself or an
/// administrator of the user's domain.
#[utoipa::path(operation_id = "users_mobileconfig", get, path = "/api/v1/users/{address}/mobileconfig", tag = "users",
    params(("address" = String, Path, description = "The user's address")),
    responses((status = 200, description = "The profile (application/x-apple-aspen-config)", content_type = "application/x-apple-aspen-config", body = String),
        (status = 401, description = "Not authenticated", body = crate::error::ErrorBody), (status = 403, description = "Forbidden", body = crate::error::ErrorBody),
        (status = 404, description = "Not found", body = crate::error::ErrorBody)))]
pub async fn mobileconfig(
    State(st): State<Shared>,
    caller: Caller,
    Path(address): Path<String>,
) -> ApiResult<Response> {
    let wanted = address.trim().to_lowercase();
    let domain = wanted.rsplit_once('@').map(|(_, d)| d).unwrap_or_default();
    let own = matches!(&caller.account, Some(Account::User(a)) if *a == wanted);
    if !own {
        caller.allow(Action::ManageAccounts(super::domains::domain_key(domain)))?;
    }
    let user = st.dir.user(&wanted).await?;
    let d = st
        .dir
        .domain_by_id(user.domain_id)
        .await?
        .ok_or_else(|| ApiError::not_found("no such user"))?;
    let canonical = format!("{}@{}", user.local, d.name);
    let setup = endpoints::for_domain(st.dir.settings(), &d);
    let name = if user.display_name.is_empty() {
        canonical.clone()
    } else {
        user.display_name.clone()
    };
    let profile = mobileconfig::render(&setup, &canonical, &name).ok_or_else(|| {
        ApiError::new(
            StatusCode::CONFLICT,
            "no IMAP/POP3 or no submission listener to configure (bind.listeners)",
        )
    })?;
    let mut r = xml(StatusCode::OK, mobileconfig::CONTENT_TYPE, profile);
    let file = format!(
        "attachment; filename=\"{}.mobileconfig\"",
        canonical.replace(['"', '\\'], "")
    );
    if let Ok(v) = HeaderValue::from_str(&file) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(r)
}
