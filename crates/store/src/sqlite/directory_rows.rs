//! Row mapping for the directory tables: columns, and decoding of the JSON-typed fields.

use rusqlite::{Connection, OptionalExtension, Row};

use crate::error::{Result, StoreError};
use crate::model::*;
use crate::rules::json::from_json;

pub(super) const DOMAIN_COLS: &str = "id, name, disabled, limits, catch_all, require_smtp_auth, bind_ip, created_at, filter, \
     greylisting, smtp_alt_port, archive_rule, autoclean_rules, autoclean_user_override, \
     pop_retrieval";
pub(super) const USER_COLS: &str = "id, domain_id, local, credentials, display_name, quota_bytes, \
     used_bytes, disabled, role, forward_to, created_at, last_login, filter, greylisting, \
     autoclean_rules";

pub(super) fn domain_row(r: &Row<'_>) -> rusqlite::Result<(Domain, String, String)> {
    Ok((
        Domain {
            id: r.get(0)?,
            name: r.get(1)?,
            disabled: r.get(2)?,
            limits: DomainLimits::default(),
            catch_all: r.get(4)?,
            require_smtp_auth: r.get(5)?,
            bind_ip: r.get(6)?,
            created_at: r.get(7)?,
            filter: FilterOverrides::default(),
            greylisting: r.get(9)?,
            smtp_alt_port: r.get(10)?,
            archive_rule: r
                .get::<_, Option<String>>(11)?
                .and_then(|s| crate::archive::ArchiveRule::parse(&s)),
            autoclean_rules: r.get(12)?,
            autoclean_user_override: r.get(13)?,
            pop_retrieval: r.get(14)?,
        },
        r.get(3)?,
        r.get(8)?,
    ))
}

pub(super) fn finish_domain((mut d, limits, filter): (Domain, String, String)) -> Result<Domain> {
    d.limits = from_json(&limits, "domain limits")?;
    d.filter = from_json(&filter, "domain filter")?;
    Ok(d)
}

pub(super) fn user_row(r: &Row<'_>) -> rusqlite::Result<(User, String, String, String)> {
    Ok((
        User {
            id: r.get(0)?,
            domain_id: r.get(1)?,
            local: r.get(2)?,
            credentials: r.get(3)?,
            display_name: r.get(4)?,
            quota_bytes: r.get::<_, i64>(5)? as u64,
            used_bytes: r.get::<_, i64>(6)? as u64,
            disabled: r.get(7)?,
            role: Role::User,
            forward_to: Vec::new(),
            created_at: r.get(10)?,
            last_login: r.get(11)?,
            filter: FilterOverrides::default(),
            greylisting: r.get(13)?,
            autoclean_rules: r.get(14)?,
        },
        r.get(8)?,
        r.get(9)?,
        r.get(12)?,
    ))
}

pub(super) fn finish_user(
    (mut u, role, fwd, filter): (User, String, String, String),
) -> Result<User> {
    u.role = Role::parse(&role).ok_or_else(|| StoreError::Corrupt(format!("role {role:?}")))?;
    u.forward_to = from_json(&fwd, "user forward_to")?;
    u.filter = from_json(&filter, "user filter")?;
    Ok(u)
}

pub(super) fn query_user(
    c: &Connection,
    clause: &str,
    p: impl rusqlite::Params,
) -> Result<Option<User>> {
    let sql = format!("SELECT {USER_COLS} FROM users WHERE {clause}");
    c.prepare_cached(&sql)?
        .query_row(p, user_row)
        .optional()?
        .map(finish_user)
        .transpose()
}

pub(super) fn alias_row(r: &Row<'_>) -> rusqlite::Result<(Alias, String)> {
    Ok((
        Alias {
            id: r.get(0)?,
            domain_id: r.get(1)?,
            local: r.get(2)?,
            targets: Vec::new(),
        },
        r.get(3)?,
    ))
}

pub(super) fn finish_alias((mut a, t): (Alias, String)) -> Result<Alias> {
    a.targets = from_json(&t, "alias targets")?;
    Ok(a)
}

pub(super) fn count(c: &Connection, sql: &str, id: i64) -> Result<u64> {
    Ok(c.query_row(sql, [id], |r| r.get::<_, i64>(0))? as u64)
}
