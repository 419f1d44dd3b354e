//! Folder operations beyond create and list: rename with children, delete, and the
//! subscriptions. Each keeps the user's `used_bytes` in step with [`folder_cost`] of the
//! folders it renames or removes ([`crate::rules::quota`]); a rename moves the children
//! [`crate::rules::folders`] names. Subscriptions are names in their own table: neither
//! rename nor delete touches them (RFC 9051 §6.3.4, §6.3.7).

use super::PgStore;
use super::blobs::release;
use super::error::not_found;
use super::mail::{FOLDER_COLS, charge, folder_row, recent_mark};
use crate::countcache::Stamp;
use crate::error::{Result, StoreError};
use crate::events::Event;
use crate::model::*;
use crate::rules::folders::{child_prefix, renamed_child};
use crate::rules::quota::{removal_credit, rename_change};

/// A folder's stamp ([`crate::countcache::Stamp`]): HIGHESTMODSEQ, `\Recent` mark, UIDNEXT.
const STAMP: &str = concat!(
    "SELECT f.highestmodseq, ",
    recent_mark!(),
    ", f.uidnext FROM folders f WHERE f.id = $1"
);

/// The stamp with the counts a change log's count changes do not carry: messages above the
/// `\Recent` mark, the highest UID and the highest modseq, in one snapshot.
const MOVED_ON: &str = concat!(
    "SELECT s.h, s.mark, s.next, \
     (SELECT count(*) FROM messages WHERE folder_id = $1 AND uid > s.mark), \
     (SELECT coalesce(max(uid), 0) FROM messages WHERE folder_id = $1), \
     (SELECT coalesce(max(modseq), 0) FROM messages WHERE folder_id = $1) \
     FROM (SELECT f.highestmodseq AS h, ",
    recent_mark!(),
    " AS mark, f.uidnext AS next FROM folders f WHERE f.id = $1) s"
);

/// Every count of a folder's messages, then its stamp (NULL for a folder that does not
/// exist), in one snapshot.
const COUNT: &str = concat!(
    "SELECT count(*), \
     count(*) FILTER (WHERE position(' \\Seen ' in ' ' || flags || ' ') = 0), \
     count(*) FILTER (WHERE position(' \\Deleted ' in ' ' || flags || ' ') > 0), \
     coalesce(sum(size) FILTER \
              (WHERE position(' \\Deleted ' in ' ' || flags || ' ') > 0), 0)::bigint, \
     coalesce(sum(size), 0)::bigint, \
     count(*) FILTER (WHERE uid > (SELECT ",
    recent_mark!(),
    " FROM folders f WHERE f.id = $1)), \
     coalesce(max(uid), 0), coalesce(max(modseq), 0), \
     (SELECT highestmodseq FROM folders WHERE id = $1), \
     (SELECT ",
    recent_mark!(),
    " FROM folders f WHERE f.id = $1), \
     (SELECT uidnext FROM folders WHERE id = $1) \
     FROM messages WHERE folder_id = $1"
);

impl PgStore {
    pub(crate) async fn get_folder_by_id_impl(&self, id: FolderId) -> Result<Option<Folder>> {
        let c = self.client().await?;
        let st = c
            .prepare_cached(&format!(
                "SELECT {FOLDER_COLS} FROM folders f WHERE id = $1"
            ))
            .await?;
        match c.query_opt(&st, &[&id]).await? {
            Some(r) => Ok(Some(folder_row(&r)?)),
            None => Ok(None),
        }
    }

    pub(crate) async fn rename_folder_impl(
        &self,
        user: UserId,
        from: &str,
        to: &str,
        delim: char,
    ) -> Result<()> {
        write_tx!(self, |tx| {
            let taken =
                tx.t.query_opt(
                    &tx.t
                        .prepare_cached("SELECT 1 FROM folders WHERE user_id = $1 AND name = $2")
                        .await?,
                    &[&user, &to],
                )
                .await?
                .is_some();
            if taken {
                return Err(StoreError::Conflict(format!("folder {to}")).into());
            }
            let n =
                tx.t.execute(
                    &tx.t
                        .prepare_cached(
                            "UPDATE folders SET name = $3 WHERE user_id = $1 AND name = $2",
                        )
                        .await?,
                    &[&user, &from, &to],
                )
                .await?;
            if n == 0 {
                return Err(not_found(format!("folder {from}")));
            }
            let mut grown = rename_change(from, to);
            // Children: "from/x" becomes "to/x" (RFC 9051 §6.3.6).
            let prefix = child_prefix(from, delim);
            let kids =
                tx.t.query(
                    &tx.t.prepare_cached("SELECT id, name FROM folders WHERE user_id = $1 AND starts_with(name, $2) \
                     ORDER BY id FOR UPDATE").await?,
                    &[&user, &prefix],
                )
                .await?;
            for k in &kids {
                let (id, name): (i64, &str) = (k.try_get(0)?, k.try_get(1)?);
                let Some(new) = renamed_child(name, from, to, delim) else {
                    continue;
                };
                grown += rename_change(name, &new);
                tx.t.execute(
                    &tx.t
                        .prepare_cached("UPDATE folders SET name = $2 WHERE id = $1")
                        .await?,
                    &[&id, &new],
                )
                .await?;
            }
            charge(&tx, user, grown).await?;
            tx.emit(Event::Folders { user_id: user });
            Ok(())
        })
    }

    pub(crate) async fn delete_folder_impl(&self, folder: FolderId) -> Result<()> {
        write_tx!(self, |tx| {
            let row =
                tx.t.query_opt(
                    &tx.t
                        .prepare_cached(
                            "SELECT user_id, name FROM folders WHERE id = $1 FOR UPDATE",
                        )
                        .await?,
                    &[&folder],
                )
                .await?
                .ok_or_else(|| not_found(format!("folder #{folder}")))?;
            let (user, name): (UserId, &str) = (row.try_get(0)?, row.try_get(1)?);
            let msgs =
                tx.t.query(
                    &tx.t
                        .prepare_cached("SELECT blob_id, size FROM messages WHERE folder_id = $1")
                        .await?,
                    &[&folder],
                )
                .await?;
            let mut sizes = 0i64;
            let mut blobs = Vec::with_capacity(msgs.len());
            for m in &msgs {
                blobs.push(m.try_get::<_, &str>(0)?);
                sizes += m.try_get::<_, i64>(1)?;
            }
            release(&tx, &blobs).await?;
            tx.t.execute(
                &tx.t
                    .prepare_cached("DELETE FROM folders WHERE id = $1")
                    .await?,
                &[&folder],
            )
            .await?;
            charge(&tx, user, -removal_credit(name, sizes)).await?;
            tx.emit(Event::Folders { user_id: user });
            Ok(())
        })
    }

    /// Counts for STATUS ([`crate::MailStore::folder_counts`]): the counts kept for the
    /// folder's stamp ([`crate::countcache`]) when it has not moved, or the kept counts
    /// brought forward by this process's change log, else counted anew by PostgreSQL, with
    /// the stamp in the same statement. Flags are kept as one space-separated text with
    /// system flags in their canonical spelling.
    pub(crate) async fn folder_counts_impl(&self, folder: FolderId) -> Result<FolderCounts> {
        let c = self.client().await?;
        let st = c.prepare_cached(STAMP).await?;
        let now: Option<Stamp> = match c.query_opt(&st, &[&folder]).await? {
            Some(r) => Some((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)),
            None => None,
        };
        self.counts_from(&c, folder, now).await
    }

    /// [`Self::folder_counts_impl`] of a folder just read: its stamp is the one read with it,
    /// so counts kept for that stamp need no round trip.
    pub(crate) async fn folder_counts_of_impl(&self, f: &Folder) -> Result<FolderCounts> {
        let now: Stamp = (
            f.highestmodseq as i64,
            i64::from(f.recent_uid),
            i64::from(f.uidnext),
        );
        if let Some(n) = self.inner.counts.get(f.id, now) {
            return Ok(n);
        }
        let c = self.client().await?;
        self.counts_from(&c, f.id, Some(now)).await
    }

    /// The counts of `folder` as of its stamp `now` (`None`: not known): kept, brought
    /// forward by the change log, or counted anew.
    async fn counts_from(
        &self,
        c: &deadpool_postgres::Object,
        folder: FolderId,
        now: Option<Stamp>,
    ) -> Result<FolderCounts> {
        if let Some(now) = now {
            if let Some(n) = self.inner.counts.get(folder, now) {
                return Ok(n);
            }
            // Changed by steps this process logged: the kept counts moved on by them.
            let inner = &self.inner;
            if let Some((was, delta)) = inner.counts.with_log(&inner.changelog, folder, now.0)
                && let Some(n) = delta.apply(was)
            {
                let st = c.prepare_cached(MOVED_ON).await?;
                let r = c.query_one(&st, &[&folder]).await?;
                let at: Stamp = (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
                if at.0 == now.0 {
                    let n = FolderCounts {
                        recent: r.try_get::<_, i64>(3)? as u32,
                        max_uid: r.try_get::<_, i64>(4)? as u32,
                        max_modseq: r.try_get::<_, i64>(5)? as u64,
                        ..n
                    };
                    self.inner.counts.keep(folder, at, n);
                    return Ok(n);
                }
            }
        }
        let st = c.prepare_cached(COUNT).await?;
        let r = c.query_one(&st, &[&folder]).await?;
        let n = FolderCounts {
            messages: r.try_get::<_, i64>(0)? as u32,
            unseen: r.try_get::<_, i64>(1)? as u32,
            deleted: r.try_get::<_, i64>(2)? as u32,
            deleted_bytes: r.try_get::<_, i64>(3)? as u64,
            bytes: r.try_get::<_, i64>(4)? as u64,
            recent: r.try_get::<_, i64>(5)? as u32,
            max_uid: r.try_get::<_, i64>(6)? as u32,
            max_modseq: r.try_get::<_, i64>(7)? as u64,
        };
        let stamp: Option<i64> = r.try_get(8)?;
        if let Some(m) = stamp {
            let at: Stamp = (m, r.try_get(9)?, r.try_get(10)?);
            self.inner.counts.keep(folder, at, n);
        }
        Ok(n)
    }

    /// Claim the folder's `\Recent` messages ([`crate::MailStore::claim_recent`]): a plain
    /// read when there is nothing new, else one round trip that locks the folder's row of
    /// `recent_marks` (never the folder row, which a batch of mail writes may hold until its
    /// commit) and moves the mark to the newest committed UID, so two sessions, of this node
    /// or another, never claim the same message. The claim commits without waiting for the
    /// WAL flush: a claim lost to a database crash only shows the messages as `\Recent`
    /// once more.
    ///
    /// Marks only move up, so the highest this process saw of a folder's stays a floor of
    /// it ([`super::RecentFloors`]): a session that has seen no UID above the floor has
    /// nothing to claim and is answered without a round trip, and one that has goes
    /// straight to the claim.
    pub(crate) async fn claim_recent_impl(
        &self,
        folder: FolderId,
        seen: u32,
    ) -> Result<(u32, u32)> {
        let floors = &self.inner.recent;
        let taken = |known: Option<u32>| known.filter(|k| *k >= seen).map(|k| (k, k));
        if let Some(none) = taken(floors.get(folder)) {
            return Ok(none);
        }
        let _turn = floors.turn(folder).await;
        // A claim that ran meanwhile may have taken them.
        let known = floors.get(folder);
        if let Some(none) = taken(known) {
            return Ok(none);
        }
        let c = self.client().await?;
        if known.is_none() {
            let (mark, next) = Self::recent_now(&c, folder).await?;
            if mark >= next.saturating_sub(1) {
                floors.raise(folder, mark);
                return Ok((mark, mark));
            }
        }
        let (mark, newest) = Self::claim(&c, folder).await?;
        floors.raise(folder, newest);
        Ok((mark, newest))
    }

    /// A folder's `\Recent` mark and UIDNEXT.
    async fn recent_now(c: &deadpool_postgres::Object, folder: FolderId) -> Result<(u32, u32)> {
        let st = c
            .prepare_cached(concat!(
                "SELECT ",
                recent_mark!(),
                ", f.uidnext FROM folders f WHERE f.id = $1"
            ))
            .await?;
        let row = c
            .query_opt(&st, &[&folder])
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("folder #{folder}")))?;
        let (mark, next): (i64, i64) = (row.try_get(0)?, row.try_get(1)?);
        Ok((mark as u32, next as u32))
    }

    /// Move `folder`'s mark to its newest committed UID: the mark before and after.
    async fn claim(c: &deadpool_postgres::Object, folder: FolderId) -> Result<(u32, u32)> {
        // One simple-query round trip (the folder id is a number, formatted in): the row is
        // made if missing, then locked, read and moved in one statement. Locking it waits
        // for a concurrent claim and then reads the mark that claim left; the newest UID is
        // the one committed when the statement began, never below that mark.
        let sql = format!(
            "BEGIN; SET LOCAL synchronous_commit = off; \
             INSERT INTO recent_marks (folder_id, recent_uid) VALUES ({folder}, 0) \
             ON CONFLICT (folder_id) DO NOTHING; \
             WITH cur AS (SELECT greatest(r.recent_uid, f.recent_uid) AS mark, \
                                 greatest(r.recent_uid, f.recent_uid, f.uidnext - 1) AS newest \
                          FROM recent_marks r JOIN folders f ON f.id = r.folder_id \
                          WHERE r.folder_id = {folder} FOR UPDATE OF r), \
                  moved AS (UPDATE recent_marks SET recent_uid = cur.newest FROM cur \
                            WHERE folder_id = {folder} AND cur.newest > cur.mark) \
             SELECT mark, newest FROM cur; \
             COMMIT"
        );
        let answer = match c.simple_query(&sql).await {
            Ok(a) => a,
            Err(e) => {
                // A statement failed (the folder deleted meanwhile): the explicit transaction
                // is left aborted; end it before the connection goes back to the pool.
                let _ = c.batch_execute("ROLLBACK").await;
                if e.code() == Some(&tokio_postgres::error::SqlState::FOREIGN_KEY_VIOLATION) {
                    return Err(StoreError::NotFound(format!("folder #{folder}")));
                }
                return Err(e.into());
            }
        };
        let mut claimed = None;
        for m in answer {
            if let tokio_postgres::SimpleQueryMessage::Row(r) = m {
                let num = |i: usize| -> Result<u32> {
                    r.get(i)
                        .and_then(|v| v.parse::<u32>().ok())
                        .ok_or_else(|| StoreError::Db(format!("recent mark of folder #{folder}")))
                };
                claimed = Some((num(0)?, num(1)?));
            }
        }
        claimed.ok_or_else(|| StoreError::NotFound(format!("folder #{folder}")))
    }

    pub(crate) async fn list_subscriptions_impl(&self, user: UserId) -> Result<Vec<String>> {
        let c = self.client().await?;
        let st = c
            .prepare_cached("SELECT name FROM subscriptions WHERE user_id = $1 ORDER BY name")
            .await?;
        c.query(&st, &[&user])
            .await?
            .iter()
            .map(|r| Ok(r.try_get(0)?))
            .collect()
    }

    pub(crate) async fn set_subscription_impl(
        &self,
        user: UserId,
        name: &str,
        on: bool,
    ) -> Result<()> {
        let c = self.client().await?;
        let sql = if on {
            "INSERT INTO subscriptions (user_id, name) SELECT id, $2 FROM users WHERE id = $1 \
             ON CONFLICT DO NOTHING"
        } else {
            "DELETE FROM subscriptions WHERE user_id = $1 AND name = $2"
        };
        c.execute(&c.prepare_cached(sql).await?, &[&user, &name])
            .await?;
        Ok(())
    }
}
