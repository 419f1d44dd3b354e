//! [`SettingsStore`] and [`SpoolStore`] on SQLite.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};

use super::staged::add_blob;
use super::{SqliteStore, from_json, now, to_json};
use crate::error::{Result, StoreError};
use crate::events::Event;
use crate::model::*;
use crate::traits::{SettingsStore, SpoolStore};

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

const SPOOL_COLS: &str = "id, sender, recipients, blob_id, size, priority, ret, envid, attempts, \
     created_at, next_attempt_at";

#[async_trait]
impl SpoolStore for SqliteStore {
    async fn spool_insert(&self, bytes: Vec<u8>, e: NewSpoolEntry) -> Result<SpoolEntry> {
        let staged = self.stage(bytes).await?;
        let (size, file) = (staged.size, staged.file_id());
        let rcpts = to_json(&e.recipients)?;
        let created = now();
        let r = self
            .write(move |ctx| {
                add_blob(ctx.conn, &staged, 1)?;
                let id = staged.id;
                ctx.conn.execute(
                    "INSERT INTO spool (sender, recipients, blob_id, size, priority, ret, envid, \
                     created_at, next_attempt_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                    params![
                        e.sender,
                        rcpts,
                        id,
                        size as i64,
                        e.priority,
                        e.ret,
                        e.envid,
                        created,
                        e.next_attempt_at
                    ],
                )?;
                ctx.emit(Event::Spool);
                Ok(SpoolEntry {
                    id: ctx.conn.last_insert_rowid(),
                    sender: e.sender,
                    recipients: e.recipients,
                    blob: id,
                    size,
                    priority: e.priority,
                    ret: e.ret,
                    envid: e.envid,
                    attempts: 0,
                    created_at: created,
                    next_attempt_at: e.next_attempt_at,
                })
            })
            .await;
        if r.is_err() {
            self.discard(file).await;
        }
        r
    }

    async fn spool_list(&self) -> Result<Vec<SpoolEntry>> {
        self.read(|c| {
            let sql = format!("SELECT {SPOOL_COLS} FROM spool ORDER BY priority DESC, id");
            let mut st = c.prepare(&sql)?;
            let rows = st.query_map([], |r| {
                Ok((
                    SpoolEntry {
                        id: r.get(0)?,
                        sender: r.get(1)?,
                        recipients: Vec::new(),
                        blob: r.get(3)?,
                        size: r.get::<_, i64>(4)? as u64,
                        priority: r.get(5)?,
                        ret: r.get(6)?,
                        envid: r.get(7)?,
                        attempts: r.get(8)?,
                        created_at: r.get(9)?,
                        next_attempt_at: r.get(10)?,
                    },
                    r.get::<_, String>(2)?,
                ))
            })?;
            rows.map(|row| {
                let (mut e, rcpts) = row?;
                e.recipients = from_json(&rcpts, "spool recipients")?;
                Ok(e)
            })
            .collect()
        })
        .await
    }

    async fn spool_delete(&self, id: i64) -> Result<()> {
        let orphans = self
            .write(move |ctx| {
                let blob: String = ctx
                    .conn
                    .query_row(
                        "DELETE FROM spool WHERE id = ?1 RETURNING blob_id",
                        [id],
                        |r| r.get(0),
                    )
                    .optional()?
                    .ok_or_else(|| StoreError::NotFound(format!("spool entry #{id}")))?;
                let left: i64 = ctx.conn.query_row(
                    "UPDATE blobs SET refs = refs - 1 WHERE id = ?1 RETURNING refs",
                    [&blob],
                    |r| r.get(0),
                )?;
                ctx.emit(Event::Spool);
                if left <= 0 {
                    ctx.conn
                        .execute("DELETE FROM blobs WHERE id = ?1", [&blob])?;
                    return Ok(vec![blob]);
                }
                Ok(vec![])
            })
            .await?;
        self.discard(orphans).await;
        Ok(())
    }
}
