//! Server-side SASL (RFC 4422) as pure state machines, shared by POP3, IMAP
//! and SMTP.
//!
//! Role: run one authentication exchange for PLAIN (RFC 4616), LOGIN,
//! CRAM-MD5 (RFC 2195) or SCRAM-SHA-256 (RFC 5802, RFC 7677) without doing any
//! I/O. The protocol session base64-decodes what the client sends, feeds it in
//! as raw bytes, and base64-encodes the challenges it gets back.
//!
//! Driving an exchange:
//! 1. [`Exchange::start`] returns the first [`Step`].
//! 2. On [`Step::Challenge`], send it and pass the client's decoded reply to
//!    [`Exchange::respond`] (or call [`Exchange::cancel`] if it sent `*`).
//! 3. On [`Step::Lookup`], load that user's [`StoredCredentials`] and pass them
//!    (or `None` if there is no such user) to [`Exchange::supply`], with the
//!    server's [`UnknownUserKey`] (`Directory::unknown_user_key`).
//! 4. On [`Step::Done`], the exchange is over; any further call returns
//!    `Done(Failure(UnexpectedInput))`.
//!
//! [`Exchange::supply`] runs the argon2 check for PLAIN and LOGIN, which takes
//! tens of milliseconds: async callers should run it through `crate::hashing::run`
//! (`Exchange` is `Send + 'static` and can be moved there), or let
//! `Directory::sasl_supply` do it, which also skips argon2 for a password recently
//! verified (`login_cache.rs`). The other calls are cheap.
//!
//! Invariants: an exchange never panics on client input; every malformed
//! input ends it with [`SaslError::Malformed`]; the user name returned in
//! [`Outcome::Success`] is the one given in [`Step::Lookup`]; for SCRAM, a
//! missing user is indistinguishable on the wire from a wrong password.

mod cram_md5;
mod login;
pub(crate) mod md5_state;
mod plain;
mod scram;

use std::fmt;

use crate::password::StoredCredentials;

/// Largest client response accepted, in bytes after base64 decoding. Real
/// responses are far smaller; the cap bounds the work a client can cause.
pub const MAX_RESPONSE_LEN: usize = 8192;

/// The server's secret behind the salts SCRAM shows for users that do not exist.
/// It must outlive restarts (the directory keeps it in the store): a salt that
/// changed on restart while real users' salts do not would tell them apart.
#[derive(Clone)]
pub struct UnknownUserKey([u8; 32]);

impl UnknownUserKey {
    /// Length of the key in bytes.
    pub const LEN: usize = 32;

    /// A key from its stored bytes.
    pub fn new(bytes: [u8; Self::LEN]) -> Self {
        Self(bytes)
    }

    pub(crate) fn bytes(&self) -> &[u8; Self::LEN] {
        &self.0
    }
}

impl fmt::Debug for UnknownUserKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("UnknownUserKey(..)")
    }
}

/// A SASL mechanism this server implements.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mechanism {
    /// RFC 4616.
    Plain,
    /// The obsolete but widespread LOGIN mechanism (username, then password).
    Login,
    /// RFC 2195.
    CramMd5,
    /// RFC 5802 with SHA-256 (RFC 7677), without channel binding.
    ScramSha256,
}

impl Mechanism {
    /// Every mechanism, challenge-response ones first (a sensible advertising
    /// order; offer PLAIN and LOGIN only over TLS).
    pub const ALL: [Mechanism; 4] = [
        Mechanism::ScramSha256,
        Mechanism::CramMd5,
        Mechanism::Plain,
        Mechanism::Login,
    ];

    /// Parse a mechanism name as sent by a client, case-insensitively:
    /// `PLAIN`, `LOGIN`, `CRAM-MD5`, `SCRAM-SHA-256`.
    pub fn from_name(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|m| m.name().eq_ignore_ascii_case(s))
    }

    /// The registered, upper-case name.
    pub fn name(self) -> &'static str {
        match self {
            Mechanism::Plain => "PLAIN",
            Mechanism::Login => "LOGIN",
            Mechanism::CramMd5 => "CRAM-MD5",
            Mechanism::ScramSha256 => "SCRAM-SHA-256",
        }
    }

    /// True for mechanisms that send the password in the clear (PLAIN, LOGIN);
    /// these should only be offered over TLS.
    pub fn sends_plaintext(self) -> bool {
        matches!(self, Mechanism::Plain | Mechanism::Login)
    }
}

impl fmt::Display for Mechanism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What the protocol session must do next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Send this challenge (raw bytes; caller base64-encodes) and feed the
    /// client's next response to [`Exchange::respond`].
    Challenge(Vec<u8>),
    /// Look up this authentication identity's credentials and call
    /// [`Exchange::supply`] (`None` if no such user).
    Lookup(String),
    /// Finished.
    Done(Outcome),
}

/// How an exchange ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The client proved it knows the password of `authcid`.
    Success {
        /// The authentication identity, exactly as given in [`Step::Lookup`].
        authcid: String,
        /// SCRAM server-final message (`v=...`) to send with the success reply
        /// (IMAP, SMTP "additional data"); for protocols that cannot carry data
        /// with success, send it as a last challenge first. `None` for other
        /// mechanisms.
        server_final: Option<Vec<u8>>,
    },
    /// Authentication failed.
    Failure(SaslError),
}

/// Why an exchange failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SaslError {
    /// The client's message did not follow the mechanism's syntax.
    #[error("malformed SASL message: {0}")]
    Malformed(&'static str),
    /// Unknown user, wrong password, or credentials unusable for this mechanism.
    #[error("invalid credentials")]
    BadCredentials,
    /// The client cancelled the exchange.
    #[error("authentication cancelled")]
    Cancelled,
    /// The client asked to act as another identity (authzid ≠ authcid).
    #[error("authorization identity not allowed")]
    AuthzNotAllowed,
    /// A call that does not fit the exchange's state (e.g. a response after
    /// the end, or an initial response to a server-first mechanism).
    #[error("unexpected input in SASL exchange")]
    UnexpectedInput,
}

/// Result of one mechanism transition: keep waiting in a new state after
/// emitting a step, or finish.
pub(crate) enum Next<S> {
    Wait(S, Step),
    Finish(Outcome),
}

impl<S> Next<S> {
    fn fail(error: SaslError) -> Self {
        Next::Finish(Outcome::Failure(error))
    }
}

/// The per-mechanism state machines all follow this shape.
trait Mech: Sized {
    fn respond(self, data: &[u8]) -> Next<Self>;
    fn supply(self, creds: Option<&StoredCredentials>, unknown: &UnknownUserKey) -> Next<Self>;
}

/// A call from the protocol session, applied to the active mechanism.
#[derive(Clone, Copy)]
enum Call<'a> {
    Respond(&'a [u8]),
    Supply(Option<&'a StoredCredentials>, &'a UnknownUserKey),
}

impl Call<'_> {
    fn apply<M: Mech>(self, mech: M) -> Next<M> {
        match self {
            Call::Respond(data) => mech.respond(data),
            Call::Supply(creds, unknown) => mech.supply(creds, unknown),
        }
    }
}

enum State {
    Plain(plain::Plain),
    Login(login::Login),
    CramMd5(cram_md5::CramMd5),
    Scram(scram::Scram),
    Finished,
}

/// One SASL authentication exchange in progress.
pub struct Exchange {
    mechanism: Mechanism,
    state: State,
}

impl fmt::Debug for Exchange {
    // Deliberately omits the state: it may hold a password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Exchange")
            .field("mechanism", &self.mechanism)
            .field("finished", &matches!(self.state, State::Finished))
            .finish_non_exhaustive()
    }
}

impl Exchange {
    /// `hostname` is used in the CRAM-MD5 challenge `<random.unixtime@hostname>`;
    /// `initial` is a client initial response if the protocol carried one
    /// (SASL-IR / AUTH PLAIN xxx), already base64-decoded; an empty initial
    /// response is distinct from none.
    ///
    /// CRAM-MD5 is server-first, so any initial response fails it with
    /// [`SaslError::UnexpectedInput`].
    pub fn start(mech: Mechanism, hostname: &str, initial: Option<&[u8]>) -> (Exchange, Step) {
        let mut exchange = Exchange {
            mechanism: mech,
            state: State::Finished,
        };
        if initial.is_some_and(|d| d.len() > MAX_RESPONSE_LEN) {
            let step = Step::Done(Outcome::Failure(SaslError::Malformed("response too long")));
            return (exchange, step);
        }
        let step = match mech {
            Mechanism::Plain => exchange.enter(plain::start(initial), State::Plain),
            Mechanism::Login => exchange.enter(login::start(initial), State::Login),
            Mechanism::CramMd5 => {
                exchange.enter(cram_md5::start(hostname, initial), State::CramMd5)
            }
            Mechanism::ScramSha256 => exchange.enter(scram::start(initial), State::Scram),
        };
        (exchange, step)
    }

    /// Feed the client's (base64-decoded) response to the last challenge.
    pub fn respond(&mut self, data: &[u8]) -> Step {
        if data.len() > MAX_RESPONSE_LEN {
            self.state = State::Finished;
            return Step::Done(Outcome::Failure(SaslError::Malformed("response too long")));
        }
        self.dispatch(Call::Respond(data))
    }

    /// Hand over the credentials asked for by [`Step::Lookup`], or `None` if
    /// the user does not exist; `unknown` is the server's key SCRAM derives a
    /// stand-in salt from in that case. Slow for PLAIN and LOGIN (argon2): run
    /// it in a hashing thread (`crate::hashing::run`) in async code.
    pub fn supply(&mut self, creds: Option<&StoredCredentials>, unknown: &UnknownUserKey) -> Step {
        self.dispatch(Call::Supply(creds, unknown))
    }

    /// The password a PLAIN or LOGIN exchange waits to check at [`Step::Lookup`]; `None` for
    /// other mechanisms and states.
    pub(crate) fn pending_password(&self) -> Option<&str> {
        match &self.state {
            State::Plain(plain::Plain::Lookup { password, .. })
            | State::Login(login::Login::Lookup { password, .. }) => Some(password),
            _ => None,
        }
    }

    /// End a PLAIN or LOGIN exchange waiting at [`Step::Lookup`] as a success without argon2:
    /// the caller has found [`pending_password`](Self::pending_password) verified for the
    /// user's current credentials (`login_cache.rs`). Any other state fails.
    pub(crate) fn accept_verified(&mut self) -> Step {
        let authcid = match std::mem::replace(&mut self.state, State::Finished) {
            State::Plain(plain::Plain::Lookup { authcid, .. }) => authcid,
            State::Login(login::Login::Lookup { user, .. }) => user,
            _ => return Step::Done(Outcome::Failure(SaslError::UnexpectedInput)),
        };
        Step::Done(Outcome::Success {
            authcid,
            server_final: None,
        })
    }

    /// Client sent "*" (cancel): always ends with `Done(Failure(Cancelled))`.
    pub fn cancel(&mut self) -> Step {
        self.state = State::Finished;
        Step::Done(Outcome::Failure(SaslError::Cancelled))
    }

    /// The mechanism this exchange runs.
    pub fn mechanism(&self) -> Mechanism {
        self.mechanism
    }

    /// True once a [`Step::Done`] has been returned.
    pub fn is_finished(&self) -> bool {
        matches!(self.state, State::Finished)
    }

    /// Run one transition on whichever mechanism is active.
    fn dispatch(&mut self, call: Call<'_>) -> Step {
        match std::mem::replace(&mut self.state, State::Finished) {
            State::Plain(m) => self.enter(call.apply(m), State::Plain),
            State::Login(m) => self.enter(call.apply(m), State::Login),
            State::CramMd5(m) => self.enter(call.apply(m), State::CramMd5),
            State::Scram(m) => self.enter(call.apply(m), State::Scram),
            State::Finished => Step::Done(Outcome::Failure(SaslError::UnexpectedInput)),
        }
    }

    /// Store the state a transition leads to and return its step.
    fn enter<S>(&mut self, next: Next<S>, wrap: fn(S) -> State) -> Step {
        match next {
            Next::Wait(s, step) => {
                self.state = wrap(s);
                step
            }
            Next::Finish(outcome) => {
                self.state = State::Finished;
                Step::Done(outcome)
            }
        }
    }

    /// CRAM-MD5 exchange with a fixed challenge (for known-answer tests).
    #[cfg(test)]
    pub(crate) fn start_cram_md5_with_challenge(challenge: &str) -> (Exchange, Step) {
        let mut exchange = Exchange {
            mechanism: Mechanism::CramMd5,
            state: State::Finished,
        };
        let step = exchange.enter(
            cram_md5::start_with_challenge(challenge.into(), None),
            State::CramMd5,
        );
        (exchange, step)
    }

    /// SCRAM exchange with a fixed server nonce (for known-answer tests).
    #[cfg(test)]
    pub(crate) fn start_scram_with_nonce(nonce: &str, initial: Option<&[u8]>) -> (Exchange, Step) {
        let mut exchange = Exchange {
            mechanism: Mechanism::ScramSha256,
            state: State::Finished,
        };
        let step = exchange.enter(scram::start_with_nonce(nonce.into(), initial), State::Scram);
        (exchange, step)
    }
}

#[cfg(test)]
mod tests;
