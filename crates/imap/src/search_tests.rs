use super::*;
use heron_message::flagsets::Flags;
use heron_message::testdata::{MULTI, SIMPLE};
use imap_codec::CommandCodec;
use imap_codec::decode::Decoder;
use imap_codec::imap_types::command::CommandBody;
use mail_parser::MessageParser;

/// Parse `criteria` as the codec does for `SEARCH criteria`.
fn key(criteria: &str) -> SearchKey<'static> {
    use imap_codec::imap_types::IntoStatic;
    let line = format!("t SEARCH {criteria}\r\n");
    let (_, cmd) = CommandCodec::default().decode(line.as_bytes()).unwrap();
    let CommandBody::Search { criteria, .. } = cmd.body else {
        panic!("not a search")
    };
    let mut keys = criteria.into_inner();
    if keys.len() == 1 {
        keys.remove(0).into_static()
    } else {
        SearchKey::And(keys.try_into().unwrap()).into_static()
    }
}

/// A literal holding UTF-8 text.
fn lit(s: &str) -> String {
    format!("{{{}}}\r\n{s}", s.len())
}

fn check(raw: &[u8], flags: &[&str], criteria: &str) -> bool {
    let msg = MessageParser::new().parse(raw).unwrap();
    let flags = flags.join(" ");
    let k = key(criteria);
    let c = Candidate {
        seq: 2,
        uid: 10,
        flags: Flags::joined(&flags),
        size: raw.len() as u64,
        internal_date: 1_704_067_200, // 2024-01-01 00:00:00 UTC
        modseq: 7,
        max_seq: 3,
        max_uid: 12,
        recent: false,
        text: needs_text(&k).then_some(&msg),
    };
    matches(&k, &c)
}

#[test]
fn flags_and_numbers() {
    assert!(check(SIMPLE, &["\\Seen"], "SEEN"));
    assert!(!check(SIMPLE, &["\\Seen"], "UNSEEN"));
    assert!(check(SIMPLE, &["$Work"], "KEYWORD $work UNDELETED"));
    assert!(check(SIMPLE, &[], "2 UID 10"));
    assert!(check(SIMPLE, &[], "2:* UID 5:*"));
    assert!(!check(SIMPLE, &[], "3:*"));
    assert!(check(SIMPLE, &[], "OR 1 2"));
    assert!(check(SIMPLE, &[], "NOT (1 DELETED)"));
    assert!(check(SIMPLE, &[], "ALL OLD NOT NEW NOT RECENT"));
    assert!(check(SIMPLE, &[], "LARGER 100 SMALLER 100000"));
    assert!(!check(SIMPLE, &[], "LARGER 100000"));
    assert!(check(SIMPLE, &[], "MODSEQ 7"));
    assert!(!check(SIMPLE, &[], "MODSEQ 8"));
}

#[test]
fn dates() {
    assert!(check(SIMPLE, &[], "ON 1-Jan-2024"));
    assert!(check(SIMPLE, &[], "SINCE 1-Jan-2024 BEFORE 2-Jan-2024"));
    assert!(!check(SIMPLE, &[], "BEFORE 1-Jan-2024"));
    assert!(check(SIMPLE, &[], "SENTON 1-Jan-2024"));
    assert!(check(
        MULTI,
        &[],
        "SENTSINCE 2-Jan-2024 SENTBEFORE 3-Jan-2024"
    ));
    assert!(!check(MULTI, &[], "SENTBEFORE 2-Jan-2024"));
}

#[test]
fn text_keys() {
    assert!(check(SIMPLE, &[], "FROM alice"));
    assert!(check(SIMPLE, &[], "FROM \"ALICE EXAMPLE\""));
    assert!(check(SIMPLE, &[], "TO carol@example.test"));
    assert!(!check(SIMPLE, &[], "CC carol"));
    assert!(check(SIMPLE, &[], "SUBJECT hello"));
    assert!(check(SIMPLE, &[], "HEADER Message-ID simple.1"));
    assert!(check(SIMPLE, &[], "HEADER Subject \"\""));
    assert!(!check(SIMPLE, &[], "HEADER X-Missing \"\""));
    assert!(check(SIMPLE, &[], "BODY \"THIS IS\""));
    assert!(!check(SIMPLE, &[], "BODY hello"));
    assert!(check(SIMPLE, &[], "TEXT hello TEXT bob"));
    // Decoded words and decoded bodies.
    assert!(check(MULTI, &[], &format!("FROM {}", lit("jürgen"))));
    assert!(check(MULTI, &[], &format!("SUBJECT {}", lit("GRÜßE"))));
    assert!(check(MULTI, &[], &format!("BODY {}", lit("schöne grüße"))));
    assert!(check(MULTI, &[], "BODY \"deep text\""));
    assert!(!check(MULTI, &[], "BODY AAECAwQ"));
}

#[test]
fn what_keys_read_from_the_store() {
    assert!(!needs_meta(&key("UNSEEN UID 1:5 MODSEQ 3 KEYWORD $x 2:*")));
    assert!(needs_meta(&key("NOT LARGER 100")));
    assert!(needs_meta(&key("OR SEEN SINCE 1-Jan-2024")));
    assert!(!needs_meta(&key("SUBJECT x BODY y")));
    assert!(needs_meta(&key("SENTON 1-Jan-2024")));
}
