//! Metadata entries (RFC 5464) on both backends: set, replace, remove, the entry limit
//! applied to the whole batch, server entries apart from folders, and entries that follow a
//! renamed folder and go with a deleted one.

use super::*;

fn set(name: &str, value: Option<&[u8]>) -> MetadataChange {
    MetadataChange {
        name: name.into(),
        value: value.map(<[u8]>::to_vec),
    }
}

pub(super) async fn metadata_entries(s: Subject) {
    let d = domain(&s, "meta.test").await;
    let u = user(&s, &d, "m").await;
    let other = user(&s, &d, "o").await;
    let work = s.create_folder(u.id, "Work", None).await.unwrap();
    let get = |f: Option<FolderId>| {
        let s = s.clone();
        async move { s.get_metadata(u.id, f).await.unwrap() }
    };
    let binary: &[u8] = b"a\0b\r\nc";
    let w = s
        .set_metadata(
            u.id,
            Some(work.id),
            &[
                set("/shared/comment", Some(b"shared")),
                set("/private/comment", Some(binary)),
                set("/private/gone", None),
            ],
            3,
        )
        .await
        .unwrap();
    assert_eq!(w, MetadataWrite::Written);
    let w = s
        .set_metadata(
            u.id,
            None,
            &[set("/private/vendor/x/y", Some(b"server"))],
            3,
        )
        .await
        .unwrap();
    assert_eq!(w, MetadataWrite::Written);
    assert_eq!(
        get(Some(work.id)).await,
        vec![
            ("/private/comment".to_string(), binary.to_vec()),
            ("/shared/comment".to_string(), b"shared".to_vec()),
        ]
    );
    assert_eq!(
        get(None).await,
        vec![("/private/vendor/x/y".to_string(), b"server".to_vec())]
    );
    assert!(s.get_metadata(other.id, None).await.unwrap().is_empty());

    // Over the limit nothing of the batch is written; replacing and removing still work.
    let w = s
        .set_metadata(
            u.id,
            Some(work.id),
            &[
                set("/shared/comment", Some(b"changed")),
                set("/shared/a", Some(b"1")),
                set("/shared/b", Some(b"2")),
            ],
            3,
        )
        .await
        .unwrap();
    assert_eq!(w, MetadataWrite::TooMany);
    assert_eq!(get(Some(work.id)).await[1].1, b"shared".to_vec());
    let w = s
        .set_metadata(
            u.id,
            Some(work.id),
            &[
                set("/shared/comment", Some(b"changed")),
                set("/private/comment", None),
                set("/shared/a", Some(b"")),
            ],
            2,
        )
        .await
        .unwrap();
    assert_eq!(w, MetadataWrite::Written);
    assert_eq!(
        get(Some(work.id)).await,
        vec![
            ("/shared/a".to_string(), Vec::new()),
            ("/shared/comment".to_string(), b"changed".to_vec()),
        ]
    );

    // Entries follow a rename and go with the folder.
    s.rename_folder(u.id, "Work", "Job", '/').await.unwrap();
    let job = s.get_folder(u.id, "Job").await.unwrap().unwrap();
    assert_eq!(get(Some(job.id)).await.len(), 2);
    s.delete_folder(job.id).await.unwrap();
    let again = s.create_folder(u.id, "Job", None).await.unwrap();
    assert!(get(Some(again.id)).await.is_empty());
    assert_eq!(get(None).await.len(), 1);
    s.delete_user(u.id).await.unwrap();
    assert!(get(None).await.is_empty());
}
