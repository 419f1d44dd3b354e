//! Domains kept between lookups: every SMTP recipient and sender looks its domain up,
//! usually the same few domains, and a domain row costs a round trip (PostgreSQL) or a
//! decode of its settings (both backends).
//!
//! Invariants: an entry is used only while the store's directory generation
//! ([`heron_store::Store::directory_generation`]) is the one read *before* the lookup that
//! filled it, so a domain changed in this process (or, on SQLite, by any process) is never
//! served stale, and one changed by another PostgreSQL node only until its change event
//! arrives; absent domains are kept too (senders'
//! domains); at most [`MAX_ENTRIES`] entries are kept per map, the whole map dropped
//! when full (it refills in one lookup per domain). Three maps: by a name that may be a domain
//! alias, by the domain's own name, by id.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;

use heron_store::{Domain, DomainId};

/// Entries per map, at most.
const MAX_ENTRIES: usize = 10_000;

/// A lookup's answer and the generation it was read at.
type Entry = (u64, Option<Domain>);

#[derive(Default)]
pub(crate) struct DomainCache {
    /// By a name that may be a domain alias.
    by_name: Mutex<HashMap<String, Entry>>,
    /// By the domain's own name only.
    own: Mutex<HashMap<String, Entry>>,
    by_id: Mutex<HashMap<DomainId, Entry>>,
}

impl DomainCache {
    /// The kept answer for `name` (a domain or domain alias), if read at generation `now`.
    pub(crate) fn by_name(&self, name: &str, now: u64) -> Option<Option<Domain>> {
        fresh(&self.by_name, name, now)
    }

    pub(crate) fn keep_name(&self, name: &str, read_at: u64, d: Option<Domain>) {
        keep(&self.by_name, name.to_owned(), read_at, d);
    }

    /// The kept answer for the domain named `name` itself, if read at generation `now`.
    pub(crate) fn own(&self, name: &str, now: u64) -> Option<Option<Domain>> {
        fresh(&self.own, name, now)
    }

    pub(crate) fn keep_own(&self, name: &str, read_at: u64, d: Option<Domain>) {
        keep(&self.own, name.to_owned(), read_at, d);
    }

    /// The kept answer for `id`, if read at generation `now`.
    pub(crate) fn by_id(&self, id: DomainId, now: u64) -> Option<Option<Domain>> {
        fresh(&self.by_id, &id, now)
    }

    pub(crate) fn keep_id(&self, id: DomainId, read_at: u64, d: Option<Domain>) {
        keep(&self.by_id, id, read_at, d);
    }
}

fn fresh<K, Q>(map: &Mutex<HashMap<K, Entry>>, key: &Q, now: u64) -> Option<Option<Domain>>
where
    K: Eq + Hash + std::borrow::Borrow<Q>,
    Q: Eq + Hash + ?Sized,
{
    let map = map.lock().unwrap_or_else(|p| p.into_inner());
    match map.get(key) {
        Some((at, d)) if *at == now => Some(d.clone()),
        _ => None,
    }
}

fn keep<K: Eq + Hash>(map: &Mutex<HashMap<K, Entry>>, key: K, read_at: u64, d: Option<Domain>) {
    let mut map = map.lock().unwrap_or_else(|p| p.into_inner());
    if map.len() >= MAX_ENTRIES {
        map.clear();
    }
    map.insert(key, (read_at, d));
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn domain(id: DomainId, name: &str) -> Domain {
        Domain {
            id,
            name: name.into(),
            disabled: false,
            limits: Default::default(),
            catch_all: None,
            require_smtp_auth: false,
            bind_ip: None,
            smtp_alt_port: None,
            archive_rule: None,
            created_at: 0,
            filter: Default::default(),
            greylisting: true,
            autoclean_rules: String::new(),
            autoclean_user_override: true,
            pop_retrieval: true,
        }
    }

    #[test]
    fn answers_only_at_the_generation_they_were_read() {
        let c = DomainCache::default();
        assert_eq!(c.by_name("a.test", 0), None);
        c.keep_name("a.test", 3, Some(domain(1, "a.test")));
        c.keep_name("b.test", 3, None);
        assert_eq!(c.by_name("a.test", 3).unwrap().unwrap().id, 1);
        assert_eq!(c.by_name("b.test", 3), Some(None), "absent is kept too");
        assert_eq!(c.by_name("a.test", 4), None, "a directory change since");
        assert_eq!(c.own("a.test", 3), None, "by own name is kept apart");
        c.keep_own("a.test", 3, Some(domain(1, "a.test")));
        assert!(c.own("a.test", 3).is_some());
        c.keep_id(1, 4, Some(domain(1, "a.test")));
        assert!(c.by_id(1, 4).is_some());
        assert_eq!(c.by_id(1, 5), None);
    }

    #[test]
    fn stays_bounded() {
        let c = DomainCache::default();
        for i in 0..MAX_ENTRIES + 5 {
            c.keep_name(&format!("d{i}.test"), 1, None);
        }
        assert!(c.by_name.lock().unwrap().len() <= MAX_ENTRIES);
        assert_eq!(
            c.by_name(&format!("d{}.test", MAX_ENTRIES + 4), 1),
            Some(None)
        );
    }
}
