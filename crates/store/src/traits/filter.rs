//! State of the defences against spam and abuse: the Bayesian classifier's counts,
//! greylisting, sending throttles and failure limits with their blocks.
//!
//! Invariant: this state is shared by every node of a cluster, and each check-and-update is
//! one transaction, so nodes agree.

use async_trait::async_trait;

use crate::error::Result;
use crate::model::{
    BayesCount, BayesLearned, BayesTotals, GreylistTimes, GreylistVerdict, UserId, UserThrottle,
};
use crate::rules::limits::{LimitBlock, Rule};

/// The learned token counts of the Bayesian spam classifier (FILTER-2), one database per
/// server. A token is a 64-bit hash; each keeps how many learned spam and ham messages had it
/// and when it was last learned. Learned messages are kept by key (the caller's stable name
/// for the message, e.g. its blob id) with their class, so learning a message again in the
/// same class changes nothing and learning it in the other class moves its counts.
#[async_trait]
pub trait BayesStore: Send + Sync {
    /// Learn the message `key` with `tokens` (duplicates are counted once) as spam or ham,
    /// at `now` (Unix seconds), in one transaction with the message totals.
    async fn bayes_learn(
        &self,
        key: &str,
        tokens: &[i64],
        spam: bool,
        now: i64,
    ) -> Result<BayesLearned>;
    /// The counts of those of `tokens` that were learned (unknown tokens are left out).
    async fn bayes_counts(&self, tokens: &[i64]) -> Result<Vec<BayesCount>>;
    /// Learned messages of each class: spam, ham (one row read, what every classification
    /// asks).
    async fn bayes_learned(&self) -> Result<(u64, u64)>;
    /// Learned messages of each class and the number of tokens kept (counting the tokens
    /// reads them all: for reports, not for every message).
    async fn bayes_totals(&self) -> Result<BayesTotals>;
    /// Keep at most `max_tokens` tokens: those no longer in any learned message go first,
    /// then the least recently learned (by day), rarest first; and at most `max_messages`
    /// learned messages' keys, the most recently learned (a forgotten message learned again
    /// counts again). Returns how many tokens went.
    async fn bayes_prune(&self, max_tokens: u64, max_messages: u64) -> Result<u64>;
    /// Forget everything learned.
    async fn bayes_reset(&self) -> Result<()>;
}

/// Greylisting's state (SEC-3): one record per triplet key (see
/// [`crate::rules::greylist::triplet_key`]), and the remote addresses local users wrote to
/// (their correspondents, exempt from greylisting towards that user). Shared by every node of
/// a cluster, so they agree on a triplet.
#[async_trait]
pub trait GreylistStore: Send + Sync {
    /// Read the triplet's record, decide with [`crate::rules::greylist::decide`] and write the
    /// outcome in one transaction; also removes a bounded number of expired records.
    async fn greylist_check(
        &self,
        key: &str,
        now: i64,
        times: GreylistTimes,
    ) -> Result<GreylistVerdict>;
    /// Remember at `now` that `user` wrote to `remote` (lower-cased by the caller), until
    /// `expires` (Unix seconds); also removes a bounded number of expired correspondents.
    async fn correspondent_note(
        &self,
        user: UserId,
        remote: &str,
        now: i64,
        expires: i64,
    ) -> Result<()>;
    /// Whether `user` wrote to `remote` and the record has not expired at `now`.
    async fn correspondent_known(&self, user: UserId, remote: &str, now: i64) -> Result<bool>;
}

/// Sending-throttle counters (DOM-7): one count per scope (what is counted, e.g.
/// `user_messages`), key (whose, e.g. a user id or domain name) and window (its start, Unix
/// seconds), shared by every node of a cluster. Counters are transient: old windows go.
#[async_trait]
pub trait ThrottleStore: Send + Sync {
    /// The count of `key` in `scope` for the window starting at `window`; 0 when none.
    async fn throttle_count(&self, scope: &str, key: &str, window: i64) -> Result<u64>;
    /// Add `n` to that count in one atomic statement and return the new count; counts of
    /// windows that started before `window` (any scope and key) are removed.
    async fn throttle_add(&self, scope: &str, key: &str, window: i64, n: u64) -> Result<u64>;
    /// A user's own throttle values (all `None` when it has none).
    async fn user_throttle(&self, user: UserId) -> Result<UserThrottle>;
    /// Set a user's own throttle values (all `None` removes them); they go with the user.
    async fn set_user_throttle(&self, user: UserId, t: &UserThrottle) -> Result<()>;
}

/// Failures and blocks per key (failed admin logins per client IP), kept in the store so a
/// restart or another node goes on counting. The caller gives the rule; the store applies it
/// ([`rules::limits`](crate::rules::limits)) to one key at a time, whichever node writes.
#[async_trait]
pub trait LimitStore: Send + Sync {
    /// Seconds left of the block of `key` in `scope` at `now`; `None` when it is not blocked.
    async fn limit_blocked(&self, scope: &str, key: &str, now: i64) -> Result<Option<i64>>;
    /// Count a failure of `key` in `scope` at `now` under `rule`; true when it starts a block.
    /// Records with nothing left to remember go; a scope keeps at most `max_keys` records
    /// (the oldest unblocked ones go first).
    async fn limit_failure(
        &self,
        scope: &str,
        key: &str,
        rule: &Rule,
        max_keys: usize,
        now: i64,
    ) -> Result<bool>;
    /// Forget the failures of `key` in `scope` (a success), unless it is blocked at `now`.
    async fn limit_success(&self, scope: &str, key: &str, now: i64) -> Result<()>;
    /// The blocks in force at `now`, of every scope, ordered by scope and key.
    async fn limit_blocks(&self, now: i64) -> Result<Vec<LimitBlock>>;
    /// Lift the block of `key` in `scope` and forget its failures; false when there was no
    /// record of it.
    async fn limit_remove(&self, scope: &str, key: &str) -> Result<bool>;
    /// The failure times (Unix seconds) remembered for `key` in `scope`, oldest first; empty
    /// when there is no record (they may include times past the window, until the next
    /// failure of any key prunes them).
    async fn limit_failures(&self, scope: &str, key: &str) -> Result<Vec<i64>>;
}
