//! Metadata entries (RFC 5464) in the `metadata` table: one row per user, folder (NULL for
//! the user's server entries) and entry name. Rows go with their folder (foreign key) and
//! keep its id through a rename, so they follow it.
//!
//! Invariant: the limit on the number of entries is checked in the same write transaction
//! that applies the changes ([`crate::rules::metadata`]), so concurrent SETMETADATAs cannot
//! pass it together.

use std::collections::HashSet;

use rusqlite::params;

use super::SqliteStore;
use crate::error::Result;
use crate::model::*;
use crate::rules::metadata::{last_per_name, too_many};

impl SqliteStore {
    pub(crate) async fn get_metadata_impl(
        &self,
        user: UserId,
        folder: Option<FolderId>,
    ) -> Result<Vec<(String, Vec<u8>)>> {
        self.read(move |c| {
            let mut st = c.prepare_cached(
                "SELECT name, value FROM metadata \
                 WHERE user_id = ?1 AND coalesce(folder_id, 0) = coalesce(?2, 0) ORDER BY name",
            )?;
            let rows = st
                .query_map(params![user, folder], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
        .await
    }

    pub(crate) async fn set_metadata_impl(
        &self,
        user: UserId,
        folder: Option<FolderId>,
        changes: &[MetadataChange],
        max_entries: usize,
    ) -> Result<MetadataWrite> {
        let changes = changes.to_vec();
        self.write(move |ctx| {
            let c = ctx.conn;
            let existing: HashSet<String> = c
                .prepare_cached(
                    "SELECT name FROM metadata \
                     WHERE user_id = ?1 AND coalesce(folder_id, 0) = coalesce(?2, 0)",
                )?
                .query_map(params![user, folder], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            if too_many(&existing, &changes, max_entries) {
                return Ok(MetadataWrite::TooMany);
            }
            for (name, value) in last_per_name(&changes) {
                c.prepare_cached(
                    "DELETE FROM metadata \
                     WHERE user_id = ?1 AND coalesce(folder_id, 0) = coalesce(?2, 0) AND name = ?3",
                )?
                .execute(params![user, folder, name])?;
                if let Some(v) = value {
                    c.prepare_cached(
                        "INSERT INTO metadata (user_id, folder_id, name, value) \
                         VALUES (?1, ?2, ?3, ?4)",
                    )?
                    .execute(params![user, folder, name, v])?;
                }
            }
            Ok(MetadataWrite::Written)
        })
        .await
    }
}
