//! Sequence sets (RFC 9051 §9 `sequence-set`) resolved against a session's view of a
//! mailbox, and UID lists written back as compact sets.
//!
//! Invariants: results are ascending indexes into the view without duplicates; `*` is the
//! last message (or the highest UID) of the view; a range's ends may come in either order
//! (`4:2` is `2:4`); UIDs that are not in the view are ignored, as RFC 9051 §6.4.8 requires;
//! a message number beyond the view is an error, except in a range, which is clamped.

use std::num::NonZeroU32;

use imap_codec::imap_types::core::Vec1;
use imap_codec::imap_types::sequence::{SeqOrUid, Sequence, SequenceSet};

/// A message number larger than the mailbox holds.
#[derive(Debug, PartialEq, Eq)]
pub struct OutOfRange;

/// Resolve message sequence numbers against a view of `count` messages to 0-based indexes.
pub fn resolve_seq(set: &SequenceSet, count: usize) -> Result<Vec<usize>, OutOfRange> {
    let last = count as u64;
    let value = |s: &SeqOrUid| match s {
        SeqOrUid::Value(n) => u64::from(n.get()),
        SeqOrUid::Asterisk => last,
    };
    let mut out = Vec::new();
    for seq in set.0.as_ref() {
        match seq {
            Sequence::Single(s) => {
                let n = value(s);
                if n == 0 {
                    // "*" in an empty mailbox matches nothing.
                    continue;
                }
                if n > last {
                    return Err(OutOfRange);
                }
                out.push((n - 1) as usize);
            }
            Sequence::Range(a, b) => {
                let (lo, hi) = order(value(a), value(b));
                if lo > last {
                    if matches!(a, SeqOrUid::Asterisk) || matches!(b, SeqOrUid::Asterisk) {
                        // "5:*" in a mailbox of 3 messages is "3:5": message 3.
                        if last > 0 {
                            out.push((last - 1) as usize);
                        }
                        continue;
                    }
                    return Err(OutOfRange);
                }
                let lo = lo.max(1);
                let hi = hi.min(last);
                out.extend(((lo - 1) as usize)..(hi as usize));
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// Resolve a UID set against the ascending UIDs of a view to 0-based indexes.
pub fn resolve_uid(set: &SequenceSet, uids: &[u32]) -> Vec<usize> {
    let max = uids.last().copied().unwrap_or(0);
    let value = |s: &SeqOrUid| match s {
        SeqOrUid::Value(n) => n.get(),
        SeqOrUid::Asterisk => max,
    };
    let mut out = Vec::new();
    for seq in set.0.as_ref() {
        let (lo, hi) = match seq {
            Sequence::Single(s) => (value(s), value(s)),
            Sequence::Range(a, b) => order(value(a), value(b)),
        };
        let start = uids.partition_point(|&u| u < lo);
        let end = uids.partition_point(|&u| u <= hi);
        out.extend(start..end);
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// Whether `n` is in a set, with `*` standing for `star` (for SEARCH keys).
pub fn contains(set: &SequenceSet, n: u32, star: u32) -> bool {
    let value = |s: &SeqOrUid| match s {
        SeqOrUid::Value(v) => v.get(),
        SeqOrUid::Asterisk => star,
    };
    set.0.as_ref().iter().any(|seq| match seq {
        Sequence::Single(s) => value(s) == n,
        Sequence::Range(a, b) => {
            let (lo, hi) = order(value(a), value(b));
            (lo..=hi).contains(&n)
        }
    })
}

fn order<T: Ord>(a: T, b: T) -> (T, T) {
    if a <= b { (a, b) } else { (b, a) }
}

/// Ascending runs of consecutive numbers: `[1,2,3,5]` → `[(1,3),(5,5)]`. Input need not be
/// sorted; zeros are dropped.
pub fn runs(numbers: &[u32]) -> Vec<(u32, u32)> {
    let mut v: Vec<u32> = numbers.iter().copied().filter(|&n| n != 0).collect();
    v.sort_unstable();
    v.dedup();
    let mut out: Vec<(u32, u32)> = Vec::new();
    for n in v {
        match out.last_mut() {
            Some((_, hi)) if hi.checked_add(1) == Some(n) => *hi = n,
            _ => out.push((n, n)),
        }
    }
    out
}

/// Numbers as compact IMAP set text (`1:3,5`); empty input gives an empty string.
pub fn compact(numbers: &[u32]) -> String {
    runs(numbers)
        .iter()
        .map(|&(a, b)| {
            if a == b {
                a.to_string()
            } else {
                format!("{a}:{b}")
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Numbers as a typed sequence set, in the given order (COPYUID pairs must keep their order,
/// so runs are only merged when consecutive in that order); `None` when empty.
pub fn to_set_ordered(numbers: &[u32]) -> Option<SequenceSet> {
    let mut seqs: Vec<Sequence> = Vec::new();
    let mut run: Option<(NonZeroU32, NonZeroU32)> = None;
    let flush = |seqs: &mut Vec<Sequence>, r: (NonZeroU32, NonZeroU32)| {
        seqs.push(if r.0 == r.1 {
            Sequence::Single(SeqOrUid::Value(r.0))
        } else {
            Sequence::Range(SeqOrUid::Value(r.0), SeqOrUid::Value(r.1))
        });
    };
    for &n in numbers {
        let Some(n) = NonZeroU32::new(n) else {
            continue;
        };
        run = match run {
            Some((a, b)) if b.checked_add(1) == Some(n) => Some((a, n)),
            Some(r) => {
                flush(&mut seqs, r);
                Some((n, n))
            }
            None => Some((n, n)),
        };
    }
    if let Some(r) = run {
        flush(&mut seqs, r);
    }
    Vec1::try_from(seqs).ok().map(SequenceSet)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn set(s: &str) -> SequenceSet {
        s.parse().unwrap()
    }

    #[test]
    fn message_numbers() {
        assert_eq!(resolve_seq(&set("1:*"), 3), Ok(vec![0, 1, 2]));
        assert_eq!(resolve_seq(&set("3:1"), 3), Ok(vec![0, 1, 2]));
        assert_eq!(resolve_seq(&set("2,2,1"), 3), Ok(vec![0, 1]));
        assert_eq!(resolve_seq(&set("*"), 3), Ok(vec![2]));
        assert_eq!(resolve_seq(&set("5:*"), 3), Ok(vec![2]));
        assert_eq!(resolve_seq(&set("2:9"), 3), Ok(vec![1, 2]));
        assert_eq!(resolve_seq(&set("4"), 3), Err(OutOfRange));
        assert_eq!(resolve_seq(&set("5:9"), 3), Err(OutOfRange));
        assert_eq!(resolve_seq(&set("1:*"), 0), Ok(vec![]));
    }

    #[test]
    fn uids() {
        let uids = [3, 7, 8, 20];
        assert_eq!(resolve_uid(&set("1:*"), &uids), vec![0, 1, 2, 3]);
        assert_eq!(resolve_uid(&set("8:4"), &uids), vec![1, 2]);
        assert_eq!(resolve_uid(&set("21:*"), &uids), vec![3]);
        assert_eq!(resolve_uid(&set("4,5,6"), &uids), Vec::<usize>::new());
        assert_eq!(resolve_uid(&set("*"), &[]), Vec::<usize>::new());
        assert!(contains(&set("1,5:7"), 6, 10));
        assert!(contains(&set("9:*"), 10, 10));
        assert!(!contains(&set("9:*"), 8, 10));
    }

    #[test]
    fn compact_sets() {
        assert_eq!(compact(&[5, 1, 2, 3, 9, 10]), "1:3,5,9:10");
        assert_eq!(compact(&[]), "");
        let s = to_set_ordered(&[4, 5, 6, 2]).unwrap();
        let text: Vec<String> =
            s.0.as_ref()
                .iter()
                .map(|q| match q {
                    Sequence::Single(SeqOrUid::Value(a)) => a.to_string(),
                    Sequence::Range(SeqOrUid::Value(a), SeqOrUid::Value(b)) => format!("{a}:{b}"),
                    _ => "?".into(),
                })
                .collect();
        assert_eq!(text, ["4:6", "2"]);
        assert!(to_set_ordered(&[]).is_none());
    }
}
