//! [`BayesStore`] on PostgreSQL: the `bayes_tokens`, `bayes_messages` and `bayes_totals`
//! tables.
//!
//! Invariants: a message's token counts, its row in `bayes_messages` and the totals change in
//! one transaction, so the totals always equal the learned messages of each class; two nodes
//! learning the same message at once learn it once (the second waits on the first's row);
//! tokens are upserted in ascending order, so concurrent learners cannot deadlock on them;
//! counts never go below zero.

use async_trait::async_trait;

use super::PgStore;
use super::tx::Tx;
use crate::error::Result;
use crate::model::{BayesCount, BayesLearned, BayesTotals};
use crate::rules::bayes::unique;
use crate::traits::BayesStore;

/// Add `spam` and `ham` (each -1, 0 or 1) to every token of `tokens` and to the totals.
async fn add(
    tx: &Tx,
    tokens: &[i64],
    spam: i64,
    ham: i64,
    now: i64,
) -> std::result::Result<(), tokio_postgres::Error> {
    let st =
        tx.t.prepare_cached(
            "INSERT INTO bayes_tokens (hash, spam, ham, seen) \
             SELECT h, greatest($2::BIGINT, 0), greatest($3::BIGINT, 0), $4::BIGINT \
             FROM unnest($1::BIGINT[]) AS h \
             ON CONFLICT (hash) DO UPDATE SET spam = greatest(bayes_tokens.spam + $2, 0), \
             ham = greatest(bayes_tokens.ham + $3, 0), seen = $4",
        )
        .await?;
    tx.t.execute(&st, &[&tokens, &spam, &ham, &now]).await?;
    let st =
        tx.t.prepare_cached(
            "INSERT INTO bayes_totals (id, spam, ham) \
             VALUES (1, greatest($1::BIGINT, 0), greatest($2::BIGINT, 0)) \
             ON CONFLICT (id) DO UPDATE SET spam = greatest(bayes_totals.spam + $1, 0), \
             ham = greatest(bayes_totals.ham + $2, 0)",
        )
        .await?;
    tx.t.execute(&st, &[&spam, &ham]).await?;
    Ok(())
}

#[async_trait]
impl BayesStore for PgStore {
    async fn bayes_learn(
        &self,
        key: &str,
        tokens: &[i64],
        spam: bool,
        now: i64,
    ) -> Result<BayesLearned> {
        let tokens = unique(tokens);
        let (s, h): (i64, i64) = if spam { (1, 0) } else { (0, 1) };
        write_tx!(self, |tx| {
            // A message learned by another transaction at this moment makes this insert
            // wait for it, then do nothing.
            let st =
                tx.t.prepare_cached(
                    "INSERT INTO bayes_messages (key, spam, learned_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (key) DO NOTHING",
                )
                .await?;
            if tx.t.execute(&st, &[&key, &spam, &now]).await? == 1 {
                add(&tx, &tokens, s, h, now).await?;
                return Ok(BayesLearned::New);
            }
            let st =
                tx.t.prepare_cached("SELECT spam FROM bayes_messages WHERE key = $1 FOR UPDATE")
                    .await?;
            let was: bool = tx.t.query_one(&st, &[&key]).await?.try_get(0)?;
            if was == spam {
                return Ok(BayesLearned::Known);
            }
            add(&tx, &tokens, s - h, h - s, now).await?;
            let st =
                tx.t.prepare_cached(
                    "UPDATE bayes_messages SET spam = $2, learned_at = $3 WHERE key = $1",
                )
                .await?;
            tx.t.execute(&st, &[&key, &spam, &now]).await?;
            let st =
                tx.t.prepare_cached(
                    "DELETE FROM bayes_tokens WHERE hash = ANY($1) AND spam = 0 AND ham = 0",
                )
                .await?;
            tx.t.execute(&st, &[&tokens]).await?;
            Ok(BayesLearned::Moved)
        })
    }

    async fn bayes_counts(&self, tokens: &[i64]) -> Result<Vec<BayesCount>> {
        let tokens = unique(tokens);
        let c = self.client().await?;
        let st = c
            .prepare_cached("SELECT hash, spam, ham FROM bayes_tokens WHERE hash = ANY($1)")
            .await?;
        c.query(&st, &[&tokens])
            .await?
            .iter()
            .map(|r| {
                Ok(BayesCount {
                    hash: r.try_get(0)?,
                    spam: r.try_get::<_, i64>(1)?.max(0) as u64,
                    ham: r.try_get::<_, i64>(2)?.max(0) as u64,
                })
            })
            .collect()
    }

    async fn bayes_learned(&self) -> Result<(u64, u64)> {
        let c = self.client().await?;
        let st = c
            .prepare_cached("SELECT spam, ham FROM bayes_totals WHERE id = 1")
            .await?;
        Ok(match c.query_opt(&st, &[]).await? {
            Some(r) => (
                r.try_get::<_, i64>(0)?.max(0) as u64,
                r.try_get::<_, i64>(1)?.max(0) as u64,
            ),
            None => (0, 0),
        })
    }

    async fn bayes_totals(&self) -> Result<BayesTotals> {
        let c = self.client().await?;
        let st = c
            .prepare_cached(
                "SELECT coalesce((SELECT spam FROM bayes_totals WHERE id = 1), 0), \
                 coalesce((SELECT ham FROM bayes_totals WHERE id = 1), 0), \
                 (SELECT count(*) FROM bayes_tokens)",
            )
            .await?;
        let r = c.query_one(&st, &[]).await?;
        Ok(BayesTotals {
            spam: r.try_get::<_, i64>(0)?.max(0) as u64,
            ham: r.try_get::<_, i64>(1)?.max(0) as u64,
            tokens: r.try_get::<_, i64>(2)?.max(0) as u64,
        })
    }

    async fn bayes_prune(&self, max_tokens: u64, max_messages: u64) -> Result<u64> {
        let max = i64::try_from(max_tokens).unwrap_or(i64::MAX);
        let max_messages = i64::try_from(max_messages).unwrap_or(i64::MAX);
        write_tx!(self, |tx| {
            let mut gone =
                tx.t.execute("DELETE FROM bayes_tokens WHERE spam = 0 AND ham = 0", &[])
                    .await?;
            let count: i64 =
                tx.t.query_one("SELECT count(*) FROM bayes_tokens", &[])
                    .await?
                    .try_get(0)?;
            if count > max {
                gone +=
                    tx.t.execute(
                        "DELETE FROM bayes_tokens WHERE hash IN (SELECT hash FROM bayes_tokens \
                         ORDER BY seen / 86400, spam + ham LIMIT $1)",
                        &[&(count - max)],
                    )
                    .await?;
            }
            let learned: i64 =
                tx.t.query_one("SELECT count(*) FROM bayes_messages", &[])
                    .await?
                    .try_get(0)?;
            if learned > max_messages {
                tx.t.execute(
                    "DELETE FROM bayes_messages WHERE key IN (SELECT key FROM bayes_messages \
                     ORDER BY learned_at LIMIT $1)",
                    &[&(learned - max_messages)],
                )
                .await?;
            }
            Ok(gone)
        })
    }

    async fn bayes_reset(&self) -> Result<()> {
        write_tx!(self, |tx| {
            tx.t.batch_execute(
                "DELETE FROM bayes_tokens; DELETE FROM bayes_messages; DELETE FROM bayes_totals;",
            )
            .await?;
            Ok(())
        })
    }
}
