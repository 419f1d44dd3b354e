//! EHLO and HELO (RFC 5321 §4.1.1.1): identify the client, reset any transaction, and for
//! EHLO list the extensions available in the session's current state.

use heron_directory::sasl::Mechanism;
use heron_proto_smtp::reply;
use heron_settings::defs;

use crate::session::{Flow, Session};

/// Run EHLO (`esmtp`) or HELO.
pub async fn execute(s: &mut Session<'_>, name: String, esmtp: bool) -> Flow {
    s.dlg.helo = Some(name);
    s.dlg.esmtp = esmtp;
    s.reset_transaction();
    if !esmtp {
        return s
            .reply(reply::helo_reply(&s.peer.hostname), Flow::Continue)
            .await;
    }
    let caps = capabilities(s);
    let refs: Vec<&str> = caps.iter().map(String::as_str).collect();
    let r = reply::ehlo_reply(&s.peer.hostname, &format!("Hello {}", s.peer.ip), &refs);
    s.reply(r, Flow::Continue).await
}

/// The extensions offered now.
pub fn capabilities(s: &Session<'_>) -> Vec<String> {
    let mut caps = vec!["PIPELINING".to_owned()];
    let max = s.max_message_size().bytes;
    caps.push(if max == 0 {
        "SIZE".into()
    } else {
        format!("SIZE {max}")
    });
    caps.extend(
        [
            "8BITMIME",
            "SMTPUTF8",
            "ENHANCEDSTATUSCODES",
            "CHUNKING",
            "DSN",
        ]
        .map(String::from),
    );
    if s.starttls.is_some() && !s.is_tls() {
        caps.push("STARTTLS".into());
    }
    // RFC 8689 §4.1: REQUIRETLS is offered only inside TLS.
    if s.is_tls() {
        caps.push("REQUIRETLS".into());
    }
    if s.auth_offered() && s.dlg.auth.is_none() {
        let mechs = mechanisms(s);
        if !mechs.is_empty() {
            caps.push(format!("AUTH {}", mechs.join(" ")));
        }
    }
    caps.push("HELP".into());
    caps
}

/// SASL mechanisms offered (LOGIN can be switched off, PROTO-5).
pub fn mechanisms(s: &Session<'_>) -> Vec<&'static str> {
    let login = s.svc.settings.get(defs::SMTP_AUTH_LOGIN);
    Mechanism::ALL
        .iter()
        .filter(|m| login || **m != Mechanism::Login)
        .map(|m| m.name())
        .collect()
}
