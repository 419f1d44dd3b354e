//! Access-control lists of folders (RFC 4314) in the `acl` table. An entry goes with its
//! folder and its grantee (foreign keys, `ON DELETE CASCADE`); a new entry beyond the
//! caller's limit is refused in the same transaction that would add it. Public folders
//! ([`crate::rules::public`]) are the folders of a domain's hidden owner row.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};

use super::SqliteStore;
use super::mail::{FOLDER_COLS, folder_row};
use crate::error::{Result, StoreError};
use crate::model::*;
use crate::rules::acl::{merge_shared, sort_entries};
use crate::rules::now;
use crate::rules::public::{self, PUBLIC_OWNER};
use crate::traits::AclStore;

/// The SQL condition naming one entry: `?1` the folder, `?2` the grantee or NULL.
const ENTRY: &str = "folder_id = ?1 AND coalesce(grantee_id, 0) = coalesce(?2, 0)";

#[async_trait]
impl AclStore for SqliteStore {
    async fn set_rights(
        &self,
        folder: FolderId,
        grantee: Option<UserId>,
        rights: &str,
        max: usize,
    ) -> Result<bool> {
        let rights = rights.to_owned();
        self.write(move |ctx| {
            let c = ctx.conn;
            let _: UserId = c
                .prepare_cached("SELECT user_id FROM folders WHERE id = ?1")?
                .query_row([folder], |r| r.get(0))
                .optional()?
                .ok_or_else(|| StoreError::NotFound(format!("folder #{folder}")))?;
            if let Some(g) = grantee {
                let found: Option<i64> = c
                    .prepare_cached("SELECT id FROM users WHERE id = ?1")?
                    .query_row([g], |r| r.get(0))
                    .optional()?;
                if found.is_none() {
                    return Err(StoreError::NotFound(format!("user #{g}")));
                }
            }
            let updated = c
                .prepare_cached(&format!("UPDATE acl SET rights = ?3 WHERE {ENTRY}"))?
                .execute(params![folder, grantee, rights])?;
            if updated == 0 {
                let count: i64 = c
                    .prepare_cached("SELECT count(*) FROM acl WHERE folder_id = ?1")?
                    .query_row([folder], |r| r.get(0))?;
                if count as usize >= max {
                    return Ok(false);
                }
                c.prepare_cached(
                    "INSERT INTO acl (folder_id, grantee_id, rights) VALUES (?1, ?2, ?3)",
                )?
                .execute(params![folder, grantee, rights])?;
            }
            Ok(true)
        })
        .await
    }

    async fn delete_rights(&self, folder: FolderId, grantee: Option<UserId>) -> Result<bool> {
        self.write(move |ctx| {
            let n = ctx
                .conn
                .prepare_cached(&format!("DELETE FROM acl WHERE {ENTRY}"))?
                .execute(params![folder, grantee])?;
            Ok(n > 0)
        })
        .await
    }

    async fn list_rights(&self, folder: FolderId) -> Result<Vec<AclEntry>> {
        self.read(move |c| {
            let mut st = c.prepare_cached(
                "SELECT a.grantee_id, coalesce(u.local, 'anyone'), a.rights FROM acl a \
                 LEFT JOIN users u ON u.id = a.grantee_id WHERE a.folder_id = ?1",
            )?;
            let mut entries = st
                .query_map([folder], |r| {
                    Ok(AclEntry {
                        grantee: r.get(0)?,
                        name: r.get(1)?,
                        rights: r.get(2)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            sort_entries(&mut entries);
            Ok(entries)
        })
        .await
    }

    async fn shared_with(&self, user: UserId) -> Result<Vec<SharedFolder>> {
        self.read(move |c| granted(c, user, false)).await
    }

    async fn public_owner(&self, domain: DomainId, create: bool) -> Result<Option<UserId>> {
        let find = move |c: &rusqlite::Connection| -> Result<Option<UserId>> {
            Ok(c.prepare_cached(public::SELECT_OWNER)?
                .query_row([domain], |r| r.get(0))
                .optional()?)
        };
        if !create {
            return self.read(move |c| find(c)).await;
        }
        self.write(move |ctx| {
            let found: Option<i64> = ctx
                .conn
                .prepare_cached("SELECT id FROM domains WHERE id = ?1")?
                .query_row([domain], |r| r.get(0))
                .optional()?;
            if found.is_none() {
                return Err(StoreError::NotFound(format!("domain #{domain}")));
            }
            ctx.conn
                .prepare_cached(public::INSERT_OWNER)?
                .execute(params![domain, now()])?;
            find(ctx.conn)
        })
        .await
    }

    async fn public_shared_with(&self, user: UserId) -> Result<Vec<SharedFolder>> {
        self.read(move |c| granted(c, user, true)).await
    }
}

/// The folders that grant `user` rights: other users' (`public` false) or its domain's
/// public folders (`public` true), one per folder with the rights together.
fn granted(c: &rusqlite::Connection, user: UserId, public: bool) -> Result<Vec<SharedFolder>> {
    let cols: Vec<String> = FOLDER_COLS.split(", ").map(|x| format!("f.{x}")).collect();
    let owner = if public { "=" } else { "<>" };
    let sql = format!(
        "SELECT {}, u.local, a.rights FROM acl a \
         JOIN folders f ON f.id = a.folder_id JOIN users u ON u.id = f.user_id \
         WHERE f.user_id <> ?1 AND u.local {owner} '{PUBLIC_OWNER}' \
           AND (a.grantee_id = ?1 OR (a.grantee_id IS NULL \
           AND u.domain_id = (SELECT domain_id FROM users WHERE id = ?1))) \
         ORDER BY u.local, f.name, f.id",
        cols.join(", ")
    );
    let n = cols.len();
    let mut st = c.prepare_cached(&sql)?;
    let rows = st
        .query_map([user], |r| {
            Ok((r.get::<_, String>(n)?, folder_row(r)?, r.get(n + 1)?))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(merge_shared(rows))
}
