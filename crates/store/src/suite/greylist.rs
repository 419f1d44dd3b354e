//! Suite check for greylisting's tables: a triplet is deferred, passes after the block period
//! within the pass window, then passes at once while kept; a late retry starts anew; the
//! domain's and user's switches are kept; correspondents expire and go with their user.
#![allow(clippy::unwrap_used)]

use super::{Subject, domain, user};
use crate::model::*;

const T: GreylistTimes = GreylistTimes {
    block: 60,
    pass: 600,
    keep: 3600,
};

pub(super) async fn greylist_triplets(s: Subject) {
    use GreylistVerdict::*;
    let check = |key: &'static str, now| {
        let s = s.clone();
        async move { s.greylist_check(key, now, T).await.unwrap() }
    };
    assert_eq!(check("a", 1000).await, New);
    assert_eq!(check("a", 1059).await, Early);
    assert_eq!(check("b", 1059).await, New);
    assert_eq!(check("a", 1060).await, Passed);
    // Passed at 1060: kept until 4660, renewed when checked within the last tenth.
    assert_eq!(check("a", 1061).await, Known);
    assert_eq!(check("a", 4660).await, Known);
    assert_eq!(check("a", 8260).await, Known);
    assert_eq!(check("a", 11_861).await, New);
    // "b" was never retried within its window: seen again, it starts anew.
    assert_eq!(check("b", 1000 + 601).await, New);
    assert_eq!(check("b", 1000 + 650).await, Early);

    // Two sessions retrying at once agree: one passes, the other knows it passed.
    let (x, y) = tokio::join!(check("b", 1000 + 700), check("b", 1000 + 700));
    let mut got = [x, y];
    got.sort_by_key(|v| *v as u8);
    assert_eq!(got, [Passed, Known]);

    let d = domain(&s, "grey.test").await;
    assert!(d.greylisting);
    let mut off = d.clone();
    off.greylisting = false;
    s.update_domain(&off).await.unwrap();
    assert!(
        !s.get_domain("grey.test")
            .await
            .unwrap()
            .unwrap()
            .greylisting
    );
    let u = user(&s, &d, "alice").await;
    assert!(u.greylisting);
    let mut uo = u.clone();
    uo.greylisting = false;
    s.update_user(&uo).await.unwrap();
    assert!(!s.get_user_by_id(u.id).await.unwrap().unwrap().greylisting);

    assert!(
        !s.correspondent_known(u.id, "bob@far.test", 10)
            .await
            .unwrap()
    );
    s.correspondent_note(u.id, "bob@far.test", 10, 100)
        .await
        .unwrap();
    s.correspondent_note(u.id, "bob@far.test", 20, 50)
        .await
        .unwrap();
    assert!(
        s.correspondent_known(u.id, "bob@far.test", 100)
            .await
            .unwrap()
    );
    assert!(
        !s.correspondent_known(u.id, "bob@far.test", 101)
            .await
            .unwrap()
    );
    assert!(
        !s.correspondent_known(u.id, "carol@far.test", 50)
            .await
            .unwrap()
    );
    s.correspondent_note(u.id, "carol@far.test", 10, 100)
        .await
        .unwrap();
    s.delete_user(u.id).await.unwrap();
    assert!(
        !s.correspondent_known(u.id, "carol@far.test", 50)
            .await
            .unwrap()
    );
}
