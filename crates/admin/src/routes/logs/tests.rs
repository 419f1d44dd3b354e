//! Validation, filtering, paging, the kinds-and-days listing and the zip of the log viewer.

#![allow(clippy::unwrap_used)]

use super::*;

fn params(kind: &str) -> LogParams {
    LogParams {
        kind: Some(kind.into()),
        ..LogParams::default()
    }
}

fn field(p: &LogParams) -> Option<&'static str> {
    LogFilter::parse(p).err().and_then(|e| e.field)
}

#[test]
fn validation() {
    let (f, limit, offset) = LogFilter::parse(&params("smtp")).unwrap();
    assert_eq!((f.kind, limit, offset), ("smtp", 500, 0));
    assert_eq!(f.date, Utc::now().date_naive());
    assert_eq!(field(&params("../etc/passwd")), Some("type"));
    assert_eq!(field(&LogParams::default()), Some("type"));
    for bad in [
        "2026-1-05",
        "2026-02-30",
        "20260101",
        "2026-01-01/../x",
        " 2026-01-01",
        "２０２６-01-01",
    ] {
        let p = LogParams {
            date: Some(bad.into()),
            ..params("pop3")
        };
        assert_eq!(field(&p), Some("date"), "{bad:?}");
    }
    let p = LogParams {
        date: Some("2026-02-28".into()),
        ..params("pop3")
    };
    assert_eq!(
        LogFilter::parse(&p).unwrap().0.file_name(),
        "pop3-2026-02-28.log"
    );
    for (limit, ok) in [
        ("0", false),
        ("1", true),
        ("5000", true),
        ("5001", false),
        ("x", false),
    ] {
        let p = LogParams {
            limit: Some(limit.into()),
            ..params("imap")
        };
        assert_eq!(field(&p).is_none(), ok, "{limit}");
    }
    let p = LogParams {
        offset: Some("-1".into()),
        ..params("imap")
    };
    assert_eq!(field(&p), Some("offset"));
    let p = LogParams {
        session: Some("ab]c".into()),
        ..params("imap")
    };
    assert_eq!(field(&p), Some("session"));
    let p = LogParams {
        q: Some("x".repeat(1001)),
        ..params("imap")
    };
    assert_eq!(field(&p), Some("q"));
}

const LOG: &str = "2026-01-02T00:00:00.000Z [aaa] INFO  connect from 127.0.0.1\n\
    2026-01-02T00:00:01.000Z [aaab] INFO  connect from 127.0.0.2\n\
    2026-01-02T00:00:02.000Z [aaa] INFO  MAIL FROM:<X@Example.test>\n\
    2026-01-02T00:00:03.000Z [-] WARN  refused [aaa]\n\
    2026-01-02T00:00:04.000Z [aaa] INFO  disconnect\n";

fn fixture() -> (tempfile::TempDir, LogFilter) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("smtp-2026-01-02.log"), LOG).unwrap();
    std::fs::write(dir.path().join("smtp-2026-01-03.log"), "").unwrap();
    std::fs::write(dir.path().join("events-2025-12-31.log"), "").unwrap();
    std::fs::write(dir.path().join("smtp-2026-01-03.log.old"), "").unwrap();
    std::fs::write(dir.path().join("other-2026-01-03.log"), "").unwrap();
    let f = LogFilter {
        kind: "smtp",
        date: NaiveDate::from_ymd_opt(2026, 1, 2).unwrap(),
        text: None,
        session: None,
    };
    (dir, f)
}

#[test]
fn filters_and_pages() {
    let (dir, f) = fixture();
    let all = read_log(dir.path(), &f, 500, 0).unwrap();
    assert_eq!((all.total_matching, all.lines.len()), (5, 5));
    assert!(all.lines[4].ends_with("disconnect"));
    // The session token, exactly: not "aaab", not "[aaa]" elsewhere in a line.
    let s = LogFilter {
        session: Some("aaa".into()),
        ..f.clone()
    };
    let page = read_log(dir.path(), &s, 500, 0).unwrap();
    assert_eq!(page.total_matching, 3);
    assert!(page.lines.iter().all(|l| session_of(l) == Some("aaa")));
    let page = read_log(dir.path(), &s, 1, 1).unwrap();
    assert_eq!(page.total_matching, 3);
    assert_eq!(page.lines.len(), 1);
    assert!(page.lines[0].contains("MAIL FROM"));
    let t = LogFilter {
        text: Some("x@example".into()),
        ..f.clone()
    };
    assert_eq!(read_log(dir.path(), &t, 500, 0).unwrap().total_matching, 1);
    let missing = LogFilter {
        kind: "imap",
        ..f.clone()
    };
    assert_eq!(
        read_log(dir.path(), &missing, 500, 0)
            .unwrap()
            .total_matching,
        0
    );
    let past = read_log(dir.path(), &f, 10, 99).unwrap();
    assert_eq!((past.total_matching, past.lines.len()), (5, 0));
}

#[test]
fn types_and_dates() {
    let (dir, _) = fixture();
    let types = log_types(dir.path());
    assert_eq!(types.len(), LOG_TYPES.len());
    let smtp = types.iter().find(|t| t.kind == "smtp").unwrap();
    assert_eq!(smtp.dates, ["2026-01-03", "2026-01-02"]);
    let events = types.iter().find(|t| t.kind == "events").unwrap();
    assert_eq!(events.dates, ["2025-12-31"]);
    assert!(types.iter().all(|t| t.kind != "other"));
}

#[test]
fn zip_holds_matching_lines() {
    let (dir, f) = fixture();
    let s = LogFilter {
        session: Some("aaab".into()),
        ..f
    };
    let bytes = zip_log(dir.path(), &s).unwrap();
    let mut z = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    assert_eq!(z.len(), 1);
    let mut entry = z.by_index(0).unwrap();
    assert_eq!(entry.name().unwrap(), "smtp-2026-01-02.log");
    let mut text = String::new();
    io::Read::read_to_string(&mut entry, &mut text).unwrap();
    assert_eq!(text.lines().count(), 1);
    assert!(text.contains("127.0.0.2"));
}
