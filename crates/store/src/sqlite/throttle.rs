//! [`ThrottleStore`] on SQLite: the `throttle_counts` table. The single writer runs the
//! upsert, so counts added at once all count.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};

use super::SqliteStore;
use crate::error::Result;
use crate::model::{UserId, UserThrottle};
use crate::rules::json::{from_json, to_json};
use crate::rules::throttle as q;
use crate::traits::ThrottleStore;

#[async_trait]
impl ThrottleStore for SqliteStore {
    async fn throttle_count(&self, scope: &str, key: &str, window: i64) -> Result<u64> {
        let (scope, key) = (scope.to_owned(), key.to_owned());
        self.read(move |c| {
            let n: Option<i64> = c
                .prepare_cached(q::COUNT)?
                .query_row(params![scope, key, window], |r| r.get(0))
                .optional()?;
            Ok(n.map_or(0, q::count))
        })
        .await
    }

    async fn throttle_add(&self, scope: &str, key: &str, window: i64, n: u64) -> Result<u64> {
        let (scope, key) = (scope.to_owned(), key.to_owned());
        let n = i64::try_from(n).unwrap_or(i64::MAX);
        self.write(move |ctx| {
            let c = ctx.conn;
            c.prepare_cached(q::PRUNE)?.execute([window])?;
            let total: i64 = c
                .prepare_cached(q::ADD)?
                .query_row(params![scope, key, window, n], |r| r.get(0))?;
            Ok(q::count(total))
        })
        .await
    }

    async fn user_throttle(&self, user: UserId) -> Result<UserThrottle> {
        let text: Option<String> = self
            .read(move |c| {
                Ok(c.prepare_cached(q::USER_GET)?
                    .query_row([user], |r| r.get(0))
                    .optional()?)
            })
            .await?;
        text.map_or(Ok(UserThrottle::default()), |t| {
            from_json(&t, "user throttle")
        })
    }

    async fn set_user_throttle(&self, user: UserId, t: &UserThrottle) -> Result<()> {
        let text = (t != &UserThrottle::default())
            .then(|| to_json(t))
            .transpose()?;
        self.write(move |ctx| {
            match &text {
                Some(text) => ctx
                    .conn
                    .prepare_cached(q::USER_SET)?
                    .execute(params![user, text])?,
                None => ctx.conn.prepare_cached(q::USER_CLEAR)?.execute([user])?,
            };
            Ok(())
        })
        .await
    }
}
