//! [`PopRetrievalStore`] on PostgreSQL: the `pop_accounts` and `pop_uidls` tables (UIDLs go
//! with their account by `ON DELETE CASCADE`, accounts with their user).

use async_trait::async_trait;
use tokio_postgres::Row;

use super::PgStore;
use crate::error::{Result, StoreError};
use crate::model::{PopAccount, PopAccountId, PopTls, UserId};
use crate::rules::nodes::numbered;
use crate::rules::pop_retrieval as q;
use crate::traits::PopRetrievalStore;

/// An account of a row of [`q::COLUMNS`].
fn account(r: &Row) -> Result<PopAccount> {
    let id: i64 = r.try_get(0)?;
    let tls: String = r.try_get(4)?;
    Ok(PopAccount {
        id,
        user_id: r.try_get(1)?,
        host: r.try_get(2)?,
        port: q::port(r.try_get(3)?),
        tls: PopTls::parse(&tls)
            .ok_or_else(|| StoreError::Corrupt(format!("POP account {id} has tls {tls:?}")))?,
        verify_tls: r.try_get(5)?,
        login: r.try_get(6)?,
        password: r.try_get(7)?,
        leave_on_server: r.try_get(8)?,
        folder: r.try_get(9)?,
        enabled: r.try_get(10)?,
        last_run: r.try_get(11)?,
        last_error: r.try_get(12)?,
    })
}

#[async_trait]
impl PopRetrievalStore for PgStore {
    async fn pop_accounts(&self, user: Option<UserId>) -> Result<Vec<PopAccount>> {
        let c = self.client().await?;
        let rows = match user {
            Some(u) => {
                c.query(&numbered(&q::select("WHERE user_id = ?1")), &[&u])
                    .await?
            }
            None => c.query(&q::select(""), &[]).await?,
        };
        rows.iter().map(account).collect()
    }

    async fn pop_account(&self, id: PopAccountId) -> Result<Option<PopAccount>> {
        let c = self.client().await?;
        let row = c
            .query_opt(&numbered(&q::select("WHERE id = ?1")), &[&id])
            .await?;
        row.as_ref().map(account).transpose()
    }

    async fn pop_account_add(&self, a: &PopAccount) -> Result<PopAccountId> {
        let c = self.client().await?;
        let row = c
            .query_one(
                &numbered(q::INSERT),
                &[
                    &a.user_id,
                    &a.host,
                    &i64::from(a.port),
                    &a.tls.as_str(),
                    &a.verify_tls,
                    &a.login,
                    &a.password,
                    &a.leave_on_server,
                    &a.folder,
                    &a.enabled,
                ],
            )
            .await?;
        Ok(row.try_get(0)?)
    }

    async fn pop_account_update(&self, a: &PopAccount) -> Result<bool> {
        let c = self.client().await?;
        let n = c
            .execute(
                &numbered(q::UPDATE),
                &[
                    &a.id,
                    &a.host,
                    &i64::from(a.port),
                    &a.tls.as_str(),
                    &a.verify_tls,
                    &a.login,
                    &a.password,
                    &a.leave_on_server,
                    &a.folder,
                    &a.enabled,
                ],
            )
            .await?;
        Ok(n > 0)
    }

    async fn pop_account_ran(&self, id: PopAccountId, at: i64, error: &str) -> Result<()> {
        let c = self.client().await?;
        c.execute(&numbered(q::RAN), &[&id, &at, &error]).await?;
        Ok(())
    }

    async fn pop_account_remove(&self, id: PopAccountId) -> Result<bool> {
        let c = self.client().await?;
        Ok(c.execute(&numbered(q::DELETE), &[&id]).await? > 0)
    }

    async fn pop_uidls(&self, id: PopAccountId) -> Result<Vec<String>> {
        let c = self.client().await?;
        let rows = c.query(&numbered(q::UIDLS), &[&id]).await?;
        Ok(rows
            .iter()
            .map(|r| r.try_get(0))
            .collect::<std::result::Result<Vec<String>, _>>()?)
    }

    async fn pop_uidl_add(&self, id: PopAccountId, uidl: &str, at: i64) -> Result<()> {
        let c = self.client().await?;
        c.execute(&numbered(q::UIDL_ADD), &[&id, &uidl, &at])
            .await?;
        Ok(())
    }

    async fn pop_uidls_forget(&self, id: PopAccountId, uidls: &[String]) -> Result<()> {
        let c = self.client().await?;
        for u in uidls {
            c.execute(&numbered(q::UIDL_FORGET), &[&id, u]).await?;
        }
        Ok(())
    }
}
