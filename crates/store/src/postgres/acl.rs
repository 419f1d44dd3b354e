//! Access-control lists of folders (RFC 4314) in the `acl` table. An entry goes with its
//! folder and its grantee (foreign keys, `ON DELETE CASCADE`); a new entry beyond the
//! caller's limit is refused in the same transaction that would add it, with the folder's
//! row locked so two nodes adding entries at once cannot both pass the count. Public
//! folders ([`crate::rules::public`]) are the folders of a domain's hidden owner row.

use async_trait::async_trait;

use super::PgStore;
use super::error::not_found;
use super::mail::{FOLDER_COL_COUNT, FOLDER_COLS, folder_row};
use crate::error::Result;
use crate::model::*;
use crate::rules::acl::{merge_shared, sort_entries};
use crate::rules::nodes::numbered;
use crate::rules::now;
use crate::rules::public::{self, PUBLIC_OWNER};
use crate::traits::AclStore;

/// The SQL condition naming one entry: `$1` the folder, `$2` the grantee or NULL.
const ENTRY: &str = "folder_id = $1 AND coalesce(grantee_id, 0) = coalesce($2::BIGINT, 0)";

#[async_trait]
impl AclStore for PgStore {
    async fn set_rights(
        &self,
        folder: FolderId,
        grantee: Option<UserId>,
        rights: &str,
        max: usize,
    ) -> Result<bool> {
        write_tx!(self, |tx| {
            let st =
                tx.t.prepare_cached("SELECT user_id FROM folders WHERE id = $1 FOR UPDATE")
                    .await?;
            if tx.t.query_opt(&st, &[&folder]).await?.is_none() {
                return Err(not_found(format!("folder #{folder}")));
            }
            if let Some(g) = grantee {
                let st =
                    tx.t.prepare_cached("SELECT id FROM users WHERE id = $1")
                        .await?;
                if tx.t.query_opt(&st, &[&g]).await?.is_none() {
                    return Err(not_found(format!("user #{g}")));
                }
            }
            let st =
                tx.t.prepare_cached(&format!("UPDATE acl SET rights = $3 WHERE {ENTRY}"))
                    .await?;
            if tx.t.execute(&st, &[&folder, &grantee, &rights]).await? == 0 {
                let st =
                    tx.t.prepare_cached("SELECT count(*) FROM acl WHERE folder_id = $1")
                        .await?;
                let count: i64 = tx.t.query_one(&st, &[&folder]).await?.try_get(0)?;
                if count as usize >= max {
                    return Ok(false);
                }
                let st =
                    tx.t.prepare_cached(
                        "INSERT INTO acl (folder_id, grantee_id, rights) VALUES ($1, $2, $3)",
                    )
                    .await?;
                tx.t.execute(&st, &[&folder, &grantee, &rights]).await?;
            }
            Ok(true)
        })
    }

    async fn delete_rights(&self, folder: FolderId, grantee: Option<UserId>) -> Result<bool> {
        let c = self.client().await?;
        let st = c
            .prepare_cached(&format!("DELETE FROM acl WHERE {ENTRY}"))
            .await?;
        Ok(c.execute(&st, &[&folder, &grantee]).await? > 0)
    }

    async fn list_rights(&self, folder: FolderId) -> Result<Vec<AclEntry>> {
        let c = self.client().await?;
        let st = c
            .prepare_cached(
                "SELECT a.grantee_id, coalesce(u.local, 'anyone'), a.rights FROM acl a \
                 LEFT JOIN users u ON u.id = a.grantee_id WHERE a.folder_id = $1",
            )
            .await?;
        let mut entries = c
            .query(&st, &[&folder])
            .await?
            .iter()
            .map(|r| {
                Ok(AclEntry {
                    grantee: r.try_get(0)?,
                    name: r.try_get(1)?,
                    rights: r.try_get(2)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        sort_entries(&mut entries);
        Ok(entries)
    }

    async fn shared_with(&self, user: UserId) -> Result<Vec<SharedFolder>> {
        self.granted(user, false).await
    }

    async fn public_owner(&self, domain: DomainId, create: bool) -> Result<Option<UserId>> {
        let find = numbered(public::SELECT_OWNER);
        if !create {
            let c = self.client().await?;
            let st = c.prepare_cached(&find).await?;
            return Ok(match c.query_opt(&st, &[&domain]).await? {
                Some(r) => Some(r.try_get(0)?),
                None => None,
            });
        }
        let insert = numbered(public::INSERT_OWNER);
        let at = now();
        let id: i64 = write_tx!(self, |tx| {
            let st =
                tx.t.prepare_cached("SELECT id FROM domains WHERE id = $1")
                    .await?;
            if tx.t.query_opt(&st, &[&domain]).await?.is_none() {
                return Err(not_found(format!("domain #{domain}")));
            }
            let st = tx.t.prepare_cached(&insert).await?;
            tx.t.execute(&st, &[&domain, &at]).await?;
            let st = tx.t.prepare_cached(&find).await?;
            let id: i64 = tx.t.query_one(&st, &[&domain]).await?.try_get(0)?;
            Ok(id)
        })?;
        Ok(Some(id))
    }

    async fn public_shared_with(&self, user: UserId) -> Result<Vec<SharedFolder>> {
        self.granted(user, true).await
    }
}

impl PgStore {
    /// The folders that grant `user` rights: other users' (`public` false) or its domain's
    /// public folders (`public` true), one per folder with the rights together.
    async fn granted(&self, user: UserId, public: bool) -> Result<Vec<SharedFolder>> {
        let n = FOLDER_COL_COUNT;
        let owner = if public { "=" } else { "<>" };
        let sql = format!(
            "SELECT {FOLDER_COLS}, u.local, a.rights FROM acl a \
             JOIN folders f ON f.id = a.folder_id JOIN users u ON u.id = f.user_id \
             WHERE f.user_id <> $1 AND u.local {owner} '{PUBLIC_OWNER}' \
               AND (a.grantee_id = $1 OR (a.grantee_id IS NULL \
               AND u.domain_id = (SELECT domain_id FROM users WHERE id = $1))) \
             ORDER BY u.local, f.name, f.id"
        );
        let c = self.client().await?;
        let st = c.prepare_cached(&sql).await?;
        let rows = c
            .query(&st, &[&user])
            .await?
            .iter()
            .map(|r| {
                Ok((
                    r.try_get::<_, String>(n)?,
                    folder_row(r)?,
                    r.try_get(n + 1)?,
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(merge_shared(rows))
    }
}
