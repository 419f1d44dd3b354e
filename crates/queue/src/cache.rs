//! A small map of looked-up facts that expire after a while (DKIM keys, sender domains'
//! bound IPs): the scheduler clears it on directory changes, and entries age out so other
//! nodes' changes are seen within the time limit too.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a looked-up fact is trusted.
pub const CACHE_FOR: Duration = Duration::from_secs(10);

/// Values by key, each trusted for [`CACHE_FOR`].
pub struct TtlCache<V> {
    map: Mutex<HashMap<String, (Instant, V)>>,
}

impl<V> Default for TtlCache<V> {
    fn default() -> Self {
        Self {
            map: Mutex::new(HashMap::new()),
        }
    }
}

impl<V: Clone> TtlCache<V> {
    /// The value for `key`, if looked up less than [`CACHE_FOR`] ago.
    pub fn get(&self, key: &str) -> Option<V> {
        let map = self.map.lock().ok()?;
        map.get(key)
            .filter(|(at, _)| at.elapsed() < CACHE_FOR)
            .map(|(_, v)| v.clone())
    }

    /// Remember `value` for `key` from now.
    pub fn put(&self, key: &str, value: V) {
        if let Ok(mut map) = self.map.lock() {
            map.insert(key.to_owned(), (Instant::now(), value));
        }
    }

    /// Forget everything.
    pub fn clear(&self) {
        if let Ok(mut map) = self.map.lock() {
            map.clear();
        }
    }
}
