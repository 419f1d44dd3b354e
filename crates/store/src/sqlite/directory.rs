//! [`DirectoryStore`] on SQLite: domains, domain aliases, users, aliases, lists, the admin.
//!
//! Deleting a user or domain drops its messages' references to blobs in the same transaction
//! and removes the blob files that are no longer referenced after the commit.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};

use super::SqliteStore;
use super::directory_rows::*;
use super::directory_search::{domain_admins, inactive_users, search_users};
use super::mail::{create_folder_tx, drop_blob_refs};
use crate::error::{Result, StoreError};
use crate::events::Event;
use crate::model::*;
use crate::rules::json::{from_json, to_json};
use crate::rules::names::dkim_domain;
use crate::rules::now;
use crate::rules::quota::folders_cost;
use crate::rules::search::contains_pattern;
use crate::traits::DirectoryStore;

#[async_trait]
impl DirectoryStore for SqliteStore {
    async fn create_domain(&self, d: NewDomain) -> Result<Domain> {
        let limits = to_json(&d.limits)?;
        let created = now();
        self.write(move |ctx| {
            ctx.conn.execute(
                "INSERT INTO domains (name, limits, created_at) VALUES (?1, ?2, ?3)",
                params![d.name, limits, created],
            )?;
            let id = ctx.conn.last_insert_rowid();
            ctx.emit(Event::Directory);
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
        })
        .await
    }

    async fn update_domain(&self, d: &Domain) -> Result<()> {
        let d = d.clone();
        let limits = to_json(&d.limits)?;
        let filter = to_json(&d.filter)?;
        self.write(move |ctx| {
            let n = ctx.conn.execute(
                "UPDATE domains SET disabled=?2, limits=?3, catch_all=?4, require_smtp_auth=?5, \
                 bind_ip=?6, filter=?7, greylisting=?8, smtp_alt_port=?9, archive_rule=?10, \
                 autoclean_rules=?11, autoclean_user_override=?12, pop_retrieval=?13 WHERE id=?1",
                params![
                    d.id,
                    d.disabled,
                    limits,
                    d.catch_all,
                    d.require_smtp_auth,
                    d.bind_ip,
                    filter,
                    d.greylisting,
                    d.smtp_alt_port,
                    d.archive_rule.map(|r| r.as_str()),
                    d.autoclean_rules,
                    d.autoclean_user_override,
                    d.pop_retrieval
                ],
            )?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("domain {}", d.name)));
            }
            ctx.emit(Event::Directory);
            Ok(())
        })
        .await
    }

    async fn get_domain(&self, name: &str) -> Result<Option<Domain>> {
        self.read_now(move |c| {
            let sql = format!("SELECT {DOMAIN_COLS} FROM domains WHERE name = ?1");
            c.prepare_cached(&sql)?
                .query_row([name], domain_row)
                .optional()?
                .map(finish_domain)
                .transpose()
        })
    }

    async fn get_domain_by_id(&self, id: DomainId) -> Result<Option<Domain>> {
        self.read_now(move |c| {
            let sql = format!("SELECT {DOMAIN_COLS} FROM domains WHERE id = ?1");
            c.prepare_cached(&sql)?
                .query_row([id], domain_row)
                .optional()?
                .map(finish_domain)
                .transpose()
        })
    }

    async fn list_domains(&self) -> Result<Vec<Domain>> {
        self.read(|c| {
            let sql = format!("SELECT {DOMAIN_COLS} FROM domains ORDER BY name");
            let mut st = c.prepare(&sql)?;
            let rows = st.query_map([], domain_row)?;
            rows.map(|r| finish_domain(r?)).collect()
        })
        .await
    }

    async fn delete_domain(&self, id: DomainId) -> Result<()> {
        let orphans = self
            .write(move |ctx| {
                let orphans = drop_blob_refs(
                    ctx.conn,
                    "SELECT m.blob_id FROM messages m JOIN folders f ON f.id = m.folder_id \
                     JOIN users u ON u.id = f.user_id WHERE u.domain_id = ?1",
                    id,
                )?;
                let n = ctx
                    .conn
                    .execute("DELETE FROM domains WHERE id = ?1", [id])?;
                if n == 0 {
                    return Err(StoreError::NotFound(format!("domain #{id}")));
                }
                ctx.emit(Event::Directory);
                Ok(orphans)
            })
            .await?;
        self.discard(orphans).await;
        Ok(())
    }

    async fn add_domain_alias(&self, alias: &str, domain: DomainId) -> Result<()> {
        let alias = alias.to_owned();
        self.write(move |ctx| {
            let clash: bool = ctx.conn.query_row(
                "SELECT EXISTS (SELECT 1 FROM domains WHERE name = ?1)",
                [&alias],
                |r| r.get(0),
            )?;
            if clash {
                return Err(StoreError::Conflict(format!("domain {alias}")));
            }
            ctx.conn.execute(
                "INSERT INTO domain_aliases (name, domain_id) VALUES (?1, ?2)",
                params![alias, domain],
            )?;
            ctx.emit(Event::Directory);
            Ok(())
        })
        .await
    }

    async fn remove_domain_alias(&self, alias: &str) -> Result<()> {
        let alias = alias.to_owned();
        self.write(move |ctx| {
            if ctx
                .conn
                .execute("DELETE FROM domain_aliases WHERE name = ?1", [&alias])?
                == 0
            {
                return Err(StoreError::NotFound(format!("domain alias {alias}")));
            }
            ctx.emit(Event::Directory);
            Ok(())
        })
        .await
    }

    async fn resolve_domain_alias(&self, alias: &str) -> Result<Option<DomainId>> {
        self.read_now(move |c| {
            Ok(
                c.prepare_cached("SELECT domain_id FROM domain_aliases WHERE name = ?1")?
                    .query_row([alias], |r| r.get(0))
                    .optional()?,
            )
        })
    }

    async fn list_domain_aliases(&self, domain: DomainId) -> Result<Vec<String>> {
        self.read(move |c| {
            let mut st =
                c.prepare("SELECT name FROM domain_aliases WHERE domain_id = ?1 ORDER BY name")?;
            let rows = st.query_map([domain], |r| r.get(0))?;
            Ok(rows.collect::<rusqlite::Result<Vec<String>>>()?)
        })
        .await
    }

    async fn create_user(&self, u: NewUser, folders: &[(&str, Option<&str>)]) -> Result<User> {
        crate::rules::public::refuse_reserved(&u.local)?;
        let folders: Vec<(String, Option<String>)> = folders
            .iter()
            .map(|(n, s)| (n.to_string(), s.map(str::to_owned)))
            .collect();
        let created = now();
        self.write(move |ctx| {
            ctx.conn.execute(
                "INSERT INTO users (domain_id, local, credentials, display_name, quota_bytes, \
                 role, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    u.domain_id,
                    u.local,
                    u.credentials,
                    u.display_name,
                    u.quota_bytes as i64,
                    u.role.as_str(),
                    created
                ],
            )?;
            let id = ctx.conn.last_insert_rowid();
            for (name, special) in &folders {
                create_folder_tx(ctx.conn, id, name, special.as_deref())?;
                ctx.conn
                    .prepare_cached("INSERT INTO subscriptions (user_id, name) VALUES (?1, ?2)")?
                    .execute(params![id, name])?;
            }
            ctx.emit(Event::Directory);
            Ok(User {
                id,
                domain_id: u.domain_id,
                local: u.local,
                credentials: u.credentials,
                display_name: u.display_name,
                quota_bytes: u.quota_bytes,
                used_bytes: folders_cost(folders.iter().map(|(n, _)| n.as_str())),
                disabled: false,
                role: u.role,
                forward_to: Vec::new(),
                created_at: created,
                last_login: None,
                filter: FilterOverrides::default(),
                greylisting: true,
                autoclean_rules: String::new(),
            })
        })
        .await
    }

    async fn update_user(&self, u: &User) -> Result<()> {
        let u = u.clone();
        let fwd = to_json(&u.forward_to)?;
        let filter = to_json(&u.filter)?;
        self.write(move |ctx| {
            let n = ctx.conn.execute(
                "UPDATE users SET credentials=?2, display_name=?3, quota_bytes=?4, disabled=?5, \
                 role=?6, forward_to=?7, filter=?8, greylisting=?9, autoclean_rules=?10 WHERE id=?1",
                params![
                    u.id,
                    u.credentials,
                    u.display_name,
                    u.quota_bytes as i64,
                    u.disabled,
                    u.role.as_str(),
                    fwd,
                    filter,
                    u.greylisting,
                    u.autoclean_rules
                ],
            )?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("user {}", u.local)));
            }
            ctx.emit(Event::Directory);
            Ok(())
        })
        .await
    }

    async fn get_user(&self, domain: DomainId, local: &str) -> Result<Option<User>> {
        self.read_now(move |c| {
            query_user(
                c,
                "domain_id = ?1 AND local = ?2 AND local <> '#public'",
                params![domain, local],
            )
        })
    }

    async fn get_user_by_id(&self, id: UserId) -> Result<Option<User>> {
        self.read_now(move |c| query_user(c, "id = ?1", [id]))
    }

    async fn list_users(&self, domain: DomainId) -> Result<Vec<User>> {
        self.read(move |c| {
            let sql = format!(
                "SELECT {USER_COLS} FROM users WHERE domain_id = ?1 AND local <> '#public' \
                 ORDER BY local"
            );
            let mut st = c.prepare(&sql)?;
            let rows = st.query_map([domain], user_row)?;
            rows.map(|r| finish_user(r?)).collect()
        })
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
        self.read(move |c| search_users(c, domain, pattern.as_deref(), limit, offset))
            .await
    }

    async fn domain_admins(&self, domain: DomainId) -> Result<Vec<User>> {
        self.read(move |c| domain_admins(c, domain)).await
    }

    async fn count_users(&self, domain: DomainId) -> Result<u64> {
        self.read(move |c| {
            count(
                c,
                "SELECT count(*) FROM users WHERE domain_id = ?1 AND local <> '#public'",
                domain,
            )
        })
        .await
    }

    async fn domain_usage(&self, domain: DomainId) -> Result<u64> {
        self.read(move |c| {
            count(
                c,
                "SELECT coalesce(sum(used_bytes), 0) FROM users WHERE domain_id = ?1",
                domain,
            )
        })
        .await
    }

    async fn totals(&self) -> Result<Totals> {
        self.read(|c| {
            Ok(c.query_row(
                "SELECT (SELECT count(*) FROM domains), (SELECT count(*) FROM users WHERE local <> '#public'), \
                        (SELECT count(*) FROM messages), \
                        (SELECT coalesce(sum(used_bytes), 0) FROM users)",
                [],
                |r| {
                    Ok(Totals {
                        domains: r.get::<_, i64>(0)? as u64,
                        users: r.get::<_, i64>(1)? as u64,
                        messages: r.get::<_, i64>(2)? as u64,
                        bytes: r.get::<_, i64>(3)? as u64,
                    })
                },
            )?)
        })
        .await
    }

    async fn delete_user(&self, id: UserId) -> Result<()> {
        let orphans = self
            .write(move |ctx| {
                let orphans = drop_blob_refs(
                    ctx.conn,
                    "SELECT m.blob_id FROM messages m JOIN folders f ON f.id = m.folder_id \
                     WHERE f.user_id = ?1",
                    id,
                )?;
                if ctx.conn.execute("DELETE FROM users WHERE id = ?1", [id])? == 0 {
                    return Err(StoreError::NotFound(format!("user #{id}")));
                }
                ctx.emit(Event::Directory);
                Ok(orphans)
            })
            .await?;
        self.discard(orphans).await;
        Ok(())
    }

    async fn touch_login(&self, id: UserId, at: i64) -> Result<()> {
        self.write(move |ctx| {
            ctx.conn.execute(
                "UPDATE users SET last_login = ?2 WHERE id = ?1",
                params![id, at],
            )?;
            Ok(())
        })
        .await
    }

    async fn inactive_users(
        &self,
        before: i64,
        domain: Option<DomainId>,
        limit: u64,
        offset: u64,
    ) -> Result<(u64, Vec<(String, Option<i64>)>)> {
        self.read(move |c| inactive_users(c, before, domain, limit, offset))
            .await
    }

    async fn create_alias(
        &self,
        domain: DomainId,
        local: &str,
        targets: &[String],
    ) -> Result<Alias> {
        let local = local.to_owned();
        let targets = targets.to_vec();
        let text = to_json(&targets)?;
        self.write(move |ctx| {
            ctx.conn.execute(
                "INSERT INTO aliases (domain_id, local, targets) VALUES (?1, ?2, ?3)",
                params![domain, local, text],
            )?;
            ctx.emit(Event::Directory);
            Ok(Alias {
                id: ctx.conn.last_insert_rowid(),
                domain_id: domain,
                local,
                targets,
            })
        })
        .await
    }

    async fn get_alias(&self, domain: DomainId, local: &str) -> Result<Option<Alias>> {
        self.read_now(move |c| {
            c.prepare_cached(
                "SELECT id, domain_id, local, targets FROM aliases WHERE domain_id=?1 AND local=?2",
            )?
            .query_row(params![domain, local], alias_row)
            .optional()?
            .map(finish_alias)
            .transpose()
        })
    }

    async fn list_aliases(&self, domain: DomainId) -> Result<Vec<Alias>> {
        self.read(move |c| {
            let mut st = c.prepare(
                "SELECT id, domain_id, local, targets FROM aliases WHERE domain_id=?1 ORDER BY local",
            )?;
            let rows = st.query_map([domain], alias_row)?;
            rows.map(|r| finish_alias(r?)).collect()
        })
        .await
    }

    async fn count_aliases(&self, domain: DomainId) -> Result<u64> {
        self.read(move |c| {
            count(
                c,
                "SELECT count(*) FROM aliases WHERE domain_id = ?1",
                domain,
            )
        })
        .await
    }

    async fn delete_alias(&self, id: i64) -> Result<()> {
        self.write(move |ctx| {
            if ctx
                .conn
                .execute("DELETE FROM aliases WHERE id = ?1", [id])?
                == 0
            {
                return Err(StoreError::NotFound(format!("alias #{id}")));
            }
            ctx.emit(Event::Directory);
            Ok(())
        })
        .await
    }

    async fn create_list(&self, domain: DomainId, local: &str) -> Result<MailingList> {
        let local = local.to_owned();
        self.write(move |ctx| {
            ctx.conn.execute(
                "INSERT INTO lists (domain_id, local) VALUES (?1, ?2)",
                params![domain, local],
            )?;
            ctx.emit(Event::Directory);
            Ok(MailingList {
                id: ctx.conn.last_insert_rowid(),
                domain_id: domain,
                local,
                members: Vec::new(),
                moderated: false,
            })
        })
        .await
    }

    async fn get_list(&self, domain: DomainId, local: &str) -> Result<Option<MailingList>> {
        self.read_now(move |c| {
            let row = c
                .query_row(
                    "SELECT id, members, moderated FROM lists WHERE domain_id=?1 AND local=?2",
                    params![domain, local],
                    |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get(2)?)),
                )
                .optional()?;
            row.map(|(id, members, moderated)| {
                Ok(MailingList {
                    id,
                    domain_id: domain,
                    local: local.to_owned(),
                    members: from_json(&members, "list members")?,
                    moderated,
                })
            })
            .transpose()
        })
    }

    async fn count_lists(&self, domain: DomainId) -> Result<u64> {
        self.read(move |c| count(c, "SELECT count(*) FROM lists WHERE domain_id = ?1", domain))
            .await
    }

    async fn get_admin(&self) -> Result<Option<Admin>> {
        self.get_admin_impl().await
    }

    async fn put_admin(&self, a: &Admin) -> Result<()> {
        self.put_admin_impl(a.clone()).await
    }

    async fn put_dkim_key(&self, k: &DkimRecord) -> Result<()> {
        self.put_dkim_key_impl(k.clone()).await
    }

    async fn get_dkim_key(&self, domain: &str) -> Result<Option<DkimRecord>> {
        self.get_dkim_key_impl(dkim_domain(domain)).await
    }

    async fn delete_dkim_key(&self, domain: &str) -> Result<()> {
        self.delete_dkim_key_impl(dkim_domain(domain)).await
    }
}
