//! Admin checks: API tokens (create, find by hash, list, delete), inactive users, user search,
//! domain administrators, server secrets.

use super::Subject;
use crate::error::StoreError;

pub(super) async fn api_tokens(s: Subject) {
    assert!(s.list_tokens().await.unwrap().is_empty());
    let a = s.create_token("deploy", "aa11", 100).await.unwrap();
    let b = s.create_token("backup", "bb22", 200).await.unwrap();
    assert_ne!(a.id, b.id);
    assert_eq!(
        (a.name.as_str(), a.hash.as_str(), a.created_at),
        ("deploy", "aa11", 100)
    );
    assert_eq!(s.list_tokens().await.unwrap(), vec![a.clone(), b.clone()]);
    assert_eq!(s.find_token("bb22").await.unwrap(), Some(b.clone()));
    assert_eq!(s.find_token("cc33").await.unwrap(), None);
    // The hash identifies a token: a second one with the same hash is refused.
    assert!(matches!(
        s.create_token("again", "aa11", 300).await,
        Err(StoreError::Conflict(_))
    ));
    s.delete_token(a.id).await.unwrap();
    assert_eq!(s.find_token("aa11").await.unwrap(), None);
    assert!(matches!(
        s.delete_token(a.id).await,
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(s.list_tokens().await.unwrap(), vec![b.clone()]);
    // Ids are not reused after a delete.
    let c = s.create_token("deploy", "aa11", 400).await.unwrap();
    assert!(c.id > b.id);
}

/// Inactive users: never logged in or not since the cut-off, per domain or all, paged in
/// domain-then-local order with the full count.
pub(super) async fn inactive_users(s: Subject) {
    let a = super::domain(&s, "a.test").await;
    let b = super::domain(&s, "b.test").await;
    let ann = super::user(&s, &a, "ann").await;
    let _bob = super::user(&s, &a, "bob").await;
    let cat = super::user(&s, &b, "cat").await;
    let _dan = super::user(&s, &b, "dan").await;
    s.touch_login(ann.id, 1_000).await.unwrap();
    s.touch_login(cat.id, 5_000).await.unwrap();
    let (n, all) = s.inactive_users(2_000, None, 10, 0).await.unwrap();
    assert_eq!(n, 3);
    assert_eq!(
        all,
        vec![
            ("ann@a.test".to_owned(), Some(1_000)),
            ("bob@a.test".to_owned(), None),
            ("dan@b.test".to_owned(), None),
        ]
    );
    let (n, page) = s.inactive_users(2_000, None, 1, 1).await.unwrap();
    assert_eq!((n, page), (3, vec![("bob@a.test".to_owned(), None)]));
    let (n, only_b) = s.inactive_users(9_000, Some(b.id), 10, 0).await.unwrap();
    assert_eq!(n, 2);
    assert_eq!(only_b[0], ("cat@b.test".to_owned(), Some(5_000)));
}

/// A domain's users a page at a time, searched by local part or display name as plain text.
pub(super) async fn search_users(s: Subject) {
    let a = super::domain(&s, "a.test").await;
    let b = super::domain(&s, "b.test").await;
    for l in ["ann", "bob", "b_x", "carl", "dan"] {
        super::user(&s, &a, l).await;
    }
    super::user(&s, &b, "bob").await;
    let mut carl = s.get_user(a.id, "carl").await.unwrap().unwrap();
    carl.display_name = "Carl 100% Bobby".into();
    s.update_user(&carl).await.unwrap();
    let locals =
        |v: &Vec<crate::model::User>| v.iter().map(|u| u.local.clone()).collect::<Vec<_>>();
    let (n, all) = s.search_users(a.id, None, 10, 0).await.unwrap();
    assert_eq!(
        (n, locals(&all)),
        (
            5,
            vec![
                "ann".into(),
                "b_x".into(),
                "bob".into(),
                "carl".into(),
                "dan".into()
            ]
        )
    );
    let (n, page) = s.search_users(a.id, None, 2, 2).await.unwrap();
    assert_eq!((n, locals(&page)), (5, vec!["bob".into(), "carl".into()]));
    // Case-insensitive, on the display name too, and only this domain's users.
    let (n, found) = s.search_users(a.id, Some("BOB"), 10, 0).await.unwrap();
    assert_eq!((n, locals(&found)), (2, vec!["bob".into(), "carl".into()]));
    // `_` and `%` are plain characters (no wildcards, whatever the backend matches with).
    let (_, found) = s.search_users(a.id, Some("_"), 10, 0).await.unwrap();
    assert_eq!(locals(&found), vec!["b_x".to_owned()]);
    let (_, found) = s.search_users(a.id, Some("%"), 10, 0).await.unwrap();
    assert_eq!(locals(&found), vec!["carl".to_owned()]);
    let (n, none) = s.search_users(b.id, Some("ann"), 10, 0).await.unwrap();
    assert_eq!((n, none.len()), (0, 0));
}

/// Secrets: the first value stored under a name is kept for good; secrets are not settings.
pub(super) async fn secrets(s: Subject) {
    let first = s.secret_or_insert("scram", b"one").await.unwrap();
    assert_eq!(first, b"one");
    assert_eq!(s.secret_or_insert("scram", b"two").await.unwrap(), b"one");
    assert_eq!(
        s.secret_or_insert("other", b"three").await.unwrap(),
        b"three"
    );
    assert!(s.list_settings().await.unwrap().is_empty());
    // Racing creators all get the same value.
    let racers: Vec<_> = (0..8u8)
        .map(|i| {
            let s = s.clone();
            tokio::spawn(async move { s.secret_or_insert("race", &[i]).await.unwrap() })
        })
        .collect();
    let mut seen = std::collections::HashSet::new();
    for r in racers {
        seen.insert(r.await.unwrap());
    }
    assert_eq!(seen.len(), 1, "{seen:?}");
}

/// A domain's enabled administrators, oldest first; users, disabled administrators and other
/// domains' administrators are left out.
pub(super) async fn domain_admins(s: Subject) {
    use crate::model::Role;
    let a = super::domain(&s, "a.test").await;
    let b = super::domain(&s, "b.test").await;
    assert!(s.domain_admins(a.id).await.unwrap().is_empty());
    let mut zed = super::user(&s, &a, "zed").await;
    let _user = super::user(&s, &a, "plain").await;
    let mut amy = super::user(&s, &a, "amy").await;
    let mut off = super::user(&s, &a, "off").await;
    let mut other = super::user(&s, &b, "other").await;
    for u in [&mut zed, &mut amy, &mut off, &mut other] {
        u.role = Role::DomainAdmin;
    }
    off.disabled = true;
    for u in [&zed, &amy, &off, &other] {
        s.update_user(u).await.unwrap();
    }
    let got: Vec<String> = s
        .domain_admins(a.id)
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.local)
        .collect();
    assert_eq!(got, ["zed", "amy"]);
}
