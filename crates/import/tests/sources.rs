//! Maildir and single-message sources, and error cases.

#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::Path;

use heron_import::{ImportError, SourceKind, open};

fn maildir(root: &Path) {
    for sub in ["cur", "new", "tmp"] {
        fs::create_dir_all(root.join(sub)).unwrap();
    }
}

#[test]
fn maildir_order_flags_and_dates() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    maildir(root);
    let files = [
        ("cur/1700000300.M3P1.host:2,S", "Subject: c\n\nthree\n"),
        ("new/1700000100.M1P1.host", "Subject: a\n\none\n"),
        (
            "cur/1700000200.M2P1.host:2,FRS",
            "Subject: b\r\n\r\ntwo\r\n",
        ),
        ("cur/1700000200.M1P1.host:2,DPT", "Subject: b0\n\nzero\n"),
        ("new/1700000400.M4P1.host:2,S", "Subject: d\n\nfour\n"),
        ("cur/custom-name:2,a", "Subject: e\n\nfive\n"),
        ("tmp/1600000000.M0P1.host", "Subject: ignored\n\n"),
        ("cur/.hidden", "Subject: ignored\n\n"),
    ];
    for (name, content) in files {
        fs::write(root.join(name), content).unwrap();
    }
    fs::write(root.join("dovecot-keywords"), "0 Junk\n1 $Label2\n").unwrap();
    fs::create_dir(root.join(".Sent")).unwrap();

    let source = open(root).unwrap();
    assert_eq!(source.kind, SourceKind::Maildir);
    assert_eq!(source.total, 6);
    let msgs: Vec<_> = source.collect::<Result<_, _>>().unwrap();
    let subjects: Vec<String> = msgs
        .iter()
        .map(|m| {
            String::from_utf8_lossy(&m.bytes)
                .lines()
                .next()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        subjects,
        [
            "Subject: a",
            "Subject: b0",
            "Subject: b",
            "Subject: c",
            "Subject: d",
            "Subject: e"
        ]
    );
    assert_eq!(msgs[0].bytes, b"Subject: a\r\n\r\none\r\n");
    assert_eq!(msgs[2].bytes, b"Subject: b\r\n\r\ntwo\r\n");
    assert!(msgs[0].flags.is_empty());
    assert_eq!(msgs[1].flags, ["\\Deleted", "\\Draft", "$Forwarded"]);
    assert_eq!(msgs[2].flags, ["\\Seen", "\\Answered", "\\Flagged"]);
    assert_eq!(msgs[3].flags, ["\\Seen"]);
    // In new/, a message is unseen whatever its name says.
    assert!(msgs[4].flags.is_empty());
    assert_eq!(msgs[5].flags, ["Junk"]);
    assert_eq!(msgs[0].internal_date, Some(1_700_000_100));
    assert_eq!(msgs[3].internal_date, Some(1_700_000_300));
    // No timestamp in the name: the file's mtime, which is recent.
    assert!(msgs[5].internal_date.unwrap() > 1_700_000_000);
}

#[test]
fn maildir_with_only_new() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("new")).unwrap();
    fs::write(dir.path().join("new/1.a.b"), "X: y\n\n").unwrap();
    let source = open(dir.path()).unwrap();
    assert_eq!((source.kind, source.total), (SourceKind::Maildir, 1));
    assert_eq!(source.count(), 1);
}

#[test]
fn empty_maildir() {
    let dir = tempfile::tempdir().unwrap();
    maildir(dir.path());
    let mut source = open(dir.path()).unwrap();
    assert_eq!(source.total, 0);
    assert!(source.next().is_none());
}

#[test]
fn maildir_file_vanishing_is_an_error_then_continues() {
    let dir = tempfile::tempdir().unwrap();
    maildir(dir.path());
    fs::write(dir.path().join("cur/1.a.b:2,"), "A: 1\n\n").unwrap();
    fs::write(dir.path().join("cur/2.a.b:2,"), "A: 2\n\n").unwrap();
    let mut source = open(dir.path()).unwrap();
    fs::remove_file(dir.path().join("cur/1.a.b:2,")).unwrap();
    assert!(matches!(source.next(), Some(Err(ImportError::NotFound(_)))));
    assert_eq!(source.next().unwrap().unwrap().bytes, b"A: 2\r\n\r\n");
    assert!(source.next().is_none());
}

#[test]
fn eml_is_one_message() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("message.eml");
    fs::write(&path, "From: a@example.com\nSubject: hi\n\nbody\r\nmore\n").unwrap();
    let mut source = open(&path).unwrap();
    assert_eq!((source.kind, source.total), (SourceKind::Eml, 1));
    let msg = source.next().unwrap().unwrap();
    assert_eq!(
        msg.bytes,
        b"From: a@example.com\r\nSubject: hi\r\n\r\nbody\r\nmore\r\n"
    );
    assert!(msg.flags.is_empty());
    assert!(msg.internal_date.unwrap() > 1_700_000_000);
    assert!(source.next().is_none());
}

#[test]
fn missing_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nope");
    let err = open(&path).unwrap_err();
    assert!(matches!(&err, ImportError::NotFound(p) if p == &path));
    assert!(err.to_string().contains("no such file or directory"));
}

#[test]
fn empty_path() {
    assert!(matches!(open(Path::new("")), Err(ImportError::EmptyPath)));
}

#[test]
fn plain_directory_is_not_a_source() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("a.eml"), "X: y\n\n").unwrap();
    let err = open(dir.path()).unwrap_err();
    assert!(matches!(&err, ImportError::NotASource { path, .. } if path == dir.path()));
    let text = err.to_string();
    assert!(text.contains("not a Maildir"), "{text}");
    assert!(text.contains(&dir.path().display().to_string()), "{text}");
}
