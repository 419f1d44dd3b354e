//! SCRAM-SHA-256 tests: the RFC 7677 known answer, a client played in the
//! test, the unknown-user disguise, and every parse failure.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;

use super::{PASSWORD, creds, failure, key};
use crate::password::{ScramSecret, StoredCredentials};
use crate::sasl::{Exchange, Mechanism, Outcome, SaslError, Step};

/// RFC 7677 §3 example values.
const R7677_CLIENT_FIRST: &str = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
const R7677_SERVER_NONCE: &str = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
const R7677_SERVER_FIRST: &str =
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
const R7677_CLIENT_FINAL: &str = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
const R7677_SERVER_FINAL: &str = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

fn pencil() -> StoredCredentials {
    let salt = B64.decode("W22ZaJ0SNY7soEsUEjb6gQ==").expect("salt");
    StoredCredentials {
        argon2: String::new(),
        scram_sha256: ScramSecret::derive("pencil", &salt, 4096),
        cram_md5: None,
    }
}

/// Run the RFC 7677 exchange up to the client-final message.
fn rfc7677_until_final(creds: Option<&StoredCredentials>) -> (Exchange, Step) {
    let (mut ex, step) = Exchange::start_scram_with_nonce(R7677_SERVER_NONCE, None);
    assert_eq!(step, Step::Challenge(Vec::new()));
    assert_eq!(
        ex.respond(R7677_CLIENT_FIRST.as_bytes()),
        Step::Lookup("user".into())
    );
    let step = ex.supply(creds, &key());
    (ex, step)
}

#[test]
fn scram_rfc7677_example() {
    let creds = pencil();
    let (mut ex, step) = rfc7677_until_final(Some(&creds));
    assert_eq!(
        step,
        Step::Challenge(R7677_SERVER_FIRST.as_bytes().to_vec())
    );
    assert_eq!(
        ex.respond(R7677_CLIENT_FINAL.as_bytes()),
        Step::Done(Outcome::Success {
            authcid: "user".into(),
            server_final: Some(R7677_SERVER_FINAL.as_bytes().to_vec()),
        })
    );
    assert_eq!(ex.respond(b""), failure(SaslError::UnexpectedInput));
}

#[test]
fn scram_rfc7677_with_initial_response() {
    let creds = pencil();
    let (mut ex, step) =
        Exchange::start_scram_with_nonce(R7677_SERVER_NONCE, Some(R7677_CLIENT_FIRST.as_bytes()));
    assert_eq!(step, Step::Lookup("user".into()));
    assert_eq!(
        ex.supply(Some(&creds), &key()),
        Step::Challenge(R7677_SERVER_FIRST.as_bytes().to_vec())
    );
    assert!(matches!(
        ex.respond(R7677_CLIENT_FINAL.as_bytes()),
        Step::Done(Outcome::Success { .. })
    ));
}

#[test]
fn scram_wrong_proof_fails() {
    let wrong = StoredCredentials {
        scram_sha256: ScramSecret::derive("pencil2", &pencil().scram_sha256.salt, 4096),
        ..pencil()
    };
    let (mut ex, _) = rfc7677_until_final(Some(&wrong));
    assert_eq!(
        ex.respond(R7677_CLIENT_FINAL.as_bytes()),
        failure(SaslError::BadCredentials)
    );
}

#[test]
fn scram_unknown_user_looks_like_a_real_one() {
    let (mut ex, step) = rfc7677_until_final(None);
    let Step::Challenge(first) = step else {
        panic!("expected server-first")
    };
    let first = String::from_utf8(first).expect("ASCII");
    let fields: Vec<&str> = first.split(',').collect();
    assert_eq!(fields.len(), 3, "{first}");
    assert_eq!(
        fields[0],
        "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
    );
    assert_eq!(fields[2], "i=4096");
    let salt = B64
        .decode(fields[1].trim_start_matches("s="))
        .expect("salt");
    assert_eq!(salt.len(), crate::password::SALT_LEN);
    // The same unknown user sees the same salt again.
    let (_, again) = rfc7677_until_final(None);
    assert_eq!(again, Step::Challenge(first.into_bytes()));
    assert_eq!(
        ex.respond(R7677_CLIENT_FINAL.as_bytes()),
        failure(SaslError::BadCredentials)
    );
}

/// The salt an unknown user sees depends on the user name and the server's key.
#[test]
fn scram_unknown_user_salt_follows_name_and_key() {
    let salt = |client_first: &str, key: &crate::sasl::UnknownUserKey| {
        let (mut ex, _) = Exchange::start(Mechanism::ScramSha256, "mx", None);
        let Step::Lookup(_) = ex.respond(client_first.as_bytes()) else {
            panic!("lookup")
        };
        let Step::Challenge(first) = ex.supply(None, key) else {
            panic!("server-first")
        };
        String::from_utf8(first)
            .expect("ASCII")
            .split(',')
            .nth(1)
            .expect("s=")
            .to_owned()
    };
    let other_key = crate::sasl::UnknownUserKey::new([8; crate::sasl::UnknownUserKey::LEN]);
    let ghost = salt("n,,n=ghost,r=abc", &key());
    assert_eq!(ghost, salt("n,,n=ghost,r=other-nonce", &key()));
    assert_ne!(ghost, salt("n,,n=phantom,r=abc", &key()));
    assert_ne!(ghost, salt("n,,n=ghost,r=abc", &other_key));
}

/// Play a full exchange as a client knowing `password`, with a random server nonce.
fn scram_as_client(client_first: &str, password: &str, creds: &StoredCredentials) -> Step {
    let (mut ex, _) = Exchange::start(Mechanism::ScramSha256, "mx", None);
    let Step::Lookup(_) = ex.respond(client_first.as_bytes()) else {
        panic!("lookup")
    };
    let Step::Challenge(server_first) = ex.supply(Some(creds), &key()) else {
        panic!("server-first")
    };
    let server_first = String::from_utf8(server_first).expect("ASCII");
    let nonce = server_first.split(',').next().expect("nonce");
    let (gs2, bare) = client_first.split_at(client_first.find("n=").expect("n="));
    let without_proof = format!("c={},{nonce}", B64.encode(gs2));
    let auth_message = format!("{bare},{server_first},{without_proof}");
    let proof = crate::sasl::scram::client_proof(&creds.scram_sha256, password, &auth_message);
    ex.respond(format!("{without_proof},p={}", B64.encode(proof)).as_bytes())
}

#[test]
fn scram_round_trip_with_random_nonce_and_stored_credentials() {
    let step = scram_as_client("n,,n=tim,r=abcdef", PASSWORD, creds());
    assert!(matches!(step, Step::Done(Outcome::Success { ref authcid, .. }) if authcid == "tim"));
    let step = scram_as_client("y,a=tim,n=tim,r=x", PASSWORD, creds());
    assert!(
        matches!(step, Step::Done(Outcome::Success { .. })),
        "{step:?}"
    );
    let step = scram_as_client("n,,n=tim,r=abcdef", "wrong", creds());
    assert_eq!(step, failure(SaslError::BadCredentials));
}

#[test]
fn scram_decodes_escaped_user_names() {
    let (_, step) = Exchange::start(Mechanism::ScramSha256, "mx", Some(b"n,,n=a=2Cb=3Dc,r=x"));
    assert_eq!(step, Step::Lookup("a,b=c".into()));
    let (_, step) = Exchange::start(
        Mechanism::ScramSha256,
        "mx",
        Some("n,,n=jürgen,r=x".as_bytes()),
    );
    assert_eq!(step, Step::Lookup("jürgen".into()));
    let (_, step) = Exchange::start(Mechanism::ScramSha256, "mx", Some(b"n,a=a=2Cb,n=a=2Cb,r=x"));
    assert_eq!(step, Step::Lookup("a,b".into()));
}

#[test]
fn scram_client_first_failures() {
    let cases: [(&[u8], SaslError); 12] = [
        (
            b"p=tls-unique,,n=user,r=x",
            SaslError::Malformed("channel binding is not supported"),
        ),
        (b"n,a=admin,n=user,r=x", SaslError::AuthzNotAllowed),
        (
            b"n,,m=ext,n=user,r=x",
            SaslError::Malformed("mandatory extension not supported"),
        ),
        (
            b"x,,n=user,r=x",
            SaslError::Malformed("bad gs2 channel-binding flag"),
        ),
        (b"n,,n=user", SaslError::Malformed("missing client nonce")),
        (b"n,,n=user,r=", SaslError::Malformed("bad client nonce")),
        (b"n,,r=x,n=user", SaslError::Malformed("missing user name")),
        (b"n,,n=,r=x", SaslError::Malformed("bad user name")),
        (
            b"n,,n=a=2,r=x",
            SaslError::Malformed("bad escape in user name"),
        ),
        (b"n,,n=a\x01,r=x", SaslError::Malformed("bad user name")),
        (b"n,n=user,r=x", SaslError::Malformed("bad authzid")),
        (b"n,,n=\xff,r=x", SaslError::Malformed("not UTF-8")),
    ];
    for (data, error) in cases {
        let (mut ex, step) = Exchange::start(Mechanism::ScramSha256, "mx", Some(data));
        assert_eq!(step, failure(error), "{}", String::from_utf8_lossy(data));
        assert_eq!(ex.supply(None, &key()), failure(SaslError::UnexpectedInput));
    }
}

#[test]
fn scram_client_final_failures() {
    let nonce = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
    let proof = "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
    let cases: [(String, SaslError); 6] = [
        (
            format!("c=eSws,{nonce},{proof}"),
            SaslError::Malformed("channel binding does not match gs2 header"),
        ),
        (
            format!("c=biws,r=rOprNGfwEbeRWgbNEkqO,{proof}"),
            SaslError::Malformed("nonce mismatch"),
        ),
        (
            format!("c=biws,{nonce}"),
            SaslError::Malformed("missing proof"),
        ),
        (
            format!("c=biws,{nonce},p=AAAA"),
            SaslError::Malformed("bad proof"),
        ),
        (
            format!("{nonce},c=biws,{proof}"),
            SaslError::Malformed("missing channel binding"),
        ),
        (
            format!("c=biws,{proof}"),
            SaslError::Malformed("missing nonce"),
        ),
    ];
    let creds = pencil();
    for (data, error) in cases {
        let (mut ex, _) = rfc7677_until_final(Some(&creds));
        assert_eq!(ex.respond(data.as_bytes()), failure(error), "{data}");
    }
}

#[test]
fn scram_misordered_calls_and_cancel() {
    let (mut ex, _) = Exchange::start(
        Mechanism::ScramSha256,
        "mx",
        Some(R7677_CLIENT_FIRST.as_bytes()),
    );
    assert_eq!(ex.respond(b"again"), failure(SaslError::UnexpectedInput));

    let creds = pencil();
    let (mut ex, _) = rfc7677_until_final(Some(&creds));
    assert_eq!(
        ex.supply(Some(&creds), &key()),
        failure(SaslError::UnexpectedInput)
    );

    let (mut ex, _) = rfc7677_until_final(Some(&creds));
    assert_eq!(ex.cancel(), failure(SaslError::Cancelled));
    assert!(ex.is_finished());
    assert_eq!(
        ex.respond(R7677_CLIENT_FINAL.as_bytes()),
        failure(SaslError::UnexpectedInput)
    );
}
