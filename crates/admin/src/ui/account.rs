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

/// One way in for a mail client, as the home page lists it.
pub struct ClientDoor {
    /// "Incoming mail (IMAP)", "Outgoing mail (SMTP)".
    pub what: &'static str,
    pub port: u16,
    /// "SSL/TLS" or "STARTTLS".
    pub security: &'static str,
}

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    chrome: Chrome,
    address: String,
    /// "5.2 MB of 100 MB" or "5.2 MB (no quota of its own)".
    usage: String,
    /// Share of the quota used, 0-100, for the bar; `None` without a quota.
    percent: Option<u64>,
    host: String,
    doors: Vec<ClientDoor>,
}

/// The listeners a mail client uses (IMAP, POP3, submission), with TLS, in the order a
/// person sets up an account: incoming first, the encrypted-from-the-start port first.
fn client_doors(listeners: &str) -> Vec<ClientDoor> {
    use heron_settings::values::{Encryption, Protocol, parse_listeners};
    let mut doors: Vec<(u8, ClientDoor)> = parse_listeners(listeners)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|l| {
            let (rank, what) = match l.protocol {
                Protocol::Imap => (0, "Incoming mail (IMAP)"),
                Protocol::Pop3 => (2, "Incoming mail (POP3)"),
                Protocol::Submission => (4, "Outgoing mail (SMTP)"),
                _ => return None,
            };
            let (step, security) = match l.encryption {
                Encryption::Implicit => (0, "SSL/TLS"),
                Encryption::StartTls => (1, "STARTTLS"),
                Encryption::None => return None,
            };
            Some((
                rank + step,
                ClientDoor {
                    what,
                    port: l.addr.port(),
                    security,
                },
            ))
        })
        .collect();
    doors.sort_by_key(|d| d.0);
    doors.into_iter().map(|d| d.1).collect()
}

/// `/` for a mail user: their mailbox's use and how to set up a mail client.
async fn home(st: &Shared, v: &Viewer) -> Response {
    let user = match st.dir.user(&v.who).await {
        Ok(u) => u,
        Err(e) => return internal(e),
    };
    let s = st.dir.settings();
    let (usage, percent) = if user.quota_bytes == 0 {
        (
            format!("{} (no quota of its own)", format::size(user.used_bytes)),
            None,
        )
    } else {
        (
            format!(
                "{} of {}",
                format::size(user.used_bytes),
                format::size(user.quota_bytes)
            ),
            Some((user.used_bytes.saturating_mul(100) / user.quota_bytes).min(100)),
        )
    };
    let configured = s.get(defs::SERVER_HOSTNAME);
    html(&Home {
        chrome: v.chrome("home"),
        address: v.who.clone(),
        usage,
        percent,
        host: if configured.is_empty() {
            heron_net::system_hostname()
        } else {
            configured
        },
        doors: client_doors(&s.raw(defs::BIND_LISTENERS.name).unwrap_or_default()),
    })
}

/// `/`: the system administrator's overview; other roles go to their own start page.
pub async fn dashboard(State(st): State<Shared>, v: Viewer) -> Response {
    if let Some(d) = v.own_domain() {
        return Redirect::to(&format!("/domains/{d}")).into_response();
    }
    if matches!(v.principal, crate::authz::Principal::User) {
        return home(&st, &v).await;
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

    #[test]
    fn client_doors_in_setup_order() {
        let doors = client_doors(
            "smtp starttls 0.0.0.0:25, submission starttls 0.0.0.0:587, submission tls 0.0.0.0:465, \
             pop3 starttls 0.0.0.0:110, imap starttls 0.0.0.0:143, imap tls 0.0.0.0:993, \
             imap none 0.0.0.0:1143",
        );
        let got: Vec<_> = doors.iter().map(|d| (d.what, d.port, d.security)).collect();
        assert_eq!(
            got,
            [
                ("Incoming mail (IMAP)", 993, "SSL/TLS"),
                ("Incoming mail (IMAP)", 143, "STARTTLS"),
                ("Incoming mail (POP3)", 110, "STARTTLS"),
                ("Outgoing mail (SMTP)", 465, "SSL/TLS"),
                ("Outgoing mail (SMTP)", 587, "STARTTLS"),
            ]
        );
    }
}
