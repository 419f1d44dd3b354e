//! Folder auto-clean (OPS-6): the rules of `autoclean.rules`, of each domain and of each
//! user ([`heron_settings::autoclean`], which says which level wins for a folder) applied to
//! every user's folders every `autoclean.interval`, by one node at a time (the store hold
//! [`HOLD`]). A message removed is expunged as an IMAP EXPUNGE would (sessions with the
//! folder open are told), and each folder cleaned is logged on the `events` target with the
//! rule and its level.
//!
//! Invariants: the choice of messages is pure ([`chosen`]); an age rule removes only messages
//! whose arrival (internal date) is older than the limit; a size rule acts only past its
//! size and removes the oldest first, no more than needed to get down to its keep; a failure
//! on one user is logged and the run goes on with the next; rules of a domain or user that
//! no longer parse are logged and left out (the levels below apply).

use std::time::Duration;

use heron_settings::autoclean::{Level, Levels, Limit, Rule, parse_rules};
use heron_settings::defs;
use heron_store::{Folder, MessageMeta};
use tokio_util::sync::CancellationToken;

use crate::{Directory, DirectoryError};

/// The store hold that keeps two nodes from cleaning at once.
pub const HOLD: &str = "autoclean";
/// Most UIDs expunged by one store call.
const CHUNK: usize = 1000;

/// The UIDs of `messages` that `limit` removes at `now` (Unix seconds).
pub fn chosen(messages: &[MessageMeta], limit: Limit, now: i64) -> Vec<u32> {
    match limit {
        Limit::AgeDays(days) => {
            let before = now - i64::from(days) * 86_400;
            messages
                .iter()
                .filter(|m| m.internal_date < before)
                .map(|m| m.uid)
                .collect()
        }
        Limit::Off => Vec::new(),
        Limit::Size { over, keep } => {
            let mut total: u64 = messages.iter().map(|m| m.size).sum();
            if total <= over {
                return Vec::new();
            }
            let mut by_age: Vec<&MessageMeta> = messages.iter().collect();
            by_age.sort_by_key(|m| (m.internal_date, m.uid));
            let mut out = Vec::new();
            for m in by_age {
                if total <= keep {
                    break;
                }
                total = total.saturating_sub(m.size);
                out.push(m.uid);
            }
            out
        }
    }
}

impl Directory {
    /// Apply the auto-clean rules to every user once; how many messages went.
    pub async fn autoclean_once(&self, now: i64) -> Result<usize, DirectoryError> {
        let server = parse_rules(&self.settings.get(defs::AUTOCLEAN_RULES).join(", "))
            .map_err(DirectoryError::Invalid)?;
        let domains_may_override = self.settings.get(defs::AUTOCLEAN_DOMAIN_OVERRIDE);
        let user_inbox = self.settings.get(defs::AUTOCLEAN_USER_INBOX);
        let mut removed = 0;
        for d in self.store.list_domains().await? {
            let domain = own_rules(&d.name, &d.autoclean_rules);
            // Nothing can apply to this domain's users.
            if server.is_empty()
                && (!domains_may_override || (domain.is_empty() && !d.autoclean_user_override))
            {
                continue;
            }
            for u in self.store.list_users(d.id).await? {
                let who = format!("{}@{}", u.local, d.name);
                let user = own_rules(&who, &u.autoclean_rules);
                let levels = Levels {
                    server: &server,
                    domain: &domain,
                    user: &user,
                    domains_may_override,
                    users_may_override: d.autoclean_user_override,
                    user_inbox,
                };
                match self.clean_user(&who, u.id, &levels, now).await {
                    Ok(n) => removed += n,
                    Err(e) => tracing::warn!(target: "events", "auto-clean of {who} failed: {e}"),
                }
            }
        }
        Ok(removed)
    }

    async fn clean_user(
        &self,
        who: &str,
        user: heron_store::UserId,
        levels: &Levels<'_>,
        now: i64,
    ) -> Result<usize, DirectoryError> {
        if levels.server.is_empty() && levels.domain.is_empty() && levels.user.is_empty() {
            return Ok(0);
        }
        let mut removed = 0;
        for f in self.store.list_folders(user).await? {
            let Some((level, rules)) = levels.choose(&f.name, f.special_use.as_deref()) else {
                continue;
            };
            for rule in rules {
                removed += self.clean_folder(who, &f, rule, level, now).await?;
            }
        }
        Ok(removed)
    }

    async fn clean_folder(
        &self,
        who: &str,
        f: &Folder,
        rule: &Rule,
        level: Level,
        now: i64,
    ) -> Result<usize, DirectoryError> {
        let messages = self.store.list_messages(f.id).await?;
        let uids = chosen(&messages, rule.limit, now);
        if uids.is_empty() {
            return Ok(0);
        }
        let bytes: u64 = messages
            .iter()
            .filter(|m| uids.contains(&m.uid))
            .map(|m| m.size)
            .sum();
        let mut gone = 0;
        for chunk in uids.chunks(CHUNK) {
            gone += self.store.expunge(f.id, chunk).await?.len();
        }
        let what = match rule.limit {
            Limit::AgeDays(d) => format!("age={d}"),
            Limit::Size { over, keep } => {
                format!("size={} keep={}", over >> 20, keep >> 20)
            }
            Limit::Off => "off".to_owned(),
        };
        tracing::info!(target: "events",
            "auto-clean: removed {gone} messages ({bytes} bytes) from {who}'s {} (rule {} {what}) [{} level]",
            f.name, rule.folder, level.as_str());
        Ok(gone)
    }

    /// Run the auto-clean every `autoclean.interval` until `stop`, on whichever node holds
    /// [`HOLD`] at the time.
    pub fn start_autoclean(&self, stop: CancellationToken) -> tokio::task::JoinHandle<()> {
        let dir = self.clone();
        tokio::spawn(async move {
            let mut changed = dir.settings.watch();
            let mut last = std::time::Instant::now();
            loop {
                let every = dir
                    .settings
                    .get(defs::AUTOCLEAN_INTERVAL)
                    .max(Duration::from_secs(1));
                // A changed interval or rule set counts from the last run.
                let due = (last + every).saturating_duration_since(std::time::Instant::now());
                tokio::select! {
                    _ = stop.cancelled() => return,
                    r = changed.changed() => {
                        if r.is_err() {
                            return;
                        }
                        continue;
                    }
                    _ = tokio::time::sleep(due) => {}
                }
                last = std::time::Instant::now();
                let now = heron_store::rules::now();
                if !matches!(dir.store.hold_take(HOLD, now).await, Ok(true)) {
                    continue;
                }
                if let Err(e) = dir.autoclean_once(now).await {
                    tracing::warn!(target: "events", "auto-clean failed: {e}");
                }
                if let Err(e) = dir.store.hold_release(HOLD).await {
                    tracing::warn!("cannot give back the auto-clean hold: {e}");
                }
            }
        })
    }
}

/// The rules a domain or user (`whose`) keeps, or none when they no longer parse (logged).
fn own_rules(whose: &str, text: &str) -> Vec<Rule> {
    parse_rules(text).unwrap_or_else(|e| {
        tracing::warn!(target: "events", "auto-clean rules of {whose} left out: {e}");
        Vec::new()
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn m(uid: u32, date: i64, size: u64) -> MessageMeta {
        MessageMeta {
            folder_id: 1,
            uid,
            modseq: 1,
            flags: Vec::new(),
            internal_date: date,
            size,
            blob: String::new(),
        }
    }

    #[test]
    fn age_and_size_rules_choose_the_old_ones() {
        let day = 86_400;
        let now = 100 * day;
        let ms = [
            m(1, 10 * day, 5),
            m(2, 69 * day, 5),
            m(3, 71 * day, 5),
            m(4, 99 * day, 5),
        ];
        assert_eq!(chosen(&ms, Limit::AgeDays(30), now), [1, 2]);
        assert!(chosen(&ms, Limit::AgeDays(365), now).is_empty());
        // 20 bytes: under 20 nothing goes; over 15, the oldest go down to 10.
        assert!(chosen(&ms, Limit::Size { over: 20, keep: 10 }, now).is_empty());
        assert_eq!(chosen(&ms, Limit::Size { over: 15, keep: 10 }, now), [1, 2]);
        assert_eq!(
            chosen(&ms, Limit::Size { over: 1, keep: 0 }, now),
            [1, 2, 3, 4]
        );
    }
}
