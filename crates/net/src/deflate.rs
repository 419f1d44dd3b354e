//! [`DeflateStream`]: raw DEFLATE (RFC 1951, no zlib header) in both directions over any
//! stream, for IMAP COMPRESS=DEFLATE (RFC 4978) and any later protocol's equivalent.
//!
//! Writes are compressed into a pending buffer; a flush ends the batch with a sync flush
//! (RFC 4978 §4: the peer can decode everything sent so far without waiting for more), then
//! writes and flushes the stream underneath. Reads inflate into the caller's buffer, so
//! however far a small input expands, one read yields at most that buffer: the line and
//! literal limits above keep applying to the decompressed bytes.
//!
//! Invariants: compressed output waiting to be written stays below [`OUT_HIGH`] plus one
//! write's worth before a write is accepted; a read that keeps inflating bytes already
//! received yields to the scheduler after [`YIELD_AFTER`] bytes, so a highly compressible
//! input cannot hold a worker thread or keep a read timeout from firing.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Pending compressed output above which a write first drains it to the stream.
const OUT_HIGH: usize = 64 * 1024;
/// Decompressed bytes produced from buffered input before a read yields once.
const YIELD_AFTER: usize = 1024 * 1024;
/// Size of the scratch buffers for reading and compressing.
const CHUNK: usize = 8 * 1024;

/// A stream whose bytes are raw DEFLATE in both directions.
pub struct DeflateStream<S> {
    inner: S,
    deflate: Compress,
    inflate: Decompress,
    /// Compressed bytes received and not yet inflated (`input[in_pos..]`).
    input: Vec<u8>,
    in_pos: usize,
    /// Compressed bytes not yet written (`output[out_pos..]`).
    output: Vec<u8>,
    out_pos: usize,
    /// Bytes were compressed since the last sync flush.
    unflushed: bool,
    /// The peer ended its DEFLATE stream (a final block): reads see the end.
    ended: bool,
    /// Decompressed bytes produced since the stream underneath was last read.
    since_read: usize,
}

fn invalid(e: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("deflate: {e}"))
}

impl<S> DeflateStream<S> {
    /// Compress over `inner`. `received` holds bytes already read from it after the point
    /// where compression began (a client's first compressed command read together with the
    /// command that turned compression on); they are inflated first.
    pub fn new(inner: S, received: Vec<u8>) -> Self {
        Self {
            inner,
            // RFC 4978 §3: raw DEFLATE, no zlib header.
            deflate: Compress::new(Compression::default(), false),
            inflate: Decompress::new(false),
            input: received,
            in_pos: 0,
            output: Vec::new(),
            out_pos: 0,
            unflushed: false,
            ended: false,
            since_read: 0,
        }
    }

    /// The stream underneath.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// Inflate buffered input into `buf`: the number of bytes produced and consumed.
    fn inflate_into(&mut self, buf: &mut ReadBuf<'_>) -> io::Result<(usize, usize)> {
        let (in0, out0) = (self.inflate.total_in(), self.inflate.total_out());
        let status = self
            .inflate
            .decompress(
                &self.input[self.in_pos..],
                buf.initialize_unfilled(),
                FlushDecompress::None,
            )
            .map_err(invalid)?;
        let consumed = usize::try_from(self.inflate.total_in() - in0).map_err(invalid)?;
        let produced = usize::try_from(self.inflate.total_out() - out0).map_err(invalid)?;
        self.in_pos += consumed;
        buf.advance(produced);
        if status == Status::StreamEnd {
            self.ended = true;
        }
        Ok((produced, consumed))
    }

    /// Compress `data` (or, with `FlushCompress::Sync` and no data, end the batch) into the
    /// pending output.
    fn deflate_into_output(&mut self, data: &[u8], flush: FlushCompress) -> io::Result<()> {
        let mut chunk = [0u8; CHUNK];
        let mut pos = 0;
        loop {
            let (in0, out0) = (self.deflate.total_in(), self.deflate.total_out());
            self.deflate
                .compress(&data[pos..], &mut chunk, flush)
                .map_err(invalid)?;
            let consumed = usize::try_from(self.deflate.total_in() - in0).map_err(invalid)?;
            let produced = usize::try_from(self.deflate.total_out() - out0).map_err(invalid)?;
            pos += consumed;
            self.output.extend_from_slice(&chunk[..produced]);
            // Done once every byte went in and the compressor had room to spare.
            if pos == data.len() && produced < chunk.len() {
                return Ok(());
            }
        }
    }
}

impl<S: AsyncWrite + Unpin> DeflateStream<S> {
    /// Write the pending compressed output to the stream underneath.
    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.out_pos < self.output.len() {
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &self.output[self.out_pos..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.out_pos += n;
        }
        self.output.clear();
        self.out_pos = 0;
        if self.output.capacity() > 4 * OUT_HIGH {
            self.output = Vec::new();
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for DeflateStream<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if buf.remaining() == 0 {
            return Poll::Ready(Ok(()));
        }
        loop {
            // Inflate even with no input left: the decompressor may hold output it had no
            // room for (one input byte can stand for many output bytes).
            if !this.ended {
                if this.since_read >= YIELD_AFTER {
                    this.since_read = 0;
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                }
                let (produced, consumed) = this.inflate_into(buf)?;
                this.since_read += produced;
                if produced > 0 {
                    return Poll::Ready(Ok(()));
                }
                if consumed > 0 {
                    continue;
                }
            }
            if this.ended {
                // The peer finished its stream: the session's input ends here.
                return Poll::Ready(Ok(()));
            }
            this.input.drain(..this.in_pos);
            this.in_pos = 0;
            let mut chunk = [0u8; CHUNK];
            let mut rb = ReadBuf::new(&mut chunk);
            ready!(Pin::new(&mut this.inner).poll_read(cx, &mut rb))?;
            this.since_read = 0;
            if rb.filled().is_empty() {
                return Poll::Ready(Ok(()));
            }
            this.input.extend_from_slice(rb.filled());
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for DeflateStream<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.output.len() - this.out_pos >= OUT_HIGH {
            ready!(this.poll_drain(cx))?;
        }
        if data.is_empty() {
            return Poll::Ready(Ok(0));
        }
        this.deflate_into_output(data, FlushCompress::None)?;
        this.unflushed = true;
        Poll::Ready(Ok(data.len()))
    }

    /// RFC 4978 §4: every batch of responses ends with a sync flush, so the client can
    /// decode all of it at once.
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.unflushed {
            this.deflate_into_output(&[], FlushCompress::Sync)?;
            this.unflushed = false;
        }
        ready!(this.poll_drain(cx))?;
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.as_mut().poll_flush(cx))?;
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt, duplex};

    fn deflate_raw(data: &[u8]) -> Vec<u8> {
        let mut c = Compress::new(Compression::default(), false);
        let mut out = Vec::with_capacity(data.len() + 64);
        c.compress_vec(data, &mut out, FlushCompress::Sync).unwrap();
        out
    }

    fn inflate_raw(d: &mut Decompress, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(1 << 20);
        d.decompress_vec(data, &mut out, FlushDecompress::Sync)
            .unwrap();
        out
    }

    #[tokio::test]
    async fn each_flush_makes_everything_written_decodable() {
        let (a, mut b) = duplex(1 << 20);
        let mut s = DeflateStream::new(a, Vec::new());
        let mut peer = Decompress::new(false);
        for round in 0..3 {
            let line = format!("* {round} EXISTS\r\n");
            s.write_all(line.as_bytes()).await.unwrap();
            s.flush().await.unwrap();
            let mut got = vec![0u8; 4096];
            let n = b.read(&mut got).await.unwrap();
            assert_eq!(inflate_raw(&mut peer, &got[..n]), line.as_bytes());
        }
    }

    #[tokio::test]
    async fn reads_inflate_and_bytes_received_early_come_first() {
        let (a, mut b) = duplex(1 << 20);
        let all = deflate_raw(b"a1 NOOP\r\na2 NOOP\r\n");
        let (early, late) = all.split_at(5);
        let mut s = DeflateStream::new(a, early.to_vec());
        b.write_all(late).await.unwrap();
        let mut got = Vec::new();
        let mut buf = [0u8; 64];
        while got.len() < 18 {
            let n = s.read(&mut buf).await.unwrap();
            assert!(n > 0);
            got.extend_from_slice(&buf[..n]);
        }
        assert_eq!(got, b"a1 NOOP\r\na2 NOOP\r\n");
    }

    #[tokio::test]
    async fn a_small_input_never_yields_more_than_the_read_buffer() {
        let (a, mut b) = duplex(1 << 20);
        let bomb = deflate_raw(&vec![b'x'; 4 << 20]);
        assert!(bomb.len() < 16 * 1024);
        b.write_all(&bomb).await.unwrap();
        let mut s = DeflateStream::new(a, Vec::new());
        let mut buf = [0u8; 100];
        let mut total = 0;
        while total < 4 << 20 {
            let n = s.read(&mut buf).await.unwrap();
            assert!(n <= 100);
            total += n;
        }
        assert_eq!(total, 4 << 20);
    }

    #[tokio::test]
    async fn garbage_is_an_error_and_the_end_is_eof() {
        let (a, mut b) = duplex(1024);
        b.write_all(&[0xff; 16]).await.unwrap();
        let mut s = DeflateStream::new(a, Vec::new());
        let mut buf = [0u8; 64];
        assert!(s.read(&mut buf).await.is_err());
        let (a, b) = duplex(1024);
        drop(b);
        let mut s = DeflateStream::new(a, Vec::new());
        assert_eq!(s.read(&mut buf).await.unwrap(), 0);
    }
}
