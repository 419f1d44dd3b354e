//! [`AdminSessionStore`] on PostgreSQL (statements and rules in [`crate::rules::sessions`]).

use async_trait::async_trait;
use tokio_postgres::Row;

use super::PgStore;
use crate::error::Result;
use crate::model::AdminSession;
use crate::rules::nodes::numbered;
use crate::rules::sessions::{self as q, excess, expired, needs_touch};
use crate::traits::AdminSessionStore;

fn row(r: &Row) -> Result<AdminSession> {
    Ok(AdminSession {
        id_hash: r.try_get(0)?,
        account: r.try_get(1)?,
        csrf_token: r.try_get(2)?,
        idle_secs: r.try_get(3)?,
        impersonation: r.try_get(4)?,
        last_used: r.try_get(5)?,
    })
}

#[async_trait]
impl AdminSessionStore for PgStore {
    async fn session_insert(&self, s: &AdminSession, max: usize, now: i64) -> Result<()> {
        write_tx!(self, |tx| {
            tx.t.execute(&numbered(q::PRUNE_EXPIRED), &[&now]).await?;
            let count: i64 = tx.t.query_one(q::COUNT, &[]).await?.try_get(0)?;
            let extra = excess(count, max);
            if extra > 0 {
                tx.t.execute(&numbered(q::DELETE_OLDEST), &[&extra]).await?;
            }
            tx.t.execute(
                &numbered(q::INSERT),
                &[
                    &s.id_hash,
                    &s.account,
                    &s.csrf_token,
                    &s.idle_secs,
                    &s.impersonation,
                    &s.last_used,
                ],
            )
            .await?;
            Ok(())
        })
    }

    async fn session_use(&self, id_hash: &str, now: i64) -> Result<Option<AdminSession>> {
        let found = {
            let c = self.client().await?;
            c.query_opt(&numbered(q::GET), &[&id_hash]).await?
        };
        let Some(mut s) = found.as_ref().map(row).transpose()? else {
            return Ok(None);
        };
        if expired(&s, now) {
            self.session_delete(id_hash).await?;
            return Ok(None);
        }
        if needs_touch(&s, now) {
            let c = self.client().await?;
            c.execute(&numbered(q::TOUCH), &[&id_hash, &now]).await?;
            s.last_used = now;
        }
        Ok(Some(s))
    }

    async fn session_delete(&self, id_hash: &str) -> Result<()> {
        let c = self.client().await?;
        c.execute(&numbered(q::DELETE), &[&id_hash]).await?;
        Ok(())
    }

    async fn session_delete_account(&self, account: &str, keep: Option<&str>) -> Result<()> {
        let keep = keep.unwrap_or_default();
        let c = self.client().await?;
        c.execute(&numbered(q::DELETE_ACCOUNT), &[&account, &keep])
            .await?;
        Ok(())
    }
}
