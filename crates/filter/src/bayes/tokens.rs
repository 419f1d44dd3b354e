//! The tokens the Bayesian classifier counts of a message (FILTER-2): the words of the
//! useful header fields, each prefixed by the field's name (`subject:offer`), and the words of
//! the text parts, decoded from quoted-printable or base64 and their charset, HTML turned
//! into text; lower-cased, deduplicated, each kept as a 64-bit hash.
//!
//! Invariants: the work is bounded whatever the message: only its first [`MAX_SCAN`] bytes
//! are parsed, only [`MAX_PART_TEXT`] bytes of each text part are read, and no more than
//! [`MAX_TOKENS`] tokens are kept (the set never grows past it); a word is [`MIN_LEN`] to
//! [`MAX_LEN`] characters. The hash ([`hash`], FNV-1a) never changes between versions or
//! machines, since learned counts are stored by it.

use std::collections::HashSet;

use mail_parser::{Address, HeaderValue, MessageParser};

/// Bytes of a message parsed for tokens (the rest is not looked at).
pub const MAX_SCAN: usize = 512 * 1024;
/// Bytes of one text part's decoded text read for words.
pub const MAX_PART_TEXT: usize = 128 * 1024;
/// Most tokens kept of one message.
pub const MAX_TOKENS: usize = 2_000;
/// Shortest word, in characters.
pub const MIN_LEN: usize = 3;
/// Longest word, in characters (longer runs are encoded data or hashes, not words).
pub const MAX_LEN: usize = 32;

/// The header fields whose words are tokens, lower-case.
const FIELDS: &[&str] = &[
    "subject",
    "from",
    "to",
    "cc",
    "reply-to",
    "sender",
    "return-path",
    "x-mailer",
    "user-agent",
    "content-type",
    "list-id",
];

/// The token hashes of `raw` (a whole message), without duplicates.
pub fn of_message(raw: &[u8]) -> Vec<i64> {
    let raw = &raw[..raw.len().min(MAX_SCAN)];
    let mut acc = Acc::default();
    let Some(msg) = MessageParser::new().parse(raw) else {
        return acc.into_vec();
    };
    for h in msg.headers() {
        let name = h.name.as_str().to_ascii_lowercase();
        if FIELDS.contains(&name.as_str()) {
            for text in header_texts(&h.value) {
                acc.words(&name, &text);
            }
        }
    }
    for i in 0..msg.text_body_count() {
        if acc.full() {
            break;
        }
        if let Some(text) = msg.body_text(i) {
            acc.words("", cut(&text, MAX_PART_TEXT));
        }
    }
    acc.into_vec()
}

/// The texts of a decoded header value: its words, display names and addresses.
fn header_texts(v: &HeaderValue<'_>) -> Vec<String> {
    match v {
        HeaderValue::Text(t) => vec![t.to_string()],
        HeaderValue::TextList(l) => l.iter().map(|t| t.to_string()).collect(),
        HeaderValue::Address(a) => {
            let addrs: Vec<_> = match a {
                Address::List(l) => l.iter().collect(),
                Address::Group(g) => g.iter().flat_map(|g| g.addresses.iter()).collect(),
            };
            addrs
                .into_iter()
                .flat_map(|x| [x.name.as_deref(), x.address.as_deref()])
                .flatten()
                .map(str::to_owned)
                .collect()
        }
        HeaderValue::ContentType(c) => {
            let mut out = vec![c.c_type.to_string()];
            out.extend(c.c_subtype.as_deref().map(str::to_owned));
            out
        }
        _ => Vec::new(),
    }
}

/// `s` cut to at most `max` bytes, at a character boundary.
fn cut(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// The tokens gathered so far.
#[derive(Default)]
struct Acc {
    seen: HashSet<i64>,
}

impl Acc {
    fn full(&self) -> bool {
        self.seen.len() >= MAX_TOKENS
    }

    /// Add the words of `text`, each prefixed by `prefix` and a colon when there is one.
    fn words(&mut self, prefix: &str, text: &str) {
        let mut word = String::new();
        for w in text.split(|c: char| !(c.is_alphanumeric() || "$'-_@.!".contains(c))) {
            if self.full() {
                return;
            }
            let w = w.trim_matches(|c: char| ".-_'!".contains(c));
            let n = w.chars().count();
            if !(MIN_LEN..=MAX_LEN).contains(&n) {
                continue;
            }
            word.clear();
            if !prefix.is_empty() {
                word.push_str(prefix);
                word.push(':');
            }
            word.extend(w.chars().flat_map(char::to_lowercase));
            self.seen.insert(hash(&word));
        }
    }

    fn into_vec(self) -> Vec<i64> {
        let mut v: Vec<i64> = self.seen.into_iter().collect();
        v.sort_unstable();
        v
    }
}

/// The stored form of a token: its 64-bit FNV-1a hash.
pub fn hash(token: &str) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in token.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn has(tokens: &[i64], word: &str) -> bool {
        tokens.contains(&hash(word))
    }

    #[test]
    fn header_words_are_prefixed_and_body_words_lower_cased() {
        let m = b"From: Cheap Pills <deals@pharma.example>\r\nSubject: Amazing OFFER today\r\n\
                  Message-ID: <unique@x>\r\n\r\nBuy VIAGRA now, it's a Bargain!\r\n";
        let t = of_message(m);
        assert!(has(&t, "subject:amazing"));
        assert!(has(&t, "subject:offer"));
        assert!(has(&t, "from:deals@pharma.example"));
        assert!(has(&t, "from:cheap"));
        assert!(has(&t, "viagra"));
        assert!(has(&t, "bargain"));
        assert!(has(&t, "it's"));
        assert!(!has(&t, "a"), "shorter than MIN_LEN");
        assert!(!has(&t, "message-id:unique@x"), "not a counted field");
    }

    #[test]
    fn parts_are_decoded_and_html_becomes_text() {
        let m = b"Subject: =?utf-8?q?R=C3=A9duction?=\r\nMIME-Version: 1.0\r\n\
                  Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\
                  Content-Type: text/plain; charset=utf-8\r\n\
                  Content-Transfer-Encoding: quoted-printable\r\n\r\nsoft=\r\nware caf=C3=A9\r\n--b\r\n\
                  Content-Type: text/html\r\nContent-Transfer-Encoding: base64\r\n\r\n\
                  PGh0bWw+PGI+bW9ydGdhZ2U8L2I+IHJhdGVzPC9odG1sPg==\r\n--b--\r\n";
        let t = of_message(m);
        assert!(has(&t, "subject:réduction"));
        assert!(has(&t, "software"));
        assert!(has(&t, "café"));
        assert!(has(&t, "mortgage"), "base64 HTML decoded to text");
        assert!(has(&t, "rates"));
        assert!(!has(&t, "html"), "tags are not words");
    }

    #[test]
    fn tokens_are_unique_bounded_and_stable() {
        let mut body = String::from("Subject: many\r\n\r\n");
        for i in 0..(MAX_TOKENS * 2) {
            body.push_str(&format!("word{i} word{i} "));
        }
        let t = of_message(body.as_bytes());
        assert_eq!(t.len(), MAX_TOKENS);
        let mut d = t.clone();
        d.dedup();
        assert_eq!(d.len(), t.len());
        // FNV-1a of "a" (a published test vector), as stored.
        assert_eq!(hash("a") as u64, 0xaf63_dc4c_8601_ec8c);
        assert!(of_message(b"").is_empty());
        let long = format!("\r\n{}", "x".repeat(MAX_LEN + 1));
        assert!(!has(&of_message(long.as_bytes()), &"x".repeat(MAX_LEN + 1)));
    }
}
