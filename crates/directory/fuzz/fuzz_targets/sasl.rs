//! Fuzz target: one SASL exchange (PLAIN, LOGIN, CRAM-MD5 or SCRAM-SHA-256) driven by
//! client messages taken from the input, as a session hands them over after base64
//! decoding. It must never panic, ask for a lookup with the name it later reports, end with
//! `Done` and stay done.
//!
//! Input: one octet choosing the mechanism (bits 0-1), whether an initial response is sent
//! (bit 2) and whether the user exists (bit 3); then the client messages separated by 0xFF
//! (never part of UTF-8, which every mechanism here requires).

#![no_main]

use std::sync::OnceLock;

use heron_directory::password::{ScramSecret, StoredCredentials};
use heron_directory::sasl::{Exchange, Mechanism, Outcome, SaslError, Step, UnknownUserKey};
use libfuzzer_sys::fuzz_target;

/// Credentials of an existing user, made without the slow hashes so that every input runs
/// fast even in an unoptimised build: the argon2 hash is left unusable (PLAIN and LOGIN
/// checks fail at once; their parsing is what is fuzzed), SCRAM uses few iterations and the
/// CRAM-MD5 contexts are arbitrary (a response is parsed and compared all the same).
fn credentials() -> &'static StoredCredentials {
    static CREDS: OnceLock<StoredCredentials> = OnceLock::new();
    CREDS.get_or_init(|| StoredCredentials {
        argon2: String::new(),
        scram_sha256: ScramSecret::derive("pencil", b"QSXCR+Q6sek8bf92", 16),
        cram_md5: Some([0x5a; 32]),
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&control, rest)) = data.split_first() else {
        return;
    };
    let mech = Mechanism::ALL[usize::from(control & 3)];
    let exists = control & 8 != 0;
    let mut messages = rest.split(|&b| b == 0xff);
    let initial = if control & 4 != 0 {
        messages.next()
    } else {
        None
    };

    let (mut exchange, mut step) = Exchange::start(mech, "mx.example.org", initial);
    let mut looked_up: Option<String> = None;
    // Each mechanism finishes in a few steps; the bound only guards the loop itself.
    for _ in 0..16 {
        step = match step {
            Step::Challenge(_) => match messages.next() {
                Some(b"*") => {
                    let s = exchange.cancel();
                    assert_eq!(s, Step::Done(Outcome::Failure(SaslError::Cancelled)));
                    s
                }
                Some(m) => exchange.respond(m),
                None => return,
            },
            Step::Lookup(name) => {
                assert!(looked_up.is_none(), "two lookups in one exchange");
                looked_up = Some(name);
                exchange.supply(exists.then(credentials), &UnknownUserKey::new([0x42; UnknownUserKey::LEN]))
            }
            Step::Done(outcome) => {
                assert!(exchange.is_finished());
                if let Outcome::Success { authcid, .. } = &outcome {
                    assert_eq!(Some(authcid), looked_up.as_ref());
                }
                let again = exchange.respond(b"more");
                assert_eq!(
                    again,
                    Step::Done(Outcome::Failure(SaslError::UnexpectedInput))
                );
                return;
            }
        };
    }
    panic!("exchange still running after 16 steps");
});
