//! Maildir reader, with Maildir++ subfolders.
//!
//! Messages are taken from `cur/` and `new/` of the Maildir and of each Maildir++ subfolder:
//! a directory directly inside it whose name starts with `.` and that is a Maildir itself
//! (`.Sent/`, `.Archive.2024/`). A subfolder's name without its leading dot, split at `.`,
//! gives the levels of the folder its messages belong to (`.Archive.2024` → `Archive`,
//! `2024`); empty levels are dropped, and a name with no level left is not a subfolder.
//! Names are passed on as found on disk (by Maildir++ convention, modified UTF-7).
//! `tmp/` holds deliveries in progress and is ignored, as are hidden files (names starting
//! with `.`), anything that is not a regular file, and any other directory.
//!
//! The listing is made once, when the source is opened: the Maildir's own messages first,
//! then each subfolder's, subfolders in the order of their levels (a parent before its
//! children). Within a folder, messages are sorted by the numeric timestamp at the start of
//! each file name, then by name, so that they are imported in delivery order. Names without a
//! timestamp sort last.
//!
//! Flags come from the `:2,` info suffix (`!2,` and `;2,` are accepted too, as used on file
//! systems that forbid `:`), in `new/` as in `cur/`: `P` → `$Forwarded`, `R` → `\Answered`,
//! `S` → `\Seen`, `T` → `\Deleted`, `D` → `\Draft`, `F` → `\Flagged`, and lowercase letters
//! → the keywords listed in the folder's own `dovecot-keywords` file. A file without the
//! suffix has no flags, so a message fresh in `new/` is unseen.
//!
//! Each file is one message and must look like one ([`crate::check`], file rule); a file that
//! does not is an error naming it, and reading carries on with the next file.

use std::fs;
use std::path::{Path, PathBuf};

use crate::check::{Rule, check};
use crate::error::ImportError;
use crate::text::{is_keyword, mtime, push_flag, to_crlf};
use crate::{ImportedMessage, flag};

/// One message file found in the listing.
#[derive(Debug)]
struct Entry {
    path: PathBuf,
    /// The timestamp prefix of the file name.
    timestamp: Option<i64>,
    flags: Vec<String>,
    /// Index of the folder in [`MaildirReader::folders`].
    folder: usize,
}

/// Iterates over the messages of one Maildir and its subfolders, in listing order.
#[derive(Debug)]
pub(crate) struct MaildirReader {
    /// The levels of each folder found; index 0 is the Maildir itself (no levels).
    folders: Vec<Vec<String>>,
    entries: std::vec::IntoIter<Entry>,
}

/// True when `dir` has a `cur`, `new` or `tmp` subdirectory.
pub(crate) fn is_maildir(dir: &Path) -> bool {
    ["cur", "new", "tmp"]
        .iter()
        .any(|sub| dir.join(sub).is_dir())
}

impl MaildirReader {
    /// Lists and sorts the messages of the Maildir at `dir` and of its subfolders.
    pub(crate) fn open(dir: &Path) -> Result<Self, ImportError> {
        let mut folders = vec![Vec::new()];
        let mut entries = list_folder(dir, 0)?;
        for (levels, sub) in subfolders(dir)? {
            entries.extend(list_folder(&sub, folders.len())?);
            folders.push(levels);
        }
        Ok(Self {
            folders,
            entries: entries.into_iter(),
        })
    }

    /// The number of messages not yet returned.
    pub(crate) fn remaining(&self) -> usize {
        self.entries.len()
    }

    /// Reads the next message. A file that cannot be read, or that is not a mail message,
    /// yields an error, and the following call moves on to the next file.
    pub(crate) fn next_message(&mut self) -> Option<Result<ImportedMessage, ImportError>> {
        let entry = self.entries.next()?;
        let raw = match fs::read(&entry.path) {
            Ok(raw) => raw,
            Err(source) => return Some(Err(ImportError::io(entry.path, source))),
        };
        if let Err(reason) = check(&raw, Rule::File) {
            return Some(Err(ImportError::NotMail {
                path: entry.path,
                message: None,
                reason,
            }));
        }
        Some(Ok(ImportedMessage {
            bytes: to_crlf(&raw),
            flags: entry.flags,
            internal_date: entry.timestamp.or_else(|| mtime(&entry.path)),
            folder: self.folders.get(entry.folder).cloned().unwrap_or_default(),
        }))
    }
}

/// The Maildir++ subfolders of `dir` with their levels, parents before children.
fn subfolders(dir: &Path) -> Result<Vec<(Vec<String>, PathBuf)>, ImportError> {
    let mut found = Vec::new();
    for item in fs::read_dir(dir).map_err(|source| ImportError::io(dir, source))? {
        let item = item.map_err(|source| ImportError::io(dir, source))?;
        let name = item.file_name().to_string_lossy().into_owned();
        let path = item.path();
        let Some(levels) = folder_levels(&name) else {
            continue;
        };
        if path.is_dir() && is_maildir(&path) {
            found.push((levels, path));
        }
    }
    found.sort();
    Ok(found)
}

/// The folder levels of a Maildir++ subfolder called `name` (`.Archive.2024`), or `None`
/// when `name` is not one.
fn folder_levels(name: &str) -> Option<Vec<String>> {
    let levels: Vec<String> = name
        .strip_prefix('.')?
        .split('.')
        .filter(|level| !level.is_empty())
        .map(str::to_owned)
        .collect();
    (!levels.is_empty()).then_some(levels)
}

/// The messages of one folder (a Maildir's `cur/` and `new/`), in delivery order.
fn list_folder(dir: &Path, folder: usize) -> Result<Vec<Entry>, ImportError> {
    let keywords = read_keywords(dir)?;
    let mut keyed = Vec::new();
    for sub in ["cur", "new"] {
        list_subdir(&dir.join(sub), &keywords, folder, &mut keyed)?;
    }
    keyed.sort_by(|(a_name, a), (b_name, b)| {
        (a.timestamp.is_none(), a.timestamp, a_name).cmp(&(
            b.timestamp.is_none(),
            b.timestamp,
            b_name,
        ))
    });
    Ok(keyed.into_iter().map(|(_, entry)| entry).collect())
}

/// Adds the message files of one subdirectory, keyed by name, to `out`.
fn list_subdir(
    sub: &Path,
    keywords: &[Option<String>],
    folder: usize,
    out: &mut Vec<(String, Entry)>,
) -> Result<(), ImportError> {
    let listing = match fs::read_dir(sub) {
        Ok(listing) => listing,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(source) => return Err(ImportError::io(sub, source)),
    };
    for item in listing {
        let item = item.map_err(|source| ImportError::io(sub, source))?;
        let name = item.file_name().to_string_lossy().into_owned();
        let path = item.path();
        // `is_file` follows symbolic links, as delivery agents may use them.
        if name.starts_with('.') || !path.is_file() {
            continue;
        }
        let entry = Entry {
            timestamp: name_timestamp(&name),
            flags: parse_flags(&name, keywords),
            path,
            folder,
        };
        out.push((name, entry));
    }
    Ok(())
}

/// The Unix time at the start of a Maildir file name (`1700000000.M1P2.host`).
fn name_timestamp(name: &str) -> Option<i64> {
    let digits = name.bytes().take_while(u8::is_ascii_digit).count();
    let rest = &name[digits..];
    let terminated = rest.is_empty() || rest.starts_with(['.', ':', ';', '!']);
    if digits == 0 || !terminated {
        return None;
    }
    name[..digits].parse().ok()
}

/// Flags from the info suffix of a Maildir file name.
fn parse_flags(name: &str, keywords: &[Option<String>]) -> Vec<String> {
    let mut flags = Vec::new();
    let Some(info) = name
        .rfind([':', ';', '!'])
        .and_then(|at| name[at + 1..].strip_prefix("2,"))
    else {
        return flags;
    };
    for letter in ['S', 'R', 'F', 'T', 'D', 'P'] {
        if !info.contains(letter) {
            continue;
        }
        let name = match letter {
            'S' => flag::SEEN,
            'R' => flag::ANSWERED,
            'F' => flag::FLAGGED,
            'T' => flag::DELETED,
            'D' => flag::DRAFT,
            _ => flag::FORWARDED,
        };
        push_flag(&mut flags, name);
    }
    for letter in info.bytes().filter(u8::is_ascii_lowercase) {
        let keyword = keywords
            .get(usize::from(letter - b'a'))
            .and_then(Option::as_ref);
        if let Some(keyword) = keyword {
            push_flag(&mut flags, keyword);
        }
    }
    flags
}

/// Reads `dovecot-keywords` (lines of `INDEX NAME`), mapping index 0 to the
/// info letter `a`. A missing file means no keywords.
fn read_keywords(dir: &Path) -> Result<Vec<Option<String>>, ImportError> {
    let path = dir.join("dovecot-keywords");
    let text = match fs::read(&path) {
        Ok(raw) => String::from_utf8_lossy(&raw).into_owned(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => return Err(ImportError::io(path, source)),
    };
    let mut keywords = vec![None; 26];
    for line in text.lines() {
        let Some((index, word)) = line.trim().split_once(' ') else {
            continue;
        };
        let word = word.trim();
        if let (Ok(index), true) = (index.parse::<usize>(), is_keyword(word))
            && index < keywords.len()
        {
            keywords[index] = Some(word.to_owned());
        }
    }
    Ok(keywords)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_from_names() {
        assert_eq!(
            name_timestamp("1700000000.M1P2.host:2,S"),
            Some(1_700_000_000)
        );
        assert_eq!(name_timestamp("1700000000"), Some(1_700_000_000));
        assert_eq!(name_timestamp("17x.host"), None);
        assert_eq!(name_timestamp("msg.host"), None);
    }

    #[test]
    fn subfolder_names() {
        assert_eq!(folder_levels(".Sent").unwrap(), ["Sent"]);
        assert_eq!(folder_levels(".Archive.2024").unwrap(), ["Archive", "2024"]);
        assert_eq!(folder_levels(".a..b.").unwrap(), ["a", "b"]);
        assert_eq!(folder_levels("..."), None);
        assert_eq!(folder_levels("cur"), None);
    }

    #[test]
    fn info_letters() {
        let none: Vec<Option<String>> = Vec::new();
        assert_eq!(
            parse_flags("1.a.host:2,DFPRST", &none),
            [
                "\\Seen",
                "\\Answered",
                "\\Flagged",
                "\\Deleted",
                "\\Draft",
                "$Forwarded"
            ]
        );
        assert_eq!(parse_flags("1.a.host!2,S", &none), ["\\Seen"]);
        assert!(parse_flags("1.a.host", &none).is_empty());
        assert!(parse_flags("1.a.host:1,S", &none).is_empty());
        let kw = vec![Some("Junk".to_owned()), None, Some("$Label1".to_owned())];
        assert_eq!(
            parse_flags("1.x:2,Sacb", &kw),
            ["\\Seen", "Junk", "$Label1"]
        );
    }
}
