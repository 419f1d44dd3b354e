//! [`AdminSessionStore`] on SQLite (statements and rules in [`crate::rules::sessions`]).

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};

use super::SqliteStore;
use crate::error::Result;
use crate::model::AdminSession;
use crate::rules::sessions::{self as q, excess, expired, needs_touch};
use crate::traits::AdminSessionStore;

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AdminSession> {
    Ok(AdminSession {
        id_hash: r.get(0)?,
        account: r.get(1)?,
        csrf_token: r.get(2)?,
        idle_secs: r.get(3)?,
        impersonation: r.get(4)?,
        last_used: r.get(5)?,
    })
}

#[async_trait]
impl AdminSessionStore for SqliteStore {
    async fn session_insert(&self, s: &AdminSession, max: usize, now: i64) -> Result<()> {
        let s = s.clone();
        self.write(move |ctx| {
            ctx.conn.execute(q::PRUNE_EXPIRED, [now])?;
            let count: i64 = ctx.conn.query_row(q::COUNT, [], |r| r.get(0))?;
            let extra = excess(count, max);
            if extra > 0 {
                ctx.conn.execute(q::DELETE_OLDEST, [extra])?;
            }
            ctx.conn.execute(
                q::INSERT,
                params![
                    s.id_hash,
                    s.account,
                    s.csrf_token,
                    s.idle_secs,
                    s.impersonation,
                    s.last_used
                ],
            )?;
            Ok(())
        })
        .await
    }

    async fn session_use(&self, id_hash: &str, now: i64) -> Result<Option<AdminSession>> {
        let id = id_hash.to_owned();
        let found = {
            let id = id.clone();
            self.read(move |c| Ok(c.query_row(q::GET, [id], row).optional()?))
                .await?
        };
        let Some(mut s) = found else {
            return Ok(None);
        };
        if expired(&s, now) {
            self.session_delete(&id).await?;
            return Ok(None);
        }
        if needs_touch(&s, now) {
            self.write(move |ctx| {
                ctx.conn.execute(q::TOUCH, params![id, now])?;
                Ok(())
            })
            .await?;
            s.last_used = now;
        }
        Ok(Some(s))
    }

    async fn session_delete(&self, id_hash: &str) -> Result<()> {
        let id = id_hash.to_owned();
        self.write(move |ctx| {
            ctx.conn.execute(q::DELETE, [id])?;
            Ok(())
        })
        .await
    }

    async fn session_delete_account(&self, account: &str, keep: Option<&str>) -> Result<()> {
        let (account, keep) = (account.to_owned(), keep.unwrap_or_default().to_owned());
        self.write(move |ctx| {
            ctx.conn
                .execute(q::DELETE_ACCOUNT, params![account, keep])?;
            Ok(())
        })
        .await
    }
}
