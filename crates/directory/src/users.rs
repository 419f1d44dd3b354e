//! DOM-9 users and DOM-10 aliases: creation within the DOM-4 limits, passwords under the
//! SEC-9 policy, stored only as derived credentials.

use heron_settings::defs;
use heron_store::{Alias, Domain, NewUser, Role, User};

use crate::address::Address;
use crate::domains::check_limit;
use crate::password::StoredCredentials;
use crate::policy::{self, PasswordPolicy};
use crate::{DEFAULT_FOLDERS, Directory, DirectoryError, Result, exists_or};

impl Directory {
    /// The password policy in force.
    pub fn password_policy(&self) -> PasswordPolicy {
        let s = &self.settings;
        PasswordPolicy {
            min_length: s.get(defs::PASSWORD_MIN_LENGTH) as usize,
            require_digit: s.get(defs::PASSWORD_REQUIRE_DIGIT),
            require_upper: s.get(defs::PASSWORD_REQUIRE_UPPER),
            require_lower: s.get(defs::PASSWORD_REQUIRE_LOWER),
            require_symbol: s.get(defs::PASSWORD_REQUIRE_SYMBOL),
            not_username: s.get(defs::PASSWORD_NOT_USERNAME),
        }
    }

    /// Check a password against the policy and derive what is stored for it.
    pub async fn derive_credentials(&self, address: &str, password: &str) -> Result<String> {
        let broken = policy::check(&self.password_policy(), address, password);
        if !broken.is_empty() {
            return Err(DirectoryError::Policy(broken));
        }
        let keep_cram = self.settings.get(defs::AUTH_CRAM_MD5);
        let pw = password.to_owned();
        let creds = crate::hashing::run(move || StoredCredentials::derive(&pw))
            .await
            .ok_or_else(|| DirectoryError::Invalid("password hashing failed".into()))?
            .map_err(|e| DirectoryError::Invalid(e.to_string()))?;
        let creds = if keep_cram {
            creds
        } else {
            creds.without_cram_md5()
        };
        Ok(creds.to_storage())
    }

    /// Parse an address and find its domain (by own name only).
    async fn split(&self, address: &str) -> Result<(Address, Domain)> {
        let a = Address::parse(address).map_err(DirectoryError::Invalid)?;
        let d = self.domain(&a.domain).await?;
        Ok((a, d))
    }

    /// Add a user with the default folders.
    pub async fn add_user(&self, address: &str, password: &str, role: Role) -> Result<User> {
        let (a, d) = self.split(address).await?;
        if self.store.get_user(d.id, &a.local).await?.is_some() {
            return Err(DirectoryError::Exists(format!("user {a}")));
        }
        if self.store.get_alias(d.id, &a.local).await?.is_some() {
            return Err(DirectoryError::Exists(format!("alias {a}")));
        }
        check_limit(
            self.store.count_users(d.id).await?,
            d.limits.users as u64,
            "users",
            &d.name,
        )?;
        let credentials = self.derive_credentials(&a.to_string(), password).await?;
        let nu = NewUser {
            domain_id: d.id,
            local: a.local.clone(),
            credentials,
            display_name: String::new(),
            role,
            quota_bytes: 0,
        };
        self.store
            .create_user(nu, DEFAULT_FOLDERS)
            .await
            .map_err(|e| exists_or(e, &format!("user {a}")))
    }

    /// A user by address (own domain name only), or `NotFound`.
    pub async fn user(&self, address: &str) -> Result<User> {
        let (a, d) = self.split(address).await?;
        self.store
            .get_user(d.id, &a.local)
            .await?
            .ok_or_else(|| DirectoryError::NotFound(format!("user {a}")))
    }

    /// Change a user's password (policy applies).
    pub async fn set_password(&self, address: &str, password: &str) -> Result<()> {
        let mut u = self.user(address).await?;
        u.credentials = self.derive_credentials(address, password).await?;
        self.update_user(&u).await
    }

    /// Save changed user fields.
    pub async fn update_user(&self, u: &User) -> Result<()> {
        self.store.update_user(u).await?;
        // Not needed for correctness (a login compares the stored credentials), but a
        // changed account should not keep a verified password around.
        self.logins.forget(u.id);
        Ok(())
    }

    /// Delete a user with its mail.
    pub async fn delete_user(&self, address: &str) -> Result<()> {
        let u = self.user(address).await?;
        self.store.delete_user(u.id).await?;
        self.logins.forget(u.id);
        Ok(())
    }

    /// Users of a domain.
    pub async fn list_users(&self, domain: &str) -> Result<Vec<User>> {
        let d = self.domain(domain).await?;
        Ok(self.store.list_users(d.id).await?)
    }

    /// Add an alias delivering to `targets` (addresses, or local parts of the same domain).
    pub async fn add_alias(&self, address: &str, targets: &[String]) -> Result<Alias> {
        let (a, d) = self.split(address).await?;
        if targets.is_empty() {
            return Err(DirectoryError::Invalid(
                "an alias needs at least one target".into(),
            ));
        }
        if self.store.get_user(d.id, &a.local).await?.is_some() {
            return Err(DirectoryError::Exists(format!("user {a}")));
        }
        let mut norm = Vec::with_capacity(targets.len());
        for t in targets {
            if Address::parse(t).is_ok_and(|t| t == a) {
                return Err(DirectoryError::Invalid(format!(
                    "alias {a} cannot deliver to itself"
                )));
            }
            norm.push(self.check_target(t, &d.name).await?);
        }
        check_limit(
            self.store.count_aliases(d.id).await?,
            d.limits.user_aliases as u64,
            "aliases",
            &d.name,
        )?;
        self.store
            .create_alias(d.id, &a.local, &norm)
            .await
            .map_err(|e| exists_or(e, &format!("alias {a}")))
    }

    /// Delete an alias.
    pub async fn delete_alias(&self, address: &str) -> Result<()> {
        let (a, d) = self.split(address).await?;
        let alias = self
            .store
            .get_alias(d.id, &a.local)
            .await?
            .ok_or_else(|| DirectoryError::NotFound(format!("alias {a}")))?;
        Ok(self.store.delete_alias(alias.id).await?)
    }

    /// Aliases of a domain.
    pub async fn list_aliases(&self, domain: &str) -> Result<Vec<Alias>> {
        let d = self.domain(domain).await?;
        Ok(self.store.list_aliases(d.id).await?)
    }
}
