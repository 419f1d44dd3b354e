//! What `heron serve` says once it is up: every mail listener (protocol, address, port, TLS
//! mode), the admin UI's address, where the logs are, and, while the administrator still has
//! the first-start password, the login to use and that it must be changed.
//!
//! Invariant: each line goes both to standard output and to the `events` log, so an
//! administrator who started the server in the background finds the same facts in the log.

use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;

use heron_settings::values::{Encryption, ListenerSpec};

/// What the report is made from.
pub struct Facts<'a> {
    pub data: &'a Path,
    /// The shared store, when not the data directory's own.
    pub store: Option<&'a crate::store_url::StoreUrl>,
    /// The mail listeners bound, in settings order.
    pub listeners: &'a [ListenerSpec],
    /// The admin listener's address, or why it is not available.
    pub admin: Result<SocketAddr, String>,
    pub log_dir: &'a Path,
    /// The administrator still has the first-start password (admin/admin).
    pub first_login: bool,
}

/// How a listener's TLS mode is written in `bind.listeners`.
fn mode(e: Encryption) -> &'static str {
    match e {
        Encryption::None => "plain",
        Encryption::StartTls => "STARTTLS",
        Encryption::Implicit => "TLS",
    }
}

/// The report's lines.
pub fn lines(f: &Facts<'_>) -> Vec<String> {
    let mut out = vec![match f.store {
        None => format!(
            "heron {} serving from {}",
            env!("CARGO_PKG_VERSION"),
            f.data.display()
        ),
        Some(url) => format!(
            "heron {} serving from {url} (node files in {})",
            env!("CARGO_PKG_VERSION"),
            f.data.display()
        ),
    }];
    for l in f.listeners {
        out.push(format!(
            "  {:<10} {:<22} {}",
            l.protocol.as_str(),
            l.addr,
            mode(l.encryption)
        ));
    }
    match &f.admin {
        Ok(addr) if addr.ip().is_loopback() => out.push(format!(
            "admin UI: http://{addr}/ (JSON API under /api/v1; https:// on the same port)"
        )),
        Ok(addr) => out.push(format!(
            "admin UI: https://{addr}/ (JSON API under /api/v1; plain HTTP only from this machine)"
        )),
        Err(e) => out.push(format!("admin UI: not available ({e})")),
    }
    out.push(format!(
        "logs: {} (events-DATE.log, smtp-DATE.log, imap-..., pop3-..., delivery-...)",
        f.log_dir.display()
    ));
    if f.first_login {
        out.push(
            "first login: user admin, password admin; you must choose a new password at \
             first login"
                .to_owned(),
        );
    }
    out
}

/// Print the report and write it to the events log. A closed standard output is ignored:
/// the server never stops over its output.
pub fn report(f: &Facts<'_>) {
    let mut stdout = std::io::stdout();
    for line in lines(f) {
        let _ = writeln!(stdout, "{line}");
        tracing::info!(target: "events", "{}", line.trim_start());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_listeners_admin_logs_and_the_first_login() {
        let listeners: Vec<ListenerSpec> = ["smtp starttls 0.0.0.0:25", "imap tls [::1]:993"]
            .iter()
            .map(|s| s.parse().expect("listener"))
            .collect();
        let f = Facts {
            data: Path::new("/srv/heron"),
            store: None,
            listeners: &listeners,
            admin: Ok("127.0.0.1:9998".parse().expect("addr")),
            log_dir: Path::new("/srv/heron/logs"),
            first_login: true,
        };
        let text = lines(&f).join("\n");
        for needle in [
            "serving from /srv/heron",
            "smtp",
            "0.0.0.0:25",
            "STARTTLS",
            "[::1]:993",
            "http://127.0.0.1:9998/",
            "/srv/heron/logs",
            "admin, password admin",
            "must choose a new password",
        ] {
            assert!(text.contains(needle), "{needle} missing from\n{text}");
        }
        let later = Facts {
            first_login: false,
            admin: Err("address in use".into()),
            ..f
        };
        let text = lines(&later).join("\n");
        assert!(!text.contains("password admin"), "{text}");
        let public = Facts {
            admin: Ok("192.0.2.1:9998".parse().expect("addr")),
            ..later
        };
        assert!(
            lines(&public)
                .join("\n")
                .contains("https://192.0.2.1:9998/")
        );
        assert!(text.contains("not available (address in use)"), "{text}");
    }
}
