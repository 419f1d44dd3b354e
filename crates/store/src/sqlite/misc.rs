//! [`SettingsStore`] and [`SecretStore`] on SQLite.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};

use super::SqliteStore;
use crate::error::Result;
use crate::events::Event;
use crate::traits::{SecretStore, SettingsStore};

#[async_trait]
impl SettingsStore for SqliteStore {
    async fn get_setting(&self, key: &str) -> Result<Option<String>> {
        let key = key.to_owned();
        self.read(move |c| {
            Ok(
                c.query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
                    r.get(0)
                })
                .optional()?,
            )
        })
        .await
    }

    async fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        let (key, value) = (key.to_owned(), value.to_owned());
        self.write(move |ctx| {
            ctx.conn.execute(
                "INSERT INTO settings (key, value) VALUES (?1, ?2) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )?;
            ctx.emit(Event::Setting { key });
            Ok(())
        })
        .await
    }

    async fn reset_setting(&self, key: &str) -> Result<()> {
        let key = key.to_owned();
        self.write(move |ctx| {
            ctx.conn
                .execute("DELETE FROM settings WHERE key = ?1", [&key])?;
            ctx.emit(Event::Setting { key });
            Ok(())
        })
        .await
    }

    async fn list_settings(&self) -> Result<Vec<(String, String)>> {
        self.read(|c| {
            let mut st = c.prepare("SELECT key, value FROM settings ORDER BY key")?;
            let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }
}

#[async_trait]
impl SecretStore for SqliteStore {
    async fn secret_or_insert(&self, name: &str, fresh: &[u8]) -> Result<Vec<u8>> {
        let (name, fresh) = (name.to_owned(), fresh.to_vec());
        self.write(move |ctx| {
            // The writer serialises this process; SQLite's lock serialises processes.
            ctx.conn.execute(
                "INSERT INTO secrets (name, value) VALUES (?1, ?2) ON CONFLICT (name) DO NOTHING",
                params![name, fresh],
            )?;
            Ok(ctx
                .conn
                .query_row("SELECT value FROM secrets WHERE name = ?1", [&name], |r| {
                    r.get(0)
                })?)
        })
        .await
    }
}
