//! One delivery attempt of one spool entry: the pending recipients grouped by next hop
//! (gateway, forwarding server, or a domain's MX hosts), each group sent in one SMTP
//! transaction, groups in parallel so a slow destination holds up only its own recipients.
//!
//! Host order follows RFC 5321 §5.1: MX hosts by preference, each of their addresses; a
//! host that cannot be reached or fails temporarily before answering for the recipients
//! passes the turn to the next one. A per-recipient answer is final for this attempt.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use futures::future::join_all;
use heron_settings::defs;
use heron_store::SpoolEntry;

use crate::Queue;
use crate::client::{
    ClientError, ClientOptions, Connection, Credentials, Envelope, EnvelopeRcpt, Outcome, StartTls,
};
use crate::identity::{Outbound, own_smtp_ips, smtp_addr};
use crate::pool::PoolKey;
use crate::route::{Route, domain_of, hop_ips, route};
use crate::schedule::RcptOutcome;
use crate::tls_policy::dane::MxSecurity;
use crate::tls_policy::plan::{HostPlan, TLS_DEFERRED, dane_server, host_plan};
use crate::tls_policy::{StsLookup, dane, report, requiretls};

/// What the TLS policy lookups of a recipient domain found.
struct TlsContext {
    sts: StsLookup,
    /// The MX answer was DNSSEC-authenticated and DANE is on.
    mx_secure: bool,
}
use heron_mailauth::dns::{Destination, DnsError, Host};

/// Deliver the pending recipients of `e`; outcomes by recipient index.
pub async fn run(
    q: &Queue,
    e: &SpoolEntry,
    message: &[u8],
    out: &Outbound,
) -> Vec<(usize, RcptOutcome)> {
    let mut groups: HashMap<Route, Vec<usize>> = HashMap::new();
    for (i, r) in e.recipients.iter().enumerate() {
        if r.is_pending() {
            let rt = route(&q.settings, e.priority, &domain_of(&r.address), &q.turn);
            groups.entry(rt).or_default().push(i);
        }
    }
    let sends = groups
        .into_iter()
        .map(|(rt, idx)| deliver_group(q, e, message, out, rt, idx));
    join_all(sends).await.into_iter().flatten().collect()
}

async fn deliver_group(
    q: &Queue,
    e: &SpoolEntry,
    message: &[u8],
    out: &Outbound,
    rt: Route,
    idx: Vec<usize>,
) -> Vec<(usize, RcptOutcome)> {
    let every = |o: RcptOutcome| idx.iter().map(|i| (*i, o.clone())).collect::<Vec<_>>();
    let dns = match q.dns() {
        Ok(d) => d,
        Err(err) => return every(temporary(format!("451 4.4.3 DNS unavailable: {err}"))),
    };
    let (hosts, auth) = match &rt {
        Route::Mx(domain) => match dns.destination(domain, &own_smtp_ips(&q.settings)).await {
            Ok(Destination::Hosts(h)) => (with_port(q, h), None),
            Ok(Destination::NullMx) => {
                return every(RcptOutcome::Permanent {
                    reply: format!("556 5.1.10 {domain} accepts no mail (null MX)"),
                    remote: None,
                });
            }
            Err(DnsError::NotFound(why)) => {
                return every(RcptOutcome::NoSuchDomain {
                    reason: format!("550 5.1.2 {domain}: domain not found ({why})"),
                });
            }
            Err(err) => {
                return every(temporary(format!(
                    "451 4.4.3 DNS lookup of {domain} failed: {err}"
                )));
            }
        },
        Route::Forward(to) | Route::Gateway { to, .. } => match hop_ips(&dns, &to.host).await {
            Ok(ips) => {
                let addrs = ips
                    .into_iter()
                    .map(|ip| SocketAddr::new(ip, to.port))
                    .collect();
                let auth = match &rt {
                    Route::Gateway { auth, .. } => auth.clone(),
                    _ => None,
                };
                (vec![(to.host.clone(), addrs)], auth)
            }
            Err(err) => return every(temporary(format!("451 4.4.3 {rt}: {err}"))),
        },
    };
    let opts = options(q, out, auth);
    let (sts, mx_secure) = match &rt {
        Route::Mx(domain) => {
            let secure = if q.settings.get(defs::SMTP_OUT_DANE) {
                match dane::mx_security(dane_server(&q.settings), domain).await {
                    MxSecurity::Secure => true,
                    MxSecurity::Insecure => false,
                    MxSecurity::Failed(why) => {
                        // RFC 7672 §2.1.1: a bogus or indeterminate MX answer defers the mail.
                        return every(temporary(format!(
                            "451 4.4.3 DNSSEC check of {domain} failed: {why}"
                        )));
                    }
                }
            } else {
                false
            };
            (q.tls.sts(&dns, &q.settings, domain).await, secure)
        }
        _ => (StsLookup::None, false),
    };
    if let (StsLookup::Failed { result, detail }, Route::Mx(domain)) = (&sts, &rt) {
        q.tls_report(
            domain,
            "sts",
            String::new(),
            report::Failure::policy(result, detail),
        )
        .await;
    }
    let tls = TlsContext { sts, mx_secure };
    let mut outcomes = Vec::with_capacity(idx.len());
    // RFC 5321 §4.5.3.1.8: a server need take only 100 recipients per transaction.
    for chunk in idx.chunks(MAX_RCPTS_PER_TRANSACTION) {
        let env = envelope(e, chunk);
        match try_hosts(q, &hosts, &opts, &env, message, &rt, &tls).await {
            Ok(per_rcpt) => outcomes.extend(chunk.iter().copied().zip(per_rcpt)),
            Err(o) => outcomes.extend(chunk.iter().map(|i| (*i, o.clone()))),
        }
    }
    outcomes
}

/// Recipients sent in one transaction.
const MAX_RCPTS_PER_TRANSACTION: usize = 100;

/// Hosts found by DNS, with the outbound SMTP port.
fn with_port(q: &Queue, hosts: Vec<Host>) -> Vec<(String, Vec<SocketAddr>)> {
    hosts
        .into_iter()
        .map(|h| {
            let addrs = h
                .addrs
                .iter()
                .map(|ip| smtp_addr(&q.settings, *ip))
                .collect();
            (h.name, addrs)
        })
        .collect()
}

fn options(q: &Queue, out: &Outbound, auth: Option<(String, String)>) -> ClientOptions {
    ClientOptions {
        helo: out.helo.clone(),
        local_ip: out.local_ip,
        fallback_primary: q.settings.get(defs::SMTP_OUT_FALLBACK_PRIMARY),
        starttls: if q.settings.get(defs::SMTP_OUT_STARTTLS) {
            StartTls::Opportunistic
        } else {
            StartTls::Off
        },
        auth: auth.map(|(user, password)| Credentials { user, password }),
        timeout: q
            .settings
            .get(defs::SMTP_OUT_COMMAND_TIMEOUT)
            .max(Duration::from_secs(1)),
        verify: None,
    }
}

fn envelope(e: &SpoolEntry, idx: &[usize]) -> Envelope {
    Envelope {
        sender: e.sender.clone(),
        recipients: idx
            .iter()
            .map(|i| {
                let r = &e.recipients[*i];
                EnvelopeRcpt {
                    address: r.address.clone(),
                    notify: r.notify.clone(),
                    orcpt: r.orcpt.clone(),
                }
            })
            .collect(),
        ret: e.ret.clone(),
        envid: e.envid.clone(),
        requiretls: e.requiretls,
    }
}

fn temporary(reply: String) -> RcptOutcome {
    RcptOutcome::Temporary {
        reply,
        remote: None,
    }
}

/// Try each host's addresses in order until one answers for the recipients. `Err` is the
/// outcome for every recipient when none did. Under an MTA-STS policy each host is checked
/// against it first (see [`host_plan`]).
async fn try_hosts(
    q: &Queue,
    hosts: &[(String, Vec<SocketAddr>)],
    opts: &ClientOptions,
    env: &Envelope,
    message: &[u8],
    rt: &Route,
    tls: &TlsContext,
) -> Result<Vec<RcptOutcome>, RcptOutcome> {
    let mut last = format!("451 4.4.1 no host of {rt} could be reached");
    // RFC 8689 §5: the header counts only without REQUIRETLS.
    let relaxed = !env.requiretls && requiretls::tls_optional(message);
    for (name, addrs) in hosts {
        let planned = match rt {
            Route::Mx(domain) => {
                let port = addrs.first().map_or(25, SocketAddr::port);
                host_plan(q, domain, tls.mx_secure, &tls.sts, name, port, opts).await
            }
            _ => Ok(HostPlan {
                opts: opts.clone(),
                held: None,
                fallback: None,
            }),
        };
        let plan = match planned {
            Ok(plan) if env.requiretls => match requiretls::restrict(plan, name) {
                Ok(plan) => plan,
                Err(reply) => {
                    tracing::warn!(target: "delivery", "{name}: {reply}");
                    return Err(RcptOutcome::Permanent {
                        reply,
                        remote: Some(name.clone()),
                    });
                }
            },
            Ok(plan) if relaxed => requiretls::relax(plan, opts),
            Ok(plan) => plan,
            Err(refusal) if relaxed => {
                tracing::info!(target: "delivery", "{name}: {refusal}; TLS-Required: No, going on");
                HostPlan {
                    opts: opts.clone(),
                    held: None,
                    fallback: None,
                }
            }
            Err(refusal) => {
                tracing::warn!(target: "delivery", "{name}: {refusal}");
                last = refusal;
                continue;
            }
        };
        for addr in addrs {
            match send_planned(q, *addr, name, &plan, env, message).await {
                Ok(per_rcpt) => return Ok(per_rcpt),
                Err(err) if err.is_permanent() => {
                    tracing::warn!(target: "delivery", "{name} [{addr}] refused the session: {err}");
                    return Err(RcptOutcome::Permanent {
                        reply: err.to_string(),
                        remote: Some(name.clone()),
                    });
                }
                Err(err) => {
                    tracing::info!(target: "delivery", "{name} [{addr}]: {err}; trying the next host");
                    last = match tls_result(&err) {
                        Some(_) if plan.held.is_some() => {
                            format!("{TLS_DEFERRED} {name} [{addr}]: {err}")
                        }
                        _ => format!("451 4.4.1 {name} [{addr}]: {err}"),
                    };
                }
            }
        }
    }
    Err(temporary(last))
}

/// Sends under `plan`: the first try, its TLS outcome reported when a policy applies, then
/// the fallback after a TLS failure when there is one.
async fn send_planned(
    q: &Queue,
    addr: SocketAddr,
    name: &str,
    plan: &HostPlan,
    env: &Envelope,
    message: &[u8],
) -> Result<Vec<RcptOutcome>, ClientError> {
    let first = send_once(q, addr, name, &plan.opts, env, message).await;
    let Some(p) = &plan.held else {
        return first;
    };
    match &first {
        Ok(_) => {
            q.tls_report(
                &p.domain,
                p.kind,
                p.text.clone(),
                report::Failure::success(name),
            )
            .await
        }
        Err(err) => {
            if let Some(result) = tls_result(err) {
                let detail = err.to_string();
                q.tls_report(
                    &p.domain,
                    p.kind,
                    p.text.clone(),
                    report::Failure::session(result, name, Some(addr), &detail),
                )
                .await;
                if let Some(fallback) = &plan.fallback {
                    tracing::warn!(target: "delivery", "{name} [{addr}]: {err}; MTA-STS policy of {} is in testing mode, delivering anyway", p.domain);
                    return send_once(q, addr, name, fallback, env, message).await;
                }
            }
        }
    }
    first
}

/// The TLS-RPT result type of a session failure that is about TLS.
fn tls_result(err: &ClientError) -> Option<&'static str> {
    match err {
        ClientError::Certificate(f) => Some(f.result),
        ClientError::NoStartTls(_) => Some("starttls-not-supported"),
        ClientError::Rejected {
            stage: "STARTTLS", ..
        } => Some("starttls-not-supported"),
        ClientError::Tls(_) => Some("validation-failure"),
        _ => None,
    }
}

async fn send_once(
    q: &Queue,
    addr: SocketAddr,
    name: &str,
    opts: &ClientOptions,
    env: &Envelope,
    message: &[u8],
) -> Result<Vec<RcptOutcome>, ClientError> {
    let key = PoolKey::new(addr, opts);
    let remote = Some(name.to_owned());
    // A pooled session may have been closed by the server meanwhile: on any failure of a
    // reused session, start over once on a new one.
    let mut results = None;
    if let Some(mut conn) = q.pool.take(&key) {
        match conn.send(env, message).await {
            Ok(r) => {
                q.pool.put(key.clone(), conn);
                results = Some(r);
            }
            Err(err) => {
                tracing::debug!(target: "delivery", "{name} [{addr}]: reused session failed ({err}); opening a new one");
                conn.quit().await;
            }
        }
    }
    let results = match results {
        Some(r) => r,
        None => {
            let mut conn = open(addr, name, opts).await?;
            let r = conn.send(env, message).await?;
            q.pool.put(key, conn);
            r
        }
    };
    Ok(results
        .into_iter()
        .map(|r| match r.outcome {
            Outcome::Delivered(rep) => RcptOutcome::Delivered {
                reply: rep.to_string(),
                remote: remote.clone(),
            },
            Outcome::Temporary(rep) => RcptOutcome::Temporary {
                reply: rep.to_string(),
                remote: remote.clone(),
            },
            Outcome::Permanent(rep) => RcptOutcome::Permanent {
                reply: rep.to_string(),
                remote: remote.clone(),
            },
        })
        .collect())
}

/// A new session; opportunistic TLS (RFC 7435) that fails to handshake falls back to plain
/// text once.
async fn open(
    addr: SocketAddr,
    name: &str,
    opts: &ClientOptions,
) -> Result<Connection, ClientError> {
    match Connection::connect(addr, name, opts).await {
        Err(ClientError::Tls(why)) if opts.starttls == StartTls::Opportunistic => {
            tracing::info!(target: "delivery", "{name} [{addr}]: TLS failed ({why}); retrying without TLS");
            let plain = ClientOptions {
                starttls: StartTls::Off,
                ..opts.clone()
            };
            Connection::connect(addr, name, &plain).await
        }
        r => r,
    }
}
