//! The directory: domains and their aliases, users, aliases, mailing lists, the system
//! administrator account and DKIM keys.
//!
//! Invariant: deleting a domain or a user deletes everything it owns (users, aliases,
//! folders, messages) in the same transaction.

use async_trait::async_trait;

use crate::error::Result;
use crate::model::{
    Admin, Alias, DkimRecord, Domain, DomainId, MailingList, NewDomain, NewUser, Totals, User,
    UserId,
};

/// Domains, domain aliases, users, aliases, lists and the admin account.
#[async_trait]
pub trait DirectoryStore: Send + Sync {
    async fn create_domain(&self, d: NewDomain) -> Result<Domain>;
    /// Update every mutable field of a domain, matched by id.
    async fn update_domain(&self, d: &Domain) -> Result<()>;
    /// A domain by its own name (not by a domain alias).
    async fn get_domain(&self, name: &str) -> Result<Option<Domain>>;
    async fn get_domain_by_id(&self, id: DomainId) -> Result<Option<Domain>>;
    async fn list_domains(&self) -> Result<Vec<Domain>>;
    /// Delete a domain with all its users, aliases, folders and messages.
    async fn delete_domain(&self, id: DomainId) -> Result<()>;

    /// Make `alias` (a domain name) deliver to `domain`'s mailboxes.
    async fn add_domain_alias(&self, alias: &str, domain: DomainId) -> Result<()>;
    async fn remove_domain_alias(&self, alias: &str) -> Result<()>;
    /// The domain a domain alias points at.
    async fn resolve_domain_alias(&self, alias: &str) -> Result<Option<DomainId>>;
    async fn list_domain_aliases(&self, domain: DomainId) -> Result<Vec<String>>;

    /// Create a user and its default folders (`folders`: name and special-use attribute),
    /// each subscribed so mail clients show it.
    async fn create_user(&self, u: NewUser, folders: &[(&str, Option<&str>)]) -> Result<User>;
    async fn update_user(&self, u: &User) -> Result<()>;
    async fn get_user(&self, domain: DomainId, local: &str) -> Result<Option<User>>;
    async fn get_user_by_id(&self, id: UserId) -> Result<Option<User>>;
    async fn list_users(&self, domain: DomainId) -> Result<Vec<User>>;
    async fn count_users(&self, domain: DomainId) -> Result<u64>;
    /// One page of a domain's users in local-part order, those whose local part or display
    /// name contains `needle` (case-insensitive) when given: how many match in all, and the
    /// page `offset..offset+limit`.
    async fn search_users(
        &self,
        domain: DomainId,
        needle: Option<&str>,
        limit: u64,
        offset: u64,
    ) -> Result<(u64, Vec<User>)>;
    /// A domain's enabled domain administrators, oldest account first.
    async fn domain_admins(&self, domain: DomainId) -> Result<Vec<User>>;
    /// Bytes used by all mailboxes of a domain (DOM-4 disk limit).
    async fn domain_usage(&self, domain: DomainId) -> Result<u64>;
    /// Domains, users, messages and bytes in the whole store.
    async fn totals(&self) -> Result<Totals>;
    /// Delete a user with its folders and messages.
    async fn delete_user(&self, id: UserId) -> Result<()>;
    /// Record a successful login.
    async fn touch_login(&self, id: UserId, at: i64) -> Result<()>;
    /// Users who have not logged in since `before` (Unix seconds) or never, of one domain or
    /// of all, ordered by domain name then local part: how many in all, and the page
    /// `offset..offset+limit` as (address, last login).
    async fn inactive_users(
        &self,
        before: i64,
        domain: Option<DomainId>,
        limit: u64,
        offset: u64,
    ) -> Result<(u64, Vec<(String, Option<i64>)>)>;

    async fn create_alias(
        &self,
        domain: DomainId,
        local: &str,
        targets: &[String],
    ) -> Result<Alias>;
    async fn get_alias(&self, domain: DomainId, local: &str) -> Result<Option<Alias>>;
    async fn list_aliases(&self, domain: DomainId) -> Result<Vec<Alias>>;
    async fn count_aliases(&self, domain: DomainId) -> Result<u64>;
    async fn delete_alias(&self, id: i64) -> Result<()>;

    async fn create_list(&self, domain: DomainId, local: &str) -> Result<MailingList>;
    async fn get_list(&self, domain: DomainId, local: &str) -> Result<Option<MailingList>>;
    async fn count_lists(&self, domain: DomainId) -> Result<u64>;

    /// The system administrator account, if initialised.
    async fn get_admin(&self) -> Result<Option<Admin>>;
    /// Create or replace the system administrator account.
    async fn put_admin(&self, a: &Admin) -> Result<()>;

    /// Create or replace a domain's DKIM signing key (FILTER-7).
    async fn put_dkim_key(&self, k: &DkimRecord) -> Result<()>;
    async fn get_dkim_key(&self, domain: &str) -> Result<Option<DkimRecord>>;
    /// Remove a domain's key; signing stops. NotFound when there is none.
    async fn delete_dkim_key(&self, domain: &str) -> Result<()>;
}
