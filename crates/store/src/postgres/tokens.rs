//! [`TokenStore`] on PostgreSQL: the admin API's bearer tokens, by the hash of their secret.

use async_trait::async_trait;
use tokio_postgres::Row;

use super::PgStore;
use crate::error::{Result, StoreError};
use crate::model::ApiToken;
use crate::traits::TokenStore;

const COLUMNS: &str = "id, name, hash, created_at";

fn row(r: &Row) -> Result<ApiToken> {
    Ok(ApiToken {
        id: r.try_get(0)?,
        name: r.try_get(1)?,
        hash: r.try_get(2)?,
        created_at: r.try_get(3)?,
    })
}

#[async_trait]
impl TokenStore for PgStore {
    async fn create_token(&self, name: &str, hash: &str, created_at: i64) -> Result<ApiToken> {
        let c = self.client().await?;
        let r = c
            .query_one(
                &c.prepare_cached("INSERT INTO api_tokens (name, hash, created_at) VALUES ($1, $2, $3) RETURNING id").await?,
                &[&name, &hash, &created_at],
            )
            .await?;
        Ok(ApiToken {
            id: r.try_get(0)?,
            name: name.to_owned(),
            hash: hash.to_owned(),
            created_at,
        })
    }

    async fn list_tokens(&self) -> Result<Vec<ApiToken>> {
        let c = self.client().await?;
        let rows = c
            .query(
                &format!("SELECT {COLUMNS} FROM api_tokens ORDER BY id"),
                &[],
            )
            .await?;
        rows.iter().map(row).collect()
    }

    async fn delete_token(&self, id: i64) -> Result<()> {
        let c = self.client().await?;
        if c.execute(
            &c.prepare_cached("DELETE FROM api_tokens WHERE id = $1")
                .await?,
            &[&id],
        )
        .await?
            == 0
        {
            return Err(StoreError::NotFound(format!("API token {id}")));
        }
        Ok(())
    }

    async fn find_token(&self, hash: &str) -> Result<Option<ApiToken>> {
        let c = self.client().await?;
        let st = c
            .prepare_cached(&format!("SELECT {COLUMNS} FROM api_tokens WHERE hash = $1"))
            .await?;
        c.query_opt(&st, &[&hash])
            .await?
            .as_ref()
            .map(row)
            .transpose()
    }
}
