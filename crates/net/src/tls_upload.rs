//! Certificates given as PEM text (pasted or uploaded in the admin UI) rather than named by
//! path: checked, then kept in the data directory under `tls/uploaded/`, so a listener's
//! `cert=`/`key=` or `tls.cert`/`tls.key` can name them.
//!
//! Invariants:
//! - Nothing is written unless the chain parses, the key parses, the key belongs to the first
//!   certificate (a rustls server configuration builds from them under
//!   [`crate::tls_policy`]), and the certificate has not expired.
//! - Each upload gets new file names, so the acceptor cache (keyed by paths) never serves a
//!   half-replaced pair, and listeners still naming an older upload keep it.
//! - The private key file is mode 0600 and written whole before its name appears.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::NetError;
use crate::certinfo::{CertInfo, describe_chain};

/// A pair kept in the data directory.
#[derive(Debug)]
pub struct Stored {
    pub cert: PathBuf,
    pub key: PathBuf,
    pub info: CertInfo,
}

/// Why an uploaded pair is refused, in words for the person who sent it.
fn refuse(msg: impl Into<String>) -> NetError {
    NetError::Tls(msg.into())
}

/// Check that `cert_pem` (a chain, the server's certificate first) and `key_pem` load and
/// belong together; the facts of the certificate if they do.
pub fn check(cert_pem: &str, key_pem: &str) -> Result<CertInfo, NetError> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert_pem.as_bytes())
        .collect::<Result<_, _>>()
        .map_err(|e| refuse(format!("the certificate is not valid PEM: {e}")))?;
    if chain.is_empty() {
        return Err(refuse(
            "no certificate found: paste the chain as PEM (-----BEGIN CERTIFICATE-----), the server's certificate first",
        ));
    }
    let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).map_err(|e| {
        refuse(format!(
            "no private key found: paste the key as PEM (-----BEGIN PRIVATE KEY-----): {e}"
        ))
    })?;
    let info = describe_chain(&chain)?;
    crate::tls_policy::server_config(chain, key).map_err(|e| match e {
        rustls::Error::InconsistentKeys(_) => {
            refuse("the private key does not belong to the certificate")
        }
        e => refuse(format!("certificate and key cannot be used: {e}")),
    })?;
    if info.not_after <= SystemTime::now() {
        return Err(refuse("the certificate has expired"));
    }
    Ok(info)
}

/// Where uploaded pairs are kept.
pub fn upload_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("tls").join("uploaded")
}

/// Check the pair and keep it in [`upload_dir`] under new names.
pub fn store(data_dir: &Path, cert_pem: &str, key_pem: &str) -> Result<Stored, NetError> {
    let info = check(cert_pem, key_pem)?;
    let dir = upload_dir(data_dir);
    std::fs::create_dir_all(&dir)
        .map_err(|e| NetError::Tls(format!("cannot create {}: {e}", dir.display())))?;
    let stem = format!(
        "{}-{:08x}",
        chrono::Utc::now().format("%Y%m%d%H%M%S"),
        rand::random::<u32>()
    );
    let (cert, key) = (
        dir.join(format!("{stem}.crt")),
        dir.join(format!("{stem}.key")),
    );
    crate::tls::write_private(&key, normalized(key_pem).as_bytes())?;
    crate::tls::write_replacing(&cert, normalized(cert_pem).as_bytes(), false)?;
    Ok(Stored { cert, key, info })
}

/// PEM text with Windows line ends made plain and one final newline.
fn normalized(pem: &str) -> String {
    let mut s = pem.replace("\r\n", "\n").trim().to_owned();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(name: &str) -> (String, String) {
        let made = rcgen::generate_simple_self_signed(vec![name.to_owned()]).expect("cert");
        (made.cert.pem(), made.key_pair.serialize_pem())
    }

    #[test]
    fn a_matching_pair_is_kept_with_a_private_key() {
        let t = tempfile::tempdir().expect("tempdir");
        let (c, k) = pair("mail.example.test");
        let stored = store(t.path(), &c.replace('\n', "\r\n"), &k).expect("stored");
        assert_eq!(stored.info.names, ["mail.example.test"]);
        crate::tls::load_config(&stored.cert, &stored.key).expect("loads");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&stored.key)
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let again = store(t.path(), &c, &k).expect("stored");
        assert_ne!(again.cert, stored.cert);
    }

    #[test]
    fn mismatches_and_garbage_are_refused_with_a_reason() {
        let t = tempfile::tempdir().expect("tempdir");
        let (c, _) = pair("a.test");
        let (_, k) = pair("b.test");
        let err = |c: &str, k: &str| store(t.path(), c, k).expect_err("refused").to_string();
        assert!(err(&c, &k).contains("does not belong"), "{}", err(&c, &k));
        assert!(err("hello", &k).contains("no certificate"));
        assert!(err(&c, "hello").contains("no private key"));
        assert!(!upload_dir(t.path()).exists());
    }
}
