//! [`ThrottleStore`] on PostgreSQL: the `throttle_counts` table, counted by one upsert so
//! counts added at once on several nodes all count.

use async_trait::async_trait;

use super::PgStore;
use crate::error::Result;
use crate::model::{UserId, UserThrottle};
use crate::rules::json::{from_json, to_json};
use crate::rules::nodes::numbered;
use crate::rules::throttle as q;
use crate::traits::ThrottleStore;

#[async_trait]
impl ThrottleStore for PgStore {
    async fn throttle_count(&self, scope: &str, key: &str, window: i64) -> Result<u64> {
        let c = self.client().await?;
        let row = c
            .query_opt(&numbered(q::COUNT), &[&scope, &key, &window])
            .await?;
        let n: Option<i64> = row.map(|r| r.try_get(0)).transpose()?;
        Ok(n.map_or(0, q::count))
    }

    async fn throttle_add(&self, scope: &str, key: &str, window: i64, n: u64) -> Result<u64> {
        let n = i64::try_from(n).unwrap_or(i64::MAX);
        let c = self.client().await?;
        c.execute(&numbered(q::PRUNE), &[&window]).await?;
        let total: i64 = c
            .query_one(&numbered(q::ADD), &[&scope, &key, &window, &n])
            .await?
            .try_get(0)?;
        Ok(q::count(total))
    }

    async fn user_throttle(&self, user: UserId) -> Result<UserThrottle> {
        let c = self.client().await?;
        let row = c.query_opt(&numbered(q::USER_GET), &[&user]).await?;
        let text: Option<String> = row.map(|r| r.try_get(0)).transpose()?;
        text.map_or(Ok(UserThrottle::default()), |t| {
            from_json(&t, "user throttle")
        })
    }

    async fn set_user_throttle(&self, user: UserId, t: &UserThrottle) -> Result<()> {
        let c = self.client().await?;
        if t == &UserThrottle::default() {
            c.execute(&numbered(q::USER_CLEAR), &[&user]).await?;
        } else {
            c.execute(&numbered(q::USER_SET), &[&user, &to_json(t)?])
                .await?;
        }
        Ok(())
    }
}
