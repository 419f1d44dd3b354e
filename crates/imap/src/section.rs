//! BODY[section] (RFC 9051 §6.4.5) as `imap-codec` names it, mapped onto
//! [`heron_message::section`], which says which bytes of the message a section selects.
//!
//! Invariant: the mapping is one to one (each codec section to the section of the same
//! name, part numbers and field names borrowed as they are), so what a client gets is
//! exactly what `heron_message::section` selects.

use heron_message::mime::Entity;
use heron_message::section::Section as Selected;
use imap_codec::imap_types::core::AString;
use imap_codec::imap_types::fetch::Section;

pub use heron_message::section::{UnknownCte, binary, partial};

/// The bytes of a section of the message `raw` whose structure is `root`; the whole message
/// without a section.
pub fn extract(raw: &[u8], root: &Entity<'_>, section: Option<&Section<'_>>) -> Vec<u8> {
    heron_message::section::extract(raw, root, section.map(selected))
}

/// The codec's section as `heron_message` names it.
fn selected<'a, 'b>(section: &'a Section<'b>) -> Selected<'a, AString<'b>> {
    match section {
        Section::Part(part) => Selected::Part(part.0.as_ref()),
        Section::Mime(part) => Selected::Mime(part.0.as_ref()),
        Section::Header(part) => Selected::Header(part.as_ref().map(|p| p.0.as_ref())),
        Section::Text(part) => Selected::Text(part.as_ref().map(|p| p.0.as_ref())),
        Section::HeaderFields(part, names) => {
            Selected::HeaderFields(part.as_ref().map(|p| p.0.as_ref()), names.as_ref())
        }
        Section::HeaderFieldsNot(part, names) => {
            Selected::HeaderFieldsNot(part.as_ref().map(|p| p.0.as_ref()), names.as_ref())
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::num::NonZeroU32;

    use super::*;
    use heron_message::mime;
    use heron_message::testdata::MULTI;
    use imap_codec::imap_types::core::Vec1;
    use imap_codec::imap_types::fetch::Part;

    fn part(nums: &[u32]) -> Part {
        Part(
            Vec1::try_from(
                nums.iter()
                    .map(|&n| NonZeroU32::new(n).unwrap())
                    .collect::<Vec<_>>(),
            )
            .unwrap(),
        )
    }

    #[test]
    fn each_section_selects_the_bytes_of_its_namesake() {
        let root = mime::parse(MULTI);
        let names = Vec1::from(AString::try_from("Subject").unwrap());
        let name_list: &[&str] = &["Subject"];
        let path = part(&[3]);
        let p = path.0.as_ref();
        let cases: Vec<(Section<'_>, Selected<'_, &str>)> = vec![
            (Section::Part(path.clone()), Selected::Part(p)),
            (Section::Mime(path.clone()), Selected::Mime(p)),
            (Section::Header(None), Selected::Header(None)),
            (
                Section::Header(Some(path.clone())),
                Selected::Header(Some(p)),
            ),
            (Section::Text(Some(path.clone())), Selected::Text(Some(p))),
            (
                Section::HeaderFields(Some(path.clone()), names.clone()),
                Selected::HeaderFields(Some(p), name_list),
            ),
            (
                Section::HeaderFieldsNot(None, names.clone()),
                Selected::HeaderFieldsNot(None, name_list),
            ),
        ];
        for (codec, own) in cases {
            let want = heron_message::section::extract(MULTI, &root, Some(own));
            assert!(!want.is_empty(), "{codec:?}");
            assert_eq!(extract(MULTI, &root, Some(&codec)), want, "{codec:?}");
        }
        assert_eq!(extract(MULTI, &root, None), MULTI);
    }
}
