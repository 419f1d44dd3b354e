//! The CAPABILITY list (RFC 9051 §7.2.2) for a session's current state: what the greeting,
//! CAPABILITY and the tagged OK of a login announce.
//!
//! Invariants: before TLS on a non-loopback connection, LOGINDISABLED is announced and no
//! SASL mechanism is (SEC-8); STARTTLS only while it is possible; IDLE only while
//! `imap.idle` is on; APPENDLIMIT follows the message size limit; COMPRESS=DEFLATE once
//! logged in.

use heron_directory::sasl::Mechanism;
use heron_settings::defs;
use imap_codec::imap_types::auth::AuthMechanism;
use imap_codec::imap_types::core::Vec1;
use imap_codec::imap_types::response::Capability;

use crate::session::{Session, append_limit};

/// Extensions always offered.
const BASE: &[&str] = &[
    "IMAP4rev1",
    "IMAP4rev2",
    "LITERAL+",
    "SASL-IR",
    "ENABLE",
    "ID",
    "NAMESPACE",
    "UNSELECT",
    "UIDPLUS",
    "MOVE",
    "CHILDREN",
    "SPECIAL-USE",
    "CREATE-SPECIAL-USE",
    "LIST-EXTENDED",
    "LIST-STATUS",
    "CONDSTORE",
    "QRESYNC",
    "ESEARCH",
    "SEARCHRES",
    "QUOTA",
    "QUOTA=RES-STORAGE",
    "STATUS=SIZE",
    "UTF8=ACCEPT",
    "BINARY",
    "SORT",
    "SORT=DISPLAY",
    "ESORT",
    "THREAD=ORDEREDSUBJECT",
    "THREAD=REFERENCES",
    "METADATA",
    "METADATA-SERVER",
    "ACL",
    "RIGHTS=texk",
];

/// The capabilities to announce now.
pub fn capabilities(s: &Session<'_>) -> Vec1<Capability<'static>> {
    let mut names: Vec<String> = BASE.iter().map(|c| (*c).to_owned()).collect();
    if s.svc.settings.get(defs::IMAP_IDLE) {
        names.push("IDLE".into());
    }
    names.push(format!("APPENDLIMIT={}", append_limit(&s.svc.settings)));
    if s.phase.is_authenticated() {
        // RFC 4978 §3: COMPRESS runs after login, so it is offered only then.
        names.push("COMPRESS=DEFLATE".into());
    }
    if !s.phase.is_authenticated() {
        if s.starttls.is_some() && !s.is_tls() {
            names.push("STARTTLS".into());
        }
        if s.plaintext_ok() {
            names.extend(mechanisms(s).iter().map(|m| format!("AUTH={}", m.name())));
        } else {
            names.push("LOGINDISABLED".into());
        }
    }
    let caps: Vec<Capability<'static>> = names
        .into_iter()
        .filter_map(|n| Capability::try_from(n).ok())
        .collect();
    Vec1::try_from(caps).unwrap_or_else(|_| Vec1::from(Capability::Imap4Rev1))
}

/// SASL mechanisms offered: none before TLS from another machine; CRAM-MD5 only while its
/// secrets are kept (`security.cram_md5`).
pub fn mechanisms(s: &Session<'_>) -> Vec<Mechanism> {
    if !s.plaintext_ok() {
        return Vec::new();
    }
    let cram = s.svc.settings.get(defs::AUTH_CRAM_MD5);
    Mechanism::ALL
        .into_iter()
        .filter(|m| cram || *m != Mechanism::CramMd5)
        .collect()
}

/// The server mechanism for a mechanism named by the client, if offered.
pub fn offered(s: &Session<'_>, m: &AuthMechanism<'_>) -> Option<Mechanism> {
    let name: &str = m.as_ref();
    mechanisms(s)
        .into_iter()
        .find(|o| o.name().eq_ignore_ascii_case(name))
}
