//! Managing users' POP-retrieval accounts (ACCESS-4) for the admin API and the CLI: the
//! per-user limit of the user's domain (DOM-4 `pop_retrieval_accounts`, 0 = unlimited),
//! validation, the password sealed before it reaches the store, and a view that never
//! holds it.
//!
//! Invariants: an account is only added while its domain's POP-retrieval switch (DOM-3) is
//! on and its user has fewer than its domain's limit;
//! the password is only ever stored sealed ([`super::seal`]); [`AccountView`] has no
//! password field, only `password_set`.

use heron_store::{PopAccount, PopAccountId, PopTls, Store, UserId};
use serde::Serialize;

use super::{RetrievalError, SealKey};

/// What a new or changed account says (the password in clear, about to be sealed).
#[derive(Clone, Debug)]
pub struct AccountInput {
    pub host: String,
    pub port: u16,
    pub tls: PopTls,
    pub verify_tls: bool,
    pub login: String,
    /// `None` on a change keeps the stored password.
    pub password: Option<String>,
    pub leave_on_server: bool,
    pub folder: String,
    pub enabled: bool,
}

/// An account as shown to administrators and users: no password.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct AccountView {
    pub id: PopAccountId,
    pub user_id: UserId,
    pub host: String,
    pub port: u16,
    pub tls: PopTls,
    pub verify_tls: bool,
    pub login: String,
    pub password_set: bool,
    pub leave_on_server: bool,
    pub folder: String,
    pub enabled: bool,
    pub last_run: i64,
    pub last_error: String,
}

impl From<&PopAccount> for AccountView {
    fn from(a: &PopAccount) -> Self {
        Self {
            id: a.id,
            user_id: a.user_id,
            host: a.host.clone(),
            port: a.port,
            tls: a.tls,
            verify_tls: a.verify_tls,
            login: a.login.clone(),
            password_set: !a.password.is_empty(),
            leave_on_server: a.leave_on_server,
            folder: a.folder.clone(),
            enabled: a.enabled,
            last_run: a.last_run,
            last_error: a.last_error.clone(),
        }
    }
}

/// Check what an account says: a host name, a port, a login without line breaks.
pub fn validate(i: &AccountInput) -> Result<(), RetrievalError> {
    let bad = |s: &str| s.is_empty() || s.chars().any(|c| c.is_control() || c == ' ');
    if bad(&i.host) {
        return Err(RetrievalError::Invalid("host must be a host name".into()));
    }
    if i.port == 0 {
        return Err(RetrievalError::Invalid("port must be 1 to 65535".into()));
    }
    if bad(&i.login) {
        return Err(RetrievalError::Invalid(
            "login must be non-empty, without spaces".into(),
        ));
    }
    if i.password
        .as_deref()
        .is_some_and(|p| p.chars().any(char::is_control))
    {
        return Err(RetrievalError::Invalid(
            "password must not hold control characters".into(),
        ));
    }
    if i.folder.trim().is_empty() {
        return Err(RetrievalError::Invalid("folder must be named".into()));
    }
    Ok(())
}

/// Add an account for `user`, within its domain's limit.
pub async fn add(
    store: &dyn Store,
    user: UserId,
    i: &AccountInput,
) -> Result<AccountView, RetrievalError> {
    validate(i)?;
    let Some(password) = i.password.as_deref() else {
        return Err(RetrievalError::Invalid("a password is needed".into()));
    };
    let u = store
        .get_user_by_id(user)
        .await?
        .ok_or_else(|| RetrievalError::Invalid(format!("no user {user}")))?;
    let d = store
        .get_domain_by_id(u.domain_id)
        .await?
        .ok_or_else(|| RetrievalError::Invalid(format!("no domain {}", u.domain_id)))?;
    if !d.pop_retrieval {
        return Err(off(&d.name));
    }
    let limit = d.limits.pop_retrieval_accounts;
    let have = store.pop_accounts(Some(user)).await?.len();
    // DOM-4: 0 = unlimited.
    if limit != 0 && have >= limit as usize {
        return Err(RetrievalError::Limit(format!(
            "{} allows {limit} POP-retrieval accounts per user",
            d.name
        )));
    }
    let key = SealKey::load(store).await?;
    let mut a = PopAccount {
        id: 0,
        user_id: user,
        host: i.host.clone(),
        port: i.port,
        tls: i.tls,
        verify_tls: i.verify_tls,
        login: i.login.clone(),
        password: key.seal(user, password)?,
        leave_on_server: i.leave_on_server,
        folder: i.folder.clone(),
        enabled: i.enabled,
        last_run: 0,
        last_error: String::new(),
    };
    a.id = store.pop_account_add(&a).await?;
    Ok(AccountView::from(&a))
}

/// The error for a domain whose POP-retrieval switch is off.
pub fn off(domain: &str) -> RetrievalError {
    RetrievalError::Off(format!(
        "POP retrieval is turned off for {domain}: its users' POP-retrieval accounts are neither fetched nor added"
    ))
}

/// Change account `id` of `user`.
pub async fn update(
    store: &dyn Store,
    user: UserId,
    id: PopAccountId,
    i: &AccountInput,
) -> Result<AccountView, RetrievalError> {
    validate(i)?;
    let mut a = owned(store, user, id).await?;
    if let Some(p) = &i.password {
        a.password = SealKey::load(store).await?.seal(user, p)?;
    }
    a.host = i.host.clone();
    a.port = i.port;
    a.tls = i.tls;
    a.verify_tls = i.verify_tls;
    a.login = i.login.clone();
    a.leave_on_server = i.leave_on_server;
    a.folder = i.folder.clone();
    a.enabled = i.enabled;
    store.pop_account_update(&a).await?;
    Ok(AccountView::from(&a))
}

/// Account `id` when it belongs to `user`.
pub async fn owned(
    store: &dyn Store,
    user: UserId,
    id: PopAccountId,
) -> Result<PopAccount, RetrievalError> {
    match store.pop_account(id).await? {
        Some(a) if a.user_id == user => Ok(a),
        _ => Err(RetrievalError::NotFound(format!(
            "no POP-retrieval account {id} for this user"
        ))),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use heron_store::{DirectoryStore, NewDomain, NewUser, PopRetrievalStore, Role};

    fn input() -> AccountInput {
        AccountInput {
            host: "pop.example.net".into(),
            port: 110,
            tls: PopTls::Starttls,
            verify_tls: true,
            login: "me".into(),
            password: Some("secret".into()),
            leave_on_server: true,
            folder: "INBOX".into(),
            enabled: true,
        }
    }

    #[tokio::test]
    async fn the_domain_switch_and_limit_come_first() {
        let dir = tempfile::tempdir().unwrap();
        let store = heron_store::SqliteStore::open(dir.path()).unwrap();
        let mut d = store
            .create_domain(NewDomain {
                name: "example.test".into(),
                limits: Default::default(),
            })
            .await
            .unwrap();
        let u = store
            .create_user(
                NewUser {
                    domain_id: d.id,
                    local: "ann".into(),
                    credentials: "x".into(),
                    display_name: String::new(),
                    role: Role::User,
                    quota_bytes: 0,
                },
                &[("INBOX", None)],
            )
            .await
            .unwrap();
        d.pop_retrieval = false;
        store.update_domain(&d).await.unwrap();
        let e = add(&store, u.id, &input()).await.unwrap_err();
        assert!(
            matches!(&e, RetrievalError::Off(m) if m.contains("example.test")),
            "{e}"
        );
        assert!(store.pop_accounts(Some(u.id)).await.unwrap().is_empty());

        d.pop_retrieval = true;
        d.limits.pop_retrieval_accounts = 1;
        store.update_domain(&d).await.unwrap();
        add(&store, u.id, &input()).await.unwrap();
        let e = add(&store, u.id, &input()).await.unwrap_err();
        assert!(matches!(e, RetrievalError::Limit(_)), "{e}");
        d.limits.pop_retrieval_accounts = 0;
        store.update_domain(&d).await.unwrap();
        add(&store, u.id, &input()).await.unwrap();
        assert_eq!(store.pop_accounts(Some(u.id)).await.unwrap().len(), 2);
    }
}
