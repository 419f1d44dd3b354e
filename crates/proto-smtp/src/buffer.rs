//! A message buffer with a hard size limit, shared by the DATA and BDAT
//! readers.
//!
//! Invariants: `bytes.capacity()` never exceeds `max` (growth is reserved
//! exactly, capped at the limit); once the total pushed exceeds `max`, the
//! buffer is released and nothing more is stored, but the total keeps
//! counting.

/// First allocation, so small messages do not reallocate many times.
const INITIAL_CAPACITY: usize = 16 * 1024;

#[derive(Debug)]
pub(crate) struct Bounded {
    bytes: Vec<u8>,
    max: usize,
    total: u64,
    over: bool,
}

impl Bounded {
    pub(crate) fn new(max: usize) -> Self {
        Bounded {
            bytes: Vec::new(),
            max,
            total: 0,
            over: false,
        }
    }

    /// Appends `data`, or only counts it once over the limit.
    pub(crate) fn push(&mut self, data: &[u8]) {
        self.total = self.total.saturating_add(data.len() as u64);
        if self.over {
            return;
        }
        let needed = self.bytes.len().saturating_add(data.len());
        if needed > self.max {
            self.over = true;
            self.bytes = Vec::new();
            return;
        }
        if needed > self.bytes.capacity() {
            // Double, but never past the limit: `needed <= max` here.
            let target = needed
                .max(self.bytes.capacity().saturating_mul(2))
                .max(INITIAL_CAPACITY)
                .min(self.max);
            self.bytes.reserve_exact(target - self.bytes.len());
        }
        self.bytes.extend_from_slice(data);
    }

    /// Stop storing: release the buffer and count from now on, as past the limit.
    pub(crate) fn give_up(&mut self) {
        self.over = true;
        self.bytes = Vec::new();
    }

    /// Octets pushed so far, stored or not.
    pub(crate) fn total(&self) -> u64 {
        self.total
    }

    /// True once more than `max` octets were pushed.
    pub(crate) fn is_over(&self) -> bool {
        self.over
    }

    /// The limit.
    pub(crate) fn max(&self) -> usize {
        self.max
    }

    /// Octets currently held.
    pub(crate) fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Octets currently allocated.
    pub(crate) fn capacity(&self) -> usize {
        self.bytes.capacity()
    }

    pub(crate) fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
}
