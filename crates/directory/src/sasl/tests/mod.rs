//! Tests for the SASL exchanges: RFC known answers, happy paths, and every
//! failure path the state machines have.

use std::sync::OnceLock;

use super::*;

const PASSWORD: &str = "tanstaaftanstaaf";

/// Argon2 is slow in unoptimised builds: derive once for all tests.
fn creds() -> &'static StoredCredentials {
    static CREDS: OnceLock<StoredCredentials> = OnceLock::new();
    CREDS.get_or_init(|| StoredCredentials::derive(PASSWORD).expect("derive"))
}

/// The server key used for unknown users in these tests.
fn key() -> UnknownUserKey {
    UnknownUserKey::new([7; UnknownUserKey::LEN])
}

fn failure(e: SaslError) -> Step {
    Step::Done(Outcome::Failure(e))
}

fn success(user: &str) -> Step {
    Step::Done(Outcome::Success {
        authcid: user.to_owned(),
        server_final: None,
    })
}

fn assert_send_static<T: Send + 'static>() {}

#[test]
fn exchange_can_move_to_a_blocking_thread() {
    assert_send_static::<Exchange>();
}

#[test]
fn mechanism_names() {
    for m in Mechanism::ALL {
        assert_eq!(Mechanism::from_name(m.name()), Some(m));
        assert_eq!(Mechanism::from_name(&m.name().to_lowercase()), Some(m));
    }
    assert_eq!(Mechanism::from_name("cram-md5"), Some(Mechanism::CramMd5));
    assert_eq!(
        Mechanism::from_name("Scram-Sha-256"),
        Some(Mechanism::ScramSha256)
    );
    assert_eq!(Mechanism::from_name("SCRAM-SHA-1"), None);
    assert_eq!(Mechanism::from_name(""), None);
    assert!(Mechanism::Plain.sends_plaintext() && !Mechanism::CramMd5.sends_plaintext());
}

// ---- a password verified elsewhere (the login cache) ----

#[test]
fn plain_and_login_show_the_pending_password_and_accept_a_verified_one() {
    let (mut ex, step) = Exchange::start(Mechanism::Plain, "mx", Some(b"\0tim\0pw1"));
    assert_eq!(step, Step::Lookup("tim".into()));
    assert_eq!(ex.pending_password(), Some("pw1"));
    assert_eq!(ex.accept_verified(), success("tim"));
    assert!(ex.is_finished() && ex.pending_password().is_none());

    let (mut ex, _) = Exchange::start(Mechanism::Login, "mx", Some(b"lee"));
    assert_eq!(ex.pending_password(), None, "no password yet");
    assert_eq!(ex.accept_verified(), failure(SaslError::UnexpectedInput));
    let (mut ex, _) = Exchange::start(Mechanism::Login, "mx", Some(b"lee"));
    assert_eq!(ex.respond(b"pw2"), Step::Lookup("lee".into()));
    assert_eq!(ex.pending_password(), Some("pw2"));
    assert_eq!(ex.accept_verified(), success("lee"));
}

#[test]
fn other_mechanisms_never_accept_a_verified_password() {
    let (mut ex, _) = Exchange::start(Mechanism::ScramSha256, "mx", Some(b"n,,n=tim,r=abc"));
    assert_eq!(ex.pending_password(), None);
    assert_eq!(ex.accept_verified(), failure(SaslError::UnexpectedInput));
    let (mut ex, _) = Exchange::start(Mechanism::CramMd5, "mx", None);
    assert_eq!(ex.pending_password(), None);
    assert_eq!(ex.accept_verified(), failure(SaslError::UnexpectedInput));
}

// ---- PLAIN ----

#[test]
fn plain_without_initial_response() {
    let (mut ex, step) = Exchange::start(Mechanism::Plain, "mx", None);
    assert_eq!(step, Step::Challenge(Vec::new()));
    assert_eq!(
        ex.respond(b"\0tim\0tanstaaftanstaaf"),
        Step::Lookup("tim".into())
    );
    assert_eq!(ex.supply(Some(creds()), &key()), success("tim"));
    assert!(ex.is_finished());
    assert_eq!(ex.respond(b"more"), failure(SaslError::UnexpectedInput));
    assert_eq!(
        ex.supply(Some(creds()), &key()),
        failure(SaslError::UnexpectedInput)
    );
}

#[test]
fn plain_with_initial_response_and_matching_authzid() {
    let (mut ex, step) =
        Exchange::start(Mechanism::Plain, "mx", Some(b"tim\0tim\0tanstaaftanstaaf"));
    assert_eq!(step, Step::Lookup("tim".into()));
    assert_eq!(ex.supply(Some(creds()), &key()), success("tim"));
}

#[test]
fn plain_wrong_password_and_unknown_user() {
    let (mut ex, _) = Exchange::start(Mechanism::Plain, "mx", Some(b"\0tim\0wrong"));
    assert_eq!(
        ex.supply(Some(creds()), &key()),
        failure(SaslError::BadCredentials)
    );
    let (mut ex, _) = Exchange::start(Mechanism::Plain, "mx", Some(b"\0nobody\0x"));
    assert_eq!(ex.supply(None, &key()), failure(SaslError::BadCredentials));
}

#[test]
fn plain_authzid_mismatch() {
    let (_, step) = Exchange::start(Mechanism::Plain, "mx", Some(b"admin\0tim\0pw"));
    assert_eq!(step, failure(SaslError::AuthzNotAllowed));
}

#[test]
fn plain_malformed_messages() {
    let bad: [&[u8]; 8] = [
        b"",
        b"timpassword",
        b"tim\0password",
        b"a\0b\0c\0d",
        b"\0\0password",
        b"\0tim\0",
        b"\0tim\xff\0password",
        b"\0\xc3\0pw",
    ];
    for data in bad {
        let (mut ex, step) = Exchange::start(Mechanism::Plain, "mx", Some(data));
        assert!(
            matches!(step, Step::Done(Outcome::Failure(SaslError::Malformed(_)))),
            "{data:?}"
        );
        assert_eq!(
            ex.respond(b"\0tim\0pw"),
            failure(SaslError::UnexpectedInput)
        );
    }
}

#[test]
fn plain_cancel_and_misordered_calls() {
    let (mut ex, _) = Exchange::start(Mechanism::Plain, "mx", None);
    assert_eq!(ex.cancel(), failure(SaslError::Cancelled));
    assert_eq!(
        ex.respond(b"\0tim\0pw"),
        failure(SaslError::UnexpectedInput)
    );

    let (mut ex, _) = Exchange::start(Mechanism::Plain, "mx", None);
    assert_eq!(
        ex.supply(Some(creds()), &key()),
        failure(SaslError::UnexpectedInput)
    );

    let (mut ex, _) = Exchange::start(Mechanism::Plain, "mx", Some(b"\0tim\0pw"));
    assert_eq!(
        ex.respond(b"\0tim\0pw"),
        failure(SaslError::UnexpectedInput)
    );
}

#[test]
fn oversized_responses_are_refused() {
    let big = vec![b'a'; MAX_RESPONSE_LEN + 1];
    let (_, step) = Exchange::start(Mechanism::Plain, "mx", Some(&big));
    assert_eq!(step, failure(SaslError::Malformed("response too long")));
    let (mut ex, _) = Exchange::start(Mechanism::Login, "mx", None);
    assert_eq!(
        ex.respond(&big),
        failure(SaslError::Malformed("response too long"))
    );
}

// ---- LOGIN ----

#[test]
fn login_happy_path() {
    let (mut ex, step) = Exchange::start(Mechanism::Login, "mx", None);
    assert_eq!(step, Step::Challenge(b"Username:".to_vec()));
    assert_eq!(ex.respond(b"tim"), Step::Challenge(b"Password:".to_vec()));
    assert_eq!(ex.respond(PASSWORD.as_bytes()), Step::Lookup("tim".into()));
    assert_eq!(ex.supply(Some(creds()), &key()), success("tim"));
    assert_eq!(ex.respond(b"x"), failure(SaslError::UnexpectedInput));
}

#[test]
fn login_initial_response_is_the_user_name() {
    let (mut ex, step) = Exchange::start(Mechanism::Login, "mx", Some(b"tim"));
    assert_eq!(step, Step::Challenge(b"Password:".to_vec()));
    assert_eq!(ex.respond(b"wrong"), Step::Lookup("tim".into()));
    assert_eq!(
        ex.supply(Some(creds()), &key()),
        failure(SaslError::BadCredentials)
    );
}

#[test]
fn login_failures() {
    let (mut ex, _) = Exchange::start(Mechanism::Login, "mx", Some(b"nobody"));
    ex.respond(b"pw");
    assert_eq!(ex.supply(None, &key()), failure(SaslError::BadCredentials));

    let (_, step) = Exchange::start(Mechanism::Login, "mx", Some(b""));
    assert_eq!(step, failure(SaslError::Malformed("empty user name")));

    let (mut ex, _) = Exchange::start(Mechanism::Login, "mx", Some(b"tim"));
    assert_eq!(
        ex.respond(b""),
        failure(SaslError::Malformed("empty password"))
    );

    let (mut ex, _) = Exchange::start(Mechanism::Login, "mx", None);
    assert_eq!(
        ex.respond(b"\xfftim"),
        failure(SaslError::Malformed("not UTF-8"))
    );

    let (mut ex, _) = Exchange::start(Mechanism::Login, "mx", None);
    assert_eq!(ex.respond(b"tim"), Step::Challenge(b"Password:".to_vec()));
    assert_eq!(
        ex.supply(Some(creds()), &key()),
        failure(SaslError::UnexpectedInput)
    );

    let (mut ex, _) = Exchange::start(Mechanism::Login, "mx", Some(b"tim"));
    assert_eq!(ex.cancel(), failure(SaslError::Cancelled));
}

// ---- CRAM-MD5 ----

const RFC2195_CHALLENGE: &str = "<1896.697170952@postoffice.reston.mci.net>";

#[test]
fn cram_md5_rfc2195_example() {
    let (mut ex, step) = Exchange::start_cram_md5_with_challenge(RFC2195_CHALLENGE);
    assert_eq!(step, Step::Challenge(RFC2195_CHALLENGE.as_bytes().to_vec()));
    let step = ex.respond(b"tim b913a602c7eda7a495b4e6e7334d3890");
    assert_eq!(step, Step::Lookup("tim".into()));
    assert_eq!(ex.supply(Some(creds()), &key()), success("tim"));
}

#[test]
fn cram_md5_failures() {
    let answer = b"tim b913a602c7eda7a495b4e6e7334d3890";
    let (mut ex, _) = Exchange::start_cram_md5_with_challenge("<1.2@other>");
    ex.respond(answer);
    assert_eq!(
        ex.supply(Some(creds()), &key()),
        failure(SaslError::BadCredentials)
    );

    let (mut ex, _) = Exchange::start_cram_md5_with_challenge(RFC2195_CHALLENGE);
    ex.respond(answer);
    let no_cram = creds().clone().without_cram_md5();
    assert_eq!(
        ex.supply(Some(&no_cram), &key()),
        failure(SaslError::BadCredentials)
    );

    let (mut ex, _) = Exchange::start_cram_md5_with_challenge(RFC2195_CHALLENGE);
    ex.respond(answer);
    assert_eq!(ex.supply(None, &key()), failure(SaslError::BadCredentials));

    let bad: [&[u8]; 5] = [
        b"tim",
        b"tim B913A602C7EDA7A495B4E6E7334D3890",
        b"tim b913a602c7eda7a495b4e6e7334d38",
        b" b913a602c7eda7a495b4e6e7334d3890",
        b"t\xffm b913a602c7eda7a495b4e6e7334d3890",
    ];
    for data in bad {
        let (mut ex, _) = Exchange::start_cram_md5_with_challenge(RFC2195_CHALLENGE);
        assert!(matches!(
            ex.respond(data),
            Step::Done(Outcome::Failure(SaslError::Malformed(_)))
        ));
    }

    let (_, step) = Exchange::start(Mechanism::CramMd5, "mx", Some(b"tim"));
    assert_eq!(step, failure(SaslError::UnexpectedInput));
}

#[test]
fn cram_md5_challenge_format() {
    let (_, step) = Exchange::start(Mechanism::CramMd5, "mail.example.org", None);
    let Step::Challenge(c) = step else {
        panic!("expected challenge")
    };
    let c = String::from_utf8(c).expect("ASCII challenge");
    let inner = c
        .strip_prefix('<')
        .and_then(|c| c.strip_suffix("@mail.example.org>"));
    let (random, time) = inner.and_then(|i| i.split_once('.')).expect("random.time");
    assert!(
        random.parse::<u64>().is_ok() && time.parse::<u64>().is_ok(),
        "{c}"
    );
}

#[test]
fn debug_output_hides_state() {
    let (ex, _) = Exchange::start(Mechanism::Login, "mx", Some(b"tim"));
    let text = format!("{ex:?}");
    assert!(text.contains("Login") && !text.contains("tim"), "{text}");
}

mod scram;
