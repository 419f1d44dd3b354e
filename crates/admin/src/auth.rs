//! Who is calling: the [`Caller`] extractor authenticates every request except login, by
//! `Authorization: Bearer <token>` (an API token, looked up by its SHA-256) or by the
//! `heron_session` cookie (CSRF-checked for state-changing methods), and re-reads the account
//! on each request so a disabled or deleted account, or a changed role, takes effect at once.
//!
//! Invariants: a request with a bad bearer token is refused (401), never retried as a cookie
//! request; every refusal before authentication is 401, every refusal after it 403.

use std::fmt::Display;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use heron_directory::{Directory, DirectoryError};
use heron_net::registry::Registry;
use sha2::{Digest, Sha256};

use crate::authz::{self, Action, Denied, Principal};
use crate::csrf::{self, Via};
use crate::error::{ApiError, ApiResult};
use crate::sessions::{Account, Sessions, hex};

/// Name of the session cookie.
pub const COOKIE: &str = "heron_session";

/// What the running server lends the admin interface beyond the directory.
#[derive(Clone)]
pub struct Runtime {
    /// Live sessions of the mail listeners (connections, online users); empty when the
    /// admin app runs without listeners.
    pub registry: Arc<Registry>,
    /// The data directory (relative `log.dir` values are resolved against it).
    pub data_dir: PathBuf,
    /// When the server started, for the dashboard's uptime.
    pub started: std::time::SystemTime,
    /// What the dashboard lists as problems now (listeners not bound, a certificate about to
    /// expire); nothing when the admin app runs without listeners.
    pub problems: Arc<dyn Fn() -> Vec<String> + Send + Sync>,
    /// Configured mail listeners that are not bound now, with why (`/readyz`).
    pub unbound: Arc<dyn Fn() -> Vec<String> + Send + Sync>,
    /// The spam and virus checks the SMTP doors use, for "test a message"; none when the
    /// admin app runs without them.
    pub filter: Option<Arc<heron_filter::Filter>>,
    /// The sender of DMARC aggregate reports, for "send now"; none when the admin app runs
    /// without it.
    pub dmarc: Option<Arc<heron_queue::dmarc::Reporter>>,
    /// The sender of TLS reports (RFC 8460), for "send now"; none when the admin app runs
    /// without it.
    pub tlsrpt: Option<Arc<heron_queue::tls_policy::report::Reporter>>,
    /// The listeners' certificates: the admin listener's HTTPS, and the certificates shown
    /// as in use; none when the admin app runs without listeners (plain HTTP only).
    pub tls: Option<Arc<heron_net::tls::TlsProvider>>,
}

impl Default for Runtime {
    /// No listeners: no sessions, no problems, started now, data in the working directory.
    fn default() -> Self {
        Self {
            registry: Arc::default(),
            data_dir: PathBuf::default(),
            started: std::time::SystemTime::now(),
            problems: Arc::new(Vec::new),
            unbound: Arc::new(Vec::new),
            filter: None,
            dmarc: None,
            tlsrpt: None,
            tls: None,
        }
    }
}

impl Runtime {
    /// The log directory the settings name now.
    pub fn log_dir(&self, settings: &heron_settings::Settings) -> PathBuf {
        let v = settings.get(heron_settings::defs::LOG_DIR);
        let p = std::path::Path::new(&v);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.data_dir.join(p)
        }
    }
}

/// What every handler shares.
pub struct AppState {
    pub dir: Directory,
    pub runtime: Runtime,
    pub sessions: Sessions,
}

/// The state as handlers receive it.
pub type Shared = Arc<AppState>;

impl AppState {
    /// State over a directory.
    pub fn new(dir: Directory, runtime: Runtime) -> Shared {
        let sessions = Sessions::new(dir.store().clone());
        Arc::new(Self {
            dir,
            runtime,
            sessions,
        })
    }
}

/// SHA-256 of an API token's secret, as stored.
pub fn token_hash(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

/// The client's IP address.
pub fn client_ip(parts: &Parts) -> IpAddr {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip())
}

/// The value of the request's cookie `name`, if any.
pub fn cookie(parts: &Parts, name: &str) -> Option<String> {
    parts
        .headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// The session id in the request's cookies, if any.
pub fn session_cookie(parts: &Parts) -> Option<String> {
    cookie(parts, COOKIE)
}

/// An authenticated request's caller.
pub struct Caller {
    pub principal: Principal,
    pub must_change: bool,
    /// The session's account; `None` for an API token.
    pub account: Option<Account>,
    pub session_id: Option<String>,
    /// Who, for the log: `admin`, a user's address, `admin as ADDRESS` while the system
    /// administrator impersonates a user, or `token NAME`.
    pub who: String,
    /// The session's impersonation, if the system administrator is acting as its account.
    pub impersonation: Option<crate::sessions::Impersonation>,
    pub ip: IpAddr,
}

impl Caller {
    /// Refuse (403) what the caller's role does not allow.
    pub fn allow(&self, action: Action) -> ApiResult<()> {
        authz::decide(&self.principal, self.must_change, &action).map_err(|d| match d {
            Denied::MustChangePassword => {
                ApiError::forbidden("you must change your password first (POST /api/v1/password)")
            }
            Denied::NotPermitted => ApiError::forbidden("not permitted for your role"),
        })
    }

    /// Log a change with who made it.
    pub fn event(&self, what: impl Display) {
        tracing::info!(target: "events", "admin {} from {}: {what}", self.who, self.ip);
    }
}

impl FromRequestParts<Shared> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, st: &Shared) -> Result<Self, ApiError> {
        let ip = client_ip(parts);
        let auth = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        if let Some(a) = auth {
            let (scheme, secret) = a.split_once(' ').unwrap_or((a, ""));
            if !scheme.eq_ignore_ascii_case("bearer") || secret.trim().is_empty() {
                return Err(ApiError::unauthorized("unsupported Authorization header"));
            }
            let store = st.dir.store();
            let t = store
                .find_token(&token_hash(secret.trim()))
                .await?
                .ok_or_else(|| ApiError::unauthorized("unknown API token"))?;
            return Ok(Caller {
                principal: Principal::ApiToken,
                must_change: false,
                account: None,
                session_id: None,
                impersonation: None,
                who: format!("token {:?}", t.name),
                ip,
            });
        }
        let id = session_cookie(parts).ok_or_else(|| ApiError::unauthorized("not logged in"))?;
        let s = st
            .sessions
            .get(&id, crate::sessions::now())
            .await?
            .ok_or_else(|| ApiError::unauthorized("session expired; log in again"))?;
        let sent = parts
            .headers
            .get(csrf::HEADER)
            .and_then(|v| v.to_str().ok());
        if !csrf::check(&parts.method, Via::Cookie, &s.csrf_token, sent) {
            return Err(ApiError::forbidden("missing or wrong X-CSRF-Token header"));
        }
        let Some((principal, must_change)) = resolve(&st.dir, &s.account).await? else {
            st.sessions.remove(&id).await?;
            return Err(ApiError::unauthorized(
                "account no longer available; log in again",
            ));
        };
        let who = match (&s.account, &s.impersonation) {
            (Account::Admin, _) => "admin".to_owned(),
            (Account::User(a), Some(i)) => format!("{} as {a}", i.by),
            (Account::User(a), None) => a.clone(),
        };
        Ok(Caller {
            principal,
            must_change,
            account: Some(s.account),
            session_id: Some(id),
            impersonation: s.impersonation,
            who,
            ip,
        })
    }
}

/// The account's current role and must-change flag; `None` if it may no longer log in.
pub async fn resolve(dir: &Directory, account: &Account) -> ApiResult<Option<(Principal, bool)>> {
    match account {
        Account::Admin => Ok(dir
            .store()
            .get_admin()
            .await?
            .map(|a| (Principal::SystemAdmin, a.must_change_password))),
        Account::User(address) => {
            let domain = address.rsplit_once('@').map(|x| x.1).unwrap_or_default();
            let user = match dir.user(address).await {
                Ok(u) => u,
                Err(DirectoryError::NotFound(_) | DirectoryError::Invalid(_)) => return Ok(None),
                Err(e) => return Err(e.into()),
            };
            let d = match dir.domain(domain).await {
                Ok(d) => d,
                Err(DirectoryError::NotFound(_)) => return Ok(None),
                Err(e) => return Err(e.into()),
            };
            if user.disabled || d.disabled {
                return Ok(None);
            }
            let p = match user.role {
                heron_store::Role::DomainAdmin => Principal::DomainAdmin { domain: d.name },
                heron_store::Role::User => Principal::User,
            };
            Ok(Some((p, false)))
        }
    }
}
