//! The IMAP service (ACCESS-1, PROTO-3): IMAP4rev2 (RFC 9051) and IMAP4rev1 (RFC 3501)
//! with STARTTLS, SASL (PLAIN, LOGIN, CRAM-MD5, SCRAM-SHA-256, SASL-IR), IDLE, CONDSTORE
//! and QRESYNC, UIDPLUS, MOVE, ESEARCH, SEARCHRES, LIST-EXTENDED with SPECIAL-USE and
//! LIST-STATUS, CREATE-SPECIAL-USE, NAMESPACE, ID, ENABLE, UNSELECT, QUOTA, APPENDLIMIT,
//! LITERAL+, SORT with SORT=DISPLAY and ESORT, THREAD (ORDEREDSUBJECT, REFERENCES), and ACL
//! (RFC 4314) with folders shared between users of a domain ([`access`]).
//!
//! Layout: the wire format lives in `heron-proto-imap`: command framing with its limits,
//! parsing to one `Command` (the options `imap-codec` does not know and the `$` of
//! SEARCHRES included), responses, sequence sets and mailbox names. Here, [`session`] reads
//! whole commands (lines and literals through `heron_proto_imap::framing`, every size
//! checked before anything is buffered) and runs the loop; [`dispatch`] has each parsed by
//! `heron_proto_imap::parse` (giving it the saved SEARCH result, [`searchres`]), checks the
//! state table ([`state`]) and calls one file per command in [`cmd`], which never sees the
//! bytes and is given only the parts of the session its state has ([`cx`]); [`done`] is how
//! a command ends; [`selected`] keeps the session's view of the selected mailbox
//! (compactly: [`view`], [`flagsets`]) and [`updates`] tells the client
//! what other sessions changed. The message side is pure: `heron-message` reads the MIME
//! structure, the bytes a section selects, the envelope and the body structure; here
//! [`section`], [`envelope`] and [`bodystructure`] put them in `imap-codec`'s types,
//! [`fetchitems`] builds FETCH's data items, [`search`] matches SEARCH keys, [`matched`]
//! reads what SORT and THREAD order the matches by and [`sorting`] orders and answers.
//!
//! Invariants: passwords are never accepted in clear text from another machine before TLS;
//! a session's message numbers change only when the client is told; store failures end a
//! command with `NO`, never the session.

mod access;
mod acl;
mod auth;
mod bodystructure;
mod caps;
pub mod cmd;
pub mod cx;
mod dispatch;
mod done;
mod envelope;
mod error;
mod fetchitems;
#[doc(hidden)]
pub mod fuzzing;
mod keywords;
mod learn;
mod limits;
mod mailbox;
mod matched;
mod metacache;
mod public;
mod quota;
mod search;
mod searchres;
mod section;
mod selected;
mod session;
mod shared_create;
mod sorting;
mod state;
mod structure;
mod textindex;
mod updates;
mod view;

use std::sync::Arc;

use async_trait::async_trait;
use heron_directory::Directory;
use heron_net::{Conn, Refusal, Service};
use heron_proto_imap::response;
use heron_settings::{Settings, defs, services};

pub use error::ImapError;

/// The IMAP service plugged into the listeners.
pub struct ImapService {
    dir: Directory,
    settings: Arc<Settings>,
    /// Keywords seen per mailbox of this service's store, for the keyword bound.
    keywords: keywords::Known,
    /// What never changes of the messages FETCH read, by folder and UID.
    metas: metacache::MetaCache,
}

impl ImapService {
    /// A service over a directory.
    pub fn new(dir: Directory) -> Self {
        let settings = dir.settings().clone();
        Self {
            dir,
            settings,
            keywords: keywords::Known::default(),
            metas: metacache::MetaCache::default(),
        }
    }
}

#[async_trait]
impl Service for ImapService {
    fn enabled(&self) -> bool {
        self.settings.runs(&services::IMAP)
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod robustness_tests;
