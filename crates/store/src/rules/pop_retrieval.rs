//! Statements of POP retrieval (ACCESS-4), shared by both backends (`?N` placeholders;
//! PostgreSQL numbers them with [`crate::rules::nodes::numbered`]).
//!
//! Invariant: a UIDL is recorded only after its message is stored, at most once per account
//! (the primary key), and goes with its account, which goes with its user.

/// The columns of an account, in the order [`crate::model::PopAccount`] is read.
pub const COLUMNS: &str = "id, user_id, host, port, tls, verify_tls, login, password, \
     leave_on_server, folder, enabled, last_run, last_error";

/// Add an account; returns its id.
pub const INSERT: &str = "INSERT INTO pop_accounts (user_id, host, port, tls, verify_tls, \
     login, password, leave_on_server, folder, enabled, last_run, last_error) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 0, '') RETURNING id";

/// Change an account's settings (not its run record).
pub const UPDATE: &str = "UPDATE pop_accounts SET host = ?2, port = ?3, tls = ?4, \
     verify_tls = ?5, login = ?6, password = ?7, leave_on_server = ?8, folder = ?9, \
     enabled = ?10 WHERE id = ?1";

/// Record a run's end and outcome.
pub const RAN: &str = "UPDATE pop_accounts SET last_run = ?2, last_error = ?3 WHERE id = ?1";

/// Remove an account (its UIDLs go with it).
pub const DELETE: &str = "DELETE FROM pop_accounts WHERE id = ?1";

/// Remove an account's UIDLs (for backends not cascading).
pub const DELETE_UIDLS: &str = "DELETE FROM pop_uidls WHERE account_id = ?1";

/// Record a fetched UIDL (again: nothing).
pub const UIDL_ADD: &str = "INSERT INTO pop_uidls (account_id, uidl, fetched_at) \
     VALUES (?1, ?2, ?3) ON CONFLICT (account_id, uidl) DO NOTHING";

/// Forget one UIDL.
pub const UIDL_FORGET: &str = "DELETE FROM pop_uidls WHERE account_id = ?1 AND uidl = ?2";

/// The UIDLs of an account.
pub const UIDLS: &str = "SELECT uidl FROM pop_uidls WHERE account_id = ?1";

/// A port as stored (any i64) as a port; 0 when out of range.
pub fn port(n: i64) -> u16 {
    u16::try_from(n).unwrap_or(0)
}

/// `SELECT` of the accounts matching `filter` (a `WHERE` clause or empty).
pub fn select(filter: &str) -> String {
    format!("SELECT {COLUMNS} FROM pop_accounts {filter} ORDER BY id")
}
