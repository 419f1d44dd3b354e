//! Message archiving (OPS-5) of accepted mail: which copies go to the archive
//! ([`heron_store::archive`]), decided before delivery and written once it succeeded.
//!
//! Rules: a domain's own rule, else `archive.rule`. Outgoing: a message submitted by an
//! authenticated user of a domain whose rule covers outgoing mail is archived once for that
//! domain, with every accepted recipient, as it leaves (the spool's copy, else the first
//! local copy). Incoming: each other domain with local recipients whose rule covers incoming
//! mail gets one copy (the first local copy it received, Return-Path included) listing its
//! local recipients; a domain whose outgoing copy was kept gets no incoming one.
//!
//! Cost: with `archive.rule` at none, one settings read plus one (cached where the store is
//! remote) domain read per domain with local recipients, for the domains' own rules (RCPT
//! already reads each recipient's domain once for its disk limit); the
//! bytes are shared with the copies being delivered, not copied. A failed archive write is
//! logged and counted, and does not turn the delivered message into a failure (a retry
//! would deliver it twice).

use heron_settings::defs;
use heron_store::archive::{ArchiveRule, Direction, NewArchived};
use heron_store::{DomainId, MessageBytes};

use crate::envelope::Transaction;
use crate::filtering::Part;
use crate::session::Session;

/// Copies to archive once the message is delivered.
#[derive(Default)]
pub(crate) struct Pending(Vec<(MessageBytes, NewArchived)>);

/// What to archive of a message about to be delivered: `remote` is the spool's copy, `copies`
/// the local ones with the parts they go to.
pub(crate) async fn plan(
    s: &Session<'_>,
    tx: &Transaction,
    remote: Option<&MessageBytes>,
    copies: &[(MessageBytes, &Part)],
) -> Pending {
    let global = ArchiveRule::parse(&s.svc.settings.get(defs::ARCHIVE_RULE)).unwrap_or_default();
    let now = chrono::Utc::now().timestamp();
    let mut out = Vec::new();
    let mut outgoing_domain: Option<DomainId> = None;
    if let Some(a) = &s.dlg.auth
        && a.domain
            .archive_rule
            .unwrap_or(global)
            .covers(Direction::Outgoing)
        && let Some(bytes) = remote.or(copies.first().map(|c| &c.0))
    {
        outgoing_domain = Some(a.domain.id);
        out.push((
            bytes.clone(),
            NewArchived {
                domain: a.domain.name.clone(),
                direction: Direction::Outgoing,
                sender: tx.sender.clone(),
                recipients: tx.accepted.clone(),
                archived_at: now,
            },
        ));
    }
    let mut domains: Vec<Seen> = Vec::new();
    for (bytes, part) in copies {
        for u in part.local.iter().filter_map(|&i| tx.local.get(i)) {
            if Some(u.domain_id) == outgoing_domain {
                continue;
            }
            let at = match domains.iter().position(|d| d.id == u.domain_id) {
                Some(at) => at,
                None => {
                    domains.push(Seen::look_up(s, u.domain_id, global).await);
                    domains.len() - 1
                }
            };
            let seen = &mut domains[at];
            let Some((name, rule)) = &seen.found else {
                continue;
            };
            if !rule.covers(Direction::Incoming) {
                continue;
            }
            let address = format!("{}@{}", u.local, name);
            match seen.entry {
                Some(i) => out[i].1.recipients.push(address),
                None => {
                    seen.entry = Some(out.len());
                    out.push((
                        bytes.clone(),
                        NewArchived {
                            domain: name.clone(),
                            direction: Direction::Incoming,
                            sender: tx.sender.clone(),
                            recipients: vec![address],
                            archived_at: now,
                        },
                    ));
                }
            }
        }
    }
    Pending(out)
}

/// A domain with local recipients: its name and rule (looked up once per message), and the
/// index of its incoming copy among the planned ones once it has one.
struct Seen {
    id: DomainId,
    found: Option<(String, ArchiveRule)>,
    entry: Option<usize>,
}

impl Seen {
    async fn look_up(s: &Session<'_>, id: DomainId, global: ArchiveRule) -> Self {
        let found = match s.svc.dir.domain_by_id(id).await {
            Ok(d) => d.map(|d| (d.name, d.archive_rule.unwrap_or(global))),
            Err(e) => {
                tracing::error!(target: "smtp", "archive rule of domain #{id}: {e}");
                None
            }
        };
        Self {
            id,
            found,
            entry: None,
        }
    }
}

/// Write the planned copies (after the message was delivered).
pub(crate) async fn write(s: &Session<'_>, pending: Pending) {
    for (bytes, e) in pending.0 {
        let (domain, direction) = (e.domain.clone(), e.direction);
        match s.svc.dir.store().archive_add(bytes, e).await {
            Ok(a) => tracing::debug!(
                target: "smtp",
                "archived #{} ({} for {domain})",
                a.id,
                direction.as_str()
            ),
            Err(e) => tracing::error!(
                target: "smtp",
                "archiving a {} message for {domain} failed: {e}",
                direction.as_str()
            ),
        }
    }
}
