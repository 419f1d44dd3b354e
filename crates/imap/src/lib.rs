//! The IMAP service (ACCESS-1, PROTO-3): IMAP4rev2 (RFC 9051) and IMAP4rev1 (RFC 3501)
//! with STARTTLS, SASL (PLAIN, LOGIN, CRAM-MD5, SCRAM-SHA-256, SASL-IR), IDLE, CONDSTORE
//! and QRESYNC, UIDPLUS, MOVE, ESEARCH, SEARCHRES, LIST-EXTENDED with SPECIAL-USE and
//! LIST-STATUS, CREATE-SPECIAL-USE, NAMESPACE, ID, ENABLE, UNSELECT, QUOTA, APPENDLIMIT and
//! LITERAL+.
//!
//! Layout: [`session`] reads whole commands (lines and literals, with limits checked before
//! anything is buffered, [`framing`]) and runs the loop; [`dispatch`] parses them with
//! `imap-codec` (after [`preparse`] took out the options it does not know and [`searchres`]
//! replaced `$`), checks the state table ([`state`]) and calls one file per command in
//! [`cmd`]; [`selected`] keeps the session's view of the selected mailbox (compactly:
//! [`view`], [`flagsets`]) and [`updates`] tells the client what other sessions changed. The message side is pure: [`mime`]
//! (structure), [`section`], [`envelope`], [`bodystructure`], [`search`].
//!
//! Invariants: passwords are never accepted in clear text from another machine before TLS;
//! a session's message numbers change only when the client is told; store failures end a
//! command with `NO`, never the session.

mod auth;
mod bodystructure;
mod caps;
pub mod cmd;
mod deep_search;
mod dispatch;
mod envelope;
mod error;
mod fetchitems;
mod flagsets;
pub mod framing;
#[doc(hidden)]
pub mod fuzzing;
mod limits;
mod mailbox;
mod mime;
mod names;
mod preparse;
mod quota;
mod response;
mod search;
mod searchres;
mod section;
mod selected;
mod seqset;
mod session;
mod state;
#[cfg(test)]
mod testdata;
mod tokens;
mod updates;
mod view;
mod wire;

use std::sync::Arc;

use async_trait::async_trait;
use heron_directory::Directory;
use heron_net::{Conn, Refusal, Service};
use heron_settings::{Settings, defs};

pub use error::ImapError;

/// The IMAP service plugged into the listeners.
pub struct ImapService {
    dir: Directory,
    settings: Arc<Settings>,
}

impl ImapService {
    /// A service over a directory.
    pub fn new(dir: Directory) -> Self {
        let settings = dir.settings().clone();
        Self { dir, settings }
    }
}

#[async_trait]
impl Service for ImapService {
    fn enabled(&self) -> bool {
        self.settings.get(defs::IMAP_ENABLED)
    }

    fn max_connections(&self) -> u64 {
        self.settings.get(defs::IMAP_MAX_CONNECTIONS)
    }

    fn max_connections_per_ip(&self) -> u64 {
        self.settings.get(defs::IMAP_MAX_CONNECTIONS_PER_IP)
    }

    fn refusal(&self, why: Refusal) -> Vec<u8> {
        // RFC 9051 §7.1.5: a greeting of BYE refuses the connection.
        match why {
            Refusal::Blacklisted => response::bye("access from your address is not allowed"),
            Refusal::TooManyConnections => response::bye("too many connections, try again later"),
            Refusal::TooManyFromIp => {
                response::bye("too many connections from your address, try again later")
            }
        }
    }

    async fn serve(&self, conn: Conn) {
        session::run(self, conn).await;
    }
}

/// Parse one complete command as the session does (for fuzzing): split the options
/// `imap-codec` does not know, replace `$` (with no saved result), then decode. Never
/// panics.
pub fn parse_command(bytes: &[u8]) -> bool {
    use imap_codec::CommandCodec;
    use imap_codec::decode::Decoder;
    match preparse::split(bytes) {
        Ok((b, _)) => {
            let b = searchres::substitute(&b, None);
            CommandCodec::default().decode(&b.bytes).is_ok()
        }
        Err(_) => false,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod robustness_tests;
