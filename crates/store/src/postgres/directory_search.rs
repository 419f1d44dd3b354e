//! The admin interface's account lists, counted and paged in SQL so a domain of tens of
//! thousands of users costs one page: a domain's users searched by text, and users who have
//! not logged in lately; a domain's administrators.
//!
//! Invariant: a search needle matches as plain text (LIKE's wildcards escaped, by
//! [`crate::rules::search`]) and ignoring ASCII case only: the columns compare byte-wise
//! (`COLLATE "C"`), under which `lower` folds ASCII letters alone, as SQLite's `LIKE` does.
//! Every list is ordered, so pages do not overlap.

use deadpool_postgres::Object;

use super::directory_rows::*;
use crate::error::Result;
use crate::model::*;
use crate::rules::search::sql_int;

/// An inactive user: address and last login (Unix seconds), if any.
type Inactive = (String, Option<i64>);

/// One page of a domain's users in local-part order, and how many match in all.
pub(super) async fn search_users(
    c: &Object,
    domain: DomainId,
    pattern: Option<&str>,
    limit: u64,
    offset: u64,
) -> Result<(u64, Vec<User>)> {
    const WHERE: &str = "FROM users WHERE domain_id = $1 AND local <> '#public' AND ($2::text IS NULL \
        OR lower(local) LIKE $2 ESCAPE '\\' OR lower(display_name) LIKE $2 ESCAPE '\\')";
    let total = count(
        &c.query_one(&format!("SELECT count(*) {WHERE}"), &[&domain, &pattern])
            .await?,
    )?;
    let sql = format!("SELECT {USER_COLS} {WHERE} ORDER BY local LIMIT $3 OFFSET $4");
    let rows = c
        .query(
            &sql,
            &[&domain, &pattern, &sql_int(limit), &sql_int(offset)],
        )
        .await?;
    let page = rows.iter().map(user_row).collect::<Result<Vec<_>>>()?;
    Ok((total, page))
}

/// One page of the users (of one domain, or of all with `None`) not logged in since
/// `before` or never, as (address, last login) in domain-then-local order, and how many.
pub(super) async fn inactive_users(
    c: &Object,
    before: i64,
    domain: Option<DomainId>,
    limit: u64,
    offset: u64,
) -> Result<(u64, Vec<Inactive>)> {
    // `$2 IS NULL` selects every domain.
    const WHERE: &str = "FROM users u JOIN domains d ON d.id = u.domain_id \
        WHERE u.local <> '#public' AND (u.last_login IS NULL OR u.last_login < $1) \
        AND ($2::bigint IS NULL OR u.domain_id = $2)";
    let total = count(
        &c.query_one(&format!("SELECT count(*) {WHERE}"), &[&before, &domain])
            .await?,
    )?;
    let rows = c
        .query(
            &format!(
                "SELECT u.local || '@' || d.name, u.last_login {WHERE} \
                 ORDER BY d.name, u.local LIMIT $3 OFFSET $4"
            ),
            &[&before, &domain, &sql_int(limit), &sql_int(offset)],
        )
        .await?;
    let mut page = Vec::with_capacity(rows.len());
    for r in &rows {
        page.push((r.try_get(0)?, r.try_get(1)?));
    }
    Ok((total, page))
}

/// A domain's enabled domain administrators, oldest account (lowest id) first.
pub(super) async fn domain_admins(c: &Object, domain: DomainId) -> Result<Vec<User>> {
    let sql = format!(
        "SELECT {USER_COLS} FROM users WHERE domain_id = $1 AND role = $2 AND NOT disabled \
         ORDER BY id"
    );
    let rows = c
        .query(&sql, &[&domain, &Role::DomainAdmin.as_str()])
        .await?;
    rows.iter().map(user_row).collect()
}
