//! [`PopRetrievalStore`] on SQLite: the `pop_accounts` and `pop_uidls` tables (UIDLs go with
//! their account by `ON DELETE CASCADE`, accounts with their user).

use async_trait::async_trait;
use rusqlite::{OptionalExtension, Row, params};

use super::SqliteStore;
use crate::error::{Result, StoreError};
use crate::model::{PopAccount, PopAccountId, PopTls, UserId};
use crate::rules::pop_retrieval as q;
use crate::traits::PopRetrievalStore;

/// An account of a row of [`q::COLUMNS`].
fn account(r: &Row<'_>) -> rusqlite::Result<(PopAccount, String)> {
    let tls: String = r.get(4)?;
    Ok((
        PopAccount {
            id: r.get(0)?,
            user_id: r.get(1)?,
            host: r.get(2)?,
            port: q::port(r.get(3)?),
            tls: PopTls::default(),
            verify_tls: r.get(5)?,
            login: r.get(6)?,
            password: r.get(7)?,
            leave_on_server: r.get(8)?,
            folder: r.get(9)?,
            enabled: r.get(10)?,
            last_run: r.get(11)?,
            last_error: r.get(12)?,
        },
        tls,
    ))
}

/// The account with its TLS mode parsed.
fn parsed((mut a, tls): (PopAccount, String)) -> Result<PopAccount> {
    a.tls = PopTls::parse(&tls)
        .ok_or_else(|| StoreError::Corrupt(format!("POP account {} has tls {tls:?}", a.id)))?;
    Ok(a)
}

#[async_trait]
impl PopRetrievalStore for SqliteStore {
    async fn pop_accounts(&self, user: Option<UserId>) -> Result<Vec<PopAccount>> {
        let rows = self
            .read(move |c| {
                let rows = match user {
                    Some(u) => c
                        .prepare_cached(&q::select("WHERE user_id = ?1"))?
                        .query_map([u], account)?
                        .collect::<rusqlite::Result<Vec<_>>>()?,
                    None => c
                        .prepare_cached(&q::select(""))?
                        .query_map([], account)?
                        .collect::<rusqlite::Result<Vec<_>>>()?,
                };
                Ok(rows)
            })
            .await?;
        rows.into_iter().map(parsed).collect()
    }

    async fn pop_account(&self, id: PopAccountId) -> Result<Option<PopAccount>> {
        let row = self
            .read(move |c| {
                Ok(c.prepare_cached(&q::select("WHERE id = ?1"))?
                    .query_row([id], account)
                    .optional()?)
            })
            .await?;
        row.map(parsed).transpose()
    }

    async fn pop_account_add(&self, a: &PopAccount) -> Result<PopAccountId> {
        let a = a.clone();
        self.write(move |ctx| {
            Ok(ctx.conn.prepare_cached(q::INSERT)?.query_row(
                params![
                    a.user_id,
                    a.host,
                    i64::from(a.port),
                    a.tls.as_str(),
                    a.verify_tls,
                    a.login,
                    a.password,
                    a.leave_on_server,
                    a.folder,
                    a.enabled
                ],
                |r| r.get(0),
            )?)
        })
        .await
    }

    async fn pop_account_update(&self, a: &PopAccount) -> Result<bool> {
        let a = a.clone();
        self.write(move |ctx| {
            let n = ctx.conn.prepare_cached(q::UPDATE)?.execute(params![
                a.id,
                a.host,
                i64::from(a.port),
                a.tls.as_str(),
                a.verify_tls,
                a.login,
                a.password,
                a.leave_on_server,
                a.folder,
                a.enabled
            ])?;
            Ok(n > 0)
        })
        .await
    }

    async fn pop_account_ran(&self, id: PopAccountId, at: i64, error: &str) -> Result<()> {
        let error = error.to_owned();
        self.write(move |ctx| {
            ctx.conn
                .prepare_cached(q::RAN)?
                .execute(params![id, at, error])?;
            Ok(())
        })
        .await
    }

    async fn pop_account_remove(&self, id: PopAccountId) -> Result<bool> {
        self.write(move |ctx| {
            ctx.conn.prepare_cached(q::DELETE_UIDLS)?.execute([id])?;
            Ok(ctx.conn.prepare_cached(q::DELETE)?.execute([id])? > 0)
        })
        .await
    }

    async fn pop_uidls(&self, id: PopAccountId) -> Result<Vec<String>> {
        self.read(move |c| {
            Ok(c.prepare_cached(q::UIDLS)?
                .query_map([id], |r| r.get(0))?
                .collect::<rusqlite::Result<Vec<String>>>()?)
        })
        .await
    }

    async fn pop_uidl_add(&self, id: PopAccountId, uidl: &str, at: i64) -> Result<()> {
        let uidl = uidl.to_owned();
        self.write(move |ctx| {
            ctx.conn
                .prepare_cached(q::UIDL_ADD)?
                .execute(params![id, uidl, at])?;
            Ok(())
        })
        .await
    }

    async fn pop_uidls_forget(&self, id: PopAccountId, uidls: &[String]) -> Result<()> {
        let uidls = uidls.to_vec();
        self.write(move |ctx| {
            let mut st = ctx.conn.prepare_cached(q::UIDL_FORGET)?;
            for u in &uidls {
                st.execute(params![id, u])?;
            }
            Ok(())
        })
        .await
    }
}
