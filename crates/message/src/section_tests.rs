use super::*;
use crate::mime;
use crate::testdata::{MULTI, SIMPLE};

fn part(nums: &[u32]) -> Vec<NonZeroU32> {
    nums.iter().map(|&n| NonZeroU32::new(n).unwrap()).collect()
}

fn get(raw: &[u8], s: Option<Section<'_, &str>>) -> String {
    let root = mime::parse(raw);
    String::from_utf8_lossy(&extract(raw, &root, s)).into_owned()
}

#[test]
fn whole_header_and_text() {
    assert_eq!(get(SIMPLE, None).as_bytes(), SIMPLE);
    assert!(get(SIMPLE, Some(Section::Header(None))).ends_with(">\r\n\r\n"));
    assert_eq!(
        get(SIMPLE, Some(Section::Text(None))),
        "Hi Bob,\r\nthis is the body.\r\n"
    );
    assert_eq!(
        get(SIMPLE, Some(Section::Part(&part(&[1])))),
        "Hi Bob,\r\nthis is the body.\r\n"
    );
    assert_eq!(get(SIMPLE, Some(Section::Part(&part(&[2])))), "");
}

#[test]
fn header_fields() {
    assert_eq!(
        get(
            SIMPLE,
            Some(Section::HeaderFields(None, &["subject", "FROM"]))
        ),
        "From: Alice Example <alice@example.test>\r\nSubject: Hello there\r\n\r\n"
    );
    let not = get(
        SIMPLE,
        Some(Section::HeaderFieldsNot(
            None,
            &["To", "Date", "Message-ID"],
        )),
    );
    assert_eq!(
        not,
        "From: Alice Example <alice@example.test>\r\nSubject: Hello there\r\n\r\n"
    );
    assert_eq!(
        get(SIMPLE, Some(Section::HeaderFields(None, &["X-None"]))),
        "\r\n"
    );
}

#[test]
fn numbered_parts() {
    assert_eq!(
        get(MULTI, Some(Section::Part(&part(&[1, 1])))),
        "Sch=C3=B6ne Gr=C3=BC=C3=9Fe\r\nsecond line"
    );
    assert_eq!(get(MULTI, Some(Section::Part(&part(&[2])))), "AAECAwQFBgc=");
    assert!(
        get(MULTI, Some(Section::Mime(&part(&[2]))))
            .starts_with("Content-Type: application/octet-stream")
    );
    assert_eq!(get(MULTI, Some(Section::Part(&part(&[3, 1])))), "deep text");
    assert_eq!(get(MULTI, Some(Section::Part(&part(&[3, 2])))), "PNGDATA");
    assert!(
        get(MULTI, Some(Section::Header(Some(&part(&[3])))))
            .starts_with("From: inner@example.test\r\nSubject: Inner")
    );
    assert!(get(MULTI, Some(Section::Text(Some(&part(&[3]))))).starts_with("--deep\r\n"));
    assert_eq!(
        get(
            MULTI,
            Some(Section::HeaderFields(Some(&part(&[3])), &["Subject"]))
        ),
        "Subject: Inner message\r\n\r\n"
    );
    assert_eq!(
        get(MULTI, Some(Section::Header(Some(&part(&[2]))))),
        "",
        "not a message"
    );
    assert_eq!(get(MULTI, Some(Section::Part(&part(&[9])))), "");
    assert_eq!(get(MULTI, Some(Section::Part(&part(&[1, 2, 7])))), "");
}

#[test]
fn binary_sections() {
    let root = mime::parse(MULTI);
    let n = |v: &[u32]| {
        v.iter()
            .map(|&x| NonZeroU32::new(x).unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        binary(MULTI, &root, &n(&[2])).unwrap(),
        [0, 1, 2, 3, 4, 5, 6, 7]
    );
    assert_eq!(
        String::from_utf8(binary(MULTI, &root, &n(&[1, 1])).unwrap()).unwrap(),
        "Schöne Grüße\r\nsecond line"
    );
    assert_eq!(binary(MULTI, &root, &n(&[3, 2])).unwrap(), b"PNGDATA");
    assert_eq!(binary(MULTI, &root, &[]).unwrap(), MULTI);
    let odd = b"Content-Transfer-Encoding: x-uuencode\r\n\r\nbegin 644 f\r\n";
    let root = mime::parse(odd);
    assert_eq!(binary(odd, &root, &n(&[1])), Err(UnknownCte));
}

#[test]
fn partial_ranges() {
    let d = b"0123456789".to_vec();
    assert_eq!(
        partial(d.clone(), Some((2, NonZeroU32::new(3).unwrap()))),
        b"234"
    );
    assert_eq!(
        partial(d.clone(), Some((8, NonZeroU32::new(30).unwrap()))),
        b"89"
    );
    assert_eq!(
        partial(d.clone(), Some((20, NonZeroU32::new(3).unwrap()))),
        b""
    );
    assert_eq!(partial(d.clone(), None), d);
}
