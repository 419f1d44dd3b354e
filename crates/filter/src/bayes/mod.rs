//! The Bayesian content check (FILTER-2): a message's tokens ([`tokens`]) are looked up in
//! the per-server counts the store keeps, and their learned spam and ham frequencies make
//! its spam probability ([`classify`]). Messages are learned from users' judgement
//! ([`learn`]): the IMAP server learns a message moved into a Junk folder as spam, one moved
//! out of it as ham.
//!
//! Invariants: the check gives no opinion until `bayes.min_spam` spam and `bayes.min_ham`
//! ham messages were learned; it reads the counts from the store for each message, so what
//! was learned counts at once on every node; after every `bayes.retrain_messages` learned
//! messages the token table is pruned to `bayes.max_memory_mb`; a store error is named in
//! the verdict as unanswered and adds nothing.

pub mod classify;
pub mod tokens;

use std::sync::Arc;

use heron_settings::{Settings, defs};
use heron_store::{BayesLearned, Store};

use crate::pipeline::Ctx;
use crate::verdict::Verdict;

/// Store bytes one token takes, for turning `bayes.max_memory_mb` into tokens.
pub const TOKEN_BYTES: u64 = 64;

/// The learned messages' keys kept are a tenth of the tokens the memory cap allows (a key is
/// about as large as a token); older ones are forgotten.
pub const TOKENS_PER_KEPT_MESSAGE: u64 = 10;

/// The check's name in the report.
pub const NAME: &str = "bayes";

/// Rate `ctx.message`: `bayes.weight` when its spam probability reaches
/// `bayes.spam_percent`, `bayes.ham_weight` when it is at most `bayes.ham_percent`.
pub async fn check(ctx: &Ctx<'_>) -> Verdict {
    let mut v = Verdict::default();
    let s = ctx.settings;
    if !s.get(defs::BAYES_ENABLED) {
        return v;
    }
    match probability(ctx.store, s, ctx.message).await {
        Ok(Some(p)) => {
            let percent = p * 100.0;
            let detail = format!("spam probability {p:.3}");
            if percent >= s.get(defs::BAYES_SPAM_PERCENT) as f64 {
                v.add(NAME, s.get(defs::BAYES_WEIGHT), detail);
            } else if percent <= s.get(defs::BAYES_HAM_PERCENT) as f64 {
                v.add(NAME, s.get(defs::BAYES_HAM_WEIGHT), detail);
            }
        }
        Ok(None) => {}
        Err(e) => {
            tracing::warn!(target: "smtp", "Bayes check: {e}");
            v.unanswered(NAME, "store error");
        }
    }
    v
}

/// The spam probability of `message`, or `None` while too few messages were learned.
pub async fn probability(
    store: &Arc<dyn Store>,
    settings: &Settings,
    message: &[u8],
) -> heron_store::Result<Option<f64>> {
    let (nspam, nham) = store.bayes_learned().await?;
    if nspam < settings.get(defs::BAYES_MIN_SPAM).max(1)
        || nham < settings.get(defs::BAYES_MIN_HAM).max(1)
    {
        return Ok(None);
    }
    let tokens = tokens::of_message(message);
    let counts = store.bayes_counts(&tokens).await?;
    Ok(Some(classify::probability(&counts, nspam, nham)))
}

/// Learn `message` (known to the store as `key`, e.g. its blob id) as spam or ham; every
/// `bayes.retrain_messages` learned messages, prune the tokens to `bayes.max_memory_mb`.
pub async fn learn(
    store: &Arc<dyn Store>,
    settings: &Settings,
    key: &str,
    message: &[u8],
    spam: bool,
) -> heron_store::Result<BayesLearned> {
    let tokens = tokens::of_message(message);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let learned = store.bayes_learn(key, &tokens, spam, now).await?;
    if learned != BayesLearned::Known {
        let (nspam, nham) = store.bayes_learned().await?;
        let every = settings.get(defs::BAYES_RETRAIN_MESSAGES).max(1);
        let mb = settings.get(defs::BAYES_MAX_MEMORY_MB);
        if mb > 0 && (nspam + nham).is_multiple_of(every) {
            let max = mb.saturating_mul(1024 * 1024) / TOKEN_BYTES;
            let gone = store
                .bayes_prune(max, max / TOKENS_PER_KEPT_MESSAGE)
                .await?;
            tracing::info!(target: "smtp", "Bayes tokens pruned to {max}: {gone} dropped");
        }
    }
    Ok(learned)
}

#[cfg(test)]
mod tests;
