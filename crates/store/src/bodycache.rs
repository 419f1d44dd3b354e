//! Message bytes kept in memory by blob id, shared by every session of a process, so a
//! mailbox many clients read (FETCH of bodies, envelopes, structures) is read from the
//! database or the blob files once rather than at every command.
//!
//! Invariants: a blob's bytes never change under its id (a blob is written once and its id,
//! 128 random bits, is never reused, not even by another store), so an entry is never stale
//! while its blob exists: flags, copies and expunges leave it. A blob's entry is dropped
//! ([`forget`]) where the backends delete the blob, so a deleted blob reads as gone; a read
//! that began before the delete committed may keep its bytes again, which can only serve a
//! message already expunged to a session still holding it. There is one cache per process
//! ([`shared`]): ids are unique across stores, so stores opened side by side (a copy from one
//! to another) share it safely. The bytes kept stay within [`BUDGET`] (each entry weighs its
//! length); a message larger than [`LARGEST`] is never kept, so one big attachment cannot
//! push out a mailbox of small messages.

use std::future::Future;
use std::sync::{Arc, LazyLock};

use quick_cache::Weighter;
use quick_cache::sync::Cache;

use crate::error::Result;

/// Bytes of messages kept, at most.
pub const BUDGET: u64 = 64 << 20;

/// Largest message kept.
pub const LARGEST: usize = 1 << 20;

/// The process's cache.
pub fn shared() -> &'static BodyCache {
    static SHARED: LazyLock<BodyCache> = LazyLock::new(BodyCache::default);
    &SHARED
}

/// Drop the entries of deleted blobs.
pub fn forget<S: AsRef<str>>(ids: &[S]) {
    for id in ids {
        shared().kept.remove(id.as_ref());
    }
}

/// The kept message bytes.
pub struct BodyCache {
    kept: Cache<String, Arc<[u8]>, ByLength>,
}

/// An entry weighs its id and its bytes.
#[derive(Clone)]
struct ByLength;

impl Weighter<String, Arc<[u8]>> for ByLength {
    fn weight(&self, id: &String, bytes: &Arc<[u8]>) -> u64 {
        (id.len() + bytes.len()) as u64
    }
}

/// A guess at the size of a typical message, to size the cache's table.
const TYPICAL: u64 = 8 << 10;

impl Default for BodyCache {
    fn default() -> Self {
        Self::new(BUDGET)
    }
}

impl BodyCache {
    /// A cache holding at most `budget` bytes of messages.
    pub fn new(budget: u64) -> Self {
        let items = usize::try_from(budget / TYPICAL)
            .unwrap_or(usize::MAX)
            .max(16);
        Self {
            kept: Cache::with_weighter(items, budget, ByLength),
        }
    }

    /// The kept bytes of blob `id`, if kept (shared, not copied).
    pub fn get(&self, id: &str) -> Option<Arc<[u8]>> {
        self.kept.get(id)
    }

    /// The bytes of each blob of `ids`, in order (`None` where not stored): the kept ones
    /// from memory, the others through one call of `read` (given the missing ids, answering
    /// in their order), which are then kept.
    pub async fn read_through<F, Fut>(
        &self,
        ids: &[String],
        read: F,
    ) -> Result<Vec<Option<Arc<[u8]>>>>
    where
        F: FnOnce(Vec<String>) -> Fut,
        Fut: Future<Output = Result<Vec<Option<Vec<u8>>>>>,
    {
        let mut out: Vec<Option<Arc<[u8]>>> = ids.iter().map(|id| self.get(id)).collect();
        let missing: Vec<String> = ids
            .iter()
            .zip(&out)
            .filter(|(_, got)| got.is_none())
            .map(|(id, _)| id.clone())
            .collect();
        if missing.is_empty() {
            return Ok(out);
        }
        let mut fresh = read(missing.clone()).await?.into_iter();
        let mut names = missing.iter();
        for slot in out.iter_mut().filter(|s| s.is_none()) {
            let (Some(bytes), Some(id)) = (fresh.next(), names.next()) else {
                break;
            };
            let bytes: Option<Arc<[u8]>> = bytes.map(Arc::from);
            if let Some(b) = &bytes
                && b.len() <= LARGEST
            {
                self.kept.insert(id.clone(), b.clone());
            }
            *slot = bytes;
        }
        Ok(out)
    }

    /// Keep the bytes of blob `id` unless they are larger than [`LARGEST`].
    pub fn keep(&self, id: &str, bytes: &[u8]) {
        if bytes.len() <= LARGEST {
            self.kept.insert(id.to_owned(), Arc::from(bytes));
        }
    }

    /// Keep a new message's bytes under blob `id` (as [`Self::keep`]), once it is stored:
    /// clients of a busy mailbox read new mail first.
    pub fn keep_new(&self, id: &str, bytes: &crate::model::MessageBytes) {
        if bytes.len() <= LARGEST {
            self.kept.insert(id.to_owned(), Arc::from(bytes.joined()));
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn shared(b: &[u8]) -> Arc<[u8]> {
        Arc::from(b)
    }

    #[test]
    fn keeps_small_messages_and_not_large_ones() {
        let c = BodyCache::default();
        c.keep("a", b"Subject: a\r\n\r\nbody\r\n");
        assert_eq!(&*c.get("a").unwrap(), b"Subject: a\r\n\r\nbody\r\n");
        assert!(c.get("b").is_none());
        c.keep("big", &vec![b'x'; LARGEST + 1]);
        assert!(c.get("big").is_none(), "never one larger than LARGEST");
    }

    #[tokio::test]
    async fn reads_only_what_is_not_kept() {
        let c = BodyCache::default();
        c.keep("a", b"A");
        let ids = ["a", "b", "c"].map(String::from);
        let got = c
            .read_through(&ids, |missing| async move {
                assert_eq!(missing, ["b", "c"]);
                Ok(vec![Some(b"B".to_vec()), None])
            })
            .await
            .unwrap();
        assert_eq!(got, [Some(shared(b"A")), Some(shared(b"B")), None]);
        assert_eq!(&*c.get("b").unwrap(), b"B", "kept once read");
        let again = c
            .read_through(&ids[..2], |_| async { panic!("all kept") })
            .await
            .unwrap();
        assert_eq!(again, [Some(shared(b"A")), Some(shared(b"B"))]);
    }

    #[test]
    fn stays_within_the_budget() {
        let c = BodyCache::new(1 << 20);
        for i in 0..64 {
            c.keep(&format!("{i:032x}"), &vec![b'x'; 64 << 10]);
        }
        assert!(c.kept.weight() <= 1 << 20, "{}", c.kept.weight());
    }
}
