//! AUTH (RFC 4954): SASL over `334` continuations. Offered only over TLS or from loopback;
//! LOGIN can be switched off; on submission with `submission.auth = fixed` only the one
//! configured account may log in (PROTO-8). A failed AUTH counts as a bad command. A SCRAM
//! server-final message is sent as one more `334` before `235`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use heron_directory::sasl::{Exchange, Mechanism, Outcome, SaslError, Step};
use heron_net::line::Framed;
use heron_proto_smtp::reply::{self, Reply};
use heron_settings::defs;

use crate::cmd::ehlo::mechanisms;
use crate::session::{Authed, Flow, Session};

/// Run AUTH.
pub async fn execute(s: &mut Session<'_>, mechanism: String, initial: Option<String>) -> Flow {
    if s.dlg.auth.is_some() {
        return s.reply(reply::ALREADY_AUTHENTICATED, Flow::Bad).await;
    }
    if s.dlg.tx.is_some() {
        return s
            .reply(
                reply::BAD_SEQUENCE.with_text("AUTH not allowed during a mail transaction"),
                Flow::Bad,
            )
            .await;
    }
    if !s.auth_offered() {
        return s.reply(reply::MUST_STARTTLS, Flow::Bad).await;
    }
    let Some(mech) = Mechanism::from_name(&mechanism).filter(|m| mechanisms(s).contains(&m.name()))
    else {
        return s.reply(reply::AUTH_MECHANISM_UNSUPPORTED, Flow::Bad).await;
    };
    let initial = match initial.as_deref() {
        None => None,
        Some("=") => Some(Vec::new()),
        Some(v) => match B64.decode(v) {
            Ok(d) => Some(d),
            Err(_) => return s.reply(reply::AUTH_BAD_BASE64, Flow::Bad).await,
        },
    };
    let (ex, step) = Exchange::start(mech, &s.peer.hostname, initial.as_deref());
    match drive(s, ex, step).await {
        Ok(Some(authed)) => {
            tracing::info!(target: "smtp", "authenticated as {}", authed.address);
            s.info.set_user(&authed.address);
            s.svc.dir.record_login(&authed.user).await;
            heron_store::stats::recorder().account(
                authed.user.domain_id,
                Some(authed.user.id),
                heron_store::stats::Event::Login(heron_store::stats::Login::Smtp),
            );
            s.dlg.auth = Some(authed);
            s.reply(reply::AUTH_OK, Flow::Continue).await
        }
        Ok(None) => Flow::Close,
        Err(r) => s.reply(r, Flow::Bad).await,
    }
}

/// Run the exchange to its end: `Ok(Some)` on success, `Ok(None)` if the connection broke,
/// `Err(reply)` on failure.
async fn drive(
    s: &mut Session<'_>,
    mut ex: Exchange,
    mut step: Step,
) -> Result<Option<Authed>, Reply> {
    let mut found: Option<Authed> = None;
    // The name looked up, and whether it met a block (SEC-2).
    let mut looked: Option<(String, bool)> = None;
    let ip = s.peer.ip;
    loop {
        step = match step {
            Step::Challenge(c) => {
                let Some(answer) = exchange_line(s, &c).await else {
                    return Ok(None);
                };
                match answer {
                    Answer::Cancel => ex.cancel(),
                    Answer::Data(d) => ex.respond(&d),
                    Answer::Bad => return Err(reply::AUTH_BAD_BASE64),
                }
            }
            Step::Lookup(name) => {
                let (cand, unknown, blocked) =
                    s.svc.dir.sasl_lookup_from(ip, &name).await.map_err(|e| {
                        tracing::error!(target: "smtp", "credential lookup failed: {e}");
                        reply::AUTH_TEMP_FAILURE
                    })?;
                looked = Some((name, blocked));
                let cand = cand
                    .filter(|(u, d, _)| fixed_account_ok(s, &format!("{}@{}", u.local, d.name)));
                let (back, st) = s
                    .svc
                    .dir
                    .sasl_supply(ex, cand.as_ref(), unknown)
                    .await
                    .ok_or(reply::AUTH_TEMP_FAILURE)?;
                found = cand.map(|(user, domain, _)| Authed {
                    address: format!("{}@{}", user.local, domain.name),
                    user,
                    domain,
                });
                ex = back;
                st
            }
            Step::Done(Outcome::Success { server_final, .. }) => {
                if let Some(fin) = server_final {
                    match exchange_line(s, &fin).await {
                        None => return Ok(None),
                        Some(Answer::Data(d)) if d.is_empty() => {}
                        Some(_) => return Err(reply::AUTH_CANCELLED),
                    }
                }
                s.svc
                    .dir
                    .sasl_outcome(ip, looked.as_ref(), found.is_some())
                    .await;
                return found.map(Some).ok_or(reply::AUTH_FAILED);
            }
            Step::Done(Outcome::Failure(SaslError::Cancelled)) => {
                return Err(reply::AUTH_CANCELLED);
            }
            Step::Done(Outcome::Failure(e)) => {
                s.svc.dir.sasl_outcome(ip, looked.as_ref(), false).await;
                tracing::warn!(target: "smtp", "authentication failed: {e}");
                return Err(reply::AUTH_FAILED);
            }
        };
    }
}

/// PROTO-8: with a fixed submission credential, only that account may authenticate there.
fn fixed_account_ok(s: &Session<'_>, address: &str) -> bool {
    let st = &s.svc.settings;
    !s.is_submission()
        || st.get(defs::SUBMISSION_AUTH) != "fixed"
        || st
            .get(defs::SUBMISSION_FIXED_USER)
            .eq_ignore_ascii_case(address)
}

enum Answer {
    Data(Vec<u8>),
    Cancel,
    Bad,
}

/// Send `334 base64(c)` and read the client's line.
async fn exchange_line(s: &mut Session<'_>, c: &[u8]) -> Option<Answer> {
    s.send(&reply::AUTH_CONTINUE.with_text(B64.encode(c)))
        .await
        .ok()?;
    match s.read_line().await {
        Ok(Framed::Line(l)) if l == b"*" => Some(Answer::Cancel),
        Ok(Framed::Line(l)) => Some(B64.decode(&l).map(Answer::Data).unwrap_or(Answer::Bad)),
        Ok(Framed::TooLong) => Some(Answer::Bad),
        Err(heron_net::line::ReadError::Timeout) => {
            // Same as a silent client at a command: say why before closing.
            let _ = s.send(&reply::TIMEOUT).await;
            None
        }
        Err(_) => None,
    }
}
