//! Suite checks for the search text index: kept with every message added (deliver, append,
//! copy, move), gone with it, and asked by substring, case folded as the matcher folds it.
#![allow(clippy::unwrap_used)]

use heron_message::search::needle;

use super::{Subject, domain, msg, user};
use crate::model::*;

const PLAIN: &[u8] = b"From: Alice Example <alice@example.test>\r\n\
    To: bob@example.test\r\n\
    Subject: Hello World\r\n\
    \r\n\
    The quick brown fox jumps over the lazy dog.\r\n";

const QUOTED: &[u8] = b"From: =?utf-8?q?J=C3=BCrgen?= <jurgen@example.test>\r\n\
    Subject: Quarterly figures 100% done_now\r\n\
    Content-Type: text/plain; charset=utf-8\r\n\
    Content-Transfer-Encoding: quoted-printable\r\n\
    \r\n\
    Gr=C3=BC=C3=9Fe aus K=C3=B6ln, say \"hi\"\r\n";

const HTML: &[u8] = b"From: carol@example.test\r\n\
    Subject: newsletter\r\n\
    Content-Type: text/html\r\n\
    \r\n\
    <p>Weekly <b>NEWS</b> from the fox den</p>\r\n";

async fn found(s: &Subject, f: FolderId, part: TextPart, n: &str) -> Vec<u32> {
    s.text_candidates(f, part, &needle(n.as_bytes()))
        .await
        .unwrap()
}

pub(super) async fn text_index(s: Subject) {
    let d = domain(&s, "text.test").await;
    let u = user(&s, &d, "t").await;
    let inbox = s.get_folder(u.id, "INBOX").await.unwrap().unwrap();
    let sent = s.get_folder(u.id, "Sent Items").await.unwrap().unwrap();
    let to_both = [(inbox.id, msg(&[])), (sent.id, msg(&[]))];
    let uids = s.deliver(PLAIN.to_vec().into(), &to_both).await.unwrap();
    assert_eq!(uids, [1, 1]);
    let batch = vec![(QUOTED.to_vec(), msg(&[])), (HTML.to_vec(), msg(&[]))];
    assert_eq!(s.append_batch(inbox.id, batch).await.unwrap(), [2, 3]);
    use TextPart::*;
    // New messages wait for the indexer: until then every search takes them.
    assert_eq!(found(&s, inbox.id, Body, "nowhere at all").await, [1, 2, 3]);
    assert_eq!(
        s.index_pending(100).await.unwrap(),
        4,
        "two folders' copy and two"
    );
    assert_eq!(
        s.index_pending(100).await.unwrap(),
        0,
        "nothing left to index"
    );

    // Substrings, case folded, across word boundaries, decoded (quoted-printable, RFC 2047).
    assert_eq!(found(&s, inbox.id, Body, "QUICK BROWN").await, [1]);
    assert_eq!(found(&s, inbox.id, Body, "k brow").await, [1]);
    assert_eq!(found(&s, inbox.id, Body, "fox").await, [1, 3]);
    assert_eq!(found(&s, inbox.id, Body, "GRÜSSE").await, Vec::<u32>::new());
    assert_eq!(found(&s, inbox.id, Body, "grüße aus köln").await, [2]);
    assert_eq!(found(&s, inbox.id, Body, "say \"hi\"").await, [2]);
    assert_eq!(found(&s, inbox.id, Body, "<b>news</b>").await, [3]);
    assert_eq!(found(&s, inbox.id, Head, "Jürgen").await, [2]);
    assert_eq!(
        found(&s, inbox.id, Head, "j=c3=bcrgen").await,
        [2],
        "as written"
    );
    assert_eq!(found(&s, inbox.id, Head, "hello world").await, [1]);
    assert_eq!(
        found(&s, inbox.id, Body, "hello world").await,
        Vec::<u32>::new()
    );
    assert_eq!(found(&s, inbox.id, All, "hello world").await, [1]);
    assert_eq!(found(&s, inbox.id, All, "fox den").await, [3]);
    // Field names are text too (TEXT looks at them).
    assert_eq!(found(&s, inbox.id, Head, "content-transfer").await, [2]);
    // LIKE's and FTS's special characters are plain text.
    assert_eq!(found(&s, inbox.id, Head, "100% done_now").await, [2]);
    assert_eq!(found(&s, inbox.id, Head, "0%d").await, Vec::<u32>::new());
    assert_eq!(found(&s, inbox.id, Head, "e_n").await, [2]);
    assert_eq!(found(&s, inbox.id, Head, "a_c").await, Vec::<u32>::new());
    assert_eq!(
        found(&s, inbox.id, Body, "nowhere at all").await,
        Vec::<u32>::new()
    );
    // Per folder: the delivered copy in Sent Items is found there alone.
    assert_eq!(found(&s, sent.id, Body, "fox").await, [1]);
    // Needles too short for trigrams: every message is a candidate.
    assert_eq!(found(&s, inbox.id, Body, "zz").await, [1, 2, 3]);

    // Copies and moves carry the text; expunge and folder deletion take it away.
    let other = s.create_folder(u.id, "Other", None).await.unwrap();
    let copied = s.copy_messages(inbox.id, &[1, 3], other.id).await.unwrap();
    assert_eq!(copied, [(1, 1), (3, 2)]);
    assert_eq!(found(&s, other.id, Body, "fox").await, [1, 2]);
    let moved = s.move_messages(inbox.id, &[2], other.id).await.unwrap();
    assert_eq!(moved, [(2, 3)]);
    assert_eq!(found(&s, other.id, Head, "jürgen").await, [3]);
    assert_eq!(found(&s, inbox.id, Head, "jürgen").await, Vec::<u32>::new());
    s.expunge(inbox.id, &[3]).await.unwrap();
    assert_eq!(found(&s, inbox.id, Body, "fox").await, [1]);
    assert_eq!(found(&s, inbox.id, Body, "zz").await, [1]);
    s.delete_folder(other.id).await.unwrap();
    let again = s.create_folder(u.id, "Other", None).await.unwrap();
    assert_eq!(found(&s, again.id, Body, "fox").await, Vec::<u32>::new());

    // A text cut at the limit keeps its message a candidate of every search.
    let mut big = b"Subject: big\r\n\r\n".to_vec();
    big.extend(b"filler text ".repeat((1 << 20) / 12 + 10));
    big.extend(b"the needle at the end\r\n");
    let uid = s
        .append_batch(inbox.id, vec![(big, msg(&[]))])
        .await
        .unwrap()[0];
    assert_eq!(s.index_pending(100).await.unwrap(), 1);
    assert_eq!(found(&s, inbox.id, Body, "needle at the end").await, [uid]);
    assert_eq!(found(&s, inbox.id, Body, "quick brown").await, [1, uid]);
    assert_eq!(
        s.index_pending(100).await.unwrap(),
        0,
        "a cut text is not redone"
    );
}
