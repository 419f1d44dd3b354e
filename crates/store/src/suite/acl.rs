//! Suite check for access-control lists (RFC 4314): entries per folder and grantee, the
//! per-folder limit, `anyone` within the owner's domain, what goes with a folder or a user.
#![allow(clippy::unwrap_used)]

use super::{Subject, domain, user};
use crate::model::*;

pub(super) async fn acl_entries(s: Subject) {
    let d = domain(&s, "acl.test").await;
    let other_domain = domain(&s, "elsewhere.test").await;
    let owner = user(&s, &d, "owner").await;
    let bob = user(&s, &d, "bob").await;
    let carol = user(&s, &d, "carol").await;
    let stranger = user(&s, &other_domain, "stranger").await;
    let f = s.create_folder(owner.id, "Team", None).await.unwrap();
    assert!(s.list_rights(f.id).await.unwrap().is_empty());
    assert!(s.shared_with(bob.id).await.unwrap().is_empty());

    assert!(s.set_rights(f.id, Some(bob.id), "lr", 100).await.unwrap());
    assert!(s.set_rights(f.id, Some(bob.id), "lrs", 100).await.unwrap());
    assert!(s.set_rights(f.id, None, "l", 100).await.unwrap());
    let entries = s.list_rights(f.id).await.unwrap();
    let got: Vec<(Option<UserId>, &str, &str)> = entries
        .iter()
        .map(|e| (e.grantee, e.name.as_str(), e.rights.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![(None, "anyone", "l"), (Some(bob.id), "bob", "lrs")]
    );

    // Bob holds his rights and anyone's; carol anyone's; the owner and another domain none.
    let shared = s.shared_with(bob.id).await.unwrap();
    assert_eq!(shared.len(), 1);
    assert_eq!(shared[0].owner_local, "owner");
    assert_eq!(shared[0].folder.id, f.id);
    assert_eq!(shared[0].folder.name, "Team");
    assert_eq!(shared[0].rights, "lrs");
    let shared = s.shared_with(carol.id).await.unwrap();
    assert_eq!(shared.len(), 1);
    assert_eq!(shared[0].rights, "l");
    assert!(s.shared_with(owner.id).await.unwrap().is_empty());
    assert!(s.shared_with(stranger.id).await.unwrap().is_empty());

    // The limit refuses a new entry, not a change of one that exists.
    assert!(!s.set_rights(f.id, Some(carol.id), "l", 2).await.unwrap());
    assert!(s.set_rights(f.id, Some(bob.id), "lr", 2).await.unwrap());
    assert_eq!(s.list_rights(f.id).await.unwrap().len(), 2);

    // Unknown folder or grantee.
    assert!(matches!(
        s.set_rights(f.id + 1000, Some(bob.id), "l", 100).await,
        Err(crate::StoreError::NotFound(_))
    ));
    assert!(matches!(
        s.set_rights(f.id, Some(bob.id + 1000), "l", 100).await,
        Err(crate::StoreError::NotFound(_))
    ));

    assert!(s.delete_rights(f.id, None).await.unwrap());
    assert!(!s.delete_rights(f.id, None).await.unwrap());
    assert!(s.shared_with(carol.id).await.unwrap().is_empty());

    // Entries go with their grantee, and with their folder.
    s.set_rights(f.id, Some(carol.id), "lr", 100).await.unwrap();
    s.delete_user(carol.id).await.unwrap();
    let names: Vec<String> = s
        .list_rights(f.id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.name)
        .collect();
    assert_eq!(names, vec!["bob".to_string()]);
    s.delete_folder(f.id).await.unwrap();
    assert!(s.list_rights(f.id).await.unwrap().is_empty());
    assert!(s.shared_with(bob.id).await.unwrap().is_empty());

    // And with their owner.
    let g = s.create_folder(owner.id, "Other", None).await.unwrap();
    s.set_rights(g.id, Some(bob.id), "lr", 100).await.unwrap();
    s.delete_user(owner.id).await.unwrap();
    assert!(s.shared_with(bob.id).await.unwrap().is_empty());
}
