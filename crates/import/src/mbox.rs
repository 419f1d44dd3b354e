//! Streaming mbox reader (mboxo and mboxrd).
//!
//! The file is read one line at a time, so memory use is bounded by the
//! largest single message, never by the file.
//!
//! Splitting rule: a line starting with `From ` begins a new message when it
//! is the first non-blank line of the file or follows an empty line. To
//! tolerate writers that omit the empty line, a `From ` line directly after
//! a non-empty line also begins a message, but only if it carries a date
//! (see [`crate::date`]), so an unquoted "From here on..." inside a paragraph
//! stays body text.
//!
//! Each message is returned without its separator line, with one `>` removed
//! from every line matching `^>+From `, without the single empty line that
//! separates it from the next message (or ends the file), and with bare LF
//! line endings turned into CRLF. Counting ([`MboxReader::count`]) uses the
//! very same splitter, so the pre-scan total always matches the iteration.
//!
//! A message that does not look like mail (the mbox rule of [`crate::check`]:
//! empty, NUL bytes, or no header field on its first line) is an error naming
//! its position; the separators around it are still sound, so reading goes on
//! with the next message.

use std::io::BufRead;
use std::path::PathBuf;

use crate::check::{Rule, check};
use crate::error::ImportError;
use crate::text::{header_block, header_values, is_blank, is_empty_line, is_keyword, push_flag};
use crate::{ImportedMessage, date, flag};

/// Where the reader stands in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Nothing read yet.
    Start,
    /// The From_ line of the next message has been read.
    Between,
    /// End of file, or an error stopped reading.
    Done,
}

/// Reads an mbox stream message by message.
#[derive(Debug)]
pub(crate) struct MboxReader<R> {
    path: PathBuf,
    reader: R,
    state: State,
    /// The most recently read line, line ending included.
    line: Vec<u8>,
    /// The From_ line of the message that starts next.
    separator: Vec<u8>,
    /// How many messages have been read, for naming one in an error.
    read: usize,
}

impl<R: BufRead> MboxReader<R> {
    /// Wraps `reader`; `path` is only used in error messages.
    pub(crate) fn new(path: PathBuf, reader: R) -> Self {
        Self {
            path,
            reader,
            state: State::Start,
            line: Vec::new(),
            separator: Vec::new(),
            read: 0,
        }
    }

    /// Counts the messages left, consuming the reader.
    pub(crate) fn count(mut self) -> Result<usize, ImportError> {
        let mut total = 0;
        while self.next_raw(None)?.is_some() {
            total += 1;
        }
        Ok(total)
    }

    /// Reads the next message with its flags and internal date.
    pub(crate) fn next_message(&mut self) -> Option<Result<ImportedMessage, ImportError>> {
        let mut bytes = Vec::new();
        let separator = match self.next_raw(Some(&mut bytes)) {
            Ok(Some(separator)) => separator,
            Ok(None) => return None,
            Err(e) => return Some(Err(e)),
        };
        self.read += 1;
        if let Err(reason) = check(&bytes, Rule::MboxEntry) {
            return Some(Err(ImportError::NotMail {
                path: self.path.clone(),
                message: Some(self.read),
                reason,
            }));
        }
        let headers = header_block(&bytes);
        let flags = flags_from_headers(headers);
        let internal_date = date::from_line_date(&separator).or_else(|| date::date_header(headers));
        Some(Ok(ImportedMessage {
            bytes,
            flags,
            internal_date,
            folder: Vec::new(),
        }))
    }

    /// Advances over one message, appending its content to `out` when given.
    /// Returns the message's From_ line, or `None` at the end of the file.
    fn next_raw(&mut self, mut out: Option<&mut Vec<u8>>) -> Result<Option<Vec<u8>>, ImportError> {
        if self.state == State::Start {
            self.find_first_separator()?;
        }
        if self.state == State::Done {
            return Ok(None);
        }
        let separator = std::mem::take(&mut self.separator);
        let mut last_was_empty = false;
        loop {
            if !self.read_line()? {
                self.state = State::Done;
                break;
            }
            if self.line.starts_with(b"From ")
                && (last_was_empty || date::from_line_date(&self.line).is_some())
            {
                std::mem::swap(&mut self.separator, &mut self.line);
                break;
            }
            last_was_empty = is_empty_line(&self.line);
            if let Some(out) = out.as_deref_mut() {
                push_content_line(out, &self.line);
            }
        }
        if last_was_empty && let Some(out) = out {
            // Drop the empty line that separated this message from the next.
            out.truncate(out.len().saturating_sub(2));
        }
        Ok(Some(separator))
    }

    /// Skips leading blank lines and reads the first From_ line.
    fn find_first_separator(&mut self) -> Result<(), ImportError> {
        loop {
            if !self.read_line()? {
                self.state = State::Done;
                return Ok(());
            }
            if is_blank(&self.line) {
                continue;
            }
            if !self.line.starts_with(b"From ") {
                self.state = State::Done;
                return Err(ImportError::NotASource {
                    path: self.path.clone(),
                    reason: "the first line is not an mbox \"From \" line".to_owned(),
                });
            }
            std::mem::swap(&mut self.separator, &mut self.line);
            self.state = State::Between;
            return Ok(());
        }
    }

    /// Reads one line into `self.line`; false at end of file. An I/O error
    /// ends the reading for good.
    fn read_line(&mut self) -> Result<bool, ImportError> {
        self.line.clear();
        match self.reader.read_until(b'\n', &mut self.line) {
            Ok(n) => Ok(n > 0),
            Err(source) => {
                self.state = State::Done;
                Err(ImportError::io(self.path.clone(), source))
            }
        }
    }
}

/// Appends one content line, unquoting `>From ` and normalising its ending.
fn push_content_line(out: &mut Vec<u8>, line: &[u8]) {
    let quotes = line.iter().take_while(|&&b| b == b'>').count();
    let line = if quotes > 0 && line[quotes..].starts_with(b"From ") {
        &line[1..]
    } else {
        line
    };
    match line.strip_suffix(b"\n") {
        Some(body) => {
            out.extend_from_slice(body.strip_suffix(b"\r").unwrap_or(body));
            out.extend_from_slice(b"\r\n");
        }
        None => out.extend_from_slice(line),
    }
}

/// Flags from the `Status:`, `X-Status:` and `X-Keywords:` headers.
fn flags_from_headers(headers: &[u8]) -> Vec<String> {
    let mut flags = Vec::new();
    for value in header_values(headers, "Status") {
        if value.contains('R') {
            push_flag(&mut flags, flag::SEEN);
        }
    }
    for value in header_values(headers, "X-Status") {
        for (letter, name) in [
            ('A', flag::ANSWERED),
            ('F', flag::FLAGGED),
            ('D', flag::DELETED),
            ('T', flag::DRAFT),
        ] {
            if value.contains(letter) {
                push_flag(&mut flags, name);
            }
        }
    }
    for value in header_values(headers, "X-Keywords") {
        value
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|word| is_keyword(word))
            .for_each(|word| push_flag(&mut flags, word));
    }
    flags
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn read_all(input: &[u8]) -> Vec<ImportedMessage> {
        let mut reader = MboxReader::new(PathBuf::from("test.mbox"), input);
        std::iter::from_fn(|| reader.next_message())
            .collect::<Result<_, _>>()
            .unwrap()
    }

    fn count(input: &[u8]) -> usize {
        MboxReader::new(PathBuf::from("test.mbox"), input)
            .count()
            .unwrap()
    }

    #[test]
    fn spec_example() {
        let msgs = read_all(b"From x\nA: b\n\nbody\n\nFrom y\nC: d\n");
        assert_eq!(msgs.len(), 2);
        assert_eq!(msgs[0].bytes, b"A: b\r\n\r\nbody\r\n");
        assert_eq!(msgs[1].bytes, b"C: d\r\n");
    }

    #[test]
    fn undated_from_line_needs_a_preceding_empty_line() {
        let input = b"From x\nA: b\n\nbody\nFrom here on\nFrom y Tue Mar  4 12:00:00 2025\nC: d\n";
        let msgs = read_all(input);
        assert_eq!(msgs.len(), 2);
        assert_eq!(count(input), 2);
        // The dated separator was not preceded by an empty line: nothing trimmed.
        assert_eq!(msgs[0].bytes, b"A: b\r\n\r\nbody\r\nFrom here on\r\n");
    }

    #[test]
    fn leading_blank_lines_and_trailing_text() {
        let msgs = read_all(b"\n  \nFrom x\nA: b\n\nno newline");
        assert_eq!(msgs.len(), 1);
        assert_eq!(msgs[0].bytes, b"A: b\r\n\r\nno newline");
    }

    #[test]
    fn not_an_mbox() {
        let mut reader = MboxReader::new(PathBuf::from("x"), &b"Subject: x\n"[..]);
        assert!(matches!(
            reader.next_message(),
            Some(Err(ImportError::NotASource { .. }))
        ));
        assert!(reader.next_message().is_none());
    }

    #[test]
    fn a_message_that_is_not_mail_is_refused_and_reading_goes_on() {
        let input = b"From x\nA: b\n\nFrom y\nnot a header\n\nFrom z\n\nFrom w\nC: d\n";
        let mut reader = MboxReader::new(PathBuf::from("m"), &input[..]);
        let results: Vec<_> = std::iter::from_fn(|| reader.next_message()).collect();
        assert_eq!(results.len(), 4);
        assert_eq!(results[0].as_ref().unwrap().bytes, b"A: b\r\n");
        let refused: Vec<String> = results[1..3]
            .iter()
            .map(|r| r.as_ref().unwrap_err().to_string())
            .collect();
        assert_eq!(
            refused,
            [
                "m, message 2: not a mail message: no header fields",
                "m, message 3: not a mail message: empty"
            ]
        );
        assert_eq!(results[3].as_ref().unwrap().bytes, b"C: d\r\n");
    }

    #[test]
    fn keyword_and_status_flags() {
        let headers = b"Status: RO\r\nX-Status: AF\r\nX-Keywords: $Label1, Junk bad\\kw\r\n";
        let flags = flags_from_headers(headers);
        assert_eq!(
            flags,
            ["\\Seen", "\\Answered", "\\Flagged", "$Label1", "Junk"]
        );
        assert!(flags_from_headers(b"Status: O\r\n").is_empty());
    }
}
