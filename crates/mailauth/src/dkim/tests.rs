//! Signatures are checked with mail-auth's own verifier, its TXT lookups answered from an
//! in-memory cache holding the records [`DkimKey::txt_value`] produced.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use mail_auth::common::parse::TxtRecordParser;
use mail_auth::common::verify::DomainKey;
use mail_auth::dkim::DkimError as VerifyError;
use mail_auth::hickory_resolver::config::{ResolverConfig, ResolverOpts};
use mail_auth::{
    AuthenticatedMessage, DkimResult, Error, MessageAuthenticator, Parameters, ResolverCache, Txt,
};

use super::*;

const MESSAGE: &str = "From: Alice <alice@example.org>\r\n\
To: bob@remote.example\r\n\
Subject: Quarterly\r\n  figures\r\n\
Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n\
Message-ID: <q1@example.org>\r\n\
X-Unsigned: anything\r\n\
\r\n\
Hello Bob,\r\n\
the figures are attached in spirit.\r\n";

/// TXT answers for the verifier, by record name.
#[derive(Default)]
struct Records(Mutex<HashMap<Box<str>, Txt>>);

impl Records {
    fn publish(&self, key: &DkimKey) {
        let value = key.txt_value().expect("txt value");
        let record = DomainKey::parse(value.as_bytes()).expect("record parses");
        self.0
            .lock()
            .expect("lock")
            .insert(key.record_name().into(), record.into());
    }
}

impl ResolverCache<Box<str>, Txt> for Records {
    fn get<Q>(&self, name: &Q) -> Option<Txt>
    where
        Box<str>: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.0.lock().expect("lock").get(name).cloned()
    }

    fn remove<Q>(&self, name: &Q) -> Option<Txt>
    where
        Box<str>: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.0.lock().expect("lock").remove(name)
    }

    fn insert(&self, key: Box<str>, value: Txt, _valid_until: Instant) {
        self.0.lock().expect("lock").insert(key, value);
    }
}

/// Verify the first DKIM signature of `message` against `records`.
async fn verify(records: &Records, message: &[u8]) -> DkimResult {
    // No name servers: every lookup must be answered from `records`.
    let config = ResolverConfig::from_parts(None, vec![], vec![]);
    let mut opts = ResolverOpts::default();
    opts.timeout = Duration::from_millis(100);
    let authenticator = MessageAuthenticator::new(config, opts).expect("resolver");
    let parsed = AuthenticatedMessage::parse(message).expect("message parses");
    let outputs = authenticator
        .verify_dkim(Parameters::new(&parsed).with_txt_cache(records))
        .await;
    assert_eq!(outputs.len(), 1, "one signature");
    outputs[0].result().clone()
}

fn signed(signature: &str, message: &str) -> Vec<u8> {
    format!("{signature}{message}").into_bytes()
}

/// The tags of a signature header, unfolded.
fn tags(signature: &str) -> HashMap<String, String> {
    let value = signature
        .strip_prefix("DKIM-Signature:")
        .expect("header name");
    value
        .split(';')
        .filter_map(|t| t.split_once('='))
        .map(|(k, v)| {
            let v: String = v.chars().filter(|c| !c.is_whitespace()).collect();
            (k.trim().to_string(), v)
        })
        .collect()
}

/// Sign, verify, then check that a changed body byte or signed header breaks the signature.
async fn round_trip(key: &DkimKey, algorithm_tag: &str) {
    let records = Records::default();
    records.publish(key);
    let signature = key.sign(MESSAGE.as_bytes()).expect("signs");
    assert!(signature.starts_with("DKIM-Signature: "), "{signature}");
    assert!(signature.ends_with(";\r\n"), "{signature:?}");
    assert!(
        signature.lines().skip(1).all(|l| l.starts_with('\t')),
        "folded lines continue with WSP: {signature:?}"
    );
    let t = tags(&signature);
    assert_eq!(t["a"], algorithm_tag);
    assert_eq!(t["c"], "relaxed/relaxed");
    assert_eq!(t["d"], "example.org");
    assert_eq!(t["s"], key.selector);
    let mut signed_names: Vec<&str> = t["h"].split(':').collect();
    signed_names.sort_unstable();
    assert_eq!(
        signed_names,
        ["Date", "From", "Message-ID", "Subject", "To"],
        "present headers only"
    );
    let now = chrono::Utc::now().timestamp();
    let ts: i64 = t["t"].parse().expect("t= is a number");
    assert!((now - ts).abs() < 60, "t={ts} now={now}");

    let good = signed(&signature, MESSAGE);
    assert_eq!(verify(&records, &good).await, DkimResult::Pass);

    let tampered_body = signed(&signature, &MESSAGE.replace("spirit", "spirjt"));
    assert_eq!(
        verify(&records, &tampered_body).await,
        DkimResult::Neutral(Error::Dkim(VerifyError::FailedBodyHashMatch))
    );
    let tampered_header = signed(&signature, &MESSAGE.replace("Quarterly", "Quarterlx"));
    assert!(matches!(
        verify(&records, &tampered_header).await,
        DkimResult::Fail(_)
    ));
    // Relaxed canonicalization tolerates whitespace changes in headers and unsigned headers.
    let rewrapped = MESSAGE
        .replace(
            "Subject: Quarterly\r\n  figures",
            "Subject:  Quarterly figures",
        )
        .replace("X-Unsigned: anything", "X-Unsigned: changed");
    assert_eq!(
        verify(&records, &signed(&signature, &rewrapped)).await,
        DkimResult::Pass
    );
}

#[tokio::test]
async fn ed25519_signatures_verify_and_tampering_breaks_them() {
    let key = DkimKey::generate("example.org", "ed1", Algorithm::Ed25519).expect("generates");
    assert!(key.private_key.starts_with("-----BEGIN PRIVATE KEY-----\n"));
    let txt = key.txt_value().expect("txt");
    assert!(txt.starts_with("v=DKIM1; k=ed25519; p="), "{txt}");
    // RFC 8463 §4.2: 32 bytes are 44 base64 characters.
    assert_eq!(txt.len(), "v=DKIM1; k=ed25519; p=".len() + 44);
    round_trip(&key, "ed25519-sha256").await;
}

#[tokio::test]
async fn rsa_keys_round_trip_through_a_file_and_verify() {
    let key = DkimKey::generate("example.org", "rsa1", Algorithm::Rsa).expect("generates");
    assert_eq!(key.record_name(), "rsa1._domainkey.example.org.");
    let txt = key.txt_value().expect("txt");
    // SubjectPublicKeyInfo of a 2048-bit key: base64 of 294 bytes, "MIIBIjANBgkqhkiG9w0BAQEFAAOC".
    assert!(
        txt.starts_with("v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOC"),
        "{txt}"
    );
    assert_eq!(txt.len(), "v=DKIM1; k=rsa; p=".len() + 392);

    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("rsa1.pem");
    std::fs::write(&path, &key.private_key).expect("write");
    let text = std::fs::read_to_string(&path).expect("read");
    let reread = DkimKey::from_pem("example.org", "rsa1", &text).expect("parses back");
    assert_eq!(reread, key);
    assert_eq!(reread.txt_value().expect("txt"), txt, "same public key");
    round_trip(&reread, "rsa-sha256").await;

    // A signer built once signs many messages, each verifying.
    let signer = reread.signer().expect("signer");
    let records = Records::default();
    records.publish(&key);
    for n in 0..3 {
        let message = MESSAGE.replace("Quarterly", &format!("Quarterly {n}"));
        let signature = signer.sign(message.as_bytes()).expect("signs");
        assert_eq!(
            verify(&records, &signed(&signature, &message)).await,
            DkimResult::Pass
        );
    }
}

#[test]
fn ed25519_keys_parse_back_and_algorithms_are_checked() {
    let key = DkimKey::generate("example.org", "ed1", Algorithm::Ed25519).expect("generates");
    let reread = DkimKey::from_pem("example.org", "ed1", &key.private_key).expect("parses");
    assert_eq!(reread.algorithm, Algorithm::Ed25519);
    assert_eq!(
        reread.txt_value().expect("txt"),
        key.txt_value().expect("txt")
    );
    let wrong = DkimKey {
        algorithm: Algorithm::Rsa,
        ..key
    };
    assert!(matches!(wrong.signer(), Err(DkimError::InvalidKey(_))));
}

#[test]
fn bad_keys_and_messages_are_refused() {
    let not_pem = DkimKey {
        domain: "example.org".into(),
        selector: "s".into(),
        algorithm: Algorithm::Ed25519,
        private_key: "hello".into(),
    };
    assert!(matches!(not_pem.txt_value(), Err(DkimError::InvalidKey(_))));
    assert!(matches!(
        DkimKey::from_pem(
            "example.org",
            "s",
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
        ),
        Err(DkimError::InvalidKey(_))
    ));

    let key = DkimKey::generate("example.org", "ed1", Algorithm::Ed25519).expect("generates");
    let no_from = b"To: bob@remote.example\r\nSubject: hi\r\n\r\nbody\r\n";
    assert!(matches!(key.sign(no_from), Err(DkimError::NoFrom)));
    // A From in the body is not a header.
    let body_from = b"Subject: hi\r\n\r\nFrom: alice@example.org\r\n";
    assert!(matches!(key.sign(body_from), Err(DkimError::NoFrom)));
}

#[test]
fn debug_output_hides_the_private_key() {
    let key = DkimKey::generate("example.org", "ed1", Algorithm::Ed25519).expect("generates");
    let body: String = key.private_key.lines().nth(1).expect("base64 line").into();
    let shown = format!("{key:?} {:?}", key.signer().expect("signer"));
    assert!(!shown.contains(&body), "{shown}");
    assert!(shown.contains("example.org"));
}

#[test]
fn algorithm_names_round_trip() {
    for a in [Algorithm::Rsa, Algorithm::Ed25519] {
        assert_eq!(a.to_string().parse::<Algorithm>().expect("parses"), a);
    }
    assert_eq!(
        " ED25519 ".parse::<Algorithm>().expect("parses"),
        Algorithm::Ed25519
    );
    assert!(matches!(
        "dsa".parse::<Algorithm>(),
        Err(DkimError::UnknownAlgorithm(_))
    ));
}

#[test]
fn present_headers_follow_the_list_order_and_ignore_folds_and_body() {
    let message = b"subject: x\r\n to: not a header\r\nFROM: a@b\r\nX-Other: 1\r\n\r\nCc: body\r\n";
    assert_eq!(present_headers(message), vec!["From", "Subject"]);
}

#[test]
fn signer_is_shareable_between_tasks() {
    fn shareable<T: Send + Sync>() {}
    shareable::<Signer>();
}

#[test]
fn long_txt_values_are_cut_into_255_byte_strings() {
    let rsa = DkimKey::generate("example.org", "rsa2", Algorithm::Rsa).expect("generates");
    let whole = rsa.txt_value().expect("txt");
    let strings = rsa.txt_strings().expect("strings");
    assert_eq!(strings.len(), whole.len().div_ceil(255));
    assert!(strings.iter().all(|s| !s.is_empty() && s.len() <= 255));
    assert_eq!(strings.concat(), whole);
    let ed = DkimKey::generate("example.org", "ed", Algorithm::Ed25519).expect("generates");
    assert_eq!(
        ed.txt_strings().expect("strings"),
        [ed.txt_value().expect("txt")]
    );
}
