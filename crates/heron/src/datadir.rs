//! Which data directory a command works on, and whether it is one; which store it uses.
//!
//! The directory is chosen, first match wins, from: the `--data` flag, the `HERON_DATA`
//! environment variable, the `data` key of the bootstrap file (`/etc/heron/heron.toml`, or the
//! file `HERON_CONFIG` names), and last `./heron-data`. A relative `data` in the bootstrap file
//! is taken from the file's own directory. The store is the embedded one of the data directory
//! unless a PostgreSQL URL is named by `--store`, `HERON_STORE` or the bootstrap file's `store`
//! key, first match wins.
//!
//! Invariants: only `heron serve` and `heron init` create a data directory; every other command
//! first checks [`require`], so a typo in `--data` or a command run from the wrong directory
//! fails with a message instead of making an empty server beside the real one. A data
//! directory is a directory holding the database file [`DB_FILE`]. A bootstrap file named by
//! `HERON_CONFIG` must exist; the default one may be absent. Unknown keys in it are errors, so
//! a misspelt key is not silently ignored.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Deserialize;

/// The file every data directory holds (made by the store when it is first opened).
pub const DB_FILE: &str = "heron.db";
/// Where the bootstrap file is looked for when `HERON_CONFIG` is not set.
pub const DEFAULT_BOOTSTRAP: &str = "/etc/heron/heron.toml";
/// The environment variable naming another bootstrap file.
pub const CONFIG_ENV: &str = "HERON_CONFIG";
/// The data directory used when nothing names one.
pub const DEFAULT_DATA: &str = "heron-data";

/// The bootstrap file: what a process needs before it can open the store.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Bootstrap {
    /// The data directory.
    data: Option<PathBuf>,
    /// The shared store (`postgres://…`); without it, the data directory's own.
    store: Option<String>,
}

/// The data directory to use: `flag` is `--data` or `HERON_DATA` (clap reads both, the flag
/// first); `config` is the value of `HERON_CONFIG`, if set.
pub fn resolve(flag: Option<PathBuf>, config: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    if let Some(p) = flag {
        return Ok(p);
    }
    let (file, must_exist) = match config {
        Some(f) => (f, true),
        None => (PathBuf::from(DEFAULT_BOOTSTRAP), false),
    };
    if let Some(p) = bootstrap(&file, must_exist)?.data {
        return Ok(match file.parent() {
            Some(dir) if p.is_relative() => dir.join(p),
            _ => p,
        });
    }
    Ok(PathBuf::from(DEFAULT_DATA))
}

/// The shared store's URL, if one is named: `flag` is `--store` or `HERON_STORE` (clap reads
/// both, the flag first), then the bootstrap file's `store`; `config` as for [`resolve`].
pub fn resolve_store(
    flag: Option<String>,
    config: Option<PathBuf>,
) -> anyhow::Result<Option<String>> {
    if flag.is_some() {
        return Ok(flag);
    }
    let (file, must_exist) = match config {
        Some(f) => (f, true),
        None => (PathBuf::from(DEFAULT_BOOTSTRAP), false),
    };
    Ok(bootstrap(&file, must_exist)?.store)
}

/// A bootstrap file's keys; none if it is absent and may be.
fn bootstrap(file: &Path, must_exist: bool) -> anyhow::Result<Bootstrap> {
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !must_exist => {
            return Ok(Bootstrap::default());
        }
        Err(e) => {
            return Err(e).with_context(|| format!("cannot read {}", file.display()));
        }
    };
    toml::from_str(&text).with_context(|| format!("bad bootstrap file {}", file.display()))
}

/// Whether `data` is a Heron data directory.
pub fn is_data_dir(data: &Path) -> bool {
    data.join(DB_FILE).is_file()
}

/// Fail unless `data` is a Heron data directory (for every command but `serve` and `init`).
pub fn require(data: &Path) -> anyhow::Result<()> {
    if is_data_dir(data) {
        return Ok(());
    }
    anyhow::bail!(
        "no Heron data directory at {} (start `heron serve` there first, or pass --data)",
        data.display()
    )
}

/// The file holding this node's lasting id among the nodes sharing a store.
pub const NODE_ID_FILE: &str = "node-id";

/// This node's lasting id: read from [`NODE_ID_FILE`] in the data directory, made (16
/// random hex digits) on first use. A restarted server is the same node, keeping the
/// services stopped on it; a copied data directory must lose the file to be a new node.
pub fn node_id(data: &Path) -> anyhow::Result<String> {
    let path = data.join(NODE_ID_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let id = text.trim();
            anyhow::ensure!(
                !id.is_empty()
                    && id.len() <= 64
                    && id
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
                "{} holds no valid node id (1-64 letters, digits, - or _); delete it to make a new one",
                path.display()
            );
            Ok(id.to_owned())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let id = format!("{:016x}", rand::random::<u64>());
            let tmp = data.join(format!("{NODE_ID_FILE}.tmp"));
            std::fs::write(&tmp, format!("{id}\n"))
                .and_then(|()| std::fs::rename(&tmp, &path))
                .with_context(|| format!("cannot write {}", path.display()))?;
            Ok(id)
        }
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// Fail, naming the path once, unless this process may write in `data` and to its database:
/// a directory owned by another user otherwise surfaces as a database error.
pub fn check_writable(data: &Path) -> anyhow::Result<()> {
    let denied = |path: &Path| {
        anyhow::anyhow!(
            "cannot write to {}: permission denied (run heron as the user that owns the data \
             directory, or give this user write access to it)",
            path.display()
        )
    };
    let probe = data.join(format!(".write-check-{}", std::process::id()));
    match std::fs::File::create(&probe) {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
        }
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => return Err(denied(data)),
        Err(e) => return Err(anyhow::anyhow!("cannot write to {}: {e}", data.display())),
    }
    let db = data.join(DB_FILE);
    match std::fs::OpenOptions::new().append(true).open(&db) {
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => Err(denied(&db)),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flag_wins_over_the_bootstrap_file() {
        let t = tempfile::tempdir().expect("tempdir");
        let f = t.path().join("heron.toml");
        std::fs::write(&f, "data = \"/srv/heron\"\n").expect("write");
        let got = resolve(Some("/x".into()), Some(f)).expect("resolve");
        assert_eq!(got, PathBuf::from("/x"));
    }

    #[test]
    fn the_bootstrap_file_names_the_directory_relative_to_itself() {
        let t = tempfile::tempdir().expect("tempdir");
        let f = t.path().join("heron.toml");
        std::fs::write(&f, "data = \"mail\"\n").expect("write");
        assert_eq!(
            resolve(None, Some(f.clone())).expect("resolve"),
            t.path().join("mail")
        );
        std::fs::write(&f, "data = \"/srv/heron\"\n").expect("write");
        assert_eq!(
            resolve(None, Some(f)).expect("resolve"),
            PathBuf::from("/srv/heron")
        );
    }

    #[test]
    fn a_bootstrap_file_without_data_leaves_the_default() {
        let t = tempfile::tempdir().expect("tempdir");
        let f = t.path().join("heron.toml");
        std::fs::write(&f, "").expect("write");
        assert_eq!(
            resolve(None, Some(f)).expect("resolve"),
            PathBuf::from(DEFAULT_DATA)
        );
    }

    #[test]
    fn a_named_bootstrap_file_must_exist_and_be_valid() {
        let t = tempfile::tempdir().expect("tempdir");
        let missing = t.path().join("missing.toml");
        let e = resolve(None, Some(missing.clone())).expect_err("missing file");
        assert!(format!("{e:#}").contains(&missing.display().to_string()));
        let bad = t.path().join("bad.toml");
        std::fs::write(&bad, "dta = \"/x\"\n").expect("write");
        let e = resolve(None, Some(bad)).expect_err("unknown key");
        assert!(format!("{e:#}").contains("dta"), "{e:#}");
    }

    #[test]
    fn the_store_comes_from_the_flag_then_the_bootstrap_file() {
        let t = tempfile::tempdir().expect("tempdir");
        let f = t.path().join("heron.toml");
        std::fs::write(
            &f,
            "data = \"/srv/heron\"\nstore = \"postgres://db/heron\"\n",
        )
        .expect("write");
        let flag = Some("postgres://other/heron".to_owned());
        assert_eq!(
            resolve_store(flag.clone(), Some(f.clone())).expect("resolve"),
            flag
        );
        assert_eq!(
            resolve_store(None, Some(f)).expect("resolve").as_deref(),
            Some("postgres://db/heron")
        );
        let bare = t.path().join("bare.toml");
        std::fs::write(&bare, "").expect("write");
        assert_eq!(resolve_store(None, Some(bare)).expect("resolve"), None);
    }

    #[test]
    fn only_a_directory_with_the_database_is_a_data_directory() {
        let t = tempfile::tempdir().expect("tempdir");
        assert!(!is_data_dir(t.path()));
        let e = require(&t.path().join("typo")).expect_err("not a data dir");
        assert!(format!("{e}").starts_with("no Heron data directory at "));
        std::fs::write(t.path().join(DB_FILE), b"").expect("write");
        assert!(is_data_dir(t.path()));
        assert!(require(t.path()).is_ok());
    }
}
