//! [`SettingsStore`] and [`SecretStore`] on PostgreSQL.

use async_trait::async_trait;

use super::PgStore;
use crate::error::Result;
use crate::events::Event;
use crate::traits::{SecretStore, SettingsStore};

#[async_trait]
impl SettingsStore for PgStore {
    async fn get_setting(&self, key: &str) -> Result<Option<String>> {
        let c = self.client().await?;
        let row = c
            .query_opt(
                &c.prepare_cached("SELECT value FROM settings WHERE key = $1")
                    .await?,
                &[&key],
            )
            .await?;
        Ok(row.map(|r| r.try_get(0)).transpose()?)
    }

    async fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        write_tx!(self, |tx| {
            tx.t.execute(
                &tx.t
                    .prepare_cached(
                        "INSERT INTO settings (key, value) VALUES ($1, $2) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    )
                    .await?,
                &[&key, &value],
            )
            .await?;
            tx.emit(Event::Setting { key: key.into() });
            Ok(())
        })
    }

    async fn reset_setting(&self, key: &str) -> Result<()> {
        write_tx!(self, |tx| {
            tx.t.execute(
                &tx.t
                    .prepare_cached("DELETE FROM settings WHERE key = $1")
                    .await?,
                &[&key],
            )
            .await?;
            tx.emit(Event::Setting { key: key.into() });
            Ok(())
        })
    }

    async fn list_settings(&self) -> Result<Vec<(String, String)>> {
        let c = self.client().await?;
        let rows = c
            .query(
                &c.prepare_cached("SELECT key, value FROM settings ORDER BY key")
                    .await?,
                &[],
            )
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push((r.try_get(0)?, r.try_get(1)?));
        }
        Ok(out)
    }
}

#[async_trait]
impl SecretStore for PgStore {
    async fn secret_or_insert(&self, name: &str, fresh: &[u8]) -> Result<Vec<u8>> {
        write_tx!(self, |tx| {
            // A racing insert of the same name waits for the other to commit, then does
            // nothing; the next statement sees the value that was stored first.
            tx.t.execute(
                &tx.t.prepare_cached("INSERT INTO secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING").await?,
                &[&name, &fresh],
            )
            .await?;
            let r =
                tx.t.query_one(
                    &tx.t
                        .prepare_cached("SELECT value FROM secrets WHERE name = $1")
                        .await?,
                    &[&name],
                )
                .await?;
            Ok(r.try_get(0)?)
        })
    }
}
