//! Maildir and single-message sources, and error cases.

#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::Path;

use heron_import::{ImportError, NotMail, SourceKind, open};

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
    // In new/, flags in the name count as in cur/.
    assert_eq!(msgs[4].flags, ["\\Seen"]);
    assert!(msgs.iter().all(|m| m.folder.is_empty()));
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
    fs::write(dir.path().join("new/1.a.b"), "Subject: y\n\n").unwrap();
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
    fs::write(dir.path().join("cur/1.a.b:2,"), "Subject: 1\n\n").unwrap();
    fs::write(dir.path().join("cur/2.a.b:2,"), "Subject: 2\n\n").unwrap();
    let mut source = open(dir.path()).unwrap();
    fs::remove_file(dir.path().join("cur/1.a.b:2,")).unwrap();
    assert!(matches!(source.next(), Some(Err(ImportError::NotFound(_)))));
    assert_eq!(source.next().unwrap().unwrap().bytes, b"Subject: 2\r\n\r\n");
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

#[test]
fn maildir_plus_plus_subfolders() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for folder in ["", ".Sent", ".Archive", ".Archive.2024", ".Archive.2024.Q1"] {
        maildir(&root.join(folder));
    }
    let files = [
        (".Archive.2024.Q1/cur/1700000001.a.h:2,S", "Subject: q1\n\n"),
        (
            ".Archive.2024/new/1700000002.a.h:2,F",
            "Subject: 2024 new\n\n",
        ),
        (
            ".Archive.2024/cur/1700000001.a.h:2,RS",
            "Subject: 2024 cur\n\n",
        ),
        (".Sent/cur/1700000001.a.h:2,S", "Subject: sent\n\n"),
        ("new/1700000009.a.h", "Subject: inbox\n\n"),
    ];
    for (name, content) in files {
        fs::write(root.join(name), content).unwrap();
    }
    // Not subfolders: no cur/new/tmp, not starting with a dot, or no level.
    fs::create_dir_all(root.join(".NoMaildir/other")).unwrap();
    maildir(&root.join("plain"));
    fs::write(root.join("plain/cur/1.a.h"), "Subject: no\n\n").unwrap();
    maildir(&root.join("..."));
    fs::write(root.join(".../cur/1.a.h"), "Subject: no\n\n").unwrap();
    fs::write(root.join("maildirfolder"), "").unwrap();

    let source = open(root).unwrap();
    assert_eq!(source.total, 5);
    let got: Vec<(Vec<String>, String, Vec<String>)> = source
        .map(|m| {
            let m = m.unwrap();
            let subject = String::from_utf8_lossy(&m.bytes)
                .lines()
                .next()
                .unwrap()
                .to_owned();
            (m.folder, subject, m.flags)
        })
        .collect();
    let want: Vec<(Vec<&str>, &str, Vec<&str>)> = vec![
        (vec![], "Subject: inbox", vec![]),
        (
            vec!["Archive", "2024"],
            "Subject: 2024 cur",
            vec!["\\Seen", "\\Answered"],
        ),
        (
            vec!["Archive", "2024"],
            "Subject: 2024 new",
            vec!["\\Flagged"],
        ),
        (vec!["Archive", "2024", "Q1"], "Subject: q1", vec!["\\Seen"]),
        (vec!["Sent"], "Subject: sent", vec!["\\Seen"]),
    ];
    assert_eq!(got.len(), want.len());
    for (got, want) in got.iter().zip(&want) {
        assert_eq!(got.0, want.0);
        assert_eq!(got.1, want.1);
        assert_eq!(got.2, want.2);
    }
}

#[test]
fn junk_in_a_maildir_is_an_error_per_file_and_reading_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    maildir(dir.path());
    let junk = dir.path().join("cur/1700000001.a.h:2,S");
    fs::write(&junk, b"\x7fELF\x02\x01\x01\0\0\0").unwrap();
    let empty = dir.path().join("cur/1700000002.a.h:2,S");
    fs::write(&empty, b"").unwrap();
    fs::write(
        dir.path().join("cur/1700000003.a.h:2,S"),
        "Subject: ok\n\nbody\n",
    )
    .unwrap();
    let results: Vec<_> = open(dir.path()).unwrap().collect();
    assert_eq!(results.len(), 3);
    let text = results[0].as_ref().unwrap_err().to_string();
    assert_eq!(
        text,
        format!(
            "{}: not a mail message: binary data (a NUL byte at offset 7)",
            junk.display()
        )
    );
    let text = results[1].as_ref().unwrap_err().to_string();
    assert_eq!(
        text,
        format!("{}: not a mail message: empty", empty.display())
    );
    assert_eq!(
        results[2].as_ref().unwrap().bytes,
        b"Subject: ok\r\n\r\nbody\r\n"
    );
}

#[test]
fn files_that_are_not_mail_are_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &[u8], NotMail); 4] = [
        (
            "passwd",
            b"root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n",
            NotMail::NoMessageField,
        ),
        (
            "ls",
            b"\x7fELF\x02\x01\x01\0\0\0\0",
            NotMail::Binary { offset: 7 },
        ),
        ("notes.txt", b"Shopping list\n\neggs\n", NotMail::NoHeader),
        (
            "half.eml",
            b"Subject: x\nthen text\n\nbody\n",
            NotMail::NotAField { line: 2 },
        ),
    ];
    for (name, content, reason) in cases {
        let path = dir.path().join(name);
        fs::write(&path, content).unwrap();
        let mut source = open(&path).unwrap();
        assert_eq!(source.total, 1);
        match source.next() {
            Some(Err(ImportError::NotMail {
                path: p,
                message: None,
                reason: r,
            })) => {
                assert_eq!((p, r), (path.clone(), reason), "{name}");
            }
            other => panic!("{name}: {other:?}"),
        }
        assert!(source.next().is_none());
    }
}
