//! Suite checks for reading message bytes: several in one read, and expunged messages held
//! readable (an IMAP session not yet told of an expunge may still fetch the message until
//! its hold ends).
#![allow(clippy::unwrap_used)]

use super::{Subject, domain, msg, user};
use crate::model::*;
use crate::rules::now;

pub(super) async fn held_messages(s: Subject) {
    let d = domain(&s, "held.test").await;
    let u = user(&s, &d, "h").await;
    let inbox = s.get_folder(u.id, "INBOX").await.unwrap().unwrap();
    let batch = (0..3)
        .map(|i| (format!("m{i}\r\n").into_bytes(), msg(&["\\Seen"])))
        .collect();
    s.append_batch(inbox.id, batch).await.unwrap();
    let list = s.list_messages(inbox.id).await.unwrap();
    let used = s.get_user_by_id(u.id).await.unwrap().unwrap().used_bytes;
    assert_eq!(s.expunge(inbox.id, &[2]).await.unwrap(), [2]);

    // Gone from the folder and the quota, still readable as held.
    assert!(s.get_messages(inbox.id, &[2]).await.unwrap().is_empty());
    assert_eq!(
        s.get_user_by_id(u.id).await.unwrap().unwrap().used_bytes,
        used - list[1].size
    );
    let held = s.held_messages(inbox.id, &[3, 2, 1, 99]).await.unwrap();
    assert_eq!(held, [list[1].clone()], "only the expunged one, as it was");
    assert_eq!(s.read_message(&held[0]).await.unwrap(), b"m1\r\n");
    assert!(s.held_messages(inbox.id, &[]).await.unwrap().is_empty());

    // Released only once due; then its bytes go.
    assert_eq!(s.release_held(now()).await.unwrap(), 0);
    assert_eq!(s.read_message(&held[0]).await.unwrap(), b"m1\r\n");
    let due = now() + EXPUNGED_HOLD_SECS + 1;
    assert_eq!(s.release_held(due).await.unwrap(), 1);
    assert!(s.held_messages(inbox.id, &[2]).await.unwrap().is_empty());
    assert!(s.read_message(&held[0]).await.is_err(), "bytes deleted");
    assert_eq!(s.release_held(due).await.unwrap(), 0);

    // A moved message is held in its source; its bytes live on in the target.
    let other = s.create_folder(u.id, "Other", None).await.unwrap();
    let pairs = s.move_messages(inbox.id, &[3], other.id).await.unwrap();
    assert_eq!(pairs.len(), 1);
    let moved = s.held_messages(inbox.id, &[3]).await.unwrap();
    assert_eq!(moved.len(), 1);
    assert_eq!(s.release_held(due).await.unwrap(), 1);
    let there = s.list_messages(other.id).await.unwrap();
    assert_eq!(s.read_message(&there[0]).await.unwrap(), b"m2\r\n");

    // A deleted folder's held messages are released at the next sweep, due or not.
    s.expunge(other.id, &[there[0].uid]).await.unwrap();
    s.delete_folder(other.id).await.unwrap();
    assert_eq!(s.release_held(now()).await.unwrap(), 1);
    assert!(s.read_message(&there[0]).await.is_err());
    assert_eq!(s.read_message(&list[0]).await.unwrap(), b"m0\r\n");
}

pub(super) async fn read_batches(s: Subject) {
    let d = domain(&s, "batch.test").await;
    let u = user(&s, &d, "b").await;
    let inbox = s.get_folder(u.id, "INBOX").await.unwrap().unwrap();
    // A large message too: kept apart from the small ones by some backends.
    let large: Vec<u8> = (0..400_000u32).map(|i| b'a' + (i % 26) as u8).collect();
    let batch = vec![
        (b"one\r\n".to_vec(), msg(&[])),
        (large.clone(), msg(&[])),
        (Vec::new(), msg(&[])),
        (b"four\r\n".to_vec(), msg(&[])),
    ];
    s.append_batch(inbox.id, batch).await.unwrap();
    let list = s.list_messages(inbox.id).await.unwrap();
    assert!(s.read_messages(&[]).await.unwrap().is_empty());

    // In the order asked, the same message twice (copied within its folder shares bytes).
    s.copy_messages(inbox.id, &[1], inbox.id).await.unwrap();
    let list2 = s.list_messages(inbox.id).await.unwrap();
    let asked = [
        list[3].clone(),
        list[1].clone(),
        list[0].clone(),
        list[2].clone(),
        list2[4].clone(),
        list[0].clone(),
    ];
    let got: Vec<Option<Vec<u8>>> = (s.read_messages(&asked).await.unwrap().into_iter())
        .map(|b| b.map(|b| b.to_vec()))
        .collect();
    let want: [Option<Vec<u8>>; 6] = [
        Some(b"four\r\n".to_vec()),
        Some(large),
        Some(b"one\r\n".to_vec()),
        Some(Vec::new()),
        Some(b"one\r\n".to_vec()),
        Some(b"one\r\n".to_vec()),
    ];
    assert_eq!(got, want);

    // Bytes released after an expunge read as None, the others as before.
    s.expunge(inbox.id, &[4]).await.unwrap();
    s.release_held(now() + EXPUNGED_HOLD_SECS + 1)
        .await
        .unwrap();
    let got = s
        .read_messages(&[list[3].clone(), list[0].clone()])
        .await
        .unwrap();
    assert_eq!(got, [None, Some(std::sync::Arc::from(&b"one\r\n"[..]))]);
}
