//! Narrowing a search with the store's text index before messages are read: the text keys
//! a search must satisfy (those ANDed at its top, with a needle of at least
//! `searchtext::MIN_NEEDLE` characters) each ask the store which messages may hold their
//! needle ([`heron_store::MailStore::text_candidates`]); a message outside any of these
//! answers cannot match, so only the others are read and matched.
//!
//! Invariants: the narrowing only ever leaves out messages that cannot match. The store
//! answers with a superset (the index keeps the text the matcher looks at, folded as the
//! matcher folds it, and names every message it has not all the text of), and the key
//! implies each text key narrowed on (keys under OR or NOT are never used), so the matcher
//! still decides every answer and SEARCH finds exactly what a full scan finds. At most
//! [`MAX_LOOKUPS`] keys are asked about per search.

use heron_message::search::needle;
use heron_message::searchtext::indexable;
use heron_store::{FolderId, Store, TextPart};
use imap_codec::imap_types::search::SearchKey;

use crate::error::Result;

/// Most text keys of one search looked up in the index (the others are left to the matcher).
pub const MAX_LOOKUPS: usize = 4;

/// The UIDs of `folder`, ascending, that can match `key`; `None` when the index cannot
/// narrow it (no text key with a long enough needle at its top).
pub async fn narrow(
    store: &dyn Store,
    folder: FolderId,
    key: &SearchKey<'_>,
) -> Result<Option<Vec<u32>>> {
    let mut wanted = Vec::new();
    required(key, &mut wanted);
    let mut out: Option<Vec<u32>> = None;
    for (part, n) in wanted.into_iter().take(MAX_LOOKUPS) {
        let found = store.text_candidates(folder, part, &n).await?;
        out = Some(match out {
            None => found,
            Some(prev) => intersect(&prev, &found),
        });
        if out.as_ref().is_some_and(Vec::is_empty) {
            break;
        }
    }
    Ok(out)
}

/// The text keys every match of `key` satisfies, with their folded needles, where the index
/// can answer for them.
fn required(key: &SearchKey<'_>, out: &mut Vec<(TextPart, String)>) {
    use SearchKey::*;
    let (part, text) = match key {
        And(keys) => {
            keys.as_ref().iter().for_each(|k| required(k, out));
            return;
        }
        Body(s) => (TextPart::Body, s),
        Text(s) => (TextPart::All, s),
        Bcc(s) | Cc(s) | From(s) | To(s) | Subject(s) | Header(_, s) => (TextPart::Head, s),
        _ => return,
    };
    let n = needle(text.as_ref());
    if indexable(&n) {
        out.push((part, n));
    }
}

/// The UIDs in both ascending lists.
fn intersect(a: &[u32], b: &[u32]) -> Vec<u32> {
    a.iter()
        .copied()
        .filter(|u| b.binary_search(u).is_ok())
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use imap_codec::imap_types::core::{AString, Vec1};

    fn s(t: &str) -> AString<'static> {
        AString::try_from(t.to_owned()).unwrap()
    }

    #[test]
    fn only_keys_every_match_satisfies_narrow() {
        let mut out = Vec::new();
        let key = SearchKey::And(
            Vec1::try_from(vec![
                SearchKey::Body(s("Quick")),
                SearchKey::Subject(s("ab")),
                SearchKey::Or(
                    Box::new(SearchKey::Text(s("either"))),
                    Box::new(SearchKey::Seen),
                ),
                SearchKey::Not(Box::new(SearchKey::From(s("nobody")))),
                SearchKey::Header(s("X-Tag"), s("Grüße")),
            ])
            .unwrap(),
        );
        required(&key, &mut out);
        assert_eq!(
            out,
            [
                (TextPart::Body, "quick".to_owned()),
                (TextPart::Head, "grüße".to_owned())
            ]
        );
        assert_eq!(intersect(&[1, 3, 5, 9], &[2, 3, 9, 10]), [3, 9]);
    }
}
