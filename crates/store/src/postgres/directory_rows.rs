//! Row mapping for the directory tables: columns, decoding of the JSON-typed fields, and
//! small read helpers (one row, all rows, a count) mapped by these.

use tokio_postgres::Row;

use super::PgStore;

use crate::error::{Result, StoreError};
use crate::model::*;
use crate::rules::json::from_json;

pub(super) const DOMAIN_COLS: &str = "id, name, disabled, limits, catch_all, require_smtp_auth, bind_ip, created_at, filter, \
     greylisting, smtp_alt_port, archive_rule, autoclean_rules, autoclean_user_override, \
     pop_retrieval";
pub(super) const USER_COLS: &str = "id, domain_id, local, credentials, display_name, quota_bytes, \
     used_bytes, disabled, role, forward_to, created_at, last_login, filter, greylisting, \
     autoclean_rules";
pub(super) const ALIAS_COLS: &str = "id, domain_id, local, targets";

pub(super) fn domain_row(r: &Row) -> Result<Domain> {
    Ok(Domain {
        id: r.try_get(0)?,
        name: r.try_get(1)?,
        disabled: r.try_get(2)?,
        limits: from_json(r.try_get(3)?, "domain limits")?,
        catch_all: r.try_get(4)?,
        require_smtp_auth: r.try_get(5)?,
        bind_ip: r.try_get(6)?,
        created_at: r.try_get(7)?,
        filter: from_json(r.try_get(8)?, "domain filter")?,
        greylisting: r.try_get(9)?,
        smtp_alt_port: r
            .try_get::<_, Option<i64>>(10)?
            .and_then(|p| u16::try_from(p).ok()),
        archive_rule: r
            .try_get::<_, Option<&str>>(11)?
            .and_then(crate::archive::ArchiveRule::parse),
        autoclean_rules: r.try_get(12)?,
        autoclean_user_override: r.try_get(13)?,
        pop_retrieval: r.try_get(14)?,
    })
}

pub(super) fn user_row(r: &Row) -> Result<User> {
    let role: &str = r.try_get(8)?;
    Ok(User {
        id: r.try_get(0)?,
        domain_id: r.try_get(1)?,
        local: r.try_get(2)?,
        credentials: r.try_get(3)?,
        display_name: r.try_get(4)?,
        quota_bytes: r.try_get::<_, i64>(5)? as u64,
        used_bytes: r.try_get::<_, i64>(6)? as u64,
        disabled: r.try_get(7)?,
        role: Role::parse(role).ok_or_else(|| StoreError::Corrupt(format!("role {role:?}")))?,
        forward_to: from_json(r.try_get(9)?, "user forward_to")?,
        created_at: r.try_get(10)?,
        last_login: r.try_get(11)?,
        filter: from_json(r.try_get(12)?, "user filter")?,
        greylisting: r.try_get(13)?,
        autoclean_rules: r.try_get(14)?,
    })
}

pub(super) fn alias_row(r: &Row) -> Result<Alias> {
    Ok(Alias {
        id: r.try_get(0)?,
        domain_id: r.try_get(1)?,
        local: r.try_get(2)?,
        targets: from_json(r.try_get(3)?, "alias targets")?,
    })
}

/// A count or sum as the store reports it.
pub(super) fn count(r: &Row) -> Result<u64> {
    Ok(u64::try_from(r.try_get::<_, i64>(0)?).unwrap_or(0))
}

impl PgStore {
    /// The one row `sql` selects with `params`, mapped, if any.
    pub(super) async fn one<T>(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
        map: fn(&tokio_postgres::Row) -> Result<T>,
    ) -> Result<Option<T>> {
        let c = self.client().await?;
        let st = c.prepare_cached(sql).await?;
        c.query_opt(&st, params)
            .await?
            .as_ref()
            .map(map)
            .transpose()
    }

    /// Every row `sql` selects with `params`, mapped.
    pub(super) async fn all<T>(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
        map: fn(&tokio_postgres::Row) -> Result<T>,
    ) -> Result<Vec<T>> {
        let c = self.client().await?;
        let st = c.prepare_cached(sql).await?;
        c.query(&st, params).await?.iter().map(map).collect()
    }

    /// A count `sql` (one `$1`) returns.
    pub(super) async fn count_of(&self, sql: &str, id: i64) -> Result<u64> {
        let c = self.client().await?;
        count(&c.query_one(sql, &[&id]).await?)
    }
}
