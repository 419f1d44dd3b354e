//! BDAT chunk accumulation (RFC 3030 §2, §4).
//!
//! Chunks are length-delimited binary data: no unstuffing and no
//! terminator search, so nothing in a chunk can be mistaken for a command.
//!
//! Invariants: at most `max_size` octets are stored or allocated; a chunk
//! never consumes more input than its declared size, so pipelined commands
//! after it are left to the session; past the limit the reader keeps
//! consuming and counting (the session must still read every announced
//! octet before replying 552).

use crate::buffer::Bounded;
use crate::data::DataError;

/// Accumulates the chunks of one BDAT transaction.
#[derive(Debug)]
pub struct ChunkReader {
    body: Bounded,
    remaining: u64,
    last: bool,
}

impl ChunkReader {
    /// A reader for a message of at most `max_size` octets.
    pub fn new(max_size: usize) -> Self {
        ChunkReader {
            body: Bounded::new(max_size),
            remaining: 0,
            last: false,
        }
    }

    /// Starts the chunk announced by `BDAT size [LAST]`. Returns false, and
    /// changes nothing, if the previous chunk is not complete or the LAST
    /// chunk was already received (the session's bug, or a BAD_SEQUENCE).
    pub fn begin_chunk(&mut self, size: u64, last: bool) -> bool {
        if self.remaining != 0 || self.last {
            return false;
        }
        self.remaining = size;
        self.last = last;
        true
    }

    /// Takes up to the rest of the current chunk from `input`; returns how
    /// many octets were consumed. The rest of `input` is not part of it.
    pub fn feed(&mut self, input: &[u8]) -> usize {
        let take = usize::try_from(self.remaining)
            .unwrap_or(usize::MAX)
            .min(input.len());
        self.body.push(input.get(..take).unwrap_or_default());
        self.remaining -= take as u64;
        take
    }

    /// Stop storing the message (the server cannot hold it now): the buffer is released,
    /// later chunks are only counted, and [`ChunkReader::finish`] fails.
    pub fn give_up(&mut self) {
        self.body.give_up();
    }

    /// Octets of the current chunk still to come.
    pub fn remaining(&self) -> u64 {
        self.remaining
    }

    /// True when the current chunk has been fully received.
    pub fn chunk_complete(&self) -> bool {
        self.remaining == 0
    }

    /// True when the LAST chunk has been fully received.
    pub fn is_complete(&self) -> bool {
        self.last && self.remaining == 0
    }

    /// True once the message exceeded `max_size`.
    pub fn is_too_big(&self) -> bool {
        self.body.is_over()
    }

    /// True if the chunk in progress will take the message over
    /// `max_size`, so the session can plan its 552 early.
    pub fn will_exceed(&self) -> bool {
        self.body.total().saturating_add(self.remaining) > self.body.max() as u64
    }

    /// Octets received over all chunks, stored or not.
    pub fn total(&self) -> u64 {
        self.body.total()
    }

    /// Octets currently allocated; never above `max_size`.
    pub fn capacity(&self) -> usize {
        self.body.capacity()
    }

    /// The message, or [`DataError::Incomplete`] before the LAST chunk is
    /// complete, or [`DataError::TooBig`].
    pub fn finish(self) -> Result<Vec<u8>, DataError> {
        if !self.is_complete() {
            return Err(DataError::Incomplete);
        }
        if self.body.is_over() {
            return Err(DataError::TooBig {
                size: self.body.total(),
            });
        }
        Ok(self.body.into_bytes())
    }
}
