//! Suite check for public folders (DOM-5): the hidden per-domain owner is made once, is no
//! user (not found by local part, not listed, searched, counted), and its folders are
//! granted to users of its domain alone.
#![allow(clippy::unwrap_used)]

use super::{Subject, domain, new_user, user};
use crate::model::*;
use crate::rules::public::PUBLIC_OWNER;

pub(super) async fn public_folders(s: Subject) {
    let d = domain(&s, "public.test").await;
    let other = domain(&s, "elsewhere.test").await;
    let alice = user(&s, &d, "alice").await;
    let bob = user(&s, &d, "bob").await;
    let stranger = user(&s, &other, "stranger").await;

    assert_eq!(s.public_owner(d.id, false).await.unwrap(), None);
    let owner = s.public_owner(d.id, true).await.unwrap().unwrap();
    assert_eq!(s.public_owner(d.id, true).await.unwrap(), Some(owner));
    assert_eq!(s.public_owner(d.id, false).await.unwrap(), Some(owner));
    assert_ne!(s.public_owner(other.id, true).await.unwrap(), Some(owner));
    assert!(matches!(
        s.public_owner(d.id + 1000, true).await,
        Err(crate::StoreError::NotFound(_))
    ));

    // The owner is no user: only its id finds it.
    assert!(s.get_user(d.id, PUBLIC_OWNER).await.unwrap().is_none());
    let row = s.get_user_by_id(owner).await.unwrap().unwrap();
    assert!(row.is_public_owner());
    assert!(!alice.is_public_owner());
    let locals: Vec<String> = s
        .list_users(d.id)
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.local)
        .collect();
    assert_eq!(locals, vec!["alice".to_string(), "bob".to_string()]);
    assert_eq!(s.count_users(d.id).await.unwrap(), 2);
    let (n, page) = s.search_users(d.id, None, 10, 0).await.unwrap();
    assert_eq!((n, page.len()), (2, 2));
    let (n, _) = s.search_users(d.id, Some("public"), 10, 0).await.unwrap();
    assert_eq!(n, 0);
    let (n, _) = s.inactive_users(i64::MAX, Some(d.id), 10, 0).await.unwrap();
    assert_eq!(n, 2);
    assert_eq!(s.totals().await.unwrap().users, 3);
    assert!(matches!(
        s.create_user(new_user(d.id, PUBLIC_OWNER), &[]).await,
        Err(crate::StoreError::Conflict(_))
    ));

    // Its folders are granted like any folder, listed apart from other users' folders.
    let news = s.create_folder(owner, "News", None).await.unwrap();
    let team = s.create_folder(owner, "Team", None).await.unwrap();
    s.set_rights(news.id, None, "lr", 100).await.unwrap();
    s.set_rights(news.id, Some(bob.id), "lrswi", 100)
        .await
        .unwrap();
    s.set_rights(team.id, Some(bob.id), "l", 100).await.unwrap();
    assert!(s.shared_with(alice.id).await.unwrap().is_empty());
    assert!(s.shared_with(bob.id).await.unwrap().is_empty());
    let seen = |v: Vec<SharedFolder>| -> Vec<(String, String)> {
        v.into_iter().map(|f| (f.folder.name, f.rights)).collect()
    };
    assert_eq!(
        seen(s.public_shared_with(alice.id).await.unwrap()),
        vec![("News".into(), "lr".into())]
    );
    assert_eq!(
        seen(s.public_shared_with(bob.id).await.unwrap()),
        vec![("News".into(), "lrswi".into()), ("Team".into(), "l".into())]
    );
    assert!(s.public_shared_with(stranger.id).await.unwrap().is_empty());
    let shared = s.public_shared_with(alice.id).await.unwrap();
    assert_eq!(shared[0].owner_local, PUBLIC_OWNER);

    // Messages written there count in the domain's usage; the domain takes it all along.
    let before = s.domain_usage(d.id).await.unwrap();
    s.append_batch(
        news.id,
        vec![(b"Subject: hi\r\n\r\nhello\r\n".to_vec(), super::msg(&[]))],
    )
    .await
    .unwrap();
    assert!(s.domain_usage(d.id).await.unwrap() > before);
    s.delete_domain(d.id).await.unwrap();
    assert!(s.get_user_by_id(owner).await.unwrap().is_none());
    assert!(s.get_folder_by_id(news.id).await.unwrap().is_none());
}
