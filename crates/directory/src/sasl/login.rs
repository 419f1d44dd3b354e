//! LOGIN: the unregistered mechanism that asks `Username:` then `Password:`
//! (described in draft-murchison-sasl-login).
//!
//! Invariants: both answers must be non-empty UTF-8; an initial response, when
//! given, is the user name. The password is checked with argon2 in
//! [`Mech::supply`], the slow step.

use super::{Mech, Next, Outcome, SaslError, Step, UnknownUserKey};
use crate::password::StoredCredentials;

const USERNAME_PROMPT: &[u8] = b"Username:";
const PASSWORD_PROMPT: &[u8] = b"Password:";

/// LOGIN exchange state.
pub(crate) enum Login {
    /// Sent `Username:`.
    Username,
    /// Sent `Password:`.
    Password { user: String },
    /// Both received; waiting for the user's credentials.
    Lookup { user: String, password: String },
}

/// Begin: an initial response is the user name; otherwise prompt for it.
pub(crate) fn start(initial: Option<&[u8]>) -> Next<Login> {
    match initial {
        Some(data) => Login::Username.respond(data),
        None => Next::Wait(Login::Username, Step::Challenge(USERNAME_PROMPT.to_vec())),
    }
}

impl Mech for Login {
    fn respond(self, data: &[u8]) -> Next<Self> {
        match self {
            Login::Username => match text(data, "empty user name") {
                Ok(user) => Next::Wait(
                    Login::Password { user },
                    Step::Challenge(PASSWORD_PROMPT.to_vec()),
                ),
                Err(e) => Next::fail(e),
            },
            Login::Password { user } => match text(data, "empty password") {
                Ok(password) => {
                    let step = Step::Lookup(user.clone());
                    Next::Wait(Login::Lookup { user, password }, step)
                }
                Err(e) => Next::fail(e),
            },
            Login::Lookup { .. } => Next::fail(SaslError::UnexpectedInput),
        }
    }

    fn supply(self, creds: Option<&StoredCredentials>, _unknown: &UnknownUserKey) -> Next<Self> {
        match self {
            Login::Lookup { user, password } => match creds {
                Some(c) if c.verify_plain(&password) => Next::Finish(Outcome::Success {
                    authcid: user,
                    server_final: None,
                }),
                _ => Next::fail(SaslError::BadCredentials),
            },
            Login::Username | Login::Password { .. } => Next::fail(SaslError::UnexpectedInput),
        }
    }
}

/// A non-empty UTF-8 answer without NUL (which no user name or password
/// accepted elsewhere can contain).
fn text(data: &[u8], empty: &'static str) -> Result<String, SaslError> {
    let s = std::str::from_utf8(data).map_err(|_| SaslError::Malformed("not UTF-8"))?;
    if s.is_empty() {
        return Err(SaslError::Malformed(empty));
    }
    if s.contains('\0') {
        return Err(SaslError::Malformed("NUL in LOGIN answer"));
    }
    Ok(s.to_owned())
}
