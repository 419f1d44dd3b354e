//! Greylisting at RCPT TO (SEC-3, DOM-2): mail from other servers for an unknown triplet of
//! client network, envelope sender and recipient is deferred with 451 4.7.1 until retried
//! after the block period; the triplet's state is in the store ([`GreylistStore`]), so every
//! node of a cluster agrees. Also records the remote addresses authenticated users write to
//! (their correspondents, exempt towards that user).
//!
//! Invariants: never greylisted are authenticated clients, whitelisted clients (SEC-1), the
//! SMTP AUTH bypass list (SEC-6), clients and SPF-passing sender domains of
//! `greylist.bypass`, recipients in a domain with greylisting off, recipients with a mailbox
//! that turned it off (when `greylist.user_override` allows) or that wrote to the sender;
//! a store failure lets the mail through (greylisting is a filter, not a gate); every
//! deferral is logged with its triplet and rule.

use heron_proto_smtp::reply::{self, Reply};
use heron_settings::defs;
use heron_store::rules::greylist::triplet_key;
use heron_store::{Domain, GreylistTimes, User};

use crate::SmtpService;
use crate::parts::{Dialogue, Peer};

/// Seconds in a day.
const DAY: i64 = 86_400;

/// The recipient being checked.
pub enum Target<'a> {
    /// A hosted address: its domain and the mailboxes it resolved to.
    Local(&'a Domain, &'a [User]),
    /// A forwarded or backed-up domain (ROUTE-1/2).
    Routed,
}

/// `Some(451 4.7.1)` when the recipient `rcpt` of the transaction in progress is greylisted.
pub async fn check(
    svc: &SmtpService,
    peer: &Peer,
    d: &Dialogue,
    rcpt: &str,
    target: Target<'_>,
) -> Option<Reply> {
    let st = &svc.settings;
    if !st.get(defs::GREYLIST_ENABLED) || d.auth.is_some() || peer.whitelisted || peer.bypass_ip {
        return None;
    }
    let sender = d.tx.as_ref().map(|t| t.sender.to_ascii_lowercase())?;
    let bypass = st.get(defs::GREYLIST_BYPASS);
    if heron_filter::gateway::in_networks(peer.ip, &bypass) {
        return None;
    }
    let now = heron_store::rules::now();
    match target {
        Target::Routed if !st.get(defs::GREYLIST_FORWARDED_DOMAINS) => return None,
        Target::Routed => {}
        Target::Local(dom, _) if !dom.greylisting => return None,
        Target::Local(_, users) => {
            if st.get(defs::GREYLIST_USER_OVERRIDE) && users.iter().any(|u| !u.greylisting) {
                return None;
            }
            if wrote_to(svc, users, &sender, now).await {
                return None;
            }
        }
    }
    if bypassed_domain(svc, peer, d, &sender, &bypass).await {
        return None;
    }
    let key = triplet_key(peer.ip, &sender, rcpt);
    let times = GreylistTimes {
        block: st.get(defs::GREYLIST_BLOCK_SECONDS).as_secs() as i64,
        pass: st.get(defs::GREYLIST_PASS_SECONDS).as_secs() as i64,
        keep: st.get(defs::GREYLIST_KEEP_DAYS) as i64 * DAY,
    };
    let times = GreylistTimes {
        pass: times.pass.max(times.block),
        ..times
    };
    match svc.dir.store().greylist_check(&key, now, times).await {
        Ok(v) if v.passes() => {
            tracing::debug!(target: "smtp", "greylist passed {key} ({})", v.as_str());
            None
        }
        Ok(v) => {
            tracing::info!(target: "smtp", "greylisted {key} ({})", v.as_str());
            Some(reply::GREYLISTED)
        }
        Err(e) => {
            tracing::error!(target: "smtp", "greylist check of {key} failed, passing: {e}");
            None
        }
    }
}

/// Whether one of `users` wrote to `sender` (and the record has not expired).
async fn wrote_to(svc: &SmtpService, users: &[User], sender: &str, now: i64) -> bool {
    if sender.is_empty() {
        return false;
    }
    let store = svc.dir.store();
    for u in users {
        match store.correspondent_known(u.id, sender, now).await {
            Ok(true) => return true,
            Ok(false) => {}
            Err(e) => tracing::error!(target: "smtp", "correspondent lookup failed: {e}"),
        }
    }
    false
}

/// Whether the sender's domain is in `greylist.bypass` and the sender passes SPF for the
/// client (without DNS, a domain entry exempts nothing).
async fn bypassed_domain(
    svc: &SmtpService,
    peer: &Peer,
    d: &Dialogue,
    sender: &str,
    bypass: &[String],
) -> bool {
    let Some((_, domain)) = sender.rsplit_once('@') else {
        return false;
    };
    if !bypass.iter().any(|b| b.trim().eq_ignore_ascii_case(domain)) {
        return false;
    }
    let Some(dns) = svc.dns.as_ref().and_then(|d| d.get().ok()) else {
        return false;
    };
    let helo = d.helo.as_deref().unwrap_or("");
    heron_mailauth::inbound::spf_passes(&dns, peer.ip, helo, &peer.hostname, sender).await
}

/// Remember the remote recipients of an authenticated user's accepted message as the user's
/// correspondents (kept `greylist.keep_days`), so their replies are not greylisted.
pub async fn note_correspondents(
    svc: &SmtpService,
    user: &User,
    recipients: impl Iterator<Item = &str>,
) {
    let st = &svc.settings;
    if !st.get(defs::GREYLIST_ENABLED) {
        return;
    }
    let now = heron_store::rules::now();
    let expires = now + st.get(defs::GREYLIST_KEEP_DAYS) as i64 * DAY;
    for r in recipients {
        let r = r.to_ascii_lowercase();
        if let Err(e) = svc
            .dir
            .store()
            .correspondent_note(user.id, &r, now, expires)
            .await
        {
            tracing::error!(target: "smtp", "recording correspondent {r} failed: {e}");
        }
    }
}
