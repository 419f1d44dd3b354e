//! [`BayesStore`] on SQLite: the `bayes_tokens`, `bayes_messages` and `bayes_totals` tables.
//!
//! Invariants: a message's token counts, its row in `bayes_messages` and the totals change in
//! one write job, so the totals always equal the learned messages of each class; counts
//! never go below zero.

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, params};

use super::SqliteStore;
use crate::error::Result;
use crate::model::{BayesCount, BayesLearned, BayesTotals};
use crate::rules::bayes::{CHUNK, unique};
use crate::traits::BayesStore;

/// Add `spam` and `ham` (each -1, 0 or 1) to every token of `tokens`, stamping them `now`.
fn add_counts(c: &Connection, tokens: &[i64], spam: i64, ham: i64, now: i64) -> Result<()> {
    let mut st = c.prepare_cached(
        "INSERT INTO bayes_tokens (hash, spam, ham, seen) VALUES (?1, max(?2, 0), max(?3, 0), ?4) \
         ON CONFLICT (hash) DO UPDATE SET spam = max(spam + ?2, 0), ham = max(ham + ?3, 0), \
         seen = ?4",
    )?;
    for t in tokens {
        st.execute(params![t, spam, ham, now])?;
    }
    Ok(())
}

/// Add `spam` and `ham` to the message totals.
fn add_totals(c: &Connection, spam: i64, ham: i64) -> Result<()> {
    c.prepare_cached(
        "INSERT INTO bayes_totals (id, spam, ham) VALUES (1, max(?1, 0), max(?2, 0)) \
         ON CONFLICT (id) DO UPDATE SET spam = max(spam + ?1, 0), ham = max(ham + ?2, 0)",
    )?
    .execute(params![spam, ham])?;
    Ok(())
}

#[async_trait]
impl BayesStore for SqliteStore {
    async fn bayes_learn(
        &self,
        key: &str,
        tokens: &[i64],
        spam: bool,
        now: i64,
    ) -> Result<BayesLearned> {
        let (key, tokens) = (key.to_owned(), unique(tokens));
        self.write(move |ctx| {
            let c = ctx.conn;
            let had: Option<bool> = c
                .prepare_cached("SELECT spam FROM bayes_messages WHERE key = ?1")?
                .query_row([&key], |r| r.get(0))
                .optional()?;
            let (s, h) = if spam { (1, 0) } else { (0, 1) };
            let done = match had {
                Some(was) if was == spam => return Ok(BayesLearned::Known),
                Some(_) => {
                    add_counts(c, &tokens, s - h, h - s, now)?;
                    add_totals(c, s - h, h - s)?;
                    c.prepare_cached(
                        "DELETE FROM bayes_tokens WHERE spam = 0 AND ham = 0 AND seen = ?1",
                    )?
                    .execute([now])?;
                    BayesLearned::Moved
                }
                None => {
                    add_counts(c, &tokens, s, h, now)?;
                    add_totals(c, s, h)?;
                    BayesLearned::New
                }
            };
            c.prepare_cached(
                "INSERT INTO bayes_messages (key, spam, learned_at) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (key) DO UPDATE SET spam = ?2, learned_at = ?3",
            )?
            .execute(params![key, spam, now])?;
            Ok(done)
        })
        .await
    }

    async fn bayes_counts(&self, tokens: &[i64]) -> Result<Vec<BayesCount>> {
        let tokens = unique(tokens);
        self.read(move |c| {
            let mut out = Vec::new();
            for chunk in tokens.chunks(CHUNK) {
                let marks = vec!["?"; chunk.len()].join(", ");
                let mut st = c.prepare(&format!(
                    "SELECT hash, spam, ham FROM bayes_tokens WHERE hash IN ({marks})"
                ))?;
                let rows = st.query_map(rusqlite::params_from_iter(chunk), |r| {
                    Ok(BayesCount {
                        hash: r.get(0)?,
                        spam: r.get::<_, i64>(1)?.max(0) as u64,
                        ham: r.get::<_, i64>(2)?.max(0) as u64,
                    })
                })?;
                for r in rows {
                    out.push(r?);
                }
            }
            Ok(out)
        })
        .await
    }

    async fn bayes_learned(&self) -> Result<(u64, u64)> {
        self.read_now(|c| {
            let (spam, ham): (i64, i64) = c
                .prepare_cached("SELECT spam, ham FROM bayes_totals WHERE id = 1")?
                .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?
                .unwrap_or((0, 0));
            Ok((spam.max(0) as u64, ham.max(0) as u64))
        })
    }

    async fn bayes_totals(&self) -> Result<BayesTotals> {
        let (spam, ham) = self.bayes_learned().await?;
        let tokens: i64 = self
            .read(|c| Ok(c.query_row("SELECT count(*) FROM bayes_tokens", [], |r| r.get(0))?))
            .await?;
        Ok(BayesTotals {
            spam,
            ham,
            tokens: tokens.max(0) as u64,
        })
    }

    async fn bayes_prune(&self, max_tokens: u64, max_messages: u64) -> Result<u64> {
        let max = i64::try_from(max_tokens).unwrap_or(i64::MAX);
        let max_messages = i64::try_from(max_messages).unwrap_or(i64::MAX);
        self.write(move |ctx| {
            let c = ctx.conn;
            let mut gone = c.execute("DELETE FROM bayes_tokens WHERE spam = 0 AND ham = 0", [])?;
            let count: i64 = c.query_row("SELECT count(*) FROM bayes_tokens", [], |r| r.get(0))?;
            if count > max {
                gone += c.execute(
                    "DELETE FROM bayes_tokens WHERE hash IN (SELECT hash FROM bayes_tokens \
                     ORDER BY seen / 86400, spam + ham LIMIT ?1)",
                    [count - max],
                )?;
            }
            let learned: i64 =
                c.query_row("SELECT count(*) FROM bayes_messages", [], |r| r.get(0))?;
            if learned > max_messages {
                c.execute(
                    "DELETE FROM bayes_messages WHERE key IN (SELECT key FROM bayes_messages \
                     ORDER BY learned_at LIMIT ?1)",
                    [learned - max_messages],
                )?;
            }
            Ok(gone as u64)
        })
        .await
    }

    async fn bayes_reset(&self) -> Result<()> {
        self.write(|ctx| {
            ctx.conn.execute_batch(
                "DELETE FROM bayes_tokens; DELETE FROM bayes_messages; DELETE FROM bayes_totals;",
            )?;
            Ok(())
        })
        .await
    }
}
