//! DKIM signing keys on SQLite, one per domain.

use rusqlite::{OptionalExtension, params};

use super::SqliteStore;
use crate::error::{Result, StoreError};
use crate::events::Event;
use crate::model::DkimRecord;
use crate::rules::names::dkim_domain;

impl SqliteStore {
    pub(crate) async fn put_dkim_key_impl(&self, k: DkimRecord) -> Result<()> {
        self.write(move |ctx| {
            ctx.conn.execute(
                "INSERT OR REPLACE INTO dkim_keys (domain, selector, algorithm, private_key, \
                 created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    dkim_domain(&k.domain),
                    k.selector,
                    k.algorithm,
                    k.private_key,
                    k.created_at
                ],
            )?;
            ctx.emit(Event::Directory);
            Ok(())
        })
        .await
    }

    pub(crate) async fn get_dkim_key_impl(&self, domain: String) -> Result<Option<DkimRecord>> {
        self.read(move |c| {
            Ok(c.prepare_cached(
                "SELECT domain, selector, algorithm, private_key, created_at FROM dkim_keys \
                 WHERE domain = ?1",
            )?
            .query_row([domain], |r| {
                Ok(DkimRecord {
                    domain: r.get(0)?,
                    selector: r.get(1)?,
                    algorithm: r.get(2)?,
                    private_key: r.get(3)?,
                    created_at: r.get(4)?,
                })
            })
            .optional()?)
        })
        .await
    }

    pub(crate) async fn delete_dkim_key_impl(&self, domain: String) -> Result<()> {
        self.write(move |ctx| {
            let n = ctx
                .conn
                .execute("DELETE FROM dkim_keys WHERE domain = ?1", [&domain])?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("DKIM key of {domain}")));
            }
            ctx.emit(Event::Directory);
            Ok(())
        })
        .await
    }
}
