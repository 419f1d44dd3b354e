//! `/` for a mail user: how full their mailbox is and how to set up a mail client.

use askama::Template;
use axum::response::Response;
use heron_settings::defs;

use crate::auth::Shared;
use crate::ui::format;
use crate::ui::page::{Chrome, Viewer, html, internal};

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
pub async fn home(st: &Shared, v: &Viewer) -> Response {
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
    // The domain's host name: the server's, or for a domain bound to an address (BIND-4) the
    // name it greets with there.
    let host = match st.dir.domain_by_id(user.domain_id).await {
        Ok(Some(d)) => heron_setup::endpoints::domain_hostname(s, &d),
        Ok(None) => heron_setup::endpoints::server_hostname(s),
        Err(e) => return internal(e),
    };
    html(&Home {
        chrome: v.chrome("home"),
        address: v.who.clone(),
        usage,
        percent,
        host,
        doors: client_doors(&s.raw(defs::BIND_LISTENERS.name).unwrap_or_default()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
