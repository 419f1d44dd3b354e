//! Reading messages from a mail source on disk, for `heron import`.
//!
//! A source is one of: a single message file (`.eml`), an mbox file, or a
//! Maildir (with its Maildir++ subfolders). [`open`] detects which, counts the
//! messages with a cheap pre-scan (for a progress bar), and returns a
//! [`Source`] that iterates over [`ImportedMessage`]s in source order.
//!
//! Every message is checked to look like mail before it is returned
//! ([`check`](crate::NotMail): no NUL bytes, a header of header fields with at
//! least one a message carries); one that does not is an
//! [`ImportError::NotMail`] naming the file and the reason, and reading goes
//! on with the next message. [`DuplicateKey`] tells which messages are the
//! same for skipping duplicates.
//!
//! Invariants:
//! - Reading is pure: nothing on disk is created, changed or moved.
//! - Message bytes are exactly as stored, except that bare LF line endings
//!   become CRLF, and for mbox the separator line is dropped and `>From `
//!   quoting is undone (see [`ImportedMessage::bytes`]).
//! - mbox files are streamed, so memory use is bounded by the largest single
//!   message, not by the file size.
//! - [`Source::total`] is the number of items the iteration yields, unless
//!   the source changes on disk in between.
//! - Nothing that fails the mail check is ever yielded as a message.
//!
//! Nothing here is async and nothing touches the store; the caller decides
//! what to do with each message and with per-message errors.

mod check;
mod date;
mod dedup;
mod error;
mod maildir;
mod mbox;
mod text;

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

pub use check::NotMail;
pub use dedup::DuplicateKey;
pub use error::ImportError;

use maildir::MaildirReader;
use mbox::MboxReader;

/// IMAP flag names produced by the readers.
pub mod flag {
    /// The message has been read.
    pub const SEEN: &str = "\\Seen";
    /// The message has been replied to.
    pub const ANSWERED: &str = "\\Answered";
    /// The message is flagged for attention.
    pub const FLAGGED: &str = "\\Flagged";
    /// The message is marked for removal.
    pub const DELETED: &str = "\\Deleted";
    /// The message is an unfinished draft.
    pub const DRAFT: &str = "\\Draft";
    /// The message has been forwarded (Maildir `P`, "passed"); a keyword.
    pub const FORWARDED: &str = "$Forwarded";
}

/// How much of a file is examined to tell an mbox from a single message.
const SNIFF_LIMIT: u64 = 64 * 1024;
/// Read buffer size for streaming mbox files.
const MBOX_BUFFER: usize = 256 * 1024;

/// One message read from a source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedMessage {
    /// The message bytes exactly as in the source, except: line endings
    /// normalised to CRLF (a bare LF becomes CRLF; an existing CRLF stays),
    /// and for mbox the "From " separator line removed and mboxrd/mboxo
    /// quoting undone (a line matching `^>+From ` loses one `>`).
    pub bytes: Vec<u8>,
    /// IMAP system flags (see [`flag`]) and keywords, without duplicates.
    pub flags: Vec<String>,
    /// Internal date as Unix seconds, when the source has one.
    pub internal_date: Option<i64>,
    /// The Maildir++ subfolder the message comes from, as its levels
    /// (`.Archive.2024` → `["Archive", "2024"]`, spelt as on disk); empty for
    /// the messages of the source itself.
    pub folder: Vec<String>,
}

/// The format of a source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// A single message file.
    Eml,
    /// A Maildir directory (`cur/`, `new/`, `tmp/`), with any Maildir++ subfolders.
    Maildir,
    /// An mbox file (mboxo or mboxrd).
    Mbox,
}

impl std::fmt::Display for SourceKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Eml => "message file",
            Self::Maildir => "Maildir",
            Self::Mbox => "mbox",
        })
    }
}

/// An opened source: iterate over it to read its messages.
///
/// Iteration yields `Err` for a message that cannot be read or is not mail
/// ([`ImportError::NotMail`]). After a `NotMail` error, and after any error
/// in a Maildir, the next call carries on with the next message; any other
/// error in an mbox ends the iteration, since the rest of the stream cannot
/// be trusted.
#[derive(Debug)]
pub struct Source {
    /// The detected format.
    pub kind: SourceKind,
    /// The number of messages, counted by a cheap pre-scan, for a progress bar.
    pub total: usize,
    path: PathBuf,
    reader: Reader,
}

/// The per-format state behind a [`Source`].
#[derive(Debug)]
enum Reader {
    /// The message file, until it has been read.
    Eml(Option<PathBuf>),
    Maildir(MaildirReader),
    Mbox(MboxReader<BufReader<File>>),
}

impl Source {
    /// The path the source was opened from.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Iterator for Source {
    type Item = Result<ImportedMessage, ImportError>;

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.reader {
            Reader::Eml(path) => path.take().map(|path| read_eml(&path)),
            Reader::Maildir(reader) => reader.next_message(),
            Reader::Mbox(reader) => reader.next_message(),
        }
    }
}

impl std::iter::FusedIterator for Source {}

/// Opens the source at `path`, detecting its kind and counting its messages.
///
/// Detection: a directory with `cur/` or `new/` (or `tmp/`) is a Maildir; a
/// file whose first non-blank line starts with `From ` is an mbox; any other
/// file is one message (an empty one included: reading it yields
/// [`ImportError::NotMail`]). Anything else (a directory that is not a
/// Maildir, a missing path, an unreadable file, a device) is an error
/// naming the path and what was expected.
pub fn open(path: &Path) -> Result<Source, ImportError> {
    if path.as_os_str().is_empty() {
        return Err(ImportError::EmptyPath);
    }
    let meta = std::fs::metadata(path).map_err(|e| ImportError::io(path, e))?;
    let (kind, total, reader) = if meta.is_dir() {
        open_dir(path)?
    } else if meta.is_file() {
        open_file(path)?
    } else {
        return Err(ImportError::NotASource {
            path: path.to_owned(),
            reason: "expected a Maildir directory, an mbox file or a message file".to_owned(),
        });
    };
    Ok(Source {
        kind,
        total,
        path: path.to_owned(),
        reader,
    })
}

/// Opens a directory, which must be a Maildir.
fn open_dir(path: &Path) -> Result<(SourceKind, usize, Reader), ImportError> {
    if !maildir::is_maildir(path) {
        return Err(ImportError::NotASource {
            path: path.to_owned(),
            reason: "the directory has no cur/, new/ or tmp/ subdirectory, so it is not a \
                     Maildir (expected a Maildir, an mbox file or a message file)"
                .to_owned(),
        });
    }
    let reader = MaildirReader::open(path)?;
    Ok((
        SourceKind::Maildir,
        reader.remaining(),
        Reader::Maildir(reader),
    ))
}

/// Opens a file as an mbox or as a single message.
fn open_file(path: &Path) -> Result<(SourceKind, usize, Reader), ImportError> {
    let file = File::open(path).map_err(|e| ImportError::io(path, e))?;
    match sniff(file).map_err(|e| ImportError::io(path, e))? {
        Sniffed::Other => Ok((SourceKind::Eml, 1, Reader::Eml(Some(path.to_owned())))),
        Sniffed::Mbox => {
            let total = MboxReader::new(path.to_owned(), open_buffered(path)?).count()?;
            let reader = MboxReader::new(path.to_owned(), open_buffered(path)?);
            Ok((SourceKind::Mbox, total, Reader::Mbox(reader)))
        }
    }
}

/// What the start of a file looks like.
enum Sniffed {
    /// The first non-blank line starts with `From `.
    Mbox,
    /// Anything else, including nothing but blank lines.
    Other,
}

/// Looks at the first non-blank line within the first [`SNIFF_LIMIT`] bytes.
fn sniff(file: File) -> std::io::Result<Sniffed> {
    let mut reader = BufReader::new(file.take(SNIFF_LIMIT));
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            return Ok(Sniffed::Other);
        }
        if !text::is_blank(&line) {
            return Ok(if line.starts_with(b"From ") {
                Sniffed::Mbox
            } else {
                Sniffed::Other
            });
        }
    }
}

/// Opens `path` for streaming.
fn open_buffered(path: &Path) -> Result<BufReader<File>, ImportError> {
    let file = File::open(path).map_err(|e| ImportError::io(path, e))?;
    Ok(BufReader::with_capacity(MBOX_BUFFER, file))
}

/// Reads a single message file, which must look like mail; its internal date
/// is the file's mtime.
fn read_eml(path: &Path) -> Result<ImportedMessage, ImportError> {
    let raw = std::fs::read(path).map_err(|e| ImportError::io(path, e))?;
    check::check(&raw, check::Rule::File).map_err(|reason| ImportError::NotMail {
        path: path.to_owned(),
        message: None,
        reason,
    })?;
    Ok(ImportedMessage {
        bytes: text::to_crlf(&raw),
        flags: Vec::new(),
        internal_date: text::mtime(path),
        folder: Vec::new(),
    })
}
