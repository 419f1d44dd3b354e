//! The statements and rules of admin login sessions, the same on every backend (`?N`
//! parameters; PostgreSQL's `$N` through [`super::nodes::numbered`]).

use crate::model::{AdminSession, SESSION_TOUCH_SECS};

/// ?1 now: sessions idle past their limit.
pub const PRUNE_EXPIRED: &str = "DELETE FROM admin_sessions WHERE last_used + idle_secs <= ?1";
pub const COUNT: &str = "SELECT count(*) FROM admin_sessions";
/// ?1 how many: the least recently used sessions.
pub const DELETE_OLDEST: &str = "DELETE FROM admin_sessions WHERE id_hash IN \
     (SELECT id_hash FROM admin_sessions ORDER BY last_used, id_hash LIMIT ?1)";
pub const INSERT: &str = "INSERT INTO admin_sessions \
     (id_hash, account, csrf_token, idle_secs, impersonation, last_used) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
pub const GET: &str = "SELECT id_hash, account, csrf_token, idle_secs, impersonation, last_used \
     FROM admin_sessions WHERE id_hash = ?1";
/// ?1 id hash, ?2 now.
pub const TOUCH: &str = "UPDATE admin_sessions SET last_used = ?2 WHERE id_hash = ?1";
pub const DELETE: &str = "DELETE FROM admin_sessions WHERE id_hash = ?1";
/// ?1 account, ?2 the id hash to keep ('' for none).
pub const DELETE_ACCOUNT: &str = "DELETE FROM admin_sessions WHERE account = ?1 AND id_hash <> ?2";

/// Whether a session has been idle past its limit at `now`.
pub fn expired(s: &AdminSession, now: i64) -> bool {
    now - s.last_used >= s.idle_secs
}

/// Whether its use at `now` is worth writing (see [`SESSION_TOUCH_SECS`]).
pub fn needs_touch(s: &AdminSession, now: i64) -> bool {
    now - s.last_used >= SESSION_TOUCH_SECS
}

/// How many of `count` sessions must go to make room for one more within `max`.
pub fn excess(count: i64, max: usize) -> i64 {
    (count + 1 - i64::try_from(max).unwrap_or(i64::MAX)).max(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(last_used: i64, idle_secs: i64) -> AdminSession {
        AdminSession {
            id_hash: "h".into(),
            account: "admin".into(),
            csrf_token: "c".into(),
            idle_secs,
            impersonation: None,
            last_used,
        }
    }

    #[test]
    fn expiry_touch_and_room() {
        assert!(!expired(&s(100, 60), 159) && expired(&s(100, 60), 160));
        assert!(!needs_touch(&s(100, 60), 129) && needs_touch(&s(100, 60), 130));
        assert_eq!((excess(5, 10), excess(9, 10), excess(12, 10)), (0, 0, 3));
    }
}
