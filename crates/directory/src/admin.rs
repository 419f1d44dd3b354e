//! DOM-13 system administrator: created as admin/admin on first start, flagged so the admin
//! UI forces a new password at first login. The default password skips the policy (it is
//! never usable for anything but changing it); every new password obeys it.

use heron_store::Admin;

use crate::password::StoredCredentials;
use crate::{Directory, DirectoryError, Result};

/// The first administrator's name and password.
pub const DEFAULT_ADMIN: (&str, &str) = ("admin", "admin");

impl Directory {
    /// Create admin/admin (must change at first login) unless an administrator exists.
    pub async fn ensure_admin(&self) -> Result<()> {
        if self.store.get_admin().await?.is_some() {
            return Ok(());
        }
        let creds = crate::hashing::run(|| StoredCredentials::derive(DEFAULT_ADMIN.1))
            .await
            .ok_or_else(|| DirectoryError::Invalid("password hashing failed".into()))?
            .map_err(|e| DirectoryError::Invalid(e.to_string()))?;
        let admin = Admin {
            username: DEFAULT_ADMIN.0.into(),
            credentials: creds.to_storage(),
            must_change_password: true,
        };
        Ok(self.store.put_admin(&admin).await?)
    }

    /// Check the administrator's name and password.
    pub async fn verify_admin(&self, username: &str, password: &str) -> Result<Option<Admin>> {
        let Some(admin) = self.store.get_admin().await? else {
            return Ok(None);
        };
        if admin.username != username {
            return Ok(None);
        }
        let creds = StoredCredentials::from_storage(&admin.credentials)
            .map_err(|e| DirectoryError::Invalid(e.to_string()))?;
        let pw = password.to_owned();
        let ok = crate::hashing::run(move || creds.verify_plain(&pw))
            .await
            .unwrap_or(false);
        Ok(ok.then_some(admin))
    }

    /// Set the administrator's password (policy applies) and clear the must-change flag.
    pub async fn set_admin_password(&self, password: &str) -> Result<()> {
        let mut admin = self
            .store
            .get_admin()
            .await?
            .ok_or_else(|| DirectoryError::NotFound("administrator".into()))?;
        if password == DEFAULT_ADMIN.1 {
            return Err(DirectoryError::Invalid(
                "choose a password other than the default".into(),
            ));
        }
        admin.credentials = self.derive_credentials(&admin.username, password).await?;
        admin.must_change_password = false;
        Ok(self.store.put_admin(&admin).await?)
    }
}
