//! The orphan sweep on SQLite: a message larger than
//! [`INLINE_MAX`](super::staged::INLINE_MAX) is written to a file before its record commits,
//! so a process killed in between leaves a file no `blobs` row names. The backend-neutral
//! [`sweep`](crate::orphans::sweep) walks the files; this backend answers which ids have no
//! `blobs` row.
//!
//! Invariant: an id is reported unreferenced only when no `blobs` row has it, read in one
//! read transaction per directory of candidates.

use std::time::Duration;

use super::SqliteStore;
use crate::error::Result;
use crate::orphans::{ORPHAN_MIN_AGE, sweep};

impl SqliteStore {
    /// Remove the message files older than `min_age` that no record refers to, and writes
    /// older than that left unfinished in `tmp/`. Returns how many files were removed.
    pub async fn remove_orphan_blobs(&self, min_age: Duration) -> Result<usize> {
        sweep(self.blobs(), min_age, |old| {
            let this = self.clone();
            async move {
                this.read(move |c| {
                    let mut st = c.prepare_cached("SELECT count(*) FROM blobs WHERE id = ?1")?;
                    let mut out = Vec::new();
                    for id in old {
                        if st.query_row([&id], |r| r.get::<_, i64>(0))? == 0 {
                            out.push(id);
                        }
                    }
                    Ok(out)
                })
                .await
            }
        })
        .await
    }

    /// Sweep files with no record now and every `every` after, until the returned task is
    /// aborted. Call once in a long-running server.
    pub fn start_orphan_sweeper(&self, every: Duration) -> tokio::task::JoinHandle<()> {
        let this = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                match this.remove_orphan_blobs(ORPHAN_MIN_AGE).await {
                    Ok(0) => {}
                    Ok(n) => {
                        tracing::warn!(target: "events", "removed {n} message files no record referred to")
                    }
                    Err(e) => {
                        tracing::warn!(target: "events", "looking for message files with no record failed: {e}")
                    }
                }
            }
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::fs;
    use std::path::Path;
    use std::time::SystemTime;

    use super::*;
    use crate::model::*;
    use crate::traits::MailStore;

    fn plant(root: &Path, id: &str, bytes: &[u8], age: Duration) -> std::path::PathBuf {
        let dir = root.join("blobs").join(&id[..2]);
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join(id);
        fs::write(&path, bytes).unwrap();
        let f = fs::File::options().write(true).open(&path).unwrap();
        f.set_modified(SystemTime::now() - age).unwrap();
        path
    }

    #[tokio::test]
    async fn old_files_with_no_record_go_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).unwrap();
        let u = crate::suite::one_user(&store, "sweep.test", "u", &[("INBOX", None)]).await;
        let f = store.get_folder(u.id, "INBOX").await.unwrap().unwrap();
        let big = vec![b'x'; 300 * 1024];
        let m = NewMessage {
            flags: vec![],
            internal_date: None,
        };
        store
            .deliver(big.clone().into(), &[(f.id, m)])
            .await
            .unwrap();
        let meta = store.list_messages(f.id).await.unwrap().remove(0);
        // Its file is old too: a record keeps it.
        let kept = store.blobs().blob_dirs().unwrap();
        let own = dir
            .path()
            .join("blobs")
            .join(&meta.blob[..2])
            .join(&meta.blob);
        assert!(kept.iter().any(|d| own.starts_with(d)));
        fs::File::options()
            .write(true)
            .open(&own)
            .unwrap()
            .set_modified(SystemTime::now() - 2 * ORPHAN_MIN_AGE)
            .unwrap();

        let hour2 = 2 * ORPHAN_MIN_AGE;
        let orphan = plant(dir.path(), &"ab".repeat(16), b"left by a crash", hour2);
        let young = plant(
            dir.path(),
            &"cd".repeat(16),
            b"still in flight",
            Duration::ZERO,
        );
        let spare = plant(dir.path(), &"ef".repeat(16), b"", hour2);
        let stray = plant(dir.path(), "not-a-blob", b"someone else's", hour2);
        let tmp = dir.path().join("blobs/tmp").join("1".repeat(32));
        fs::write(&tmp, b"half written").unwrap();
        fs::File::options()
            .write(true)
            .open(&tmp)
            .unwrap()
            .set_modified(SystemTime::now() - hour2)
            .unwrap();

        assert_eq!(store.remove_orphan_blobs(ORPHAN_MIN_AGE).await.unwrap(), 2);
        assert!(!orphan.exists(), "old file with no record removed");
        assert!(!tmp.exists(), "old unfinished write removed");
        assert!(young.exists(), "a file younger than the threshold is kept");
        assert!(spare.exists(), "an empty file (a spare) is kept");
        assert!(
            stray.exists(),
            "a name that is not a blob id is not touched"
        );
        assert_eq!(store.read_message(&meta).await.unwrap(), big);
        // Nothing left to do the second time.
        assert_eq!(store.remove_orphan_blobs(ORPHAN_MIN_AGE).await.unwrap(), 0);
    }
}
