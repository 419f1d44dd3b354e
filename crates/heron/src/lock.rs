//! One server per data directory: `heron serve` holds an exclusive lock on `DATA/serve.lock`
//! for its whole life and writes its pid there, so a second `heron serve` on the same
//! directory refuses and names the first.
//!
//! Invariants: the lock is an advisory whole-file lock (`flock`) tied to the open file, so the
//! kernel drops it when the process ends in any way, SIGKILL included: a stale lock file never
//! blocks a start. Only `serve` takes it; the CLI verbs work beside a running server.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use anyhow::Context;

/// The lock file's name inside the data directory.
pub const LOCK_FILE: &str = "serve.lock";

/// The held lock; dropping it (or the process ending) releases it.
pub struct ServeLock {
    _file: File,
}

/// Take the data directory's serve lock, or fail naming the process that holds it.
pub fn acquire(data: &Path) -> anyhow::Result<ServeLock> {
    let path = data.join(LOCK_FILE);
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            let mut text = String::new();
            let _ = file.read_to_string(&mut text);
            let holder = match text.trim().parse::<u32>() {
                Ok(pid) => format!("pid {pid}"),
                Err(_) => "another process".to_owned(),
            };
            anyhow::bail!(
                "another heron serve ({holder}) is already running on {}; stop it first",
                data.display()
            );
        }
        Err(TryLockError::Error(e)) => {
            return Err(e).with_context(|| format!("cannot lock {}", path.display()));
        }
    }
    file.set_len(0)
        .and_then(|()| file.seek(SeekFrom::Start(0)))
        .and_then(|_| writeln!(file, "{}", std::process::id()))
        .and_then(|()| file.flush())
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(ServeLock { _file: file })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_the_same_directory_is_refused_with_the_pid() {
        let t = tempfile::tempdir().expect("tempdir");
        let first = acquire(t.path()).expect("first lock");
        let e = acquire(t.path()).err().expect("second lock refused");
        let msg = format!("{e:#}");
        assert!(
            msg.contains(&format!("pid {}", std::process::id())),
            "{msg}"
        );
        drop(first);
        assert!(acquire(t.path()).is_ok());
    }
}
