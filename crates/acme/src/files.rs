//! Where ACME state lives: `DATA/tls/acme/` on each node, `account.json` (the account key
//! and the directory it belongs to), `cert.pem` (the issued chain) and `key.pem` (its key),
//! and `renew`, present while a renewal asked for by `heron acme renew` is pending.
//!
//! Invariants: files holding a private key are created 0600; the certificate and its key are
//! each replaced by a rename, key first, so a reader sees an old or a new file, never half
//! of one (a reader between the two renames sees a pair that does not match, which the TLS
//! provider refuses and retries).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use instant_acme::AccountCredentials;
use serde::{Deserialize, Serialize};

use crate::AcmeError;

/// The ACME files of a data directory.
#[derive(Clone, Debug)]
pub struct AcmeFiles {
    dir: PathBuf,
}

/// The stored account: the credentials and the directory URL they were made at.
#[derive(Serialize, Deserialize)]
struct StoredAccount {
    directory: String,
    credentials: AccountCredentials,
}

impl AcmeFiles {
    /// The ACME files under `data_dir`.
    pub fn new(data_dir: &Path) -> Self {
        Self {
            dir: data_dir.join("tls").join("acme"),
        }
    }

    /// The certificate chain and key files (they may not exist yet).
    pub fn pair(&self) -> (PathBuf, PathBuf) {
        (self.dir.join("cert.pem"), self.dir.join("key.pem"))
    }

    /// Whether a certificate has been stored.
    pub fn has_certificate(&self) -> bool {
        let (c, k) = self.pair();
        c.exists() && k.exists()
    }

    fn renew_file(&self) -> PathBuf {
        self.dir.join("renew")
    }

    /// Ask the running server to renew now (`heron acme renew`): a marker file it looks for.
    pub fn request_renewal(&self) -> Result<(), AcmeError> {
        self.replace(&self.renew_file(), b"", false)
    }

    /// Whether a renewal was asked for; the request is taken (the marker removed).
    pub fn take_renewal_request(&self) -> bool {
        fs::remove_file(self.renew_file()).is_ok()
    }

    fn account_file(&self) -> PathBuf {
        self.dir.join("account.json")
    }

    /// The stored account credentials for `directory`, if the stored account was made there.
    pub fn account(&self, directory: &str) -> Result<Option<AccountCredentials>, AcmeError> {
        let path = self.account_file();
        let text = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(AcmeError::file(&path, e)),
        };
        let stored: StoredAccount = serde_json::from_str(&text)
            .map_err(|e| AcmeError::Stored(format!("{}: {e}", path.display())))?;
        Ok((stored.directory == directory).then_some(stored.credentials))
    }

    /// Keep `credentials`, made at `directory`, replacing any other account.
    pub fn save_account(
        &self,
        directory: &str,
        credentials: AccountCredentials,
    ) -> Result<(), AcmeError> {
        let stored = StoredAccount {
            directory: directory.to_owned(),
            credentials,
        };
        let text = serde_json::to_vec_pretty(&stored)
            .map_err(|e| AcmeError::Stored(format!("cannot serialize the account: {e}")))?;
        self.replace(&self.account_file(), &text, true)
    }

    /// Keep a newly issued chain and its key, replacing the previous pair.
    pub fn save_certificate(&self, chain_pem: &str, key_pem: &str) -> Result<(), AcmeError> {
        let (cert, key) = self.pair();
        self.replace(&key, key_pem.as_bytes(), true)?;
        self.replace(&cert, chain_pem.as_bytes(), false)
    }

    /// Write `bytes` to a temporary file beside `path` (0600 when `private`), then rename it
    /// over `path`.
    fn replace(&self, path: &Path, bytes: &[u8], private: bool) -> Result<(), AcmeError> {
        fs::create_dir_all(&self.dir).map_err(|e| AcmeError::file(&self.dir, e))?;
        let tmp = path.with_extension("tmp");
        let mut opts = fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(if private { 0o600 } else { 0o644 });
        }
        opts.open(&tmp)
            .and_then(|mut f| {
                f.write_all(bytes)?;
                f.sync_all()
            })
            .map_err(|e| AcmeError::file(&tmp, e))?;
        fs::rename(&tmp, path).map_err(|e| AcmeError::file(path, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certificate_files_replace_each_other_and_the_key_is_private() {
        let t = tempfile::tempdir().expect("tempdir");
        let files = AcmeFiles::new(t.path());
        assert!(!files.has_certificate());
        files.save_certificate("CERT1", "KEY1").expect("saved");
        files.save_certificate("CERT2", "KEY2").expect("saved");
        let (c, k) = files.pair();
        assert_eq!(fs::read_to_string(&c).expect("read"), "CERT2");
        assert_eq!(fs::read_to_string(&k).expect("read"), "KEY2");
        assert!(files.has_certificate());
        assert!(!files.take_renewal_request());
        files.request_renewal().expect("asked");
        assert!(files.take_renewal_request());
        assert!(!files.take_renewal_request());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&k).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn no_stored_account_is_none() {
        let t = tempfile::tempdir().expect("tempdir");
        let files = AcmeFiles::new(t.path());
        assert!(
            files
                .account("https://ca.test/dir")
                .expect("read")
                .is_none()
        );
    }
}
