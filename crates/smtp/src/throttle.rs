//! Sending throttles (DOM-7): per user and per domain, messages and MB sent per hour, and
//! bounces (null-sender mail) received per hour. Counts live in the store
//! ([`ThrottleStore`]) so every node shares them, keyed by the start of the current window
//! (`throttle.window_seconds`, an hour). A sender is checked at MAIL FROM (before it sends
//! the message) and again after DATA or BDAT (counts added meanwhile by other sessions);
//! bounces after DATA or BDAT, where the local recipients are known.
//!
//! Invariants: a limit of 0 is unlimited; a count that has reached its limit defers further
//! mail with 451 4.7.0 naming the limit and when the window ends (the message that crosses
//! the limit is still accepted); only messages that passed the checks are counted (just
//! before they are written); each throttle is logged once per window and key (the "User Throttled" and "Domain Throttled" events of
//! DOM-8); a store failure lets mail through (a throttle is a brake, not a gate). A sender
//! refused by a sending limit, or whose count went past one, is marked for the window
//! ([`HELD`]): the queue then holds its queued mail until the window ends.

use std::borrow::Cow;

use heron_proto_smtp::reply::{self, Reply};
use heron_settings::defs;
use heron_store::rules::throttle::{HELD, held_domain, held_user, window_start};
use heron_store::{Domain, User, UserThrottle};

use crate::SmtpService;

/// Bytes in a MB.
const MB: u64 = 1024 * 1024;

/// What a limit counts.
#[derive(Clone, Copy)]
enum Kind {
    Messages,
    Bytes,
    Bounces,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Messages => "messages",
            Kind::Bytes => "bytes",
            Kind::Bounces => "bounces",
        }
    }

    fn what(self) -> &'static str {
        match self {
            Kind::Messages => "messages sent per hour",
            Kind::Bytes => "MB sent per hour",
            Kind::Bounces => "bounces received per hour",
        }
    }
}

/// Whose count: a user (by id) or a domain (by name).
struct Who<'a> {
    scope: &'static str,
    key: String,
    label: Cow<'a, str>,
}

/// One count to check or add to.
struct Counter<'a> {
    who: Who<'a>,
    kind: Kind,
    /// The limit in the counted unit (bytes for MB); 0 = unlimited.
    limit: u64,
    /// The limit as configured (MB for bytes), for the reply.
    shown: u64,
}

impl Counter<'_> {
    fn scope(&self) -> String {
        format!("{}_{}", self.who.scope, self.kind.name())
    }

    /// The sender's key among the [`HELD`] marks (bounce limits hold nothing: they are about
    /// mail received).
    fn held_key(&self) -> Option<String> {
        match (self.kind, self.who.scope) {
            (Kind::Bounces, _) => None,
            (_, "user") => self.who.key.parse().ok().map(held_user),
            _ => Some(held_domain(&self.who.key)),
        }
    }
}

/// Mark `c`'s sender as over a limit in the window starting at `start`.
async fn mark_held(svc: &SmtpService, c: &Counter<'_>, start: i64) {
    let Some(key) = c.held_key() else {
        return;
    };
    if let Err(e) = svc.dir.store().throttle_add(HELD, &key, start, 1).await {
        tracing::warn!(target: "smtp", "throttle mark not kept: {e}");
    }
}

/// The current window's start and length, or `None` when throttling is off.
fn window(svc: &SmtpService) -> Option<(i64, i64)> {
    if !svc.settings.get(defs::THROTTLE_ENABLED) {
        return None;
    }
    let len = (svc.settings.get(defs::THROTTLE_WINDOW_SECONDS).as_secs() as i64).max(1);
    Some((window_start(heron_store::rules::now(), len), len))
}

fn user_who<'a>(u: &User, label: Cow<'a, str>) -> Who<'a> {
    Who {
        scope: "user",
        key: u.id.to_string(),
        label,
    }
}

fn domain_who(d: &Domain) -> Who<'_> {
    Who {
        scope: "domain",
        key: d.name.clone(),
        label: Cow::Borrowed(&d.name),
    }
}

/// The counters of a submission by `user` of `domain` (as `address`).
fn sending<'a>(
    svc: &SmtpService,
    user: &User,
    own: &UserThrottle,
    address: &'a str,
    d: &'a Domain,
) -> Vec<Counter<'a>> {
    let st = &svc.settings;
    let l = &d.limits;
    let dm = l
        .messages_per_hour
        .unwrap_or_else(|| st.get(defs::THROTTLE_MESSAGES_PER_HOUR));
    let db = l
        .mb_per_hour
        .unwrap_or_else(|| st.get(defs::THROTTLE_MB_PER_HOUR));
    let um = own
        .messages_per_hour
        .unwrap_or_else(|| st.get(defs::THROTTLE_USER_MESSAGES_PER_HOUR));
    let ub = own
        .mb_per_hour
        .unwrap_or_else(|| st.get(defs::THROTTLE_USER_MB_PER_HOUR));
    vec![
        counter(user_who(user, Cow::Borrowed(address)), Kind::Messages, um),
        counter(user_who(user, Cow::Borrowed(address)), Kind::Bytes, ub),
        counter(domain_who(d), Kind::Messages, dm),
        counter(domain_who(d), Kind::Bytes, db),
    ]
}

fn counter(who: Who<'_>, kind: Kind, shown: u64) -> Counter<'_> {
    let limit = match kind {
        Kind::Bytes => shown.saturating_mul(MB),
        _ => shown,
    };
    Counter {
        who,
        kind,
        limit,
        shown,
    }
}

/// `Some(451 4.7.0)` when `user` of `domain` may not send another message now.
pub async fn check_sending(
    svc: &SmtpService,
    user: &User,
    address: &str,
    domain: &Domain,
) -> Option<Reply> {
    let (start, len) = window(svc)?;
    let own = own_values(svc, user).await;
    check(svc, &sending(svc, user, &own, address, domain), start, len).await
}

/// Count a message of `size` bytes sent by `user` of `domain`.
pub async fn count_sending(
    svc: &SmtpService,
    user: &User,
    address: &str,
    domain: &Domain,
    size: u64,
) {
    let Some((start, _)) = window(svc) else {
        return;
    };
    let own = own_values(svc, user).await;
    add(
        svc,
        &sending(svc, user, &own, address, domain),
        start,
        |k| match k {
            Kind::Bytes => size,
            _ => 1,
        },
    )
    .await;
}

/// A user's own throttle values (none when unreadable: the settings apply).
async fn own_values(svc: &SmtpService, user: &User) -> UserThrottle {
    svc.dir
        .store()
        .user_throttle(user.id)
        .await
        .unwrap_or_default()
}

/// A local recipient of a bounce: the mailbox, its domain and its own throttle values.
pub type Rcpt = (User, Domain, UserThrottle);

/// The bounce counters of the local recipients `rcpts`.
fn bounces<'a>(svc: &SmtpService, rcpts: &'a [Rcpt]) -> Vec<Counter<'a>> {
    let mut out: Vec<Counter<'a>> = Vec::new();
    for (u, d, own) in rcpts {
        let ub = own
            .bounces_per_hour
            .unwrap_or_else(|| svc.settings.get(defs::THROTTLE_USER_BOUNCES_PER_HOUR));
        if !out
            .iter()
            .any(|c| c.who.scope == "domain" && c.who.key == d.name)
        {
            let db = d
                .limits
                .bounces_per_hour
                .unwrap_or_else(|| svc.settings.get(defs::THROTTLE_BOUNCES_PER_HOUR));
            out.push(counter(domain_who(d), Kind::Bounces, db));
        }
        out.push(counter(
            user_who(u, Cow::Owned(format!("{}@{}", u.local, d.name))),
            Kind::Bounces,
            ub,
        ));
    }
    out
}

/// Local recipients with their domains (a domain read once per domain) and own throttle
/// values.
pub async fn with_domains(svc: &SmtpService, users: &[User]) -> Vec<Rcpt> {
    if window(svc).is_none() {
        return Vec::new();
    }
    let mut out: Vec<Rcpt> = Vec::new();
    for u in users {
        let known = out
            .iter()
            .find(|(_, d, _)| d.id == u.domain_id)
            .map(|(_, d, _)| d.clone());
        let d = match known {
            Some(d) => d,
            None => match svc.dir.domain_by_id(u.domain_id).await {
                Ok(Some(d)) => d,
                _ => continue,
            },
        };
        out.push((u.clone(), d, own_values(svc, u).await));
    }
    out
}

/// `Some(451 4.7.0)` when a bounce to the local recipients `rcpts` is over a bounce limit.
pub async fn check_bounce(svc: &SmtpService, rcpts: &[Rcpt]) -> Option<Reply> {
    let (start, len) = window(svc)?;
    check(svc, &bounces(svc, rcpts), start, len).await
}

/// Count a bounce received by the local recipients `rcpts`.
pub async fn count_bounce(svc: &SmtpService, rcpts: &[Rcpt]) {
    let Some((start, _)) = window(svc) else {
        return;
    };
    add(svc, &bounces(svc, rcpts), start, |_| 1).await;
}

/// The first counter at its limit, as a reply; logs the throttle once per window and key.
async fn check(svc: &SmtpService, counters: &[Counter<'_>], start: i64, len: i64) -> Option<Reply> {
    let store = svc.dir.store();
    for c in counters.iter().filter(|c| c.limit != 0) {
        let n = match store.throttle_count(&c.scope(), &c.who.key, start).await {
            Ok(n) => n,
            Err(e) => {
                tracing::warn!(target: "smtp", "throttle count unreadable: {e}");
                return None;
            }
        };
        if n < c.limit {
            continue;
        }
        let left = (start + len - heron_store::rules::now()).max(1);
        let whose = if c.who.scope == "user" {
            "user"
        } else {
            "domain"
        };
        let text = format!(
            "{whose} {} reached its limit of {} {}; try again in {left} s",
            c.who.label,
            c.shown,
            c.kind.what()
        );
        let first = store
            .throttle_add(&format!("throttled_{}", c.scope()), &c.who.key, start, 1)
            .await
            .map_or(true, |n| n == 1);
        if first {
            let event = if whose == "user" {
                "User Throttled"
            } else {
                "Domain Throttled"
            };
            tracing::warn!(target: "events", "{event}: {text}");
        }
        tracing::info!(target: "smtp", "throttled: {text}");
        mark_held(svc, c, start).await;
        return Some(reply::THROTTLED.with_text(format!("Sending limit reached: {text}")));
    }
    None
}

/// Add to every limited counter.
async fn add(
    svc: &SmtpService,
    counters: &[Counter<'_>],
    start: i64,
    amount: impl Fn(Kind) -> u64,
) {
    let store = svc.dir.store();
    for c in counters.iter().filter(|c| c.limit != 0) {
        match store
            .throttle_add(&c.scope(), &c.who.key, start, amount(c.kind))
            .await
        {
            Ok(n) if n > c.limit => mark_held(svc, c, start).await,
            Ok(_) => {}
            Err(e) => tracing::warn!(target: "smtp", "throttle count not kept: {e}"),
        }
    }
}
