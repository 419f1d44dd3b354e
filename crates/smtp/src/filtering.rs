//! Spam and virus filtering of a received message (FILTER-1..6, DOM-3, SEC-10): runs the
//! server's [`Filter`] once and gets, for each group of recipients that share a spam policy
//! (their domain's and their own levels, actions and texts, `heron_filter::policy`), its
//! decision (`heron_filter::action`), which the hand-off carries out — refuse at DATA, or
//! accept and add the report headers, tag the subject, file local copies in Junk, drop them,
//! or tell the sender.
//!
//! Invariants: no filtering for unauthenticated clients in `filter.skip_networks`,
//! whitelisted clients or an authenticated user's mail within their domain when the settings
//! say so, nor for the local recipients of a domain whose filtering switch is off (DOM-3);
//! a message is refused at DATA only when every recipient is filtered — otherwise the
//! filtered recipients' copies are dropped; mail from authenticated users gets only the
//! content checks (FILTER-4's outgoing threshold applies) under the server's policy; remote
//! recipients of incoming mail get the server's policy; waiting for a check slot and the
//! checks together take at most two check deadlines.

use std::time::Duration;

use heron_filter::action::{Decision, Judged, Refusal, decide};
use heron_filter::verdict::Verdict;
use heron_filter::{Envelope, Filter, Policy};
use heron_proto_smtp::reply::{self, Reply};
use heron_settings::defs;

use crate::envelope::Transaction;
use crate::session::Session;

/// What the hand-off does with a judged message.
#[derive(Debug)]
pub enum Plan {
    /// Refuse it at DATA.
    Refuse(Refusal),
    /// Accept it; each part says what happens to some recipients' copy.
    Deliver(Vec<Part>),
}

/// One group of recipients whose copies are treated alike.
#[derive(Debug)]
pub struct Part {
    pub judged: Judged,
    /// Indexes in the transaction's local mailboxes.
    pub local: Vec<usize>,
    /// The remote recipients belong to this part (one part at most has them).
    pub remote: bool,
    /// The recipients' addresses, for a notice to the sender.
    pub addresses: Vec<String>,
}

impl Part {
    /// Every recipient of `tx`, treated as `judged` says.
    pub fn everyone(tx: &Transaction, judged: Judged) -> Self {
        Self {
            judged,
            local: (0..tx.local.len()).collect(),
            remote: true,
            addresses: tx.accepted.clone(),
        }
    }
}

/// Judge `body` (the message as received) of transaction `tx`; `None` when filtering does not
/// apply to it (off, a client in `filter.skip_networks`, whitelisted, mail within one domain,
/// no recipient whose domain filters).
pub async fn judge(
    s: &Session<'_>,
    filter: &Filter,
    tx: &Transaction,
    body: &[u8],
) -> Option<Plan> {
    let settings = filter.settings();
    if !settings.get(defs::FILTER_ENABLED)
        || (s.peer.whitelisted && settings.get(defs::FILTER_SKIP_WHITELISTED))
        || (s.dlg.auth.is_none()
            && heron_filter::gateway::in_networks(
                s.peer.ip,
                &settings.get(defs::FILTER_SKIP_NETWORKS),
            ))
        || (settings.get(defs::FILTER_SKIP_SAME_DOMAIN) && within_one_domain(s, tx).await)
    {
        return None;
    }
    let outgoing = s.dlg.auth.is_some();
    let groups = match outgoing {
        true => vec![(
            Policy::server(settings),
            Part::everyone(tx, Judged::deliver(String::new())),
        )],
        false => recipient_groups(s, tx).await,
    };
    if !groups.iter().any(|(p, _)| p.enabled) {
        return None;
    }
    let seal = match outgoing || tx.remote.is_empty() {
        true => None,
        false => forwarding_key(s, tx).await,
    };
    let env = Envelope {
        ip: s.peer.ip,
        helo: s.dlg.helo.as_deref().unwrap_or(""),
        sender: &tx.sender,
        hostname: &s.peer.hostname,
        outgoing,
        seal,
    };
    // Waiting for a slot and the checks together stay within two check deadlines.
    let limit = settings
        .get(defs::FILTER_CHECK_TIMEOUT)
        .max(Duration::from_secs(1))
        .saturating_mul(2);
    let verdict = match tokio::time::timeout(limit, filter.evaluate(&env, body)).await {
        Ok(v) => v,
        Err(_) => {
            let mut v = Verdict::default();
            v.unanswered("filter", "busy");
            v
        }
    };
    crate::dmarc_record::collect(s, tx, &verdict);
    let level = verdict.level(settings);
    tracing::info!(target: "smtp", "<{}>: {}", tx.sender, verdict.summary(level));
    heron_metrics::metrics().filter_verdict(match (&verdict.virus, level.name()) {
        (Some(_), _) => "virus",
        (None, "none") => "clean",
        (None, name) => name,
    });
    count_verdict(s, tx, &verdict, level.name());
    let unfiltered = groups.iter().any(|(p, _)| !p.enabled);
    let mut parts = Vec::with_capacity(groups.len());
    for (policy, mut part) in groups {
        if policy.enabled {
            part.judged = match decide(&verdict, &policy, settings, outgoing) {
                Decision::Refuse(why) if !unfiltered => return Some(Plan::Refuse(why)),
                // The other recipients' domains do not filter: they get the message, these
                // recipients do not.
                Decision::Refuse(why) => {
                    tracing::info!(target: "smtp",
                        "<{}>: dropped for {} filtered recipients ({why:?})",
                        tx.sender, part.addresses.len());
                    Judged::dropped(None)
                }
                Decision::Accept(j) => j,
            };
        }
        parts.push(part);
    }
    Some(Plan::Deliver(parts))
}

/// The recipients of incoming mail grouped by spam policy: each local mailbox by its domain's
/// and its own overrides, the remote recipients under the server's. One group with every
/// recipient (and the addresses as given) when they all share one.
async fn recipient_groups(s: &Session<'_>, tx: &Transaction) -> Vec<(Policy, Part)> {
    let settings = s.svc.settings.as_ref();
    let server = Policy::server(settings);
    let mut groups: Vec<(Policy, Part)> = Vec::new();
    let mut join = |policy: Policy, local: Option<usize>, address: String| {
        let i = match groups.iter().position(|(p, _)| *p == policy) {
            Some(i) => i,
            None => {
                let part = Part {
                    judged: Judged::deliver(String::new()),
                    local: Vec::new(),
                    remote: false,
                    addresses: Vec::new(),
                };
                groups.push((policy, part));
                groups.len() - 1
            }
        };
        let part = &mut groups[i].1;
        match local {
            Some(l) => part.local.push(l),
            None => part.remote = true,
        }
        part.addresses.push(address);
    };
    // Recipients mostly share a domain: each is read once.
    let mut domains: Vec<heron_store::Domain> = Vec::new();
    for (i, u) in tx.local.iter().enumerate() {
        let known = domains.iter().find(|d| d.id == u.domain_id).cloned();
        let found = match known {
            Some(d) => Ok(Some(d)),
            None => s.svc.dir.domain_by_id(u.domain_id).await,
        };
        match found {
            Ok(Some(d)) => {
                if !domains.iter().any(|k| k.id == d.id) {
                    domains.push(d.clone());
                }
                let policy = Policy::of(settings, &d.filter, &u.filter);
                join(policy, Some(i), format!("{}@{}", u.local, d.name));
            }
            // Removed meanwhile, or unreadable now: the server's policy.
            other => {
                if let Err(e) = other {
                    tracing::warn!(target: "smtp", "domain of {}: {e}", u.local);
                }
                join(server.clone(), Some(i), u.local.clone());
            }
        }
    }
    for r in &tx.remote {
        join(server.clone(), None, r.address.clone());
    }
    if let [(_, part)] = groups.as_mut_slice() {
        part.addresses = tx.accepted.clone();
    }
    groups
}

/// The SMTP reply refusing a message.
pub fn refusal_reply(why: &Refusal) -> Reply {
    match why {
        Refusal::Spam => reply::SPAM_REFUSED,
        Refusal::OutgoingSpam => reply::SPAM_REFUSED.with_text("Message blocked as spam"),
        Refusal::Dmarc => reply::DMARC_REFUSED,
        Refusal::Virus(name) => {
            reply::VIRUS_REFUSED.with_text(format!("Message refused: it contains {name}"))
        }
    }
}

/// The DKIM key of the hosted domain a forwarded message was addressed to (the first
/// accepted recipient whose domain has one), to seal the message with ARC as it is passed on.
async fn forwarding_key(
    s: &Session<'_>,
    tx: &Transaction,
) -> Option<std::sync::Arc<heron_mailauth::dkim::Signer>> {
    let store = s.svc.dir.store();
    for address in &tx.accepted {
        let Some((_, domain)) = address.rsplit_once('@') else {
            continue;
        };
        let domain = domain.to_ascii_lowercase();
        match s.svc.signers.signer(store.as_ref(), &domain).await {
            Ok(Some(signer)) => return Some(signer),
            Ok(None) => {}
            Err(e) => tracing::warn!(target: "smtp", "DKIM key of {domain}: {e}"),
        }
    }
    None
}

/// Whether an authenticated sender and every recipient are in one hosted domain (FILTER-5).
/// Mail from another server that only claims a hosted sender is filtered: that claim is what
/// forgers make.
async fn within_one_domain(s: &Session<'_>, tx: &Transaction) -> bool {
    if s.dlg.auth.is_none() || !tx.remote.is_empty() || tx.local.is_empty() {
        return false;
    }
    let Some((_, domain)) = tx.sender.rsplit_once('@') else {
        return false;
    };
    match s.svc.dir.find_domain(domain).await {
        Ok(Some(d)) => tx.local.iter().all(|u| u.domain_id == d.id),
        _ => false,
    }
}

/// `body` with `tag` and a space in front of its Subject (a Subject field is added when it has
/// none). Only the header block is rewritten.
pub fn tag_subject(body: &[u8], tag: &str) -> Vec<u8> {
    let tag = heron_filter::verdict::clean(tag);
    if let Some(f) = heron_message::fields(body).find(|f| f.is("Subject")) {
        let value_start = f.range.end - f.value.len() - line_end_len(body, f.range.end);
        let mut out = Vec::with_capacity(body.len() + tag.len() + 1);
        out.extend_from_slice(&body[..value_start]);
        out.push(b' ');
        out.extend_from_slice(tag.as_bytes());
        let rest = &body[value_start..];
        // The old value keeps its own leading space, if any.
        if !rest.starts_with(b" ") {
            out.push(b' ');
        }
        out.extend_from_slice(rest);
        return out;
    }
    let mut out = format!("Subject: {tag}\r\n").into_bytes();
    out.extend_from_slice(body);
    out
}

/// Length of the line ending just before `end` (2 for CRLF, 1 for LF, 0 at end of input).
fn line_end_len(body: &[u8], end: usize) -> usize {
    if end >= 2 && &body[end - 2..end] == b"\r\n" {
        2
    } else if end >= 1 && body[end - 1] == b'\n' {
        1
    } else {
        0
    }
}

/// OPS-3: a virus or a spam level (any but `none`) counted once at the server and once at
/// each local recipient (incoming) or at the authenticated sender (outgoing).
fn count_verdict(s: &Session<'_>, tx: &Transaction, verdict: &Verdict, level: &str) {
    use heron_store::stats::{Event, recorder};
    let e = match (&verdict.virus, level) {
        (Some(_), _) => Event::Virus,
        (None, "none") => return,
        (None, _) => Event::Spam,
    };
    let stats = recorder();
    stats.server(e);
    match &s.dlg.auth {
        Some(a) => stats.mailbox(a.domain.id, a.user.id, e),
        None => tx
            .local
            .iter()
            .for_each(|u| stats.mailbox(u.domain_id, u.id, e)),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_subject_gets_the_tag_in_front() {
        let m = b"From: a@b\r\nSubject: Hello there\r\nTo: c@d\r\n\r\nSubject: body\r\n";
        assert_eq!(
            tag_subject(m, "[SPAM]"),
            b"From: a@b\r\nSubject: [SPAM] Hello there\r\nTo: c@d\r\n\r\nSubject: body\r\n"
        );
        let folded = b"Subject:\r\n folded\r\n\r\nx";
        assert_eq!(
            tag_subject(folded, "[SPAM]"),
            b"Subject: [SPAM] \r\n folded\r\n\r\nx"
        );
        assert_eq!(
            tag_subject(b"From: a@b\r\n\r\nx", "[SPAM]"),
            b"Subject: [SPAM]\r\nFrom: a@b\r\n\r\nx"
        );
    }
}
