//! Who is looking at a page, and the frame every page shares.
//!
//! [`Viewer`] authenticates a page request by the session cookie only (pages are never
//! reached with API tokens). With no valid session it redirects to `/login`; while the
//! account must change its password it redirects to `/password` ([`PendingViewer`] is the one
//! extractor that lets such a session through). Role checks use the same
//! [`authz::decide`] as the API, so a page never shows what its API would refuse.
//!
//! Invariants: every page carries its session's CSRF token in a `<meta>` element, which the
//! script sends back as `X-CSRF-Token`; every page answer has `Cache-Control: no-store` and a
//! Content-Security-Policy that allows only this server's own scripts and styles.

use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

use crate::auth::{Shared, cookie, resolve, session_cookie};
use crate::authz::{self, Action, Principal};
use crate::error::ApiError;
use crate::sessions::Account;

/// Name of the (script-readable) cookie holding the chosen theme.
pub const THEME_COOKIE: &str = "heron_theme";

/// An authenticated page request.
pub struct Viewer {
    pub principal: Principal,
    pub must_change: bool,
    /// `admin` or the user's address.
    pub who: String,
    pub csrf: String,
    pub theme: &'static str,
    /// Who is really acting, while the system administrator impersonates this account.
    pub acting_for: Option<String>,
}

/// A page request from a session that may still have to change its password.
pub struct PendingViewer(pub Viewer);

impl Viewer {
    /// Whether the viewer's role allows `action` (the API's rule).
    pub fn may(&self, action: &Action) -> bool {
        authz::decide(&self.principal, self.must_change, action).is_ok()
    }

    /// Refuse with a page when the role does not allow `action`.
    // The refusal is answered at once by the page handler, never carried further.
    #[allow(clippy::result_large_err)]
    pub fn require(&self, action: &Action) -> Result<(), Response> {
        if self.may(action) {
            Ok(())
        } else {
            Err(forbidden(self))
        }
    }

    /// The domain a domain administrator manages.
    pub fn own_domain(&self) -> Option<&str> {
        match &self.principal {
            Principal::DomainAdmin { domain } => Some(domain),
            _ => None,
        }
    }

    /// The role as shown.
    pub fn role(&self) -> &'static str {
        match self.principal {
            Principal::SystemAdmin | Principal::ApiToken => "system administrator",
            Principal::DomainAdmin { .. } => "domain administrator",
            Principal::User => "user",
        }
    }

    /// The frame of a page whose navigation entry `active` is highlighted.
    pub fn chrome(&self, active: &str) -> Chrome {
        Chrome {
            logged_in: true,
            who: self.who.clone(),
            role: self.role(),
            csrf: self.csrf.clone(),
            theme: self.theme,
            nav: nav(self, active),
            acting_for: self.acting_for.clone(),
        }
    }
}

/// The theme named by the request's theme cookie: `light`, `dark`, or `auto` (the browser's).
pub fn theme(parts: &Parts) -> &'static str {
    match cookie(parts, THEME_COOKIE).as_deref() {
        Some("dark") => "dark",
        Some("light") => "light",
        _ => "auto",
    }
}

async fn viewer(parts: &Parts, st: &Shared) -> Result<Viewer, Response> {
    let to_login = || Redirect::to("/login").into_response();
    let id = session_cookie(parts).ok_or_else(to_login)?;
    let s = match st.sessions.get(&id, crate::sessions::now()).await {
        Ok(s) => s.ok_or_else(to_login)?,
        Err(e) => return Err(ApiError::from(e).into_response()),
    };
    let (principal, must_change) = match resolve(&st.dir, &s.account).await {
        Ok(Some(r)) => r,
        Ok(None) => {
            if let Err(e) = st.sessions.remove(&id).await {
                return Err(ApiError::from(e).into_response());
            }
            return Err(to_login());
        }
        Err(e) => return Err(e.into_response()),
    };
    let who = match &s.account {
        Account::Admin => "admin".to_owned(),
        Account::User(a) => a.clone(),
    };
    Ok(Viewer {
        principal,
        must_change,
        who,
        csrf: s.csrf_token,
        theme: theme(parts),
        acting_for: s.impersonation.map(|i| i.by),
    })
}

impl FromRequestParts<Shared> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, st: &Shared) -> Result<Self, Response> {
        let v = viewer(parts, st).await?;
        if v.must_change {
            return Err(Redirect::to("/password").into_response());
        }
        Ok(v)
    }
}

impl FromRequestParts<Shared> for PendingViewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, st: &Shared) -> Result<Self, Response> {
        viewer(parts, st).await.map(PendingViewer)
    }
}

/// One navigation entry.
pub struct NavItem {
    pub href: String,
    pub label: &'static str,
    pub active: bool,
}

/// What the frame of every page shows.
pub struct Chrome {
    pub logged_in: bool,
    pub who: String,
    pub role: &'static str,
    pub csrf: String,
    pub theme: &'static str,
    pub nav: Vec<NavItem>,
    /// The real administrator while impersonating: the page offers the way back.
    pub acting_for: Option<String>,
}

impl Chrome {
    /// The frame of a page seen before logging in.
    pub fn anonymous(theme: &'static str) -> Self {
        Self {
            logged_in: false,
            who: String::new(),
            role: "",
            csrf: String::new(),
            theme,
            nav: Vec::new(),
            acting_for: None,
        }
    }
}

/// The navigation a role sees: (key, href, label).
fn nav(v: &Viewer, active: &str) -> Vec<NavItem> {
    let mut items: Vec<(&str, String, &'static str)> = Vec::new();
    match &v.principal {
        Principal::SystemAdmin | Principal::ApiToken => {
            for (key, label) in [
                ("dashboard", "Dashboard"),
                ("domains", "Domains"),
                ("domain-defaults", "Domain defaults"),
                ("settings", "Settings"),
                ("security", "Security lists"),
                ("filter", "Spam filter"),
                ("dmarc", "DMARC reports"),
                ("stats", "Statistics"),
                ("archive", "Message archive"),
                ("bindings", "Bindings"),
                ("spool", "Spool"),
                ("services", "Services"),
                ("online", "Online users"),
                ("connections", "Connections"),
                ("blocks", "Blocks"),
                ("logs", "Logs"),
                ("messages", "Mass messaging"),
                ("tokens", "API tokens"),
            ] {
                let href = match key {
                    "dashboard" => "/".to_owned(),
                    // IP black/white lists, blocked senders, forwarding blacklist, auth
                    // bypass and the password policy are the `security.*` settings.
                    "security" => "/settings/security".to_owned(),
                    _ => format!("/{key}"),
                };
                items.push((key, href, label));
            }
        }
        Principal::DomainAdmin { domain } => {
            items.push(("domains", format!("/domains/{domain}"), "My domain"));
            items.push(("users", format!("/domains/{domain}/users"), "Users"));
            items.push(("aliases", format!("/domains/{domain}/aliases"), "Aliases"));
            items.push(("online", "/online".to_owned(), "Online users"));
            items.push(("messages", "/messages".to_owned(), "Mass messaging"));
            items.push(("dmarc", "/dmarc".to_owned(), "DMARC reports"));
            items.push(("stats", format!("/domains/{domain}/stats"), "Statistics"));
        }
        Principal::User => items.push(("home", "/".to_owned(), "Home")),
    }
    items.push(("password", "/password".to_owned(), "Password"));
    items
        .into_iter()
        .map(|(key, href, label)| NavItem {
            href,
            label,
            active: key == active,
        })
        .collect()
}

/// The refusal page.
#[derive(Template)]
#[template(path = "forbidden.html")]
struct Forbidden {
    chrome: Chrome,
}

/// 403 as a page.
pub fn forbidden(v: &Viewer) -> Response {
    let mut r = html(&Forbidden {
        chrome: v.chrome(""),
    });
    *r.status_mut() = StatusCode::FORBIDDEN;
    r
}

/// The not-found page.
#[derive(Template)]
#[template(path = "not_found.html")]
struct NotFound {
    chrome: Chrome,
    what: String,
}

/// 404 as a page.
pub fn not_found(v: &Viewer, what: impl Into<String>) -> Response {
    let mut r = html(&NotFound {
        chrome: v.chrome(""),
        what: what.into(),
    });
    *r.status_mut() = StatusCode::NOT_FOUND;
    r
}

/// Security headers of every page.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Render a template as a page answer.
pub fn html<T: Template>(t: &T) -> Response {
    match t.render() {
        Ok(body) => {
            let mut r = (StatusCode::OK, body).into_response();
            let h = r.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            h.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(CSP),
            );
            h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
            h.insert(
                header::REFERRER_POLICY,
                HeaderValue::from_static("same-origin"),
            );
            r
        }
        Err(e) => {
            tracing::error!(target: "events", "admin page failed to render: {e}");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

/// An internal failure while gathering a page's data: logged, answered generically.
pub fn internal(e: impl std::fmt::Display) -> Response {
    tracing::error!(target: "events", "admin page failed: {e}");
    (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
}
