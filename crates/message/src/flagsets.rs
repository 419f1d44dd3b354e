//! Flag lists of a mailbox view, interned: each distinct list (system flags and keywords, in
//! the store's order and spelling) is kept once, as one string of names separated by
//! spaces, and the view's messages refer to it by a small id. A mailbox of thousands of
//! messages has a few dozen distinct lists at most, so a message's flags cost four bytes in
//! the view instead of a vector of strings.
//!
//! Invariants: two ids of one table are equal exactly when their lists are equal (same
//! flags, same order), so comparing ids is comparing flags; id 0 is the empty list; an id
//! stays valid until [`FlagSets::retain`] renumbers the table, which hands back the
//! old-to-new map. Flag names never contain spaces (they are IMAP atoms), so the joined form
//! loses nothing.

use std::collections::HashMap;

/// Tables up to this size are searched in order; larger ones get a hash index.
const LINEAR_MAX: usize = 32;

/// A list of flags in a [`FlagSets`] table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FlagsId(u32);

impl FlagsId {
    /// No flags.
    pub const EMPTY: FlagsId = FlagsId(0);

    /// The position of the list in its table.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A message's flags, borrowed from a table (or from a joined list).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Flags<'a>(&'a str);

impl<'a> Flags<'a> {
    /// Flags from their joined form (names separated by spaces).
    pub fn joined(text: &'a str) -> Self {
        Self(text)
    }

    /// The joined form.
    pub fn as_str(self) -> &'a str {
        self.0
    }

    /// The flag names, in order.
    pub fn iter(self) -> impl Iterator<Item = &'a str> {
        self.0.split(' ').filter(|f| !f.is_empty())
    }

    /// Whether a flag is in the list (exact spelling).
    pub fn has(self, flag: &str) -> bool {
        self.iter().any(|f| f == flag)
    }

    /// The names as owned strings.
    pub fn to_vec(self) -> Vec<String> {
        self.iter().map(str::to_owned).collect()
    }
}

/// The distinct flag lists of one view.
#[derive(Debug)]
pub struct FlagSets {
    lists: Vec<Box<str>>,
    /// Built once the table outgrows [`LINEAR_MAX`].
    index: Option<HashMap<Box<str>, FlagsId>>,
    /// Where [`FlagSets::intern`] joins a list, kept so that looking up a known list
    /// allocates nothing.
    scratch: String,
}

impl Default for FlagSets {
    fn default() -> Self {
        Self {
            lists: vec![Box::from("")],
            index: None,
            scratch: String::new(),
        }
    }
}

impl FlagSets {
    /// The id of a list, adding it when new.
    pub fn intern(&mut self, flags: &[String]) -> FlagsId {
        let mut text = std::mem::take(&mut self.scratch);
        text.clear();
        for (i, f) in flags.iter().enumerate() {
            if i > 0 {
                text.push(' ');
            }
            text.push_str(f);
        }
        let id = self.intern_joined(&text);
        self.scratch = text;
        id
    }

    /// The id of a list in its joined form, adding it when new.
    pub fn intern_joined(&mut self, text: &str) -> FlagsId {
        let found = match &self.index {
            Some(index) => index.get(text).copied(),
            None => self
                .lists
                .iter()
                .position(|l| &**l == text)
                .map(|i| FlagsId(i as u32)),
        };
        if let Some(id) = found {
            return id;
        }
        let id = FlagsId(u32::try_from(self.lists.len()).unwrap_or(u32::MAX));
        self.lists.push(Box::from(text));
        if let Some(index) = &mut self.index {
            index.insert(Box::from(text), id);
        } else if self.lists.len() > LINEAR_MAX {
            self.index = Some(self.build_index());
        }
        id
    }

    fn build_index(&self) -> HashMap<Box<str>, FlagsId> {
        self.lists
            .iter()
            .enumerate()
            .map(|(i, l)| (l.clone(), FlagsId(i as u32)))
            .collect()
    }

    /// The list an id stands for (empty for an id not from this table).
    pub fn get(&self, id: FlagsId) -> Flags<'_> {
        Flags(self.lists.get(id.index()).map_or("", |l| &**l))
    }

    /// How many lists the table holds (the empty one included).
    pub fn len(&self) -> usize {
        self.lists.len()
    }

    /// Whether the table holds no list at all (never, once made: it starts with the empty one).
    pub fn is_empty(&self) -> bool {
        self.lists.is_empty()
    }

    /// The lists marked in `used` (indexed by id).
    pub fn marked<'a>(&'a self, used: &'a [bool]) -> impl Iterator<Item = Flags<'a>> + 'a {
        self.lists
            .iter()
            .zip(used)
            .filter(|(_, u)| **u)
            .map(|(l, _)| Flags(l))
    }

    /// Keep only the lists marked in `used` (indexed by id; the empty list is always kept)
    /// and renumber them; returns the new id of each old id (`EMPTY` for dropped ones).
    pub fn retain(&mut self, used: &[bool]) -> Vec<FlagsId> {
        let old = std::mem::take(&mut self.lists);
        let mut map = Vec::with_capacity(old.len());
        for (i, list) in old.into_iter().enumerate() {
            if i == 0 || used.get(i).copied().unwrap_or(false) {
                map.push(FlagsId(u32::try_from(self.lists.len()).unwrap_or(u32::MAX)));
                self.lists.push(list);
            } else {
                map.push(FlagsId::EMPTY);
            }
        }
        self.lists.shrink_to_fit();
        self.index = (self.lists.len() > LINEAR_MAX).then(|| self.build_index());
        map
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(flags: &[&str]) -> Vec<String> {
        flags.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn equal_lists_share_an_id() {
        let mut t = FlagSets::default();
        assert_eq!(t.intern(&[]), FlagsId::EMPTY);
        let a = t.intern(&v(&["\\Seen", "$Work"]));
        let b = t.intern(&v(&["$Work", "\\Seen"]));
        assert_ne!(a, b, "order is kept, so the lists differ");
        assert_eq!(t.intern(&v(&["\\Seen", "$Work"])), a);
        assert_eq!(t.get(b).to_vec(), v(&["$Work", "\\Seen"]));
        assert!(t.get(b).has("\\Seen") && !t.get(b).has("\\seen"));
        assert_eq!(t.get(FlagsId::EMPTY).iter().count(), 0);
        assert_eq!(t.len(), 3);
    }

    #[test]
    fn large_tables_are_indexed() {
        let mut t = FlagSets::default();
        let ids: Vec<FlagsId> = (0..100).map(|n| t.intern(&[format!("$K{n}")])).collect();
        assert!(t.index.is_some());
        for (n, id) in ids.iter().enumerate() {
            assert_eq!(t.intern(&[format!("$K{n}")]), *id);
        }
        assert_eq!(t.len(), 101);
        let mut used = vec![false; t.len()];
        used[ids[7].index()] = true;
        let map = t.retain(&used);
        assert!(t.index.is_none(), "small again");
        assert_eq!(t.get(map[ids[7].index()]).to_vec(), ["$K7"]);
    }

    #[test]
    fn retain_renumbers() {
        let mut t = FlagSets::default();
        let a = t.intern(&v(&["\\Seen"]));
        let b = t.intern(&v(&["\\Flagged"]));
        let c = t.intern(&v(&["\\Draft"]));
        let mut used = vec![false; t.len()];
        used[a.index()] = true;
        used[c.index()] = true;
        let map = t.retain(&used);
        assert_eq!(t.len(), 3);
        assert_eq!(map[b.index()], FlagsId::EMPTY);
        assert_eq!(t.get(map[c.index()]).to_vec(), ["\\Draft"]);
        assert_eq!(t.intern(&v(&["\\Seen"])), map[a.index()]);
        assert_eq!(t.intern(&v(&["\\Flagged"])).index(), 3);
    }
}
