//! SORT's ordering (RFC 5256 §3) and the untagged answers of SORT, ESORT and THREAD.
//!
//! Each matched message gets one key per criterion, computed once
//! (`heron_message::sortkey`), then the messages are ordered by the criteria in turn, each
//! reversed when REVERSE asked, and by message number when all keys are equal (RFC 5256
//! §3: "sorted according to the order in which they appear in the mailbox").
//!
//! Invariants: pure; a message is parsed once whatever the number of criteria; the answers
//! keep the order given (ESORT's ALL merges only ascending runs, so the order survives);
//! THREAD is written without recursion, so a deep thread costs no stack.

use std::cmp::Ordering;

use heron_message::sortkey::{self, AddressField};
use heron_message::thread::Forest;
use heron_proto_imap::SearchReturn;
use heron_proto_imap::response::{quote, raw_line};
use imap_codec::imap_types::extensions::sort::{SortCriterion, SortKey};
use mail_parser::Message;

/// One criterion's key for one message.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Key {
    Number(i64),
    Text(String),
}

/// What a key is computed from.
pub struct Source<'a> {
    /// The parsed header, when one was read.
    pub message: Option<&'a Message<'a>>,
    pub internal_date: i64,
    pub size: u64,
}

/// Whether any criterion reads the header.
pub fn needs_header(criteria: &[SortCriterion]) -> bool {
    criteria
        .iter()
        .any(|c| !matches!(c.key, SortKey::Arrival | SortKey::Size))
}

/// Whether any criterion reads the stored size or internal date.
pub fn needs_meta(criteria: &[SortCriterion]) -> bool {
    criteria
        .iter()
        .any(|c| matches!(c.key, SortKey::Arrival | SortKey::Size | SortKey::Date))
}

/// The key of one criterion for one message.
pub fn key(k: &SortKey, s: &Source<'_>) -> Key {
    let text = |f: fn(&Message<'_>) -> String| Key::Text(s.message.map(f).unwrap_or_default());
    match k {
        SortKey::Arrival => Key::Number(s.internal_date),
        SortKey::Size => Key::Number(i64::try_from(s.size).unwrap_or(i64::MAX)),
        SortKey::Date => Key::Number(sortkey::sent_date(s.message, s.internal_date)),
        SortKey::Subject => text(sortkey::subject_key),
        SortKey::From => text(|m| sortkey::mailbox_key(m, AddressField::From)),
        SortKey::To => text(|m| sortkey::mailbox_key(m, AddressField::To)),
        SortKey::Cc => text(|m| sortkey::mailbox_key(m, AddressField::Cc)),
        SortKey::DisplayFrom => text(|m| sortkey::display_key(m, AddressField::From)),
        SortKey::DisplayTo => text(|m| sortkey::display_key(m, AddressField::To)),
    }
}

/// A message to sort: its number in the mailbox (the tie-breaker), the number the answer
/// shows, and one key per criterion.
pub struct Keyed {
    pub seq: u32,
    pub shown: u32,
    pub keys: Vec<Key>,
}

/// Order messages by the criteria, ties by message number.
pub fn order(items: &mut [Keyed], criteria: &[SortCriterion]) {
    items.sort_by(|a, b| {
        for (i, c) in criteria.iter().enumerate() {
            let o = a.keys.get(i).cmp(&b.keys.get(i));
            let o = if c.reverse { o.reverse() } else { o };
            if o != Ordering::Equal {
                return o;
            }
        }
        a.seq.cmp(&b.seq)
    });
}

/// `* SORT n n n [(MODSEQ m)]` (RFC 5256 §4; RFC 7162 §3.1.5).
pub fn sort_line(numbers: &[u32], modseq: Option<u64>) -> Vec<u8> {
    let mut line = String::from("SORT");
    for n in numbers {
        line.push_str(&format!(" {n}"));
    }
    if let Some(m) = modseq {
        line.push_str(&format!(" (MODSEQ {m})"));
    }
    raw_line(&line)
}

/// The ESORT answer (RFC 5267 §3): `* ESEARCH (TAG "t") [UID] MIN n MAX n COUNT n ALL set
/// [MODSEQ m]`, MIN and MAX being the first and last in sort order and ALL the numbers in
/// sort order.
pub fn esort_line(
    tag: &str,
    uid: bool,
    numbers: &[u32],
    r: SearchReturn,
    modseq: Option<u64>,
) -> Vec<u8> {
    let mut line = format!("ESEARCH (TAG {})", quote(tag));
    if uid {
        line.push_str(" UID");
    }
    if let (true, Some(first)) = (r.min, numbers.first()) {
        line.push_str(&format!(" MIN {first}"));
    }
    if let (true, Some(last)) = (r.max, numbers.last()) {
        line.push_str(&format!(" MAX {last}"));
    }
    if r.count {
        line.push_str(&format!(" COUNT {}", numbers.len()));
    }
    if r.all && !numbers.is_empty() {
        line.push_str(&format!(" ALL {}", ordered_set(numbers)));
    }
    if let Some(m) = modseq {
        line.push_str(&format!(" MODSEQ {m}"));
    }
    raw_line(&line)
}

/// Numbers as a sequence set that keeps their order: only runs that ascend by one are
/// written as ranges.
pub fn ordered_set(numbers: &[u32]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while let Some(&start) = numbers.get(i) {
        let mut j = i;
        while numbers
            .get(j + 1)
            .is_some_and(|&n| Some(n) == numbers[j].checked_add(1))
        {
            j += 1;
        }
        if !out.is_empty() {
            out.push(',');
        }
        if j > i {
            out.push_str(&format!("{start}:{}", numbers[j]));
        } else {
            out.push_str(&start.to_string());
        }
        i = j + 1;
    }
    out
}

/// `* THREAD (…)(…)` (RFC 5256 §4: thread-list, thread-members, thread-nested).
pub fn thread_line(f: &Forest) -> Vec<u8> {
    enum Step {
        Open,
        Close,
        Members(usize),
    }
    let mut line = String::from("THREAD ");
    let mut stack: Vec<Step> = Vec::new();
    for &r in f.roots.iter().rev() {
        stack.extend([Step::Close, Step::Members(r), Step::Open]);
    }
    while let Some(step) = stack.pop() {
        match step {
            Step::Open => line.push('('),
            Step::Close => line.push(')'),
            Step::Members(mut n) => {
                // A chain of single children is written flat: "3 6 9".
                let mut wrote = false;
                while let Some(node) = f.nodes.get(n) {
                    if let Some(m) = node.message {
                        if wrote {
                            line.push(' ');
                        }
                        line.push_str(&m.to_string());
                        wrote = true;
                    }
                    match node.children.as_slice() {
                        [only] => n = *only,
                        [] => break,
                        many => {
                            if wrote {
                                line.push(' ');
                            }
                            for &k in many.iter().rev() {
                                stack.extend([Step::Close, Step::Members(k), Step::Open]);
                            }
                            break;
                        }
                    }
                }
            }
        }
    }
    raw_line(line.trim_end())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use heron_message::thread::Node;

    fn crit(key: SortKey, reverse: bool) -> SortCriterion {
        SortCriterion { reverse, key }
    }

    #[test]
    fn order_by_criteria_then_number() {
        let mk = |seq, a: i64, b: &str| Keyed {
            seq,
            shown: seq * 10,
            keys: vec![Key::Number(a), Key::Text(b.into())],
        };
        let mut items = vec![mk(1, 5, "B"), mk(2, 5, "A"), mk(3, 1, "Z"), mk(4, 5, "A")];
        let c = [crit(SortKey::Size, true), crit(SortKey::Subject, false)];
        order(&mut items, &c);
        let got: Vec<u32> = items.iter().map(|k| k.shown).collect();
        assert_eq!(got, [20, 40, 10, 30]);
        // REVERSE does not reverse the tie-break by message number.
        let mut items = vec![mk(2, 5, "A"), mk(1, 5, "A")];
        order(&mut items, &[crit(SortKey::Size, true)]);
        assert_eq!(items[0].seq, 1);
    }

    #[test]
    fn needs() {
        let c = [crit(SortKey::Arrival, false)];
        assert!(!needs_header(&c) && needs_meta(&c));
        let c = [crit(SortKey::Subject, true)];
        assert!(needs_header(&c) && !needs_meta(&c));
        let c = [crit(SortKey::Date, false)];
        assert!(needs_header(&c) && needs_meta(&c));
    }

    #[test]
    fn answers() {
        assert_eq!(sort_line(&[], None), b"* SORT\r\n");
        assert_eq!(
            sort_line(&[5, 3, 4], Some(9)),
            b"* SORT 5 3 4 (MODSEQ 9)\r\n"
        );
        assert_eq!(ordered_set(&[7, 3, 4, 5, 2, 1, 9, 10]), "7,3:5,2,1,9:10");
        let all = SearchReturn {
            min: true,
            max: true,
            count: true,
            all: true,
            save: false,
        };
        assert_eq!(
            esort_line("a1", true, &[9, 2, 3], all, None),
            b"* ESEARCH (TAG \"a1\") UID MIN 9 MAX 3 COUNT 3 ALL 9,2:3\r\n"
        );
        let count = SearchReturn {
            count: true,
            ..Default::default()
        };
        assert_eq!(
            esort_line("b", false, &[], count, None),
            b"* ESEARCH (TAG \"b\") COUNT 0\r\n"
        );
    }

    /// A forest from `(parent, number)` pairs: `None` numbers are dummies.
    fn forest(nodes: &[(Option<usize>, Option<u32>)]) -> Forest {
        let mut f = Forest::default();
        for (i, &(parent, message)) in nodes.iter().enumerate() {
            f.nodes.push(Node {
                message,
                children: Vec::new(),
            });
            match parent {
                Some(p) => f.nodes[p].children.push(i),
                None => f.roots.push(i),
            }
        }
        f
    }

    #[test]
    fn thread_syntax_of_the_rfc() {
        // RFC 5256 §4: (2)(3 6 (4 23)(44 7 96))
        let f = forest(&[
            (None, Some(2)),
            (None, Some(3)),
            (Some(1), Some(6)),
            (Some(2), Some(4)),
            (Some(3), Some(23)),
            (Some(2), Some(44)),
            (Some(5), Some(7)),
            (Some(6), Some(96)),
        ]);
        assert_eq!(thread_line(&f), b"* THREAD (2)(3 6 (4 23)(44 7 96))\r\n");
        // A dummy at the top: ((3)(5)), and nothing at all.
        let f = forest(&[(None, None), (Some(0), Some(3)), (Some(0), Some(5))]);
        assert_eq!(thread_line(&f), b"* THREAD ((3)(5))\r\n");
        assert_eq!(thread_line(&Forest::default()), b"* THREAD\r\n");
    }

    #[test]
    fn deep_threads_are_flat_text() {
        let n = 50_000usize;
        let nodes: Vec<(Option<usize>, Option<u32>)> = (0..n)
            .map(|i| (i.checked_sub(1), Some(i as u32 + 1)))
            .collect();
        let line = thread_line(&forest(&nodes));
        assert!(line.starts_with(b"* THREAD (1 2 3 "));
        assert!(line.ends_with(b" 50000)\r\n"));
    }
}
