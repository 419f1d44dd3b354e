//! Admin API token checks: create, find by hash, list without order surprises, delete.

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
