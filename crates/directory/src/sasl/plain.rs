//! PLAIN (RFC 4616): one client message `[authzid] NUL authcid NUL passwd`.
//!
//! Invariants: the message must be UTF-8 with exactly two NULs; authcid and
//! passwd are non-empty; a non-empty authzid must equal the authcid exactly
//! (no proxy authorisation). The password is checked with argon2 in
//! [`Mech::supply`], the slow step.

use super::{Mech, Next, Outcome, SaslError, Step, UnknownUserKey};
use crate::password::StoredCredentials;

/// PLAIN exchange state.
pub(crate) enum Plain {
    /// Waiting for the client's message.
    Message,
    /// Message parsed; waiting for the user's credentials.
    Lookup { authcid: String, password: String },
}

/// Begin: use the initial response if there is one, else ask for the message
/// with an empty challenge (RFC 4422 §5, RFC 4616 §2: the client sends first).
pub(crate) fn start(initial: Option<&[u8]>) -> Next<Plain> {
    match initial {
        Some(data) => Plain::Message.respond(data),
        None => Next::Wait(Plain::Message, Step::Challenge(Vec::new())),
    }
}

impl Mech for Plain {
    fn respond(self, data: &[u8]) -> Next<Self> {
        match self {
            Plain::Message => match parse(data) {
                Ok((authcid, password)) => {
                    let step = Step::Lookup(authcid.clone());
                    Next::Wait(Plain::Lookup { authcid, password }, step)
                }
                Err(e) => Next::fail(e),
            },
            Plain::Lookup { .. } => Next::fail(SaslError::UnexpectedInput),
        }
    }

    fn supply(self, creds: Option<&StoredCredentials>, _unknown: &UnknownUserKey) -> Next<Self> {
        match self {
            Plain::Lookup { authcid, password } => match creds {
                Some(c) if c.verify_plain(&password) => Next::Finish(Outcome::Success {
                    authcid,
                    server_final: None,
                }),
                _ => Next::fail(SaslError::BadCredentials),
            },
            Plain::Message => Next::fail(SaslError::UnexpectedInput),
        }
    }
}

/// Split and validate the PLAIN message into (authcid, passwd).
fn parse(data: &[u8]) -> Result<(String, String), SaslError> {
    // RFC 4616 §2: message = [authzid] UTF8NUL authcid UTF8NUL passwd,
    // all UTF-8.
    let text = std::str::from_utf8(data).map_err(|_| SaslError::Malformed("not UTF-8"))?;
    let fields: Vec<&str> = text.split('\0').collect();
    let [authzid, authcid, passwd] = fields.as_slice() else {
        return Err(SaslError::Malformed(
            "expected [authzid] NUL authcid NUL passwd",
        ));
    };
    // RFC 4616 §2: authcid = 1*SAFE, passwd = 1*SAFE.
    if authcid.is_empty() {
        return Err(SaslError::Malformed("empty authentication identity"));
    }
    if passwd.is_empty() {
        return Err(SaslError::Malformed("empty password"));
    }
    // RFC 4616 §2: the server decides whether authcid may act as authzid;
    // this server only allows acting as oneself.
    if !authzid.is_empty() && authzid != authcid {
        return Err(SaslError::AuthzNotAllowed);
    }
    Ok(((*authcid).to_owned(), (*passwd).to_owned()))
}
