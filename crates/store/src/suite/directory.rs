//! Suite checks for the directory: domains, users and their default folders, aliases, and
//! deleting a domain or a user with everything it owns.
#![allow(clippy::unwrap_used)]

use super::{Subject, domain, msg, user};
use crate::model::*;

fn filter_overrides(pairs: &[(&str, &str)]) -> FilterOverrides {
    FilterOverrides(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

pub(super) async fn domains(s: Subject) {
    let d = domain(&s, "a.test").await;
    assert!(matches!(
        s.create_domain(NewDomain {
            name: "a.test".into(),
            limits: DomainLimits::default()
        })
        .await,
        Err(crate::StoreError::Conflict(_))
    ));
    let mut got = s.get_domain("a.test").await.unwrap().unwrap();
    assert_eq!(got, d);
    got.disabled = true;
    got.limits.users = 7;
    got.catch_all = Some("bucket".into());
    got.filter = filter_overrides(&[("enabled", "false"), ("level_low", "3")]);
    s.update_domain(&got).await.unwrap();
    assert_eq!(s.get_domain_by_id(d.id).await.unwrap().unwrap(), got);
    domain(&s, "b.test").await;
    let names: Vec<_> = s
        .list_domains()
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.name)
        .collect();
    assert_eq!(names, ["a.test", "b.test"]);
    s.add_domain_alias("a.example", d.id).await.unwrap();
    assert_eq!(
        s.resolve_domain_alias("a.example").await.unwrap(),
        Some(d.id)
    );
    assert!(
        s.add_domain_alias("b.test", d.id).await.is_err(),
        "alias may not shadow a domain"
    );
    assert_eq!(s.list_domain_aliases(d.id).await.unwrap(), ["a.example"]);
    s.remove_domain_alias("a.example").await.unwrap();
    assert_eq!(s.resolve_domain_alias("a.example").await.unwrap(), None);
    assert!(s.get_domain("nope.test").await.unwrap().is_none());
}

pub(super) async fn users_and_folders(s: Subject) {
    let d = domain(&s, "u.test").await;
    let u = user(&s, &d, "alice").await;
    assert!(
        s.create_user(
            NewUser {
                domain_id: d.id,
                local: "alice".into(),
                credentials: "y".into(),
                display_name: String::new(),
                role: Role::User,
                quota_bytes: 0
            },
            &[]
        )
        .await
        .is_err()
    );
    let mut got = s.get_user(d.id, "alice").await.unwrap().unwrap();
    assert_eq!(got, u);
    got.disabled = true;
    got.role = Role::DomainAdmin;
    got.forward_to = vec!["x@y.test".into()];
    got.filter = filter_overrides(&[("action_high", "delete"), ("text_high", "[\"x\"] ü")]);
    s.update_user(&got).await.unwrap();
    assert_eq!(s.get_user_by_id(u.id).await.unwrap().unwrap(), got);
    assert_eq!(s.count_users(d.id).await.unwrap(), 1);
    let folders = s.list_folders(u.id).await.unwrap();
    assert_eq!(folders.len(), 2);
    let sent = s.get_folder(u.id, "Sent Items").await.unwrap().unwrap();
    assert_eq!(sent.special_use.as_deref(), Some("\\Sent"));
    assert_eq!(sent.uidnext, 1);
    assert!(sent.uidvalidity > 0);
    s.touch_login(u.id, 42).await.unwrap();
    assert_eq!(
        s.get_user_by_id(u.id).await.unwrap().unwrap().last_login,
        Some(42)
    );
    let admin = Admin {
        username: "admin".into(),
        credentials: "c".into(),
        must_change_password: true,
    };
    s.put_admin(&admin).await.unwrap();
    assert_eq!(s.get_admin().await.unwrap(), Some(admin));
}

pub(super) async fn aliases(s: Subject) {
    let d = domain(&s, "al.test").await;
    let a = s
        .create_alias(d.id, "team", &["a@al.test".into(), "b".into()])
        .await
        .unwrap();
    assert_eq!(s.get_alias(d.id, "team").await.unwrap(), Some(a.clone()));
    assert!(s.create_alias(d.id, "team", &[]).await.is_err());
    assert_eq!(s.count_aliases(d.id).await.unwrap(), 1);
    assert_eq!(
        s.list_aliases(d.id).await.unwrap(),
        std::slice::from_ref(&a)
    );
    s.delete_alias(a.id).await.unwrap();
    assert_eq!(s.get_alias(d.id, "team").await.unwrap(), None);
    s.create_list(d.id, "news").await.unwrap();
    assert_eq!(s.count_lists(d.id).await.unwrap(), 1);
    assert!(s.get_list(d.id, "news").await.unwrap().is_some());
}

pub(super) async fn delete_cascades(s: Subject) {
    let d = domain(&s, "del.test").await;
    let u = user(&s, &d, "gone").await;
    let f = s.get_folder(u.id, "INBOX").await.unwrap().unwrap();
    s.deliver(b"bye\r\n".to_vec().into(), &[(f.id, msg(&[]))])
        .await
        .unwrap();
    let m = s.list_messages(f.id).await.unwrap().remove(0);
    s.delete_user(u.id).await.unwrap();
    assert!(s.get_user(d.id, "gone").await.unwrap().is_none());
    assert!(s.list_messages(f.id).await.unwrap().is_empty());
    assert!(
        s.read_message(&m).await.is_err(),
        "blob removed with its last message"
    );
    let u2 = user(&s, &d, "other").await;
    s.delete_domain(d.id).await.unwrap();
    assert!(s.get_user_by_id(u2.id).await.unwrap().is_none());
    assert!(s.get_domain("del.test").await.unwrap().is_none());
}
