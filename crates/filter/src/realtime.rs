//! A real-time (on-access) virus scanner with a quarantine directory (FILTER-6): the message
//! is written as a file into `antivirus.realtime_directory`, which the scanner watches; a
//! scanner that finds a virus moves the file into its quarantine directory (or deletes it).
//! A file gone within `antivirus.realtime_wait_ms`, or found in
//! `antivirus.quarantine_directory`, is a virus; a file still there when the wait ends is
//! clean. Any scanner that watches a directory and quarantines what it finds fits (ClamAV's
//! `clamonacc --move`, a vendor's real-time protection).
//!
//! Invariants: the file's name is new and random (`create_new`), so no other message or file
//! is ever judged; the file is removed when the check ends, whatever the outcome, and nothing
//! in the quarantine directory is touched (it is the scanner's and the administrator's); the
//! check waits at most the wait setting, itself bounded by `filter.check_timeout`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use heron_settings::defs;

use crate::error::Error;
use crate::pipeline::Ctx;
use crate::scanner::Outcome;
use crate::verdict::Verdict;

/// The check's name in the headers.
pub const NAME: &str = "antivirus-realtime";

/// The virus name given to a message the scanner took away (it tells no name).
pub const QUARANTINED: &str = "quarantined by the real-time scanner";

/// How often the file is looked for while waiting.
const POLL: Duration = Duration::from_millis(50);

/// The check: let the real-time scanner see the message, when a directory is set.
pub async fn check(ctx: &Ctx<'_>) -> Verdict {
    let mut v = Verdict::default();
    let dir = ctx.settings.get(defs::ANTIVIRUS_REALTIME_DIRECTORY);
    if dir.trim().is_empty() {
        return v;
    }
    let quarantine = ctx.settings.get(defs::ANTIVIRUS_QUARANTINE_DIRECTORY);
    let quarantine = Some(quarantine.trim())
        .filter(|q| !q.is_empty())
        .map(PathBuf::from);
    let wait = Duration::from_millis(ctx.settings.get(defs::ANTIVIRUS_REALTIME_WAIT_MS));
    match scan(
        Path::new(dir.trim()),
        quarantine.as_deref(),
        ctx.message,
        wait,
    )
    .await
    {
        Ok(Outcome::Clean) => {}
        Ok(Outcome::Virus(name)) => v.virus = Some(name),
        Err(e) => {
            tracing::info!(target: "smtp", "real-time virus scanner: {e}");
            v.unanswered(NAME, e.to_string());
        }
    }
    v
}

/// Write `message` into `dir` and watch it for `wait`: gone, or in `quarantine`, is a virus.
pub async fn scan(
    dir: &Path,
    quarantine: Option<&Path>,
    message: &[u8],
    wait: Duration,
) -> Result<Outcome, Error> {
    let name = format!("heron-{:016x}.eml", rand::random::<u64>());
    let path = dir.join(&name);
    let owned = message.to_vec();
    let target = path.clone();
    tokio::task::spawn_blocking(move || write_new(&target, &owned))
        .await
        .map_err(|e| Error::Io(std::io::Error::other(e)))??;
    let quarantined = quarantine.map(|q| q.join(&name));
    let deadline = tokio::time::Instant::now() + wait;
    let outcome = loop {
        let gone = !tokio::fs::try_exists(&path).await?;
        let moved = match &quarantined {
            Some(q) => tokio::fs::try_exists(q).await?,
            None => false,
        };
        if gone || moved {
            break Outcome::Virus(QUARANTINED.to_owned());
        }
        if tokio::time::Instant::now() >= deadline {
            break Outcome::Clean;
        }
        tokio::time::sleep(POLL).await;
    };
    // Gone already for a virus; a clean message's file is ours to remove.
    match tokio::fs::remove_file(&path).await {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            tracing::warn!(target: "smtp", "{}: {e}", path.display());
        }
        _ => {}
    }
    Ok(outcome)
}

/// Create `path` (never an existing file) holding `bytes`, readable by its group so a
/// scanner running as another user of that group can read it.
fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o640);
    }
    let mut f = options.open(path)?;
    f.write_all(bytes)?;
    f.flush()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_file_left_alone_is_clean_and_removed() {
        let dir = tempfile::tempdir().unwrap();
        let out = scan(dir.path(), None, b"hello", Duration::from_millis(200))
            .await
            .unwrap();
        assert_eq!(out, Outcome::Clean);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[tokio::test]
    async fn a_file_taken_away_or_quarantined_is_a_virus() {
        let dir = tempfile::tempdir().unwrap();
        let quarantine = tempfile::tempdir().unwrap();
        // A "scanner" that moves every file it sees into the quarantine directory.
        let (watched, q) = (dir.path().to_owned(), quarantine.path().to_owned());
        let mover = tokio::spawn(async move {
            for _ in 0..200 {
                for e in std::fs::read_dir(&watched).unwrap() {
                    let e = e.unwrap();
                    std::fs::rename(e.path(), q.join(e.file_name())).unwrap();
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        });
        let out = scan(
            dir.path(),
            Some(quarantine.path()),
            b"virus",
            Duration::from_secs(10),
        )
        .await
        .unwrap();
        assert_eq!(out, Outcome::Virus(QUARANTINED.into()));
        mover.abort();
        assert_eq!(std::fs::read_dir(quarantine.path()).unwrap().count(), 1);
    }

    #[tokio::test]
    async fn a_missing_directory_is_no_answer() {
        let r = scan(
            Path::new("/nonexistent/heron-scan"),
            None,
            b"x",
            Duration::from_millis(10),
        )
        .await;
        assert!(matches!(r, Err(Error::Io(_))));
    }
}
