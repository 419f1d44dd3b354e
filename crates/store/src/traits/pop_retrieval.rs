//! POP retrieval (ACCESS-4): users' external POP3 accounts and the UIDLs fetched from each.
//!
//! Invariant: accounts go with their user, UIDLs with their account.

use async_trait::async_trait;

use crate::error::Result;
use crate::model::{PopAccount, PopAccountId, UserId};

/// POP-retrieval accounts (ACCESS-4): users' external POP3 accounts and the UIDLs already
/// fetched from each. Accounts go with their user; UIDLs with their account.
#[async_trait]
pub trait PopRetrievalStore: Send + Sync {
    /// The accounts of `user`, or of every user when `None`, by id.
    async fn pop_accounts(&self, user: Option<UserId>) -> Result<Vec<PopAccount>>;
    /// One account.
    async fn pop_account(&self, id: PopAccountId) -> Result<Option<PopAccount>>;
    /// Store a new account (its `id`, `last_run` and `last_error` are ignored); returns its id.
    async fn pop_account_add(&self, a: &PopAccount) -> Result<PopAccountId>;
    /// Change an account's settings (not its run record); false when there is none.
    async fn pop_account_update(&self, a: &PopAccount) -> Result<bool>;
    /// Record the end of a run at `at` and its error (empty: success).
    async fn pop_account_ran(&self, id: PopAccountId, at: i64, error: &str) -> Result<()>;
    /// Remove an account and its UIDLs; false when there was none.
    async fn pop_account_remove(&self, id: PopAccountId) -> Result<bool>;
    /// The UIDLs fetched from an account.
    async fn pop_uidls(&self, id: PopAccountId) -> Result<Vec<String>>;
    /// Record that `uidl` was fetched (and stored) at `at`; recording it again does nothing.
    async fn pop_uidl_add(&self, id: PopAccountId, uidl: &str, at: i64) -> Result<()>;
    /// Forget UIDLs (those the remote server no longer lists).
    async fn pop_uidls_forget(&self, id: PopAccountId, uidls: &[String]) -> Result<()>;
}
