//! Folder operations beyond create and list: rename with children, delete, and the
//! subscriptions. Each keeps the user's `used_bytes` in step with [`folder_cost`] of the
//! folders it renames or removes ([`crate::rules::quota`]); a rename moves the children
//! [`crate::rules::folders`] names. Subscriptions are names in their own table: neither
//! rename nor delete touches them (RFC 9051 §6.3.4, §6.3.7).

use rusqlite::{OptionalExtension, params};

use super::SqliteStore;
use super::mail::{FOLDER_COLS, drop_blob_refs, folder_row};
use crate::error::{Result, StoreError};
use crate::events::Event;
use crate::model::*;
use crate::rules::folders::{child_prefix, renamed_child};
use crate::rules::quota::{removal_credit, rename_change};

impl SqliteStore {
    pub(crate) async fn get_folder_by_id_impl(&self, id: FolderId) -> Result<Option<Folder>> {
        self.read_now(move |c| {
            let sql = format!("SELECT {FOLDER_COLS} FROM folders WHERE id = ?1");
            Ok(c.prepare_cached(&sql)?
                .query_row([id], folder_row)
                .optional()?)
        })
    }

    pub(crate) async fn rename_folder_impl(
        &self,
        user: UserId,
        from: &str,
        to: &str,
        delim: char,
    ) -> Result<()> {
        let (from, to) = (from.to_owned(), to.to_owned());
        self.write(move |ctx| {
            let c = ctx.conn;
            let taken: bool = c.query_row(
                "SELECT EXISTS (SELECT 1 FROM folders WHERE user_id = ?1 AND name = ?2)",
                params![user, to],
                |r| r.get(0),
            )?;
            if taken {
                return Err(StoreError::Conflict(format!("folder {to}")));
            }
            let n = c.execute(
                "UPDATE folders SET name = ?3 WHERE user_id = ?1 AND name = ?2",
                params![user, from, to],
            )?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("folder {from}")));
            }
            let mut grown = rename_change(&from, &to);
            // Children: "from/x" becomes "to/x" (RFC 9051 §6.3.6).
            let prefix = child_prefix(&from, delim);
            let mut st = c.prepare(
                "SELECT id, name FROM folders WHERE user_id = ?1 AND substr(name, 1, ?2) = ?3",
            )?;
            let kids: Vec<(i64, String)> = st
                .query_map(params![user, prefix.chars().count() as i64, prefix], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?
                .collect::<rusqlite::Result<_>>()?;
            for (id, name) in kids {
                let Some(new) = renamed_child(&name, &from, &to, delim) else {
                    continue;
                };
                grown += rename_change(&name, &new);
                c.execute(
                    "UPDATE folders SET name = ?2 WHERE id = ?1",
                    params![id, new],
                )?;
            }
            c.execute(
                "UPDATE users SET used_bytes = max(used_bytes + ?2, 0) WHERE id = ?1",
                params![user, grown],
            )?;
            ctx.emit(Event::Folders { user_id: user });
            Ok(())
        })
        .await
    }

    pub(crate) async fn delete_folder_impl(&self, folder: FolderId) -> Result<()> {
        let orphans = self
            .write(move |ctx| {
                let (user, name): (UserId, String) = ctx
                    .conn
                    .query_row(
                        "SELECT user_id, name FROM folders WHERE id = ?1",
                        [folder],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .optional()?
                    .ok_or_else(|| StoreError::NotFound(format!("folder #{folder}")))?;
                let sizes: i64 = ctx.conn.query_row(
                    "SELECT coalesce(sum(size), 0) FROM messages WHERE folder_id = ?1",
                    [folder],
                    |r| r.get(0),
                )?;
                let freed = removal_credit(&name, sizes);
                let orphans = drop_blob_refs(
                    ctx.conn,
                    "SELECT blob_id FROM messages WHERE folder_id = ?1",
                    folder,
                )?;
                ctx.conn
                    .execute("DELETE FROM folders WHERE id = ?1", [folder])?;
                ctx.conn.execute(
                    "UPDATE users SET used_bytes = max(used_bytes - ?2, 0) WHERE id = ?1",
                    params![user, freed],
                )?;
                ctx.emit(Event::Folders { user_id: user });
                Ok(orphans)
            })
            .await?;
        self.discard(orphans).await;
        Ok(())
    }

    /// Counts for STATUS ([`crate::MailStore::folder_counts`]), aggregated by SQLite. Flags
    /// are kept as one space-separated text with system flags in their canonical spelling.
    pub(crate) async fn folder_counts_impl(&self, folder: FolderId) -> Result<FolderCounts> {
        // Unchanged since last counted: the kept counts, for one indexed row.
        if let Some(now) = self.read_now(|c| super::counts::stamp(c, folder))? {
            if let Some(n) = self.inner.counts.get(folder, now) {
                return Ok(n);
            }
            // Changed by steps this process logged: the kept counts moved on by them.
            let inner = &self.inner;
            if let Some((was, delta)) = inner.counts.with_log(&inner.changelog, folder, now.0)
                && let Some((at, n)) =
                    self.read_now(move |c| super::counts::moved_on(c, folder, was, delta, now.0))?
            {
                self.inner.counts.keep(folder, at, n);
                return Ok(n);
            }
        }
        let (at, n) = self
            .read(move |c| {
                // One read transaction: the stamp is that of the counted messages.
                c.execute_batch("BEGIN")?;
                let r = super::counts::stamp(c, folder).and_then(|at| Ok((at, count(c, folder)?)));
                c.execute_batch("COMMIT")?;
                r
            })
            .await?;
        if let Some(at) = at {
            self.inner.counts.keep(folder, at, n);
        }
        Ok(n)
    }

    /// Claim the folder's `\Recent` messages ([`crate::MailStore::claim_recent`]): a plain
    /// read when there is nothing new, else one write that moves the mark to the newest UID.
    pub(crate) async fn claim_recent_impl(&self, folder: FolderId) -> Result<(u32, u32)> {
        let read = move |c: &rusqlite::Connection| -> Result<(u32, u32)> {
            c.prepare_cached("SELECT recent_uid, uidnext FROM folders WHERE id = ?1")?
                .query_row([folder], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?
                .ok_or_else(|| StoreError::NotFound(format!("folder #{folder}")))
        };
        let (mark, next) = self.read_now(read)?;
        if mark >= next.saturating_sub(1) {
            return Ok((mark, mark));
        }
        // Relaxed: a claim undone by a power loss only shows those messages as \Recent once
        // more, which RFC 3501 §2.3.2 allows ("may").
        self.write_relaxed(move |ctx| {
            let (mark, next) = read(ctx.conn)?;
            let newest = next.saturating_sub(1).max(mark);
            if newest > mark {
                ctx.conn
                    .prepare_cached("UPDATE folders SET recent_uid = ?2 WHERE id = ?1")?
                    .execute(params![folder, newest])?;
            }
            Ok((mark, newest))
        })
        .await
    }

    pub(crate) async fn list_subscriptions_impl(&self, user: UserId) -> Result<Vec<String>> {
        self.read(move |c| {
            let mut st = c.prepare_cached(
                "SELECT name FROM subscriptions WHERE user_id = ?1 ORDER BY name",
            )?;
            let names = st
                .query_map([user], |r| r.get(0))?
                .collect::<rusqlite::Result<Vec<String>>>()?;
            Ok(names)
        })
        .await
    }

    pub(crate) async fn set_subscription_impl(
        &self,
        user: UserId,
        name: &str,
        on: bool,
    ) -> Result<()> {
        let name = name.to_owned();
        self.write(move |ctx| {
            if on {
                ctx.conn
                    .prepare_cached(
                        "INSERT INTO subscriptions (user_id, name) VALUES (?1, ?2) \
                         ON CONFLICT DO NOTHING",
                    )?
                    .execute(params![user, name])?;
            } else {
                ctx.conn
                    .prepare_cached("DELETE FROM subscriptions WHERE user_id = ?1 AND name = ?2")?
                    .execute(params![user, name])?;
            }
            Ok(())
        })
        .await
    }
}

/// A folder's STATUS counts, read from every one of its messages.
fn count(c: &rusqlite::Connection, folder: FolderId) -> Result<FolderCounts> {
    let mut st = c.prepare_cached(
        "SELECT count(*), \
         coalesce(sum(instr(' ' || flags || ' ', ' \\Seen ') = 0), 0), \
         coalesce(sum(instr(' ' || flags || ' ', ' \\Deleted ') > 0), 0), \
         coalesce(sum(CASE WHEN instr(' ' || flags || ' ', ' \\Deleted ') > 0 \
                           THEN size ELSE 0 END), 0), \
         coalesce(sum(size), 0), \
         coalesce(sum(uid > (SELECT recent_uid FROM folders WHERE id = ?1)), 0), \
         coalesce(max(uid), 0), coalesce(max(modseq), 0) \
         FROM messages WHERE folder_id = ?1",
    )?;
    Ok(st.query_row([folder], |r| {
        Ok(FolderCounts {
            messages: r.get(0)?,
            unseen: r.get(1)?,
            deleted: r.get(2)?,
            deleted_bytes: r.get::<_, i64>(3)? as u64,
            bytes: r.get::<_, i64>(4)? as u64,
            recent: r.get(5)?,
            max_uid: r.get(6)?,
            max_modseq: r.get::<_, i64>(7)? as u64,
        })
    })?)
}
