//! [`DirectoryStore`] on PostgreSQL: domains, domain aliases, users, aliases, lists, the
//! admin, DKIM keys.
//!
//! Deleting a user or domain drops its messages' references to blobs in the same transaction;
//! blobs left with no reference go with it.

use async_trait::async_trait;

use super::PgStore;
use super::blobs::release;
use super::directory_rows::*;
use super::directory_search::{domain_admins, inactive_users, search_users};
use super::error::{TxResult, not_found};
use super::mail::create_folder_tx;
use super::tx::Tx;
use crate::error::{Result, StoreError};
use crate::events::Event;
use crate::model::*;
use crate::rules::json::{from_json, to_json};
use crate::rules::names::dkim_domain;
use crate::rules::now;
use crate::rules::quota::folders_cost;
use crate::rules::search::contains_pattern;
use crate::traits::DirectoryStore;

/// Drop the blob references of the messages `select` (one `$1` parameter) names.
async fn drop_blob_refs(tx: &Tx, select: &str, id: i64) -> TxResult<()> {
    let rows = tx.t.query(select, &[&id]).await?;
    let mut ids = Vec::with_capacity(rows.len());
    for r in &rows {
        ids.push(r.try_get::<_, &str>(0)?);
    }
    release(tx, &ids).await
}

#[async_trait]
impl DirectoryStore for PgStore {
    async fn create_domain(&self, d: NewDomain) -> Result<Domain> {
        let limits = to_json(&d.limits)?;
        let created = now();
        let id: i64 = write_tx!(self, |tx| {
            let r = tx
                .t
                .query_one(
                    &tx.t.prepare_cached("INSERT INTO domains (name, limits, created_at) VALUES ($1, $2, $3) RETURNING id").await?,
                    &[&d.name, &limits, &created],
                )
                .await?;
            tx.emit(Event::Directory);
            Ok(r.try_get(0)?)
        })?;
        Ok(Domain {
            id,
            name: d.name,
            disabled: false,
            limits: d.limits,
            catch_all: None,
            require_smtp_auth: false,
            bind_ip: None,
            smtp_alt_port: None,
            created_at: created,
            filter: FilterOverrides::default(),
            greylisting: true,
            archive_rule: None,
            autoclean_rules: String::new(),
            autoclean_user_override: true,
            pop_retrieval: true,
        })
    }

    async fn update_domain(&self, d: &Domain) -> Result<()> {
        let limits = to_json(&d.limits)?;
        let filter = to_json(&d.filter)?;
        write_tx!(self, |tx| {
            let n =
                tx.t.execute(
                    &tx.t
                        .prepare_cached(
                            "UPDATE domains SET disabled = $2, limits = $3, catch_all = $4, \
                     require_smtp_auth = $5, bind_ip = $6, filter = $7, greylisting = $8, \
                     smtp_alt_port = $9, archive_rule = $10, autoclean_rules = $11, \
                     autoclean_user_override = $12, pop_retrieval = $13 WHERE id = $1",
                        )
                        .await?,
                    &[
                        &d.id,
                        &d.disabled,
                        &limits,
                        &d.catch_all,
                        &d.require_smtp_auth,
                        &d.bind_ip,
                        &filter,
                        &d.greylisting,
                        &d.smtp_alt_port.map(i64::from),
                        &d.archive_rule.map(|r| r.as_str()),
                        &d.autoclean_rules,
                        &d.autoclean_user_override,
                        &d.pop_retrieval,
                    ],
                )
                .await?;
            if n == 0 {
                return Err(not_found(format!("domain {}", d.name)));
            }
            tx.emit(Event::Directory);
            Ok(())
        })
    }

    async fn get_domain(&self, name: &str) -> Result<Option<Domain>> {
        let sql = format!("SELECT {DOMAIN_COLS} FROM domains WHERE name = $1");
        self.one(&sql, &[&name], domain_row).await
    }

    async fn get_domain_by_id(&self, id: DomainId) -> Result<Option<Domain>> {
        let sql = format!("SELECT {DOMAIN_COLS} FROM domains WHERE id = $1");
        self.one(&sql, &[&id], domain_row).await
    }

    async fn list_domains(&self) -> Result<Vec<Domain>> {
        let sql = format!("SELECT {DOMAIN_COLS} FROM domains ORDER BY name");
        self.all(&sql, &[], domain_row).await
    }

    async fn delete_domain(&self, id: DomainId) -> Result<()> {
        write_tx!(self, |tx| {
            drop_blob_refs(
                &tx,
                "SELECT m.blob_id FROM messages m JOIN folders f ON f.id = m.folder_id \
                 JOIN users u ON u.id = f.user_id WHERE u.domain_id = $1",
                id,
            )
            .await?;
            if tx
                .t
                .execute(
                    &tx.t
                        .prepare_cached("DELETE FROM domains WHERE id = $1")
                        .await?,
                    &[&id],
                )
                .await?
                == 0
            {
                return Err(not_found(format!("domain #{id}")));
            }
            tx.emit(Event::Directory);
            Ok(())
        })
    }

    async fn add_domain_alias(&self, alias: &str, domain: DomainId) -> Result<()> {
        write_tx!(self, |tx| {
            let clash =
                tx.t.query_opt(
                    &tx.t
                        .prepare_cached("SELECT 1 FROM domains WHERE name = $1")
                        .await?,
                    &[&alias],
                )
                .await?
                .is_some();
            if clash {
                return Err(StoreError::Conflict(format!("domain {alias}")).into());
            }
            tx.t.execute(
                &tx.t
                    .prepare_cached("INSERT INTO domain_aliases (name, domain_id) VALUES ($1, $2)")
                    .await?,
                &[&alias, &domain],
            )
            .await?;
            tx.emit(Event::Directory);
            Ok(())
        })
    }

    async fn remove_domain_alias(&self, alias: &str) -> Result<()> {
        write_tx!(self, |tx| {
            let n =
                tx.t.execute(
                    &tx.t
                        .prepare_cached("DELETE FROM domain_aliases WHERE name = $1")
                        .await?,
                    &[&alias],
                )
                .await?;
            if n == 0 {
                return Err(not_found(format!("domain alias {alias}")));
            }
            tx.emit(Event::Directory);
            Ok(())
        })
    }

    async fn resolve_domain_alias(&self, alias: &str) -> Result<Option<DomainId>> {
        self.one(
            "SELECT domain_id FROM domain_aliases WHERE name = $1",
            &[&alias],
            |r| Ok(r.try_get(0)?),
        )
        .await
    }

    async fn list_domain_aliases(&self, domain: DomainId) -> Result<Vec<String>> {
        self.all(
            "SELECT name FROM domain_aliases WHERE domain_id = $1 ORDER BY name",
            &[&domain],
            |r| Ok(r.try_get(0)?),
        )
        .await
    }

    async fn create_user(&self, u: NewUser, folders: &[(&str, Option<&str>)]) -> Result<User> {
        crate::rules::public::refuse_reserved(&u.local)?;
        let created = now();
        let id: i64 = write_tx!(self, |tx| {
            let id: i64 =
                tx.t.query_one(
                    &tx.t.prepare_cached("INSERT INTO users (domain_id, local, credentials, display_name, quota_bytes, \
                     role, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id").await?,
                    &[
                        &u.domain_id,
                        &u.local,
                        &u.credentials,
                        &u.display_name,
                        &(u.quota_bytes as i64),
                        &u.role.as_str(),
                        &created,
                    ],
                )
                .await?
                .try_get(0)?;
            let subscribe =
                tx.t.prepare_cached("INSERT INTO subscriptions (user_id, name) VALUES ($1, $2)")
                    .await?;
            for (name, special) in folders {
                create_folder_tx(&tx, id, name, *special).await?;
                tx.t.execute(&subscribe, &[&id, name]).await?;
            }
            tx.emit(Event::Directory);
            Ok(id)
        })?;
        Ok(User {
            id,
            domain_id: u.domain_id,
            local: u.local,
            credentials: u.credentials,
            display_name: u.display_name,
            quota_bytes: u.quota_bytes,
            used_bytes: folders_cost(folders.iter().map(|(n, _)| *n)),
            disabled: false,
            role: u.role,
            forward_to: Vec::new(),
            created_at: created,
            last_login: None,
            filter: FilterOverrides::default(),
            greylisting: true,
            autoclean_rules: String::new(),
        })
    }

    async fn update_user(&self, u: &User) -> Result<()> {
        let fwd = to_json(&u.forward_to)?;
        let filter = to_json(&u.filter)?;
        write_tx!(self, |tx| {
            let n =
                tx.t.execute(
                    &tx.t.prepare_cached("UPDATE users SET credentials = $2, display_name = $3, quota_bytes = $4, \
                     disabled = $5, role = $6, forward_to = $7, filter = $8, greylisting = $9, autoclean_rules = $10 WHERE id = $1").await?,
                    &[
                        &u.id,
                        &u.credentials,
                        &u.display_name,
                        &(u.quota_bytes as i64),
                        &u.disabled,
                        &u.role.as_str(),
                        &fwd,
                        &filter,
                        &u.greylisting,
                        &u.autoclean_rules,
                    ],
                )
                .await?;
            if n == 0 {
                return Err(not_found(format!("user {}", u.local)));
            }
            tx.emit(Event::Directory);
            Ok(())
        })
    }

    async fn get_user(&self, domain: DomainId, local: &str) -> Result<Option<User>> {
        let sql = format!(
            "SELECT {USER_COLS} FROM users WHERE domain_id = $1 AND local = $2 \
             AND local <> '#public'"
        );
        self.one(&sql, &[&domain, &local], user_row).await
    }

    async fn get_user_by_id(&self, id: UserId) -> Result<Option<User>> {
        let sql = format!("SELECT {USER_COLS} FROM users WHERE id = $1");
        self.one(&sql, &[&id], user_row).await
    }

    async fn list_users(&self, domain: DomainId) -> Result<Vec<User>> {
        let sql = format!(
            "SELECT {USER_COLS} FROM users WHERE domain_id = $1 AND local <> '#public' \
                 ORDER BY local"
        );
        self.all(&sql, &[&domain], user_row).await
    }

    async fn count_users(&self, domain: DomainId) -> Result<u64> {
        self.count_of(
            "SELECT count(*) FROM users WHERE domain_id = $1 AND local <> '#public'",
            domain,
        )
        .await
    }

    async fn search_users(
        &self,
        domain: DomainId,
        needle: Option<&str>,
        limit: u64,
        offset: u64,
    ) -> Result<(u64, Vec<User>)> {
        let pattern = needle.map(contains_pattern);
        let c = self.client().await?;
        search_users(&c, domain, pattern.as_deref(), limit, offset).await
    }

    async fn domain_admins(&self, domain: DomainId) -> Result<Vec<User>> {
        domain_admins(&self.client().await?, domain).await
    }

    async fn domain_usage(&self, domain: DomainId) -> Result<u64> {
        self.count_of(
            "SELECT coalesce(sum(used_bytes), 0)::bigint FROM users WHERE domain_id = $1",
            domain,
        )
        .await
    }

    async fn totals(&self) -> Result<Totals> {
        let c = self.client().await?;
        let r = c
            .query_one(
                &c.prepare_cached(
                    "SELECT (SELECT count(*) FROM domains), (SELECT count(*) FROM users WHERE local <> '#public'), \
                        (SELECT count(*) FROM messages), \
                        (SELECT coalesce(sum(used_bytes), 0)::bigint FROM users)",
                )
                .await?,
                &[],
            )
            .await?;
        let n = |i: usize| -> Result<u64> { Ok(r.try_get::<_, i64>(i)?.max(0) as u64) };
        Ok(Totals {
            domains: n(0)?,
            users: n(1)?,
            messages: n(2)?,
            bytes: n(3)?,
        })
    }

    async fn delete_user(&self, id: UserId) -> Result<()> {
        write_tx!(self, |tx| {
            drop_blob_refs(
                &tx,
                "SELECT m.blob_id FROM messages m JOIN folders f ON f.id = m.folder_id \
                 WHERE f.user_id = $1",
                id,
            )
            .await?;
            if tx
                .t
                .execute(
                    &tx.t
                        .prepare_cached("DELETE FROM users WHERE id = $1")
                        .await?,
                    &[&id],
                )
                .await?
                == 0
            {
                return Err(not_found(format!("user #{id}")));
            }
            tx.emit(Event::Directory);
            Ok(())
        })
    }

    async fn touch_login(&self, id: UserId, at: i64) -> Result<()> {
        let c = self.client().await?;
        c.execute(
            &c.prepare_cached("UPDATE users SET last_login = $2 WHERE id = $1")
                .await?,
            &[&id, &at],
        )
        .await?;
        Ok(())
    }

    async fn inactive_users(
        &self,
        before: i64,
        domain: Option<DomainId>,
        limit: u64,
        offset: u64,
    ) -> Result<(u64, Vec<(String, Option<i64>)>)> {
        let c = self.client().await?;
        inactive_users(&c, before, domain, limit, offset).await
    }

    async fn create_alias(
        &self,
        domain: DomainId,
        local: &str,
        targets: &[String],
    ) -> Result<Alias> {
        let text = to_json(&targets)?;
        let id: i64 = write_tx!(self, |tx| {
            let r =
                tx.t.query_one(
                    &tx.t
                        .prepare_cached(
                            "INSERT INTO aliases (domain_id, local, targets) VALUES ($1, $2, $3) \
                     RETURNING id",
                        )
                        .await?,
                    &[&domain, &local, &text],
                )
                .await?;
            tx.emit(Event::Directory);
            Ok(r.try_get(0)?)
        })?;
        Ok(Alias {
            id,
            domain_id: domain,
            local: local.to_owned(),
            targets: targets.to_vec(),
        })
    }

    async fn get_alias(&self, domain: DomainId, local: &str) -> Result<Option<Alias>> {
        let sql = format!("SELECT {ALIAS_COLS} FROM aliases WHERE domain_id = $1 AND local = $2");
        self.one(&sql, &[&domain, &local], alias_row).await
    }

    async fn list_aliases(&self, domain: DomainId) -> Result<Vec<Alias>> {
        let sql = format!("SELECT {ALIAS_COLS} FROM aliases WHERE domain_id = $1 ORDER BY local");
        self.all(&sql, &[&domain], alias_row).await
    }

    async fn count_aliases(&self, domain: DomainId) -> Result<u64> {
        self.count_of("SELECT count(*) FROM aliases WHERE domain_id = $1", domain)
            .await
    }

    async fn delete_alias(&self, id: i64) -> Result<()> {
        write_tx!(self, |tx| {
            if tx
                .t
                .execute(
                    &tx.t
                        .prepare_cached("DELETE FROM aliases WHERE id = $1")
                        .await?,
                    &[&id],
                )
                .await?
                == 0
            {
                return Err(not_found(format!("alias #{id}")));
            }
            tx.emit(Event::Directory);
            Ok(())
        })
    }

    async fn create_list(&self, domain: DomainId, local: &str) -> Result<MailingList> {
        let id: i64 = write_tx!(self, |tx| {
            let r =
                tx.t.query_one(
                    &tx.t
                        .prepare_cached(
                            "INSERT INTO lists (domain_id, local) VALUES ($1, $2) RETURNING id",
                        )
                        .await?,
                    &[&domain, &local],
                )
                .await?;
            tx.emit(Event::Directory);
            Ok(r.try_get(0)?)
        })?;
        Ok(MailingList {
            id,
            domain_id: domain,
            local: local.to_owned(),
            members: Vec::new(),
            moderated: false,
        })
    }

    async fn get_list(&self, domain: DomainId, local: &str) -> Result<Option<MailingList>> {
        self.one(
            "SELECT id, domain_id, local, members, moderated FROM lists \
             WHERE domain_id = $1 AND local = $2",
            &[&domain, &local],
            |r| {
                Ok(MailingList {
                    id: r.try_get(0)?,
                    domain_id: r.try_get(1)?,
                    local: r.try_get(2)?,
                    members: from_json(r.try_get(3)?, "list members")?,
                    moderated: r.try_get(4)?,
                })
            },
        )
        .await
    }

    async fn count_lists(&self, domain: DomainId) -> Result<u64> {
        self.count_of("SELECT count(*) FROM lists WHERE domain_id = $1", domain)
            .await
    }

    async fn get_admin(&self) -> Result<Option<Admin>> {
        self.get_admin_impl().await
    }

    async fn put_admin(&self, a: &Admin) -> Result<()> {
        self.put_admin_impl(a).await
    }

    async fn put_dkim_key(&self, k: &DkimRecord) -> Result<()> {
        self.put_dkim_key_impl(k).await
    }

    async fn get_dkim_key(&self, domain: &str) -> Result<Option<DkimRecord>> {
        self.get_dkim_key_impl(&dkim_domain(domain)).await
    }

    async fn delete_dkim_key(&self, domain: &str) -> Result<()> {
        self.delete_dkim_key_impl(&dkim_domain(domain)).await
    }
}
