//! STATUS counts on SQLite: the folder's stamp and the kept counts brought forward
//! ([`crate::countcache`] holds them and says when they may be used).

use rusqlite::{Connection, OptionalExtension};

use crate::changelog::CountDelta;
use crate::countcache::Stamp;
use crate::error::Result;
use crate::model::{FolderCounts, FolderId};

/// The folder's stamp now; `None` for a folder that does not exist.
pub fn stamp(c: &Connection, folder: FolderId) -> Result<Option<Stamp>> {
    Ok(
        c.prepare_cached("SELECT highestmodseq, recent_uid, uidnext FROM folders WHERE id = ?1")?
            .query_row([folder], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?,
    )
}

/// Counts kept at stamp `was`, brought to the folder's state now by `delta` (the count
/// changes of every modseq from `was` to the stamp read here): the stamp now, and the counts,
/// if the stamp read is the one `delta` reaches; else `None` (count anew).
pub fn moved_on(
    c: &Connection,
    folder: FolderId,
    was: FolderCounts,
    delta: CountDelta,
    reaches: i64,
) -> Result<Option<(Stamp, FolderCounts)>> {
    c.execute_batch("BEGIN")?;
    let r = (|| -> Result<Option<(Stamp, FolderCounts)>> {
        let Some(now) = stamp(c, folder)? else {
            return Ok(None);
        };
        if now.0 != reaches {
            return Ok(None);
        }
        let Some(n) = delta.apply(was) else {
            return Ok(None);
        };
        let (recent, max_uid, max_modseq) = c
            .prepare_cached(
                "SELECT (SELECT count(*) FROM messages WHERE folder_id = ?1 AND uid > ?2), \
                 (SELECT coalesce(max(uid), 0) FROM messages WHERE folder_id = ?1), \
                 (SELECT coalesce(max(modseq), 0) FROM messages WHERE folder_id = ?1)",
            )?
            .query_row(rusqlite::params![folder, now.1], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)? as u64))
            })?;
        Ok(Some((
            now,
            FolderCounts {
                recent,
                max_uid,
                max_modseq,
                ..n
            },
        )))
    })();
    c.execute_batch("COMMIT")?;
    r
}
