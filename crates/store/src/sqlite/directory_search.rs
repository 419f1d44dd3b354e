//! The admin interface's account lists, counted and paged in SQL so a domain of tens of
//! thousands of users costs one page: a domain's users searched by text, and users who have
//! not logged in lately; a domain's administrators.
//!
//! Invariant: a search needle matches as plain text (LIKE's wildcards escaped, by
//! [`crate::rules::search`]); every list is ordered, so pages do not overlap.

use rusqlite::{Connection, params};

use super::directory_rows::*;
use crate::error::Result;
use crate::model::*;
use crate::rules::search::sql_int;

/// An inactive user: address and last login (Unix seconds), if any.
type Inactive = (String, Option<i64>);

/// One page of a domain's users in local-part order, and how many match in all.
pub(super) fn search_users(
    c: &Connection,
    domain: DomainId,
    pattern: Option<&str>,
    limit: u64,
    offset: u64,
) -> Result<(u64, Vec<User>)> {
    const WHERE: &str = "FROM users WHERE domain_id = ?1 AND local <> '#public' AND (?2 IS NULL \
        OR local LIKE ?2 ESCAPE '\\' OR display_name LIKE ?2 ESCAPE '\\')";
    let total: i64 = c.query_row(
        &format!("SELECT count(*) {WHERE}"),
        params![domain, pattern],
        |r| r.get(0),
    )?;
    let sql = format!("SELECT {USER_COLS} {WHERE} ORDER BY local LIMIT ?3 OFFSET ?4");
    let mut st = c.prepare(&sql)?;
    let rows = st.query_map(
        params![domain, pattern, sql_int(limit), sql_int(offset)],
        user_row,
    )?;
    let page = rows.map(|r| finish_user(r?)).collect::<Result<Vec<_>>>()?;
    Ok((u64::try_from(total).unwrap_or(0), page))
}

/// One page of the users (of one domain, or of all with `None`) not logged in since
/// `before` or never, as (address, last login) in domain-then-local order, and how many.
pub(super) fn inactive_users(
    c: &Connection,
    before: i64,
    domain: Option<DomainId>,
    limit: u64,
    offset: u64,
) -> Result<(u64, Vec<Inactive>)> {
    // `?2 IS NULL` selects every domain.
    const WHERE: &str = "FROM users u JOIN domains d ON d.id = u.domain_id \
        WHERE u.local <> '#public' AND (u.last_login IS NULL OR u.last_login < ?1) \
        AND (?2 IS NULL OR u.domain_id = ?2)";
    let total: i64 = c.query_row(
        &format!("SELECT count(*) {WHERE}"),
        params![before, domain],
        |r| r.get(0),
    )?;
    let mut st = c.prepare(&format!(
        "SELECT u.local || '@' || d.name, u.last_login {WHERE} \
         ORDER BY d.name, u.local LIMIT ?3 OFFSET ?4"
    ))?;
    let rows = st.query_map(
        params![before, domain, sql_int(limit), sql_int(offset)],
        |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<i64>>(1)?)),
    )?;
    let page = rows.collect::<rusqlite::Result<Vec<_>>>()?;
    Ok((u64::try_from(total).unwrap_or(0), page))
}

/// A domain's enabled domain administrators, oldest account (lowest id) first.
pub(super) fn domain_admins(c: &Connection, domain: DomainId) -> Result<Vec<User>> {
    let sql = format!(
        "SELECT {USER_COLS} FROM users WHERE domain_id = ?1 AND role = ?2 AND disabled = 0 \
         ORDER BY id"
    );
    let mut st = c.prepare_cached(&sql)?;
    let rows = st.query_map(params![domain, Role::DomainAdmin.as_str()], user_row)?;
    rows.map(|r| finish_user(r?)).collect()
}
