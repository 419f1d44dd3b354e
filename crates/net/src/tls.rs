//! TLS for listeners (BIND-2, SEC-8): PEM certificate files, and a self-signed certificate
//! made on first start so STARTTLS works out of the box. It names the server: subject CN the
//! host name, alternative names every host name and address of this machine known at start
//! (and `localhost`), so a client that checks names only has to trust it.
//!
//! Acceptors are cached per (certificate, key) pair and rebuilt when the configured pair
//! changes, so a replaced certificate takes effect for new connections without a restart. A
//! configured pair that does not load never replaces the one in use: the error is logged and
//! TLS goes on with the previous pair. A cached acceptor whose files were replaced in place
//! (a renewal written over them) is rebuilt for the next connection.
//!
//! The self-signed certificate is valid for [`SELF_SIGNED_DAYS`] days (what clients accept of
//! a publicly trusted one) and is made again once it is within [`RENEW_BEFORE_DAYS`] of its end,
//! or when it was made for a longer time by an older version ([`ensure_self_signed`], called at
//! start and daily while serving). What the listeners offer is [`crate::tls_policy`].

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use heron_settings::{Settings, defs};
use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;

use crate::NetError;

/// Where the self-signed certificate lives inside the data directory.
pub fn self_signed_paths(data_dir: &Path) -> (PathBuf, PathBuf) {
    let dir = data_dir.join("tls");
    (dir.join("self-signed.crt"), dir.join("self-signed.key"))
}

/// The subject a certificate made by rcgen's defaults carries (older Heron versions): such a
/// self-signed certificate is made again with this machine's names.
const RCGEN_DEFAULT_SUBJECT: &[u8] = b"rcgen self signed cert";

/// Days the self-signed certificate is valid for, counted from the day before it is made:
/// within the 398 days browsers and scanners accept.
pub const SELF_SIGNED_DAYS: i64 = 397;

/// The self-signed certificate is made again once it has fewer days than this left.
pub const RENEW_BEFORE_DAYS: u64 = 30;

/// The longest validity a certificate kept as the self-signed one may have (398 days).
const MAX_VALIDITY: std::time::Duration = std::time::Duration::from_secs(398 * 86_400);

/// Make the self-signed certificate unless a current one exists: one is made again when it
/// is missing, has fewer than [`RENEW_BEFORE_DAYS`] left, was made for longer than 398 days,
/// or carries rcgen's default subject (older versions). Its subject CN is `hostname`; its
/// subject alternative names are `hostname`, `names` (host names from the settings), this
/// machine's host name, `localhost`, and every address of this machine.
pub fn ensure_self_signed(
    data_dir: &Path,
    hostname: &str,
    names: &[String],
) -> Result<(PathBuf, PathBuf), NetError> {
    let (cert, key) = self_signed_paths(data_dir);
    if cert.exists() && key.exists() && !made_by_rcgen_defaults(&cert) && still_good(&cert) {
        return Ok((cert, key));
    }
    let mut dns = vec![hostname.to_owned()];
    dns.extend(names.iter().cloned());
    dns.push(crate::system_hostname());
    dns.push("localhost".to_owned());
    let made = self_signed(hostname, &dns, &crate::host_addresses())?;
    let dir = cert.parent().unwrap_or(data_dir);
    fs::create_dir_all(dir)
        .map_err(|e| NetError::Tls(format!("cannot create {}: {e}", dir.display())))?;
    // Each file is replaced whole (written beside, then renamed), so a reader sees the old
    // or the new one, never a part.
    write_private(&key, made.1.as_bytes())?;
    write_replacing(&cert, made.0.as_bytes(), false)?;
    tracing::info!(target: "events", "made a self-signed certificate for {hostname} in {}", cert.display());
    Ok((cert, key))
}

/// Whether the self-signed certificate `cert` may be kept: it reads, was made for at most 398
/// days, and has at least [`RENEW_BEFORE_DAYS`] left.
fn still_good(cert: &Path) -> bool {
    let Ok((from, until)) = validity(cert) else {
        return false;
    };
    let span_ok = until
        .duration_since(from)
        .is_ok_and(|span| span <= MAX_VALIDITY);
    let left_ok = until
        .duration_since(SystemTime::now())
        .is_ok_and(|left| left.as_secs() >= RENEW_BEFORE_DAYS * 86_400);
    span_ok && left_ok
}

/// Whether `cert` is a certificate with rcgen's default subject (made by an older version).
fn made_by_rcgen_defaults(cert: &Path) -> bool {
    CertificateDer::from_pem_file(cert).is_ok_and(|der| {
        der.windows(RCGEN_DEFAULT_SUBJECT.len())
            .any(|w| w == RCGEN_DEFAULT_SUBJECT)
    })
}

/// A self-signed certificate (PEM) and its key (PEM): subject CN `common_name`, alternative
/// names the valid, distinct `dns` names (any case) and the distinct `ips`.
fn self_signed(
    common_name: &str,
    dns: &[String],
    ips: &[std::net::IpAddr],
) -> Result<(String, String), NetError> {
    use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair, SanType};
    let fail =
        |e: rcgen::Error| NetError::Tls(format!("cannot make a self-signed certificate: {e}"));
    let mut params = CertificateParams::new(Vec::<String>::new()).map_err(fail)?;
    let mut subject = DistinguishedName::new();
    subject.push(DnType::CommonName, common_name);
    params.distinguished_name = subject;
    let mut seen = std::collections::HashSet::new();
    for name in dns {
        let lower = name.trim_end_matches('.').to_ascii_lowercase();
        if lower.is_empty()
            || lower.parse::<std::net::IpAddr>().is_ok()
            || !seen.insert(lower.clone())
        {
            continue;
        }
        if let Ok(n) = lower.try_into() {
            params.subject_alt_names.push(SanType::DnsName(n));
        }
    }
    let mut seen_ips = std::collections::HashSet::new();
    for ip in ips.iter().filter(|ip| seen_ips.insert(**ip)) {
        params.subject_alt_names.push(SanType::IpAddress(*ip));
    }
    let ((y0, m0, d0), (y1, m1, d1)) = validity_days(chrono::Utc::now().date_naive());
    params.not_before = rcgen::date_time_ymd(y0, m0, d0);
    params.not_after = rcgen::date_time_ymd(y1, m1, d1);
    let key = KeyPair::generate().map_err(fail)?;
    let cert = params.self_signed(&key).map_err(fail)?;
    Ok((cert.pem(), key.serialize_pem()))
}

/// The validity of a self-signed certificate made on `today`: from the day before (clocks
/// that lag a little accept it) for [`SELF_SIGNED_DAYS`] days.
type Ymd = (i32, u8, u8);
fn validity_days(today: chrono::NaiveDate) -> (Ymd, Ymd) {
    use chrono::Datelike;
    // Months and days are at most 12 and 31.
    let day = |d: chrono::NaiveDate| (d.year(), d.month() as u8, d.day() as u8);
    let from = today - chrono::Days::new(1);
    (
        day(from),
        day(from + chrono::Days::new(SELF_SIGNED_DAYS as u64)),
    )
}

/// Write a private key readable by its owner only, replacing any file at `path` whole.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<(), NetError> {
    write_replacing(path, bytes, true)
}

/// Write `bytes` beside `path` and rename it over `path`; `private`: mode 0600.
pub(crate) fn write_replacing(path: &Path, bytes: &[u8], private: bool) -> Result<(), NetError> {
    use std::io::Write;
    let fail = |e: std::io::Error| NetError::Tls(format!("cannot write {}: {e}", path.display()));
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".new");
    let tmp = PathBuf::from(tmp);
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(if private { 0o600 } else { 0o644 });
    }
    let _ = fs::remove_file(&tmp);
    opts.open(&tmp)
        .and_then(|mut f| f.write_all(bytes).and_then(|()| f.sync_all()))
        .map_err(fail)?;
    fs::rename(&tmp, path).map_err(fail)
}

/// The certificates of a PEM file, or why there are none.
fn read_certs(cert: &Path) -> Result<Vec<CertificateDer<'static>>, NetError> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| NetError::Tls(format!("cannot read certificate {}: {e}", cert.display())))?
        .collect::<Result<_, _>>()
        .map_err(|e| NetError::Tls(format!("bad certificate {}: {e}", cert.display())))?;
    if certs.is_empty() {
        return Err(NetError::Tls(format!(
            "{} holds no certificate",
            cert.display()
        )));
    }
    Ok(certs)
}

/// The private key of a PEM file, or why there is none.
fn read_key(key: &Path) -> Result<PrivateKeyDer<'static>, NetError> {
    PrivateKeyDer::from_pem_file(key)
        .map_err(|e| NetError::Tls(format!("cannot read private key {}: {e}", key.display())))
}

/// Build a rustls server configuration from PEM files, under [`crate::tls_policy`].
pub fn load_config(cert: &Path, key: &Path) -> Result<Arc<ServerConfig>, NetError> {
    let certs = read_certs(cert)?;
    let key_der = read_key(key)?;
    let cfg = crate::tls_policy::server_config(certs, key_der).map_err(|e| match e {
        rustls::Error::InconsistentKeys(_) => NetError::Tls(format!(
            "the private key {} does not belong to the certificate {}",
            key.display(),
            cert.display()
        )),
        e => NetError::Tls(format!("certificate and key do not go together: {e}")),
    })?;
    Ok(Arc::new(cfg))
}

/// Check a new value of `tls.cert` or `tls.key` before it is stored, where it is entered:
/// the file must hold a certificate chain, or a private key (an empty value, the self-signed
/// pair, is always accepted); other keys are not looked at. A pair that does not match is
/// no error, since the two halves are set one after the other; the answer is then a warning
/// to show, and the server keeps its previous pair until they match.
pub fn check_setting(
    settings: &Settings,
    key: &str,
    value: &str,
) -> Result<Option<String>, NetError> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    let (cert, key_file) = if key == defs::TLS_CERT.name {
        read_certs(Path::new(value))?;
        (value.to_owned(), settings.get(defs::TLS_KEY))
    } else if key == defs::TLS_KEY.name {
        read_key(Path::new(value))?;
        (settings.get(defs::TLS_CERT), value.to_owned())
    } else {
        return Ok(None);
    };
    if cert.is_empty() || key_file.is_empty() {
        let missing = if cert.is_empty() {
            "tls.cert"
        } else {
            "tls.key"
        };
        return Ok(Some(format!(
            "{missing} is not set yet; the server keeps its current certificate until both are"
        )));
    }
    Ok(load_config(Path::new(&cert), Path::new(&key_file))
        .err()
        .map(|e| format!("{e}; the server keeps its current certificate until they match")))
}

/// A certificate pair as it was when it was last loaded.
#[derive(PartialEq, Eq)]
struct Tried {
    pair: (PathBuf, PathBuf),
    modified: (Option<SystemTime>, Option<SystemTime>),
}

/// Acceptors by certificate pair, with a default pair.
pub struct TlsProvider {
    /// The pair in use when a listener names none: the self-signed one, or the last
    /// configured pair that loaded.
    default: Mutex<(PathBuf, PathBuf)>,
    /// The self-signed pair, used again when the settings name none.
    self_signed: (PathBuf, PathBuf),
    /// The configured pair last tried, with its files' modification times, so a pair that
    /// fails is reported once, not at every look, and files replaced in place (a renewal)
    /// are read again.
    tried: Mutex<Option<Tried>>,
    cache: Mutex<HashMap<(PathBuf, PathBuf), Cached>>,
    /// The default certificate's file and the end of its validity, read when it was loaded.
    expiry: Mutex<Option<(PathBuf, SystemTime)>>,
    /// Whether the default certificate was issued by someone else than its subject (so
    /// clients can trust it, and HSTS may be promised); false for the self-signed one.
    default_issued: std::sync::atomic::AtomicBool,
}

/// A cached acceptor and its files' modification times when it was built.
struct Cached {
    acceptor: TlsAcceptor,
    modified: (Option<SystemTime>, Option<SystemTime>),
}

/// The modification times of a pair's files (`None` for one that cannot be read).
fn pair_modified(pair: &(PathBuf, PathBuf)) -> (Option<SystemTime>, Option<SystemTime>) {
    let modified = |p: &Path| fs::metadata(p).and_then(|m| m.modified()).ok();
    (modified(&pair.0), modified(&pair.1))
}

/// The end of validity of the first certificate in a PEM file.
pub fn not_after(cert: &Path) -> Result<SystemTime, NetError> {
    validity(cert).map(|(_, until)| until)
}

/// The start and end of validity of the first certificate in a PEM file.
pub fn validity(cert: &Path) -> Result<(SystemTime, SystemTime), NetError> {
    use x509_cert::der::Decode;
    let first = read_certs(cert)?.remove(0);
    let parsed = x509_cert::Certificate::from_der(first.as_ref())
        .map_err(|e| NetError::Tls(format!("cannot parse certificate {}: {e}", cert.display())))?;
    let v = &parsed.tbs_certificate.validity;
    Ok((
        SystemTime::UNIX_EPOCH + v.not_before.to_unix_duration(),
        SystemTime::UNIX_EPOCH + v.not_after.to_unix_duration(),
    ))
}

impl TlsProvider {
    /// A provider whose default certificate is the self-signed pair `self_signed`.
    pub fn new(self_signed: (PathBuf, PathBuf)) -> Self {
        Self {
            default: Mutex::new(self_signed.clone()),
            self_signed,
            tried: Mutex::new(None),
            cache: Mutex::new(HashMap::new()),
            expiry: Mutex::new(None),
            default_issued: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// The pair used when a listener names none, now.
    pub fn default_pair(&self) -> Option<(PathBuf, PathBuf)> {
        self.default.lock().ok().map(|d| d.clone())
    }

    /// The self-signed pair.
    pub fn self_signed_pair(&self) -> &(PathBuf, PathBuf) {
        &self.self_signed
    }

    /// Whether the default certificate is one clients can trust: configured (not the
    /// self-signed pair) and issued by someone other than its subject.
    pub fn default_is_issued(&self) -> bool {
        self.default_issued
            .load(std::sync::atomic::Ordering::Acquire)
    }

    /// The default certificate's file and when it stops being valid, once it has loaded.
    pub fn expiry(&self) -> Option<(PathBuf, SystemTime)> {
        self.expiry.lock().ok().and_then(|e| e.clone())
    }

    /// Make `configured` (the `tls.cert`/`tls.key` pair; `None`: the self-signed one) the
    /// default once it loads; cached acceptors are forgotten (files may have changed). A pair
    /// that does not load leaves the previous one in use, and the error says why; it is
    /// returned only the first time that pair is tried. Nothing is done while the pair and
    /// its files' modification times are those of the last call.
    pub fn configure(&self, configured: Option<(PathBuf, PathBuf)>) -> Result<(), NetError> {
        let wanted = configured.unwrap_or_else(|| self.self_signed.clone());
        let now = Tried {
            modified: pair_modified(&wanted),
            pair: wanted.clone(),
        };
        {
            let Ok(mut tried) = self.tried.lock() else {
                return Err(NetError::Tls("lock poisoned".into()));
            };
            if tried.as_ref() == Some(&now) {
                return Ok(());
            }
            *tried = Some(now);
        }
        let modified = pair_modified(&wanted);
        let acceptor = TlsAcceptor::from(load_config(&wanted.0, &wanted.1)?);
        if let Ok(mut e) = self.expiry.lock() {
            *e = not_after(&wanted.0).ok().map(|t| (wanted.0.clone(), t));
        }
        let issued = wanted != self.self_signed
            && crate::certinfo::describe(&wanted.0).is_ok_and(|i| !i.self_issued);
        self.default_issued
            .store(issued, std::sync::atomic::Ordering::Release);
        if let Ok(mut d) = self.default.lock() {
            *d = wanted.clone();
        }
        if let Ok(mut c) = self.cache.lock() {
            c.clear();
            c.insert(wanted, Cached { acceptor, modified });
        }
        Ok(())
    }

    /// The acceptor for a listener's own pair, or the default.
    pub fn acceptor(&self, pair: Option<&(String, String)>) -> Result<TlsAcceptor, NetError> {
        let key = match pair {
            Some((c, k)) => (PathBuf::from(c), PathBuf::from(k)),
            None => self
                .default
                .lock()
                .map(|d| d.clone())
                .map_err(|_| NetError::Tls("lock poisoned".into()))?,
        };
        let modified = pair_modified(&key);
        let cached = self.cache.lock().ok().and_then(|c| {
            c.get(&key)
                .map(|e| (e.acceptor.clone(), e.modified == modified))
        });
        match cached {
            Some((a, true)) => return Ok(a),
            // Replaced in place: used again once it loads; until then the one in use stays.
            Some((a, false)) => match load_config(&key.0, &key.1) {
                Ok(cfg) => {
                    let acceptor = TlsAcceptor::from(cfg);
                    self.remember(key, acceptor.clone(), modified);
                    return Ok(acceptor);
                }
                Err(e) => {
                    tracing::error!(target: "events", "{e}; TLS goes on with the previous certificate");
                    self.remember(key, a.clone(), modified);
                    return Ok(a);
                }
            },
            None => {}
        }
        let acceptor = TlsAcceptor::from(load_config(&key.0, &key.1)?);
        self.remember(key, acceptor.clone(), modified);
        Ok(acceptor)
    }

    fn remember(
        &self,
        pair: (PathBuf, PathBuf),
        acceptor: TlsAcceptor,
        modified: (Option<SystemTime>, Option<SystemTime>),
    ) {
        if let Ok(mut c) = self.cache.lock() {
            c.insert(pair, Cached { acceptor, modified });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn der_of(pem: &str) -> Vec<u8> {
        CertificateDer::from_pem_slice(pem.as_bytes())
            .expect("pem")
            .to_vec()
    }

    fn contains(hay: &[u8], needle: &[u8]) -> bool {
        hay.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn names_the_host_and_its_addresses_once_each() {
        let names = [
            "mx.example.test",
            "MX.example.test.",
            "other.test",
            "",
            "10.0.0.1",
        ]
        .map(String::from);
        let ips = [
            "192.0.2.7".parse().expect("ip"),
            "192.0.2.7".parse().expect("ip"),
        ];
        let (pem, key) = self_signed("mx.example.test", &names, &ips).expect("made");
        assert!(key.contains("PRIVATE KEY"));
        let der = der_of(&pem);
        assert!(contains(&der, b"mx.example.test"));
        assert!(contains(&der, b"other.test"));
        assert!(!contains(&der, RCGEN_DEFAULT_SUBJECT));
        // Issuer CN, subject CN (self-signed: the same) and one DNS name; the upper-case and
        // dotted spellings are not added again.
        assert_eq!(
            der.windows(15).filter(|w| *w == b"mx.example.test").count(),
            3
        );
        assert_eq!(der.windows(4).filter(|w| *w == [192, 0, 2, 7]).count(), 1);
    }

    #[test]
    fn a_certificate_of_older_versions_is_made_again() {
        let t = tempfile::tempdir().expect("tempdir");
        let (cert, key) = self_signed_paths(t.path());
        fs::create_dir_all(cert.parent().expect("dir")).expect("mkdir");
        let old = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("old");
        fs::write(&cert, old.cert.pem()).expect("write");
        fs::write(&key, old.key_pair.serialize_pem()).expect("write");
        assert!(made_by_rcgen_defaults(&cert));
        ensure_self_signed(t.path(), "mx.example.test", &[]).expect("made again");
        assert!(!made_by_rcgen_defaults(&cert));
        let now = fs::read(&cert).expect("read");
        ensure_self_signed(t.path(), "other.example.test", &[]).expect("kept");
        assert_eq!(fs::read(&cert).expect("read"), now);
    }
}

#[cfg(test)]
mod renewal_tests {
    use super::*;

    fn days(d: std::time::Duration) -> u64 {
        d.as_secs() / 86_400
    }

    #[test]
    fn the_self_signed_certificate_is_valid_for_at_most_398_days() {
        let t = tempfile::tempdir().expect("tempdir");
        let (cert, _) = ensure_self_signed(t.path(), "mx.example.test", &[]).expect("made");
        let (from, until) = validity(&cert).expect("validity");
        let span = until.duration_since(from).expect("ordered");
        assert!(days(span) <= 398 && days(span) >= 390, "{span:?}");
        assert!(from <= SystemTime::now());
    }

    #[test]
    fn a_long_lived_or_nearly_expired_certificate_is_made_again() {
        let t = tempfile::tempdir().expect("tempdir");
        let (cert, key) = self_signed_paths(t.path());
        fs::create_dir_all(cert.parent().expect("dir")).expect("mkdir");
        let write = |from: (i32, u8, u8), until: (i32, u8, u8)| {
            let mut p = rcgen::CertificateParams::new(vec!["x.test".to_owned()]).expect("p");
            let mut dn = rcgen::DistinguishedName::new();
            dn.push(rcgen::DnType::CommonName, "x.test");
            p.distinguished_name = dn;
            p.not_before = rcgen::date_time_ymd(from.0, from.1, from.2);
            p.not_after = rcgen::date_time_ymd(until.0, until.1, until.2);
            let k = rcgen::KeyPair::generate().expect("key");
            fs::write(&cert, p.self_signed(&k).expect("cert").pem()).expect("write");
            fs::write(&key, k.serialize_pem()).expect("write");
        };
        // Valid for decades, as rcgen's defaults made it.
        write((2020, 1, 1), (4000, 1, 1));
        assert!(!still_good(&cert));
        ensure_self_signed(t.path(), "mx.example.test", &[]).expect("made again");
        assert!(still_good(&cert));
        // Ends within the renewal window.
        let soon = chrono::Utc::now().date_naive() + chrono::Days::new(10);
        let ago = soon - chrono::Days::new(300);
        use chrono::Datelike;
        let ymd = |d: chrono::NaiveDate| (d.year(), d.month() as u8, d.day() as u8);
        write(ymd(ago), ymd(soon));
        assert!(!still_good(&cert));
        ensure_self_signed(t.path(), "mx.example.test", &[]).expect("renewed");
        let left = not_after(&cert)
            .expect("end")
            .duration_since(SystemTime::now())
            .expect("future");
        assert!(days(left) > 300);
    }

    #[test]
    fn a_pair_replaced_in_place_is_served_to_new_connections() {
        let t = tempfile::tempdir().expect("tempdir");
        let (cert, key) = ensure_self_signed(t.path(), "one.test", &[]).expect("made");
        let provider = TlsProvider::new((cert.clone(), key.clone()));
        provider.configure(None).expect("configured");
        let pair = (cert.display().to_string(), key.display().to_string());
        let first = provider.acceptor(Some(&pair)).expect("acceptor");
        let again = provider.acceptor(Some(&pair)).expect("acceptor");
        assert!(Arc::ptr_eq(first.config(), again.config()));
        // Remade (a renewal): the files' times change, the next acceptor is new.
        std::thread::sleep(std::time::Duration::from_millis(20));
        fs::remove_file(&cert).expect("rm");
        ensure_self_signed(t.path(), "two.test", &[]).expect("remade");
        let renewed = provider.acceptor(Some(&pair)).expect("acceptor");
        assert!(!Arc::ptr_eq(first.config(), renewed.config()));
        assert!(!provider.default_is_issued());
    }
}
