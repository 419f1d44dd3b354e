//! AUTH (RFC 5034): SASL exchanges over `+ base64` continuations. Without a mechanism, lists
//! the mechanisms (a common client probe). `*` cancels. A SCRAM server-final message is sent
//! as one more continuation, answered by an empty line, before `+OK` (RFC 5034 §4).

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use heron_directory::sasl::{Exchange, Mechanism, Outcome, SaslError, Step};
use heron_net::line::Framed;
use heron_proto_pop3::{RespCode, capa, err};

use crate::auth::{enter_transaction, failed};
use crate::session::{Flow, Session, reply};

/// Longest client SASL line (base64 of the mechanisms' 8 KiB limit).
const MAX_SASL_LINE: usize = 12 * 1024;

/// Run AUTH.
pub async fn execute(
    s: &mut Session<'_>,
    mechanism: Option<String>,
    initial: Option<String>,
) -> Flow {
    let plain_ok = s.plaintext_allowed();
    let allowed = |m: &Mechanism| plain_ok || !m.sends_plaintext();
    let Some(mechanism) = mechanism else {
        let names: Vec<&str> = Mechanism::ALL
            .iter()
            .filter(|m| allowed(m))
            .map(|m| m.name())
            .collect();
        return reply(s, &capa(&names), Flow::Continue).await;
    };
    let Some(mech) = Mechanism::from_name(&mechanism).filter(allowed) else {
        return reply(
            s,
            &err(None, "unsupported or disallowed mechanism"),
            Flow::Bad,
        )
        .await;
    };
    let initial = match initial.as_deref().map(decode_initial) {
        None => None,
        Some(Ok(v)) => Some(v),
        Some(Err(())) => {
            return reply(
                s,
                &err(None, "invalid base64 in initial response"),
                Flow::Bad,
            )
            .await;
        }
    };
    let (mut ex, mut step) = Exchange::start(mech, &s.hostname, initial.as_deref());
    let mut found = None;
    // The name looked up, and whether it met a block (SEC-2).
    let mut looked: Option<(String, bool)> = None;
    let ip = s.info.peer.ip();
    s.client.framer().set_max(MAX_SASL_LINE);
    let flow = loop {
        step = match step {
            Step::Challenge(c) => match challenge(s, &mut ex, &c).await {
                Ok(next) => next,
                Err(flow) => break flow,
            },
            Step::Lookup(name) => {
                let (cand, unknown) = match s.svc.dir.sasl_lookup_from(ip, &name).await {
                    Ok((cand, unknown, blocked)) => {
                        looked = Some((name.clone(), blocked));
                        (cand, unknown)
                    }
                    Err(e) => {
                        tracing::error!(target: "pop3", "credential lookup failed: {e}");
                        break reply(
                            s,
                            &err(Some(RespCode::SysTemp), "cannot check credentials now"),
                            Flow::Continue,
                        )
                        .await;
                    }
                };
                // Password checks are slow by design: this runs them off the async workers.
                let supplied = s.svc.dir.sasl_supply(ex, cand.as_ref(), unknown).await;
                found = cand.map(|(u, _, _)| (u, name));
                match supplied {
                    Some((back, st)) => {
                        ex = back;
                        st
                    }
                    None => break Flow::Close,
                }
            }
            Step::Done(Outcome::Success { server_final, .. }) => {
                if let Some(fin) = server_final
                    && let Err(flow) = final_round(s, &fin).await
                {
                    break flow;
                }
                s.svc
                    .dir
                    .sasl_outcome(ip, looked.as_ref(), found.is_some())
                    .await;
                match found.take() {
                    Some((user, name)) => break enter_transaction(s, user, &name).await,
                    None => break failed(s, "?", "no account behind a successful exchange").await,
                }
            }
            Step::Done(Outcome::Failure(SaslError::Cancelled)) => {
                break reply(s, &err(None, "authentication cancelled"), Flow::Bad).await;
            }
            Step::Done(Outcome::Failure(e)) => {
                s.svc.dir.sasl_outcome(ip, looked.as_ref(), false).await;
                let name = found.as_ref().map(|(_, n)| n.clone()).unwrap_or_default();
                break failed(s, &name, &e.to_string()).await;
            }
        };
    };
    s.client
        .framer()
        .set_max(heron_proto_pop3::MAX_COMMAND_LINE);
    flow
}

/// RFC 5034 §4: "=" is an empty initial response.
fn decode_initial(v: &str) -> Result<Vec<u8>, ()> {
    if v == "=" {
        Ok(Vec::new())
    } else {
        B64.decode(v).map_err(|_| ())
    }
}

/// Send a challenge and feed the client's answer to the exchange.
async fn challenge(s: &mut Session<'_>, ex: &mut Exchange, c: &[u8]) -> Result<Step, Flow> {
    let line = format!("+ {}\r\n", B64.encode(c));
    s.send(line.as_bytes()).await.map_err(|_| Flow::Close)?;
    let answer = read_answer(s).await?;
    if answer == b"*" {
        return Ok(ex.cancel());
    }
    match B64.decode(&answer) {
        Ok(data) => Ok(ex.respond(&data)),
        Err(_) => Ok(Step::Done(Outcome::Failure(SaslError::Malformed(
            "invalid base64",
        )))),
    }
}

/// Send the server-final data and wait for the client's empty acknowledgement.
async fn final_round(s: &mut Session<'_>, fin: &[u8]) -> Result<(), Flow> {
    let line = format!("+ {}\r\n", B64.encode(fin));
    s.send(line.as_bytes()).await.map_err(|_| Flow::Close)?;
    let answer = read_answer(s).await?;
    if answer.is_empty() || answer == b"=" {
        Ok(())
    } else {
        Err(reply(s, &err(None, "authentication cancelled"), Flow::Bad).await)
    }
}

async fn read_answer(s: &mut Session<'_>) -> Result<Vec<u8>, Flow> {
    match s.read_line().await {
        Ok(Framed::Line(l)) => Ok(l),
        Ok(Framed::TooLong) => Err(reply(s, &err(None, "SASL response too long"), Flow::Bad).await),
        Err(_) => Err(Flow::Close),
    }
}
