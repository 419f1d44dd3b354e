//! [`TokenStore`] on SQLite: the admin API's bearer tokens, by the hash of their secret.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, Row, params};

use super::SqliteStore;
use crate::error::{Result, StoreError};
use crate::model::ApiToken;
use crate::traits::TokenStore;

const COLUMNS: &str = "id, name, hash, created_at";

fn row(r: &Row<'_>) -> rusqlite::Result<ApiToken> {
    Ok(ApiToken {
        id: r.get(0)?,
        name: r.get(1)?,
        hash: r.get(2)?,
        created_at: r.get(3)?,
    })
}

#[async_trait]
impl TokenStore for SqliteStore {
    async fn create_token(&self, name: &str, hash: &str, created_at: i64) -> Result<ApiToken> {
        let (name, hash) = (name.to_owned(), hash.to_owned());
        self.write(move |ctx| {
            ctx.conn.execute(
                "INSERT INTO api_tokens (name, hash, created_at) VALUES (?1, ?2, ?3)",
                params![name, hash, created_at],
            )?;
            Ok(ApiToken {
                id: ctx.conn.last_insert_rowid(),
                name,
                hash,
                created_at,
            })
        })
        .await
    }

    async fn list_tokens(&self) -> Result<Vec<ApiToken>> {
        self.read(|c| {
            let mut st = c.prepare(&format!("SELECT {COLUMNS} FROM api_tokens ORDER BY id"))?;
            let rows = st.query_map([], row)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }

    async fn delete_token(&self, id: i64) -> Result<()> {
        self.write(move |ctx| {
            let n = ctx
                .conn
                .execute("DELETE FROM api_tokens WHERE id = ?1", [id])?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("API token {id}")));
            }
            Ok(())
        })
        .await
    }

    async fn find_token(&self, hash: &str) -> Result<Option<ApiToken>> {
        let hash = hash.to_owned();
        self.read(move |c| {
            Ok(
                c.prepare_cached(&format!("SELECT {COLUMNS} FROM api_tokens WHERE hash = ?1"))?
                    .query_row([hash], row)
                    .optional()?,
            )
        })
        .await
    }
}
