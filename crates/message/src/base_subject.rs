//! The base subject of a message (RFC 5256 §2.1): the subject without the reply and forward
//! markers mail programs add, what SORT (SUBJECT) compares and threading groups by.
//!
//! The input is the subject with its RFC 2047 words already decoded. The steps are the
//! RFC's: white space runs become one space (1); `(fwd)` trailers go (2); `Re:`, `Fw:`,
//! `Fwd:` leaders, with any `[blob]` before them or between the word and its colon, go (3);
//! a leading `[blob]` goes when something is left after it (4); a `[fwd: …]` wrapper is
//! unwrapped and the steps run again (5).
//!
//! Invariants: pure and total; every loop removes at least one character per turn, so the
//! work is linear in the subject's length times the number of markers; the result never
//! starts or ends with white space; markers are matched with ASCII case ignored.

/// A subject reduced to its base.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BaseSubject {
    /// The base subject, case kept (compare with [`compare_key`]).
    pub text: String,
    /// Whether a reply or forward marker was removed (`Re:`, `Fwd:`, `(fwd)`, `[fwd: …]`):
    /// what REFERENCES threading calls "the subject begins with Re:" (RFC 5256 §3 step 5).
    pub is_reply: bool,
}

/// The RFC 5256 §2.1 base subject of a decoded subject.
pub fn base_subject(decoded: &str) -> BaseSubject {
    let mut s = collapse_whitespace(decoded);
    let mut is_reply = false;
    loop {
        // (2) subj-trailer = "(fwd)" / WSP, removed from the end as often as they appear.
        loop {
            let t = s.trim_end_matches(' ').len();
            s.truncate(t);
            if ends_with_ignore_case(&s, "(fwd)") {
                s.truncate(s.len() - "(fwd)".len());
                is_reply = true;
            } else {
                break;
            }
        }
        // (3) and (4), until neither changes anything.
        loop {
            let before = s.len();
            while let Some(n) = leader_len(&s) {
                is_reply |= n.refwd;
                s.drain(..n.len);
            }
            if let Some(n) = blob_len(&s)
                && !s[n..].trim_start_matches(' ').is_empty()
            {
                s.drain(..n);
            }
            if s.len() == before {
                break;
            }
        }
        // (5) "[fwd:" ... "]" around everything: unwrap and start again.
        if starts_with_ignore_case(&s, "[fwd:") && s.ends_with(']') {
            s = s["[fwd:".len()..s.len() - 1].to_owned();
            is_reply = true;
            continue;
        }
        break;
    }
    BaseSubject {
        text: s.trim_matches(' ').to_owned(),
        is_reply,
    }
}

/// The form two base subjects are compared in: i;ascii-casemap (RFC 4790 §9.2), ASCII
/// letters upper-cased, other characters as they are.
pub fn compare_key(base: &str) -> String {
    base.to_ascii_uppercase()
}

/// (1) Tabs and line breaks become spaces and runs of them one space.
fn collapse_whitespace(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.chars() {
        if matches!(c, ' ' | '\t' | '\r' | '\n') {
            if !space {
                out.push(' ');
            }
            space = true;
        } else {
            out.push(c);
            space = false;
        }
    }
    out
}

/// A leader found at the start of a subject.
struct Leader {
    /// Bytes to remove.
    len: usize,
    /// Whether it was a reply or forward marker (not just white space).
    refwd: bool,
}

/// subj-leader = (*subj-blob subj-refwd) / WSP, at the start of `s`.
fn leader_len(s: &str) -> Option<Leader> {
    if s.starts_with(' ') {
        return Some(Leader {
            len: 1,
            refwd: false,
        });
    }
    let mut at = 0;
    while let Some(n) = blob_len(&s[at..]) {
        at += n;
    }
    refwd_len(&s[at..]).map(|n| Leader {
        len: at + n,
        refwd: true,
    })
}

/// subj-refwd = ("re" / ("fw" ["d"])) *WSP [subj-blob] ":", at the start of `s`.
fn refwd_len(s: &str) -> Option<usize> {
    let word = ["fwd", "fw", "re"]
        .into_iter()
        .find(|w| starts_with_ignore_case(s, w))?;
    let mut at = word.len();
    at += s[at..].len() - s[at..].trim_start_matches(' ').len();
    if let Some(n) = blob_len(&s[at..]) {
        at += n;
    }
    s[at..].starts_with(':').then_some(at + 1)
}

/// subj-blob = "[" *BLOBCHAR "]" *WSP, at the start of `s` (BLOBCHAR: anything but the
/// brackets).
fn blob_len(s: &str) -> Option<usize> {
    let rest = s.strip_prefix('[')?;
    let close = rest.find(['[', ']'])?;
    if !rest[close..].starts_with(']') {
        return None;
    }
    let after = 1 + close + 1;
    Some(after + s[after..].len() - s[after..].trim_start_matches(' ').len())
}

fn starts_with_ignore_case(s: &str, prefix: &str) -> bool {
    s.as_bytes()
        .get(..prefix.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(prefix.as_bytes()))
}

fn ends_with_ignore_case(s: &str, suffix: &str) -> bool {
    s.len() >= suffix.len()
        && s.as_bytes()[s.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn base(s: &str) -> (String, bool) {
        let b = base_subject(s);
        (b.text, b.is_reply)
    }

    fn text(s: &str) -> String {
        base_subject(s).text
    }

    #[test]
    fn plain_subjects_stay() {
        assert_eq!(
            base("Quarterly figures"),
            ("Quarterly figures".into(), false)
        );
        assert_eq!(base(""), (String::new(), false));
        assert_eq!(base("   "), (String::new(), false));
        assert_eq!(text("Refund request"), "Refund request");
        assert_eq!(text("Fwdless"), "Fwdless");
        assert_eq!(text("Reply: yes"), "Reply: yes");
    }

    #[test]
    fn reply_and_forward_leaders() {
        assert_eq!(base("Re: hello"), ("hello".into(), true));
        assert_eq!(base("RE: Re: re:hello"), ("hello".into(), true));
        assert_eq!(base("Fwd: hello"), ("hello".into(), true));
        assert_eq!(base("FW: hello"), ("hello".into(), true));
        assert_eq!(base("Re : hello"), ("hello".into(), true));
        assert_eq!(base("Re[2]: hello"), ("hello".into(), true));
        assert_eq!(base("Re [2]: hello"), ("hello".into(), true));
        assert_eq!(base("[list] Re: hello"), ("hello".into(), true));
        assert_eq!(base("Re: [list] Re: hello"), ("hello".into(), true));
    }

    #[test]
    fn blobs_go_only_when_text_remains() {
        assert_eq!(base("[list] hello"), ("hello".into(), false));
        assert_eq!(base("[a][b] hello"), ("hello".into(), false));
        assert_eq!(base("[list]"), ("[list]".into(), false));
        assert_eq!(base("Re: [list]"), ("[list]".into(), true));
        assert_eq!(text("[unclosed hello"), "[unclosed hello");
        assert_eq!(text("[a[b] hello"), "[a[b] hello");
    }

    #[test]
    fn trailers_and_forward_wrappers() {
        assert_eq!(base("hello (fwd)"), ("hello".into(), true));
        assert_eq!(base("hello (FWD) (fwd)  "), ("hello".into(), true));
        assert_eq!(base("[Fwd: hello]"), ("hello".into(), true));
        assert_eq!(base("[fwd: Re: hello (fwd)]"), ("hello".into(), true));
        assert_eq!(base("Re: [Fwd: [list] hello]"), ("hello".into(), true));
        assert_eq!(text("[fwd: hello"), "[fwd: hello");
    }

    #[test]
    fn whitespace_is_normalized() {
        assert_eq!(text("  hello \t\r\n  world  "), "hello world");
        assert_eq!(text("Re:\thello"), "hello");
        assert_eq!(compare_key("Hello Wörld"), "HELLO WöRLD");
    }

    #[test]
    fn non_ascii_is_safe() {
        assert_eq!(text("Re: Grüße"), "Grüße");
        assert_eq!(text("[é] ü"), "ü");
        assert_eq!(text("Ré: x"), "Ré: x");
        assert_eq!(text("ü (fwd)"), "ü");
    }
}
