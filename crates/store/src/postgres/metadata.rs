//! Metadata entries (RFC 5464) in the `metadata` table: one row per user, folder (NULL for
//! the user's server entries) and entry name. Rows go with their folder (foreign key) and
//! keep its id through a rename, so they follow it.
//!
//! Invariant: the limit on the number of entries is checked in the same transaction that
//! applies the changes, with the user's row locked ([`crate::rules::metadata`]), so
//! concurrent SETMETADATAs on any node cannot pass it together.

use std::collections::HashSet;

use super::PgStore;
use crate::error::Result;
use crate::model::*;
use crate::rules::metadata::{last_per_name, too_many};

impl PgStore {
    pub(crate) async fn get_metadata_impl(
        &self,
        user: UserId,
        folder: Option<FolderId>,
    ) -> Result<Vec<(String, Vec<u8>)>> {
        let c = self.client().await?;
        let st = c
            .prepare_cached(
                "SELECT name, value FROM metadata \
                 WHERE user_id = $1 AND coalesce(folder_id, 0) = coalesce($2::BIGINT, 0) ORDER BY name",
            )
            .await?;
        c.query(&st, &[&user, &folder])
            .await?
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect()
    }

    pub(crate) async fn set_metadata_impl(
        &self,
        user: UserId,
        folder: Option<FolderId>,
        changes: &[MetadataChange],
        max_entries: usize,
    ) -> Result<MetadataWrite> {
        write_tx!(self, |tx| {
            tx.t.execute(
                &tx.t
                    .prepare_cached("SELECT 1 FROM users WHERE id = $1 FOR UPDATE")
                    .await?,
                &[&user],
            )
            .await?;
            let existing: HashSet<String> =
                tx.t.query(
                    &tx.t
                        .prepare_cached(
                            "SELECT name FROM metadata \
                             WHERE user_id = $1 AND coalesce(folder_id, 0) = coalesce($2::BIGINT, 0)",
                        )
                        .await?,
                    &[&user, &folder],
                )
                .await?
                .iter()
                .map(|r| r.try_get::<_, String>(0))
                .collect::<std::result::Result<_, _>>()?;
            if too_many(&existing, changes, max_entries) {
                return Ok(MetadataWrite::TooMany);
            }
            let delete =
                tx.t.prepare_cached(
                    "DELETE FROM metadata WHERE user_id = $1 \
                     AND coalesce(folder_id, 0) = coalesce($2::BIGINT, 0) AND name = $3",
                )
                .await?;
            let insert =
                tx.t.prepare_cached(
                    "INSERT INTO metadata (user_id, folder_id, name, value) \
                     VALUES ($1, $2, $3, $4)",
                )
                .await?;
            for (name, value) in last_per_name(changes) {
                tx.t.execute(&delete, &[&user, &folder, &name]).await?;
                if let Some(v) = value {
                    tx.t.execute(&insert, &[&user, &folder, &name, &v]).await?;
                }
            }
            Ok(MetadataWrite::Written)
        })
    }
}
