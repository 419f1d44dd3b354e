//! CAPA (RFC 2449 §5): the capabilities of the current state. USER and the clear-text SASL
//! mechanisms are listed only where clear-text passwords are allowed; STLS only before TLS.

use heron_directory::sasl::Mechanism;
use heron_proto_pop3::capa;

use crate::session::{Flow, Session, State, reply};

/// Run CAPA.
pub async fn execute(s: &mut Session<'_>) -> Flow {
    let mut lines = vec![
        "TOP".to_owned(),
        "UIDL".to_owned(),
        "RESP-CODES".to_owned(),
        "AUTH-RESP-CODE".to_owned(),
        "PIPELINING".to_owned(),
    ];
    if matches!(s.state, State::Authorization { .. }) {
        let plain_ok = s.plaintext_allowed();
        if plain_ok {
            lines.push("USER".into());
        }
        let mechs: Vec<&str> = Mechanism::ALL
            .iter()
            .filter(|m| plain_ok || !m.sends_plaintext())
            .map(|m| m.name())
            .collect();
        lines.push(format!("SASL {}", mechs.join(" ")));
        if s.starttls.is_some() && !s.is_tls() {
            lines.push("STLS".into());
        }
    }
    lines.push("IMPLEMENTATION Heron".into());
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    reply(s, &capa(&refs), Flow::Continue).await
}
