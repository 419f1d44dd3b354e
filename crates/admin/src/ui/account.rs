//! Logging in, the forced first password change, and the dashboard.

use askama::Template;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Redirect, Response};
use heron_directory::policy::PasswordPolicy;
use heron_settings::defs;

use crate::auth::Shared;
use crate::authz::Action;
use crate::routes::logs::count_today;
use crate::ui::format;
use crate::ui::page::{Chrome, PendingViewer, Viewer, html, internal, theme};

#[derive(Template)]
#[template(path = "login.html")]
struct Login {
    chrome: Chrome,
}

/// The login page (anyone).
pub async fn login(req: Request) -> Response {
    let (parts, _) = req.into_parts();
    html(&Login {
        chrome: Chrome::anonymous(theme(&parts)),
    })
}

#[derive(Template)]
#[template(path = "password.html")]
struct Password {
    chrome: Chrome,
    must_change: bool,
    policy: String,
}

/// The password rules in words, for the help text next to a password field.
pub fn describe(p: &PasswordPolicy) -> String {
    let mut rules = Vec::new();
    if p.min_length > 0 {
        rules.push(format!("at least {} characters", p.min_length));
    }
    for (on, what) in [
        (p.require_digit, "a digit"),
        (p.require_upper, "an upper-case letter"),
        (p.require_lower, "a lower-case letter"),
        (p.require_symbol, "a symbol"),
    ] {
        if on {
            rules.push(format!("contains {what}"));
        }
    }
    if p.not_username {
        rules.push("not the user name".to_owned());
    }
    if rules.is_empty() {
        "Any password is accepted.".to_owned()
    } else {
        format!("Passwords must be: {}.", rules.join(", "))
    }
}

/// Change one's own password (the only page open while it must change).
pub async fn password(State(st): State<Shared>, PendingViewer(v): PendingViewer) -> Response {
    html(&Password {
        chrome: v.chrome("password"),
        must_change: v.must_change,
        policy: describe(&st.dir.password_policy()),
    })
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct Dashboard {
    chrome: Chrome,
    version: &'static str,
    uptime: String,
    /// "1 domain", "2 users", "5 messages (48 KB)".
    domains: String,
    users: String,
    messages: String,
    spool: u64,
    connections: usize,
    online: usize,
    /// Messages taken in over SMTP and delivered to other servers today (UTC), counted in
    /// today's logs; `None` when that log is off.
    received_today: Option<u64>,
    sent_today: Option<u64>,
    /// Things an administrator should act on; empty when all is well.
    problems: Vec<String>,
    services: Vec<(&'static str, bool)>,
}

/// `93784` → `1 day 2 h`, `3720` → `1 h 2 min`, `59` → `59 s`.
fn uptime_text(secs: u64) -> String {
    let (d, h, m) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{secs} s"),
        (0, 0, m) => format!("{m} min"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, h, _) => format!("{} {h} h", format::count(d, "day", "days")),
    }
}

/// `/`: the system administrator's overview; other roles go to their own start page.
pub async fn dashboard(State(st): State<Shared>, v: Viewer) -> Response {
    if let Some(d) = v.own_domain() {
        return Redirect::to(&format!("/domains/{d}")).into_response();
    }
    if !v.may(&Action::ListDomains) {
        return Redirect::to("/password").into_response();
    }
    let store = st.dir.store();
    let totals = match store.totals().await {
        Ok(t) => t,
        Err(e) => return internal(e),
    };
    let spool = match store.spool_list().await {
        Ok(s) => s.len() as u64,
        Err(e) => return internal(e),
    };
    let live = st.runtime.registry.list();
    let s = st.dir.settings();
    let logs = st.runtime.log_dir(s);
    let today =
        |on: bool, kind, text: &str| on.then(|| count_today(&logs, kind, text).ok()).flatten();
    let uptime = st.runtime.started.elapsed().map_or(0, |d| d.as_secs());
    html(&Dashboard {
        chrome: v.chrome("dashboard"),
        version: env!("CARGO_PKG_VERSION"),
        uptime: uptime_text(uptime),
        domains: format::count(totals.domains, "domain", "domains"),
        users: format::count(totals.users, "user", "users"),
        messages: format!(
            "{} ({})",
            format::count(totals.messages, "message", "messages"),
            format::size(totals.bytes)
        ),
        received_today: today(s.get(defs::LOG_SMTP) != "none", "smtp", "bytes from <"),
        sent_today: today(
            s.get(defs::LOG_DELIVERY) != "none",
            "delivery",
            ": delivered (",
        ),
        problems: (st.runtime.problems)(),
        spool,
        connections: live.len(),
        online: live.iter().filter(|l| l.user().is_some()).count(),
        services: vec![
            ("SMTP", s.get(defs::SMTP_ENABLED)),
            ("POP3", s.get(defs::POP_ENABLED)),
            ("IMAP", s.get(defs::IMAP_ENABLED)),
            ("Spool (outgoing delivery)", s.get(defs::SPOOL_ENABLED)),
        ],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_in_words() {
        let p = PasswordPolicy {
            min_length: 8,
            require_digit: true,
            not_username: true,
            ..PasswordPolicy::default()
        };
        assert_eq!(
            describe(&p),
            "Passwords must be: at least 8 characters, contains a digit, not the user name."
        );
        assert_eq!(
            describe(&PasswordPolicy::default()),
            "Any password is accepted."
        );
    }

    #[test]
    fn uptime_reads_well() {
        assert_eq!(uptime_text(59), "59 s");
        assert_eq!(uptime_text(3720), "1 h 2 min");
        assert_eq!(uptime_text(93_784), "1 day 2 h");
        assert_eq!(uptime_text(3 * 86_400), "3 days 0 h");
    }
}
