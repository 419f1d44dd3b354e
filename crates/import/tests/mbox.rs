//! mbox sources: splitting, unquoting, line endings, flags, dates and a
//! larger generated file.

#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::path::Path;

use heron_import::{ImportError, ImportedMessage, NotMail, SourceKind, open};

fn write(dir: &Path, name: &str, content: &[u8]) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path
}

fn read_all(path: &Path) -> (usize, Vec<ImportedMessage>) {
    let source = open(path).unwrap();
    assert_eq!(source.kind, SourceKind::Mbox);
    let total = source.total;
    (total, source.collect::<Result<_, _>>().unwrap())
}

const THREE: &str = "From alice@example.com Tue Mar  4 12:00:00 2025
From: alice@example.com
Subject: one
Status: RO
X-Status: AF

>From the start
>>From here
> From is not quoted
>Fromage

From bob@example.com Wed Mar  5 08:30:00 2025
From: bob@example.com
Subject: two
Status: O
X-Keywords: $Label1, Work

second body

From carol@example.com Thu Mar  6 23:59:59 2025
Subject: three
X-Status: DT

third body
";

fn check_three(total: usize, msgs: &[ImportedMessage]) {
    assert_eq!(total, 3);
    assert_eq!(msgs.len(), 3);
    assert_eq!(
        String::from_utf8_lossy(&msgs[0].bytes),
        "From: alice@example.com\r\nSubject: one\r\nStatus: RO\r\nX-Status: AF\r\n\r\n\
         From the start\r\n>From here\r\n> From is not quoted\r\n>Fromage\r\n"
    );
    assert_eq!(msgs[0].flags, ["\\Seen", "\\Answered", "\\Flagged"]);
    assert_eq!(msgs[0].internal_date, Some(1_741_089_600));

    assert_eq!(
        String::from_utf8_lossy(&msgs[1].bytes),
        "From: bob@example.com\r\nSubject: two\r\nStatus: O\r\n\
         X-Keywords: $Label1, Work\r\n\r\nsecond body\r\n"
    );
    assert_eq!(msgs[1].flags, ["$Label1", "Work"]);
    assert_eq!(msgs[1].internal_date, Some(1_741_163_400));

    assert_eq!(
        String::from_utf8_lossy(&msgs[2].bytes),
        "Subject: three\r\nX-Status: DT\r\n\r\nthird body\r\n"
    );
    assert_eq!(msgs[2].flags, ["\\Deleted", "\\Draft"]);
    assert_eq!(msgs[2].internal_date, Some(1_741_305_599));
}

#[test]
fn three_messages_lf() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "inbox.mbox", THREE.as_bytes());
    let (total, msgs) = read_all(&path);
    check_three(total, &msgs);
}

#[test]
fn three_messages_crlf() {
    let dir = tempfile::tempdir().unwrap();
    let crlf = THREE.replace('\n', "\r\n");
    let path = write(dir.path(), "inbox", crlf.as_bytes());
    let (total, msgs) = read_all(&path);
    check_three(total, &msgs);
}

#[test]
fn date_header_is_the_fallback() {
    let dir = tempfile::tempdir().unwrap();
    let mbox = "From MAILER-DAEMON\nDate: Tue, 4 Mar 2025 13:00:00 +0100\n\nx\n\n\
                From nobody\nSubject: no date\n\ny\n";
    let path = write(dir.path(), "m", mbox.as_bytes());
    let (total, msgs) = read_all(&path);
    assert_eq!(total, 2);
    assert_eq!(msgs[0].internal_date, Some(1_741_089_600));
    assert_eq!(msgs[1].internal_date, None);
    assert_eq!(msgs[1].bytes, b"Subject: no date\r\n\r\ny\r\n");
}

#[test]
fn empty_file_is_refused_not_an_empty_mbox() {
    let dir = tempfile::tempdir().unwrap();
    for content in [&b""[..], b"\n\n  \n"] {
        let path = write(dir.path(), "empty.mbox", content);
        let mut source = open(&path).unwrap();
        assert_eq!((source.kind, source.total), (SourceKind::Eml, 1));
        let err = source.next().unwrap().unwrap_err();
        assert!(
            matches!(&err, ImportError::NotMail { path: p, message: None, reason: NotMail::Empty } if p == &path),
            "{err}"
        );
        assert!(source.next().is_none());
    }
}

/// Writes `count` messages the way an mboxrd writer would and returns the
/// expected CRLF bytes of each.
fn generate(path: &Path, count: usize) -> Vec<Vec<u8>> {
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut expected = Vec::new();
    for i in 0..count {
        let mut body = format!("Message-ID: <{i}@example.com>\nSubject: message {i}\n\n");
        for line in 0..(i % 7) {
            body.push_str(&format!("line {line} of message {i}\n"));
        }
        if i % 10 == 0 {
            body.push_str("From a quoted line\n>From twice\n\n");
        }
        if i % 13 == 0 {
            body.push('\n');
        }
        let quoted = body
            .lines()
            .map(|l| {
                if l.trim_start_matches('>').starts_with("From ") {
                    format!(">{l}\n")
                } else {
                    format!("{l}\n")
                }
            })
            .collect::<String>();
        let day = 1 + i % 28;
        write!(
            file,
            "From sender{i}@example.com Sat Feb {day:2} 10:00:00 2025\n{quoted}\n"
        )
        .unwrap();
        expected.push(body.replace('\n', "\r\n").into_bytes());
    }
    file.flush().unwrap();
    expected
}

#[test]
fn thousand_messages_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.mbox");
    let expected = generate(&path, 1000);
    let (total, msgs) = read_all(&path);
    assert_eq!(total, 1000);
    assert_eq!(msgs.len(), 1000);
    for (i, (got, want)) in msgs.iter().zip(&expected).enumerate() {
        assert_eq!(
            String::from_utf8_lossy(&got.bytes),
            String::from_utf8_lossy(want),
            "message {i}"
        );
        let day = i64::try_from(i % 28).unwrap();
        assert_eq!(got.internal_date, Some(1_738_404_000 + day * 86_400));
    }
}
