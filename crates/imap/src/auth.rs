//! Entering the authenticated state after LOGIN or AUTHENTICATE, and the replies to a
//! failed login (which count as bad commands, PROTO-3).

use heron_proto_imap::response::code;
use heron_store::User;
use imap_codec::imap_types::response::Code;

use crate::caps;
use crate::done::Done;
use crate::session::{Authed, Session};

/// Record the login and answer `OK [CAPABILITY ...]` (RFC 9051 §6.2.3: the capabilities
/// may change after login).
pub async fn enter(s: &mut Session<'_>, user: User, address: String) -> Done {
    s.dir().record_login(&user).await;
    heron_store::stats::recorder().account(
        user.domain_id,
        Some(user.id),
        heron_store::stats::Event::Login(heron_store::stats::Login::Imap),
    );
    s.info.set_user(&address);
    tracing::info!(target: "imap", "login {address}");
    s.phase.log_in(Authed { user, address });
    Done::ok("logged in").with(Code::Capability(caps::capabilities(s)))
}

/// `NO [AUTHENTICATIONFAILED]` (RFC 5530), counted as a bad command.
pub fn failed(name: &str, why: &str) -> Done {
    tracing::warn!(target: "imap", "login failed for {name:?}: {why}");
    Done::no("authentication failed")
        .with(code("AUTHENTICATIONFAILED"))
        .counted()
}

/// `NO [UNAVAILABLE]` when credentials cannot be checked now.
pub fn unavailable(e: &dyn std::fmt::Display) -> Done {
    tracing::error!(target: "imap", "credential check failed: {e}");
    Done::no("cannot check credentials now, try again later").with(code("UNAVAILABLE"))
}
