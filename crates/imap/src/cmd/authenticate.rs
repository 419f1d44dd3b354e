//! AUTHENTICATE (RFC 9051 §6.2.2) with SASL-IR (RFC 4959): PLAIN, LOGIN, CRAM-MD5 and
//! SCRAM-SHA-256 through the shared SASL state machines. `*` cancels (tagged BAD). A SCRAM
//! server-final message is sent as a last `+` challenge, answered by an empty line.
//!
//! Invariants: no mechanism is offered before TLS from another machine (SEC-8); password
//! checks run on the password-hashing threads; a failed exchange counts as a bad command.

use std::borrow::Cow;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use heron_directory::sasl::{Exchange, MAX_RESPONSE_LEN, Outcome, SaslError, Step};
use heron_net::line::Framed;
use heron_proto_imap::response::{self, code};
use heron_store::User;
use imap_codec::imap_types::auth::AuthMechanism;
use imap_codec::imap_types::secret::Secret;

use crate::done::Done;
use crate::error::{ImapError, Result};
use crate::session::Session;
use crate::{auth, caps};

/// Longest client line during an exchange (base64 of the SASL limit).
const MAX_SASL_LINE: usize = MAX_RESPONSE_LEN * 4 / 3 + 8;

/// Run AUTHENTICATE.
pub async fn execute(
    s: &mut Session<'_>,
    mechanism: AuthMechanism<'_>,
    initial: Option<Secret<Cow<'_, [u8]>>>,
) -> Result<Done> {
    if !s.plaintext_ok() {
        return Ok(Done::no("use STARTTLS before AUTHENTICATE")
            .with(code("PRIVACYREQUIRED"))
            .counted());
    }
    let Some(mech) = caps::offered(s, &mechanism) else {
        return Ok(Done::no("unsupported authentication mechanism")
            .with(code("CANNOT"))
            .counted());
    };
    let initial = initial.map(|i| i.declassify().to_vec());
    let (ex, step) = Exchange::start(mech, &s.hostname, initial.as_deref());
    s.wire.client.framer().set_max(MAX_SASL_LINE);
    let r = drive(s, ex, step).await;
    s.wire
        .client
        .framer()
        .set_max(heron_proto_imap::framing::MAX_LINE);
    match r? {
        Ended::Success(user, address) => Ok(auth::enter(s, user, address).await),
        Ended::Done(d) => Ok(d),
    }
}

enum Ended {
    Success(User, String),
    Done(Done),
}

/// Run the exchange to its end.
async fn drive(s: &mut Session<'_>, mut ex: Exchange, mut step: Step) -> Result<Ended> {
    let mut found: Option<(User, String)> = None;
    // The name looked up, and whether it met a block (SEC-2).
    let mut looked: Option<(String, bool)> = None;
    let ip = s.info.peer.ip();
    loop {
        step = match step {
            Step::Challenge(c) => match challenge(s, &c).await? {
                Answer::Cancel => ex.cancel(),
                Answer::Data(d) => ex.respond(&d),
                Answer::Bad => return Ok(Ended::Done(Done::bad("invalid base64 in response"))),
            },
            Step::Lookup(name) => {
                let (cand, unknown) = match s.dir().sasl_lookup_from(ip, &name).await {
                    Ok((cand, unknown, blocked)) => {
                        looked = Some((name, blocked));
                        (cand, unknown)
                    }
                    Err(e) => return Ok(Ended::Done(auth::unavailable(&e))),
                };
                // Password checks are slow by design: this runs them off the async workers.
                let (back, st) = s
                    .dir()
                    .sasl_supply(ex, cand.as_ref(), unknown)
                    .await
                    .ok_or(ImapError::Closed)?;
                found = cand.map(|(u, d, _)| {
                    let address = format!("{}@{}", u.local, d.name);
                    (u, address)
                });
                ex = back;
                st
            }
            Step::Done(Outcome::Success {
                server_final,
                authcid,
                ..
            }) => {
                if let Some(fin) = server_final {
                    match challenge(s, &fin).await? {
                        Answer::Data(d) if d.is_empty() => {}
                        _ => return Ok(Ended::Done(Done::bad("authentication cancelled"))),
                    }
                }
                s.dir()
                    .sasl_outcome(ip, looked.as_ref(), found.is_some())
                    .await;
                return Ok(match found.take() {
                    Some((u, a)) => Ended::Success(u, a),
                    None => Ended::Done(auth::failed(&authcid, "no account behind the exchange")),
                });
            }
            Step::Done(Outcome::Failure(SaslError::Cancelled)) => {
                // RFC 9051 §6.2.2: a cancelled exchange gets BAD.
                return Ok(Ended::Done(Done::bad("authentication cancelled")));
            }
            Step::Done(Outcome::Failure(e)) => {
                s.dir().sasl_outcome(ip, looked.as_ref(), false).await;
                let name = found.as_ref().map(|(_, a)| a.clone()).unwrap_or_default();
                return Ok(Ended::Done(auth::failed(&name, &e.to_string())));
            }
        };
    }
}

enum Answer {
    Data(Vec<u8>),
    Cancel,
    Bad,
}

/// Send `+ base64` and read the client's line.
async fn challenge(s: &mut Session<'_>, c: &[u8]) -> Result<Answer> {
    s.send(&response::continuation_data(c)).await?;
    match s.read_line().await {
        Ok(Framed::Line(l)) if l == b"*" => Ok(Answer::Cancel),
        Ok(Framed::Line(l)) => Ok(B64.decode(&l).map(Answer::Data).unwrap_or(Answer::Bad)),
        Ok(Framed::TooLong) => Ok(Answer::Bad),
        Err(_) => Err(ImapError::Closed),
    }
}
