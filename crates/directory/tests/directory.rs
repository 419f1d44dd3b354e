//! Directory rules against a real store: DOM-4 limits, SEC-9 policy, argon2 storage, DOM-10
//! resolution, logins of disabled accounts, the first administrator.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use heron_directory::{Directory, DirectoryError, password::StoredCredentials};
use heron_settings::Settings;
use heron_store::{Role, SqliteStore, Store};

async fn dir() -> (tempfile::TempDir, Directory) {
    let tmp = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(tmp.path()).unwrap());
    let settings = Settings::load(store.clone()).await.unwrap();
    (tmp, Directory::new(store, settings))
}

const PW: &str = "correcthorse42";

#[tokio::test]
async fn users_limit_and_argon2() {
    let (_t, d) = dir().await;
    let mut dom = d.add_domain("Example.TEST").await.unwrap();
    assert_eq!(dom.name, "example.test");
    assert!(matches!(
        d.add_domain("example.test").await,
        Err(DirectoryError::Exists(_))
    ));
    assert!(matches!(
        d.add_domain("bad domain").await,
        Err(DirectoryError::Invalid(_))
    ));
    dom.limits.users = 2;
    d.update_domain(&dom).await.unwrap();
    let u = d.add_user("a@example.test", PW, Role::User).await.unwrap();
    assert!(
        u.credentials.contains("$argon2id$"),
        "argon2id stored: {}",
        u.credentials
    );
    assert!(!u.credentials.contains(PW));
    d.add_user("b@example.test", PW, Role::User).await.unwrap();
    let e = d
        .add_user("c@example.test", PW, Role::User)
        .await
        .unwrap_err();
    assert!(matches!(e, DirectoryError::Limit(_)), "{e}");
    assert!(matches!(
        d.add_user("a@example.test", PW, Role::User).await,
        Err(DirectoryError::Exists(_))
    ));
    assert!(matches!(
        d.add_user("x@nowhere.test", PW, Role::User).await,
        Err(DirectoryError::NotFound(_))
    ));
    let folders: Vec<String> = d
        .store()
        .list_folders(u.id)
        .await
        .unwrap()
        .into_iter()
        .map(|f| f.name)
        .collect();
    assert_eq!(folders.len(), 5);
    assert!(folders.contains(&"Junk E-Mail".to_string()));
}

#[tokio::test]
async fn password_policy_applies() {
    let (_t, d) = dir().await;
    d.add_domain("p.test").await.unwrap();
    let e = d
        .add_user("bob@p.test", "short", Role::User)
        .await
        .unwrap_err();
    let DirectoryError::Policy(v) = &e else {
        panic!("{e}")
    };
    assert!(v.len() >= 2, "too short and no digit: {e}");
    let e = d
        .add_user("bob@p.test", "bob12345678", Role::User)
        .await
        .unwrap_err();
    assert!(e.to_string().to_lowercase().contains("user"), "{e}");
    d.settings()
        .set("security.password_require_symbol", "true")
        .await
        .unwrap();
    assert!(d.add_user("bob@p.test", PW, Role::User).await.is_err());
    d.add_user("bob@p.test", "correcthorse42!", Role::User)
        .await
        .unwrap();
}

#[tokio::test]
async fn aliases_catch_all_and_domain_aliases() {
    let (_t, d) = dir().await;
    let mut dom = d.add_domain("r.test").await.unwrap();
    let a = d.add_user("ann@r.test", PW, Role::User).await.unwrap();
    let b = d.add_user("ben@r.test", PW, Role::User).await.unwrap();
    // Targets must exist when they are local, and be addresses.
    for bad in ["nobody", "nobody@r.test", "not an address", "x@-bad-.test"] {
        assert!(
            matches!(
                d.add_alias("team@r.test", &["ann".into(), bad.into()])
                    .await,
                Err(DirectoryError::Invalid(_))
            ),
            "{bad}"
        );
    }
    assert!(matches!(
        d.set_catch_all("r.test", Some("nobody")).await,
        Err(DirectoryError::Invalid(_))
    ));
    // A loop can still form (a target deleted and made again), and resolution cuts it.
    d.add_alias("loop@r.test", &["ann".into()]).await.unwrap();
    d.add_alias(
        "team@r.test",
        &[
            "ann".into(),
            "ben@r.test".into(),
            "loop@r.test".into(),
            "far@remote.test".into(),
        ],
    )
    .await
    .unwrap();
    d.delete_alias("loop@r.test").await.unwrap();
    d.add_alias("loop@r.test", &["team@r.test".into(), "ann@r.test".into()])
        .await
        .unwrap();
    let r = d.resolve("TEAM@r.test").await.unwrap();
    let ids: Vec<_> = r.mailboxes.iter().map(|u| u.id).collect();
    assert_eq!(ids, [a.id, b.id], "each mailbox once, loop cut");
    assert_eq!(r.remote, ["far@remote.test"]);
    assert!(d.resolve("nobody@r.test").await.unwrap().is_empty());
    assert!(matches!(
        d.add_alias("ann@r.test", &["ben".into()]).await,
        Err(DirectoryError::Exists(_))
    ));

    d.set_catch_all("r.test", Some("ben")).await.unwrap();
    assert_eq!(
        d.resolve("nobody@r.test").await.unwrap().mailboxes[0].id,
        b.id
    );
    d.settings()
        .set("security.catch_alls", "false")
        .await
        .unwrap();
    assert!(
        d.resolve("nobody@r.test").await.unwrap().is_empty(),
        "server-wide switch"
    );
    d.settings()
        .set("security.catch_alls", "true")
        .await
        .unwrap();

    d.add_domain_alias("r.example", "r.test").await.unwrap();
    assert_eq!(
        d.resolve("ann@r.example").await.unwrap().mailboxes[0].id,
        a.id
    );
    d.add_domain_alias("r2.example", "r.test").await.unwrap();
    let e = d
        .add_domain_alias("r3.example", "r.test")
        .await
        .unwrap_err();
    assert!(
        matches!(e, DirectoryError::Limit(_)),
        "default limit of 2 domain aliases: {e}"
    );

    dom.disabled = true;
    d.update_domain(&dom).await.unwrap();
    assert!(
        d.resolve("ann@r.test").await.unwrap().is_empty(),
        "disabled domain receives nothing"
    );
    assert!(
        d.authenticate("ann@r.test", PW).await.is_err(),
        "disabled domain cannot log in"
    );
}

#[tokio::test]
async fn authentication() {
    let (_t, d) = dir().await;
    d.add_domain("l.test").await.unwrap();
    let mut u = d.add_user("lee@l.test", PW, Role::User).await.unwrap();
    assert_eq!(d.authenticate("Lee@L.test", PW).await.unwrap().id, u.id);
    assert!(d.authenticate("lee@l.test", "wrong").await.is_err());
    assert!(d.authenticate("ghost@l.test", PW).await.is_err());
    let (_, _, creds) = d.login_candidate("lee@l.test").await.unwrap().unwrap();
    assert!(creds.cram_md5.is_some());
    assert_eq!(
        StoredCredentials::from_storage(&u.credentials).unwrap(),
        creds
    );
    u.disabled = true;
    d.update_user(&u).await.unwrap();
    assert!(d.authenticate("lee@l.test", PW).await.is_err());
    d.settings()
        .set("security.cram_md5", "false")
        .await
        .unwrap();
    u.disabled = false;
    d.update_user(&u).await.unwrap();
    d.set_password("lee@l.test", "anotherpass7").await.unwrap();
    let (_, _, creds) = d.login_candidate("lee@l.test").await.unwrap().unwrap();
    assert!(creds.cram_md5.is_none());
    assert!(d.authenticate("lee@l.test", "anotherpass7").await.is_ok());
}

/// Logins remembered after argon2 (`security.login_cache_seconds`) answer only for the stored
/// credentials and account state read at each login.
#[tokio::test]
async fn remembered_logins_follow_the_store() {
    let (_t, d) = dir().await;
    let mut dom = d.add_domain("c.test").await.unwrap();
    let mut u = d.add_user("cat@c.test", PW, Role::User).await.unwrap();
    assert_eq!(d.authenticate("cat@c.test", PW).await.unwrap().id, u.id);
    assert_eq!(d.authenticate("cat@c.test", PW).await.unwrap().id, u.id);
    assert!(d.authenticate("cat@c.test", "wrongpass1").await.is_err());

    // Changed behind this directory's back (as by another node): no forget() ran here.
    let mut changed = u.clone();
    changed.credentials = d
        .derive_credentials("cat@c.test", "newpass99")
        .await
        .unwrap();
    d.store().update_user(&changed).await.unwrap();
    assert!(
        d.authenticate("cat@c.test", PW).await.is_err(),
        "old password"
    );
    assert!(d.authenticate("cat@c.test", "newpass99").await.is_ok());
    assert!(d.authenticate("cat@c.test", "newpass99").await.is_ok());

    u = changed;
    u.disabled = true;
    d.store().update_user(&u).await.unwrap();
    assert!(
        d.authenticate("cat@c.test", "newpass99").await.is_err(),
        "disabled user"
    );
    u.disabled = false;
    d.store().update_user(&u).await.unwrap();
    assert!(d.authenticate("cat@c.test", "newpass99").await.is_ok());
    dom.disabled = true;
    d.update_domain(&dom).await.unwrap();
    assert!(
        d.authenticate("cat@c.test", "newpass99").await.is_err(),
        "disabled domain"
    );
    dom.disabled = false;
    d.update_domain(&dom).await.unwrap();

    d.settings()
        .set("security.login_cache_seconds", "0")
        .await
        .unwrap();
    assert!(
        d.authenticate("cat@c.test", "newpass99").await.is_ok(),
        "off: argon2 alone"
    );
}

/// PLAIN through `sasl_supply`: a remembered password serves only itself, for the
/// credentials stored now.
#[tokio::test]
async fn sasl_plain_logins_are_remembered_for_the_same_password_only() {
    use heron_directory::sasl::{Exchange, Mechanism, Outcome, Step};
    async fn plain(d: &Directory, user: &str, pw: &str) -> bool {
        let msg = format!("\0{user}\0{pw}");
        let (ex, step) = Exchange::start(Mechanism::Plain, "mx", Some(msg.as_bytes()));
        assert_eq!(step, Step::Lookup(user.into()));
        let (cand, unknown) = d.sasl_lookup(user).await.unwrap();
        let (_, step) = d.sasl_supply(ex, cand.as_ref(), unknown).await.unwrap();
        matches!(step, Step::Done(Outcome::Success { .. }))
    }
    let (_t, d) = dir().await;
    d.add_domain("p.test").await.unwrap();
    d.add_user("pam@p.test", PW, Role::User).await.unwrap();
    assert!(plain(&d, "pam@p.test", PW).await);
    assert!(plain(&d, "pam@p.test", PW).await);
    assert!(!plain(&d, "pam@p.test", "wrongpass1").await);
    assert!(!plain(&d, "nobody@p.test", PW).await);
    d.set_password("pam@p.test", "newpass99").await.unwrap();
    assert!(!plain(&d, "pam@p.test", PW).await, "old password");
    assert!(plain(&d, "pam@p.test", "newpass99").await);
    // A password remembered through LOGIN serves PLAIN's check as well.
    assert!(d.authenticate("pam@p.test", "newpass99").await.is_ok());
    assert!(plain(&d, "pam@p.test", "newpass99").await);
}

#[tokio::test]
async fn first_admin() {
    let (_t, d) = dir().await;
    d.ensure_admin().await.unwrap();
    let a = d.verify_admin("admin", "admin").await.unwrap().unwrap();
    assert!(a.must_change_password);
    assert!(d.verify_admin("admin", "nope").await.unwrap().is_none());
    assert!(d.set_admin_password("admin").await.is_err());
    d.set_admin_password("n3wsecret").await.unwrap();
    assert!(d.verify_admin("admin", "admin").await.unwrap().is_none());
    assert!(
        !d.verify_admin("admin", "n3wsecret")
            .await
            .unwrap()
            .unwrap()
            .must_change_password
    );
    d.ensure_admin().await.unwrap();
    assert!(
        d.verify_admin("admin", "n3wsecret")
            .await
            .unwrap()
            .is_some(),
        "ensure keeps it"
    );
}

/// The key behind SCRAM's salts for unknown users is made once and read back after a restart
/// (a new store and directory on the same data), so those salts do not change.
#[tokio::test]
async fn unknown_user_key_survives_a_restart() {
    let tmp = tempfile::tempdir().unwrap();
    let salt_of = |key: heron_directory::sasl::UnknownUserKey| async move {
        use heron_directory::sasl::{Exchange, Mechanism, Step};
        let (mut ex, _) = Exchange::start(Mechanism::ScramSha256, "mx", None);
        let Step::Lookup(_) = ex.respond(b"n,,n=ghost@example.test,r=abc") else {
            panic!("lookup")
        };
        let Step::Challenge(first) = ex.supply(None, &key) else {
            panic!("server-first")
        };
        String::from_utf8(first)
            .unwrap()
            .split(',')
            .nth(1)
            .unwrap()
            .to_owned()
    };
    let open = || async {
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(tmp.path()).unwrap());
        let settings = Settings::load(store.clone()).await.unwrap();
        Directory::new(store, settings)
    };
    let first = open().await;
    let salt = salt_of(first.unknown_user_key().await.unwrap()).await;
    assert_eq!(salt, salt_of(first.unknown_user_key().await.unwrap()).await);
    drop(first);
    let again = open().await;
    assert_eq!(salt, salt_of(again.unknown_user_key().await.unwrap()).await);
    // A different data directory has its own key.
    let (_t, other) = dir().await;
    assert_ne!(salt, salt_of(other.unknown_user_key().await.unwrap()).await);
}

/// RFC 5321 §4.5.1: postmaster@ every hosted domain (and domain alias) resolves even without
/// such a user or alias: to `server.postmaster`, else to the domain's first administrator.
/// A user or alias named postmaster keeps precedence; other domains are not touched.
#[tokio::test]
async fn postmaster_always_resolves_to_someone_chosen_here() {
    let (_t, d) = dir().await;
    d.add_domain("example.test").await.unwrap();
    d.add_domain("other.test").await.unwrap();
    d.add_domain_alias("alias.test", "example.test")
        .await
        .unwrap();
    let locals = |r: heron_directory::Resolution| -> Vec<String> {
        r.mailboxes.into_iter().map(|u| u.local).collect()
    };
    // Nobody to receive it yet: unknown, as before.
    assert!(
        d.resolve("postmaster@example.test")
            .await
            .unwrap()
            .is_empty()
    );
    d.add_user("alice@example.test", PW, Role::User)
        .await
        .unwrap();
    d.add_user("boss@example.test", PW, Role::DomainAdmin)
        .await
        .unwrap();
    d.add_user("later@example.test", PW, Role::DomainAdmin)
        .await
        .unwrap();
    for a in ["postmaster@example.test", "PostMaster@Alias.Test"] {
        assert_eq!(locals(d.resolve(a).await.unwrap()), ["boss"], "{a}");
    }
    assert!(d.resolve("postmaster@other.test").await.unwrap().is_empty());
    // The setting names the mailbox for every domain.
    d.settings()
        .set("server.postmaster", "alice@example.test")
        .await
        .unwrap();
    for a in [
        "postmaster@example.test",
        "postmaster@other.test",
        "postmaster@alias.test",
    ] {
        assert_eq!(locals(d.resolve(a).await.unwrap()), ["alice"], "{a}");
    }
    // Remote domains are not hosted: their postmaster stays remote.
    let r = d.resolve("postmaster@remote.test").await.unwrap();
    assert_eq!(
        (r.mailboxes.len(), r.remote),
        (0, vec!["postmaster@remote.test".to_owned()])
    );
    // A real postmaster alias wins.
    d.add_alias("postmaster@other.test", &["later@example.test".into()])
        .await
        .unwrap();
    assert_eq!(
        locals(d.resolve("postmaster@other.test").await.unwrap()),
        ["later"]
    );
    // Only the local part postmaster is concerned.
    assert!(
        d.resolve("webmaster@example.test")
            .await
            .unwrap()
            .is_empty()
    );
}
