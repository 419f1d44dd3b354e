//! RCPT TO (RFC 5321 §4.1.1.3): accept a recipient only if it is a hosted address that
//! exists and has room, or a remote address the relay policy lets this client reach.
//!
//! Order of checks: transaction open; recipient count (DOM-4 / PROTO-5); relay-abuse path
//! forms from clients that may not relay; then local (disabled domain, unknown user with the
//! bad-recipient limit, the domain's require-AUTH switch, quota, greylisting) or remote (relay
//! policy, or a forwarded / backed-up domain, greylisted when `greylist.forwarded_domains`). `<postmaster>` and postmaster@ every hosted domain are
//! deliverable (RFC 5321 §4.5.1; the directory picks the mailbox) and never relayed.

use heron_directory::Resolution;
use heron_proto_smtp::reply::{self, Reply};
use heron_proto_smtp::{Path, RcptParams};
use heron_settings::defs;
use heron_store::User;

use crate::SmtpService;
use crate::greylist::{self, Target};
use crate::parts::{Answer, Dialogue, Peer};
use crate::policy::{RelayFacts, RelayPolicy, may_relay};

/// Run RCPT.
pub async fn execute(
    svc: &SmtpService,
    peer: &Peer,
    d: &mut Dialogue,
    to: Path,
    params: RcptParams,
) -> Answer {
    let Some(tx) = &d.tx else {
        return Answer::bad(reply::BAD_SEQUENCE.with_text("Send MAIL first"));
    };
    let limit = match &d.auth {
        Some(a) => a.domain.limits.recipients_per_message as u64,
        None => svc.settings.get(defs::SMTP_MAX_RECIPIENTS),
    };
    if limit != 0 && tx.accepted.len() as u64 >= limit {
        return Answer::go_on(reply::TOO_MANY_RECIPIENTS);
    }
    if !to.is_ascii() && !tx.params.smtputf8 {
        return Answer::go_on(reply::NON_ASCII_ADDRESS);
    }
    let sender_domain = tx
        .sender
        .rsplit_once('@')
        .map(|(_, d)| d.to_owned())
        .unwrap_or_default();
    let relay_ok = relay_allowed(svc, peer, d, &sender_domain).await;
    let address = match recipient_address(svc, &peer.hostname, &to, relay_ok).await {
        Ok(a) => a,
        Err(answer) => return answer,
    };
    let domain = address
        .rsplit_once('@')
        .map(|(_, d)| d.to_owned())
        .unwrap_or_default();
    let found = match svc.dir.find_domain(&domain).await {
        Ok(d) => d,
        Err(e) => return internal(e),
    };
    let outcome = match found {
        Some(dom) if dom.disabled => {
            Err(reply::MAILBOX_DISABLED.with_text("Recipient domain is disabled"))
        }
        Some(dom) => match local(svc, peer, d, &address, dom.require_smtp_auth).await {
            Ok(Accepted::Local(r)) => {
                let target = Target::Local(&dom, &r.mailboxes);
                match greylist::check(svc, peer, d, &address, target).await {
                    Some(deferred) => Err(deferred),
                    None => Ok(Accepted::Local(r)),
                }
            }
            other => other,
        },
        None if relay_ok => Ok(Accepted::Remote),
        None if routed(svc, &domain).await => {
            match greylist::check(svc, peer, d, &address, Target::Routed).await {
                Some(deferred) => Err(deferred),
                None => Ok(Accepted::Remote),
            }
        }
        None => {
            tracing::info!(target: "smtp", "relay to {address} denied");
            Err(reply::RELAY_DENIED)
        }
    };
    match outcome {
        Ok(acc) => {
            let tx = d.tx.get_or_insert_with(Default::default);
            match acc {
                Accepted::Local(r) => {
                    tx.add_local(&r);
                    for a in r.remote {
                        tx.add_remote(a, params.clone());
                    }
                }
                Accepted::Remote => tx.add_remote(address.clone(), params),
            }
            tx.accepted.push(address);
            Answer::go_on(reply::RECIPIENT_OK)
        }
        Err(r)
            if r.code == reply::NO_SUCH_USER.code && r.enhanced == reply::NO_SUCH_USER.enhanced =>
        {
            bad_recipient(svc, d, r)
        }
        Err(r) => Answer::go_on(r),
    }
}

/// The address a forward-path names, or the refusal: `<postmaster>` resolves to a hosted
/// domain's postmaster, whatever the relay policy; relay-abuse forms are refused from clients
/// that may not relay.
async fn recipient_address(
    svc: &SmtpService,
    hostname: &str,
    to: &Path,
    relay_ok: bool,
) -> Result<String, Answer> {
    match to {
        Path::Postmaster => postmaster(svc, hostname).await.ok_or(Answer::go_on(
            reply::NO_SUCH_USER.with_text("No postmaster here"),
        )),
        Path::Mailbox(m) => match m.suspicious() {
            Some(form) if !relay_ok => {
                tracing::warn!(target: "smtp", "refused {form} recipient {m}");
                let text = format!("Relaying denied ({form} addresses are not accepted)");
                Err(Answer::go_on(reply::RELAY_DENIED.with_text(text)))
            }
            _ => Ok(m.to_string()),
        },
        Path::Null => Err(Answer::bad(reply::BAD_ADDRESS_SYNTAX)),
    }
}

enum Accepted {
    /// Local mailboxes (with their sub-address folders) and the remote addresses aliases
    /// expanded to.
    Local(Resolution),
    Remote,
}

/// ROUTE-1/ROUTE-2: a domain not hosted here whose mail this server still takes from anyone:
/// it is forwarded to a named server, or this server is its backup MX.
async fn routed(svc: &SmtpService, domain: &str) -> bool {
    let dns = svc.dns.as_ref().and_then(|d| match d.get() {
        Ok(d) => Some(d),
        Err(e) => {
            tracing::warn!(target: "smtp", "DNS unavailable: {e}");
            None
        }
    });
    crate::routed::accepts_for(&svc.settings, dns.as_deref(), domain).await
}

async fn relay_allowed(svc: &SmtpService, peer: &Peer, d: &Dialogue, sender_domain: &str) -> bool {
    let st = &svc.settings;
    let facts = RelayFacts {
        authenticated: d.auth.is_some(),
        auth_bypasses_relay: st.get(defs::SMTP_AUTH_BYPASSES_RELAY),
        whitelisted: peer.whitelisted,
        bypass_ip: peer.bypass_ip,
        sender_is_local: !sender_domain.is_empty()
            && matches!(svc.dir.is_local_domain(sender_domain).await, Ok(true)),
    };
    may_relay(RelayPolicy::parse(&st.get(defs::SMTP_RELAY)), facts)
}

/// A hosted recipient: resolve it, then apply the require-AUTH switch and quotas.
async fn local(
    svc: &SmtpService,
    peer: &Peer,
    d: &Dialogue,
    address: &str,
    require_auth: bool,
) -> Result<Accepted, Reply> {
    let enforce = svc.settings.get(defs::SMTP_ENFORCE_AUTH_LOCAL);
    if require_auth && enforce && d.auth.is_none() && !peer.bypass_ip {
        return Err(reply::AUTH_REQUIRED.with_text("This domain requires authentication"));
    }
    let r = svc.dir.resolve(address).await.map_err(|e| {
        tracing::error!(target: "smtp", "resolving {address} failed: {e}");
        reply::LOCAL_ERROR
    })?;
    if r.is_empty() {
        return Err(reply::NO_SUCH_USER.with_text(format!("{address}: no such user here")));
    }
    let declared = d.tx.as_ref().and_then(|t| t.params.size).unwrap_or(0);
    for u in &r.mailboxes {
        if over_quota(svc, u, declared).await {
            tracing::info!(target: "smtp", "{address}: mailbox over quota");
            return Err(reply::QUOTA_EXCEEDED.with_text(format!("{address}: mailbox full")));
        }
    }
    Ok(Accepted::Local(r))
}

/// DOM-4: the user's own quota and the domain's disk limit. The first time a domain is
/// found over its limit, its administrators are warned.
async fn over_quota(svc: &SmtpService, u: &User, incoming: u64) -> bool {
    if u.quota_bytes != 0 && u.used_bytes + incoming > u.quota_bytes {
        return true;
    }
    let store = svc.dir.store();
    let Ok(Some(d)) = svc.dir.domain_by_id(u.domain_id).await else {
        return false;
    };
    if d.limits.disk_mb == 0 {
        return false;
    }
    let used = store.domain_usage(d.id).await.unwrap_or(0);
    let over = used + incoming > d.limits.disk_mb * 1024 * 1024;
    if over {
        crate::notice::domain_over_limit(svc, &d, used).await;
    }
    over
}

/// `<postmaster>` (RFC 5321 §4.1.1.3): postmaster@ the server's own domain (`server.hostname`
/// or its parent) when that is hosted, else of the first hosted domain whose postmaster
/// resolves (a user, an alias, or the stand-in of `server.postmaster`). Only hosted, enabled
/// domains are tried, so `<postmaster>` never names a remote address and never relays.
async fn postmaster(svc: &SmtpService, hostname: &str) -> Option<String> {
    let dir = &svc.dir;
    let mut own = vec![hostname.to_owned()];
    if let Some((_, parent)) = hostname.split_once('.') {
        own.push(parent.to_owned());
    }
    let mut candidates = Vec::new();
    for d in own {
        if matches!(dir.is_local_domain(&d).await, Ok(true)) {
            candidates.push(d);
        }
    }
    let hosted = dir.list_domains().await.ok()?;
    candidates.extend(hosted.into_iter().filter(|d| !d.disabled).map(|d| d.name));
    for d in candidates {
        let a = format!("{}@{d}", heron_directory::POSTMASTER);
        if dir.resolve(&a).await.ok().is_some_and(|r| !r.is_empty()) {
            return Some(a);
        }
    }
    None
}

/// An unknown recipient; past `smtp_in.max_bad_recipients` the reply is 421 and the session
/// closes (harvesting defence).
fn bad_recipient(svc: &SmtpService, d: &mut Dialogue, r: Reply) -> Answer {
    d.bad_rcpts += 1;
    let max = svc.settings.get(defs::SMTP_MAX_BAD_RECIPIENTS);
    if max != 0 && d.bad_rcpts >= max {
        tracing::warn!(target: "smtp", "too many unknown recipients, closing");
        return Answer::close(
            reply::TOO_MANY_ERRORS.with_text("Too many unknown recipients, closing connection"),
        );
    }
    Answer::go_on(r)
}

fn internal(e: impl std::fmt::Display) -> Answer {
    tracing::error!(target: "smtp", "directory lookup failed: {e}");
    Answer::go_on(reply::LOCAL_ERROR)
}
