use super::*;
use crate::testdata::{MULTI, SIMPLE};

fn text<'a>(raw: &'a [u8], r: &Range<usize>) -> &'a str {
    std::str::from_utf8(&raw[r.clone()]).unwrap_or("<binary>")
}

#[test]
fn single_part() {
    let e = parse(SIMPLE);
    assert_eq!(
        (e.media_type.as_str(), e.subtype.as_str()),
        ("text", "plain")
    );
    assert!(matches!(e.kind, Kind::Single));
    assert!(text(SIMPLE, &e.header).ends_with("example.test>\r\n\r\n"));
    assert_eq!(text(SIMPLE, &e.body), "Hi Bob,\r\nthis is the body.\r\n");
    assert_eq!(e.param("charset"), Some("us-ascii"));
}

#[test]
fn nested_multiparts() {
    let e = parse(MULTI);
    assert_eq!(e.subtype, "mixed");
    let Kind::Multipart(parts) = &e.kind else {
        panic!("not multipart")
    };
    assert_eq!(parts.len(), 3);
    let Kind::Multipart(alt) = &parts[0].kind else {
        panic!("1 not multipart")
    };
    assert_eq!(alt.len(), 2);
    assert_eq!(
        text(MULTI, &alt[0].body),
        "Sch=C3=B6ne Gr=C3=BC=C3=9Fe\r\nsecond line"
    );
    assert_eq!(alt[1].subtype, "html");
    assert_eq!(text(MULTI, &parts[1].body), "AAECAwQFBgc=");
    assert_eq!(parts[1].transfer_encoding().as_deref(), Some("base64"));
    assert_eq!(parts[1].param("name"), Some("data.bin"));
    let Kind::Message(inner) = &parts[2].kind else {
        panic!("3 not a message")
    };
    assert_eq!(inner.media_type, "multipart");
    let Kind::Multipart(deep) = &inner.kind else {
        panic!("3 inner not multipart")
    };
    assert_eq!(text(MULTI, &deep[0].body), "deep text");
    assert_eq!(deep[0].subtype, "plain");
    assert_eq!(text(MULTI, &deep[1].body), "PNGDATA");
    assert!(text(MULTI, &parts[2].body).starts_with("From: inner@example.test\r\n"));
    assert!(text(MULTI, &parts[2].body).ends_with("--deep--"));
}

#[test]
fn broken_multipart_is_plain() {
    let raw = b"Content-Type: multipart/mixed; boundary=zz\r\n\r\nno delimiters here\r\n";
    let e = parse(raw);
    assert!(matches!(e.kind, Kind::Single));
    assert_eq!(e.media_type, "text");
    let raw = b"Content-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\n\r\nunclosed";
    let e = parse(raw);
    let Kind::Multipart(p) = &e.kind else {
        panic!()
    };
    assert_eq!(text(raw, &p[0].body), "unclosed");
}

#[test]
fn headers_without_body_and_bare_lf() {
    let e = parse(b"Subject: x\r\n");
    assert_eq!(e.header, 0..12);
    assert!(e.body.is_empty());
    let raw = b"Subject: y\n\nbody\n";
    let e = parse(raw);
    assert_eq!(text(raw, &e.body), "body\n");
}

#[test]
fn deep_nesting_is_bounded() {
    let mut raw = Vec::new();
    for i in 0..100 {
        raw.extend_from_slice(
            format!("Content-Type: multipart/mixed; boundary=b{i}\r\n\r\n--b{i}\r\n").as_bytes(),
        );
    }
    raw.extend_from_slice(b"\r\nleaf\r\n");
    let e = parse(&raw);
    let mut depth = 0;
    let mut cur = &e;
    while let Kind::Multipart(p) = &cur.kind {
        depth += 1;
        cur = &p[0];
    }
    assert!(depth <= MAX_DEPTH);
}

#[test]
fn field_iteration() {
    let h = b"Subject: a\r\n b\r\nX-Y:z\r\nbroken\r\nTo: t\r\n\r\nBody: no\r\n";
    let f: Vec<_> = crate::header::fields(h)
        .map(|f| (f.name.to_vec(), f.value.to_vec()))
        .collect();
    assert_eq!(
        f,
        vec![
            (b"Subject".to_vec(), b" a\r\n b".to_vec()),
            (b"X-Y".to_vec(), b"z".to_vec()),
            (b"To".to_vec(), b" t".to_vec()),
        ]
    );
    assert_eq!(unfold(b" a\r\n b"), b" a b");
}
