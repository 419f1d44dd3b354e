//! DOM-12 against a real store: new domains take the `domain_defaults.*` settings, and
//! propagation sets exactly the chosen fields of every existing domain.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use heron_directory::{DefaultField, Directory, DomainChange};
use heron_settings::Settings;
use heron_store::{DomainLimits, SqliteStore, Store};

async fn dir() -> (tempfile::TempDir, Directory) {
    let tmp = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(tmp.path()).unwrap());
    let settings = Settings::load(store.clone()).await.unwrap();
    (tmp, Directory::new(store, settings))
}

#[tokio::test]
async fn untouched_defaults_give_the_built_in_limits() {
    let (_t, d) = dir().await;
    let dom = d.add_domain("plain.test").await.unwrap();
    assert_eq!(dom.limits, DomainLimits::default());
    assert!(!dom.require_smtp_auth);
}

#[tokio::test]
async fn new_domains_take_the_defaults() {
    let (_t, d) = dir().await;
    let s = d.settings();
    s.set("domain_defaults.max_users", "7").await.unwrap();
    s.set("domain_defaults.disk_mb", "0").await.unwrap();
    s.set("domain_defaults.max_recipients", "12").await.unwrap();
    s.set("domain_defaults.require_smtp_auth", "true")
        .await
        .unwrap();
    let dom = d.add_domain("new.test").await.unwrap();
    assert_eq!(dom.limits.users, 7);
    assert_eq!(dom.limits.disk_mb, 0);
    assert_eq!(dom.limits.recipients_per_message, 12);
    assert_eq!(
        dom.limits.user_aliases,
        DomainLimits::default().user_aliases
    );
    assert!(dom.require_smtp_auth);
    // What was returned is what was stored.
    let stored = d.domain("new.test").await.unwrap();
    assert_eq!(stored, dom);
}

#[tokio::test]
async fn propagate_sets_only_the_chosen_fields() {
    let (_t, d) = dir().await;
    for name in ["a.test", "b.test", "c.test"] {
        d.add_domain(name).await.unwrap();
    }
    // One domain with its own values, which must survive for fields not propagated.
    let own = DomainChange {
        max_aliases: Some(5),
        disk_mb: Some(42),
        ..Default::default()
    };
    d.change_domain("c.test", &own).await.unwrap();
    let s = d.settings();
    s.set("domain_defaults.max_users", "3").await.unwrap();
    s.set("domain_defaults.max_aliases", "9").await.unwrap();

    let n = d
        .propagate_defaults(&[DefaultField::MaxUsers])
        .await
        .unwrap();
    assert_eq!(n, 3);
    for dom in d.list_domains().await.unwrap() {
        assert_eq!(dom.limits.users, 3, "{}", dom.name);
        let (aliases, disk) = if dom.name == "c.test" {
            (5, 42)
        } else {
            (1000, 500)
        };
        assert_eq!(dom.limits.user_aliases, aliases, "{}", dom.name);
        assert_eq!(dom.limits.disk_mb, disk, "{}", dom.name);
    }

    // Again: nothing left to change.
    let n = d
        .propagate_defaults(&[DefaultField::MaxUsers])
        .await
        .unwrap();
    assert_eq!(n, 0);

    // Only c.test differs from the disk default.
    let n = d.propagate_defaults(&[DefaultField::DiskMb]).await.unwrap();
    assert_eq!(n, 1);
    assert_eq!(d.domain("c.test").await.unwrap().limits.disk_mb, 500);
    assert_eq!(d.domain("c.test").await.unwrap().limits.user_aliases, 5);
}

#[tokio::test]
async fn propagate_the_smtp_auth_switch_and_nothing() {
    let (_t, d) = dir().await;
    d.add_domain("a.test").await.unwrap();
    d.add_domain("b.test").await.unwrap();
    d.settings()
        .set("domain_defaults.require_smtp_auth", "on")
        .await
        .unwrap();
    assert_eq!(d.propagate_defaults(&[]).await.unwrap(), 0);
    assert!(!d.domain("a.test").await.unwrap().require_smtp_auth);
    let n = d
        .propagate_defaults(&[DefaultField::RequireSmtpAuth, DefaultField::MaxUsers])
        .await
        .unwrap();
    assert_eq!(n, 2);
    for dom in d.list_domains().await.unwrap() {
        assert!(dom.require_smtp_auth, "{}", dom.name);
        assert_eq!(dom.limits, DomainLimits::default(), "{}", dom.name);
    }
}

#[tokio::test]
async fn propagate_with_no_domains() {
    let (_t, d) = dir().await;
    assert_eq!(d.propagate_defaults(&DefaultField::ALL).await.unwrap(), 0);
}
