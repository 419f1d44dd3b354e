//! Outbound SMTP transactions against a scripted server: plain and pipelined exchanges,
//! per-recipient outcomes, the bytes of the message on the wire, SIZE and DSN parameters,
//! and reuse of one connection for several transactions.

mod fake_smtp;

use std::time::Duration;

use fake_smtp::{connect, options, serve};
use heron_queue::client::{Connection, Envelope, EnvelopeRcpt, Outcome, Reply};

fn envelope(sender: &str, rcpts: &[&str]) -> Envelope {
    Envelope {
        sender: sender.to_owned(),
        recipients: rcpts
            .iter()
            .map(|a| EnvelopeRcpt {
                address: (*a).to_owned(),
                ..EnvelopeRcpt::default()
            })
            .collect(),
        ..Envelope::default()
    }
}

fn reply(code: u16, esc: &str, text: &str) -> Reply {
    Reply {
        code,
        esc: Some(esc.to_owned()),
        text: text.to_owned(),
    }
}

/// The scheduler runs deliveries on spawned tasks: the client's futures must be Send.
fn assert_send<T: Send>(_: &T) {}

const MESSAGE: &[u8] = b"Subject: hi\r\n\r\nbody\r\n";

#[tokio::test]
async fn plain_transaction() {
    let (addr, server) = serve(|mut p| async move {
        p.open(&["8BITMIME", "ENHANCEDSTATUSCODES"]).await;
        p.answer("MAIL FROM:<a@x.test>", "250 2.1.0 ok\r\n").await;
        p.answer("RCPT TO:<b@y.test>", "250 2.1.5 ok\r\n").await;
        p.answer("DATA", "354 go ahead\r\n").await;
        assert_eq!(p.data().await, b"Subject: hi\r\n\r\nbody\r\n.\r\n");
        p.send("250 2.0.0 queued as ABC\r\n").await;
        p.quit().await;
    })
    .await;
    let opts = options();
    let connecting = Connection::connect(addr, "mx.test", &opts);
    assert_send(&connecting);
    let mut conn = connecting.await.expect("connect");
    assert_eq!(conn.greeting_name(), "mx.test");
    assert!(!conn.is_tls());
    let env = envelope("a@x.test", &["b@y.test"]);
    let sending = conn.send(&env, MESSAGE);
    assert_send(&sending);
    let results = sending.await.expect("send");
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].address, "b@y.test");
    assert_eq!(
        results[0].outcome,
        Outcome::Delivered(reply(250, "2.0.0", "queued as ABC"))
    );
    assert_eq!(
        results[0].outcome.reply().to_string(),
        "250 2.0.0 queued as ABC"
    );
    conn.quit().await;
    server.await.expect("server script");
}

#[tokio::test]
async fn pipelining_sends_the_envelope_in_one_go() {
    let (addr, server) = serve(|mut p| async move {
        p.open(&["PIPELINING"]).await;
        // Nothing answered yet: MAIL, both RCPTs and DATA must already be on their way.
        p.expect("MAIL FROM:<>").await;
        p.expect("RCPT TO:<b@y.test>").await;
        p.expect("RCPT TO:<c@y.test>").await;
        p.expect("DATA").await;
        p.send("250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n").await;
        p.data().await;
        p.send("250 done\r\n").await;
        p.quit().await;
    })
    .await;
    let mut conn = connect(addr).await;
    assert!(conn.extensions().pipelining);
    let results = conn
        .send(&envelope("", &["b@y.test", "c@y.test"]), MESSAGE)
        .await
        .expect("send");
    assert!(
        results
            .iter()
            .all(|r| matches!(r.outcome, Outcome::Delivered(_))),
        "{results:?}"
    );
    conn.quit().await;
    server.await.expect("server script");
}

#[tokio::test]
async fn without_pipelining_one_command_at_a_time() {
    let quiet = Duration::from_millis(300);
    let (addr, server) = serve(move |mut p| async move {
        p.open(&[]).await;
        p.expect("MAIL FROM:<a@x.test>").await;
        p.silent_for(quiet).await;
        p.send("250 ok\r\n").await;
        p.expect("RCPT TO:<b@y.test>").await;
        p.silent_for(quiet).await;
        p.send("250 ok\r\n").await;
        p.expect("RCPT TO:<c@y.test>").await;
        p.silent_for(quiet).await;
        p.send("250 ok\r\n").await;
        p.expect("DATA").await;
        p.silent_for(quiet).await;
        p.send("354 go\r\n").await;
        p.data().await;
        p.send("250 done\r\n").await;
        p.quit().await;
    })
    .await;
    let mut conn = connect(addr).await;
    let results = conn
        .send(&envelope("a@x.test", &["b@y.test", "c@y.test"]), MESSAGE)
        .await
        .expect("send");
    assert!(
        results
            .iter()
            .all(|r| matches!(r.outcome, Outcome::Delivered(_))),
        "{results:?}"
    );
    conn.quit().await;
    server.await.expect("server script");
}

#[tokio::test]
async fn mixed_recipient_replies() {
    let (addr, server) = serve(|mut p| async move {
        p.open(&["PIPELINING", "ENHANCEDSTATUSCODES"]).await;
        for want in ["MAIL FROM:<a@x.test>", "RCPT TO:<ok@y.test>", "RCPT TO:<full@y.test>", "RCPT TO:<gone@y.test>", "DATA"] {
            p.expect(want).await;
        }
        p.send("250 2.1.0 ok\r\n250 2.1.5 ok\r\n450 4.2.2 mailbox full\r\n550 5.1.1 no such user\r\n354 go\r\n").await;
        p.data().await;
        p.send("250 2.0.0 accepted\r\n").await;
        p.quit().await;
    })
    .await;
    let mut conn = connect(addr).await;
    let env = envelope("a@x.test", &["ok@y.test", "full@y.test", "gone@y.test"]);
    let results = conn.send(&env, MESSAGE).await.expect("send");
    let outcomes: Vec<_> = results
        .iter()
        .map(|r| (r.address.as_str(), r.outcome.clone()))
        .collect();
    assert_eq!(
        outcomes,
        [
            (
                "ok@y.test",
                Outcome::Delivered(reply(250, "2.0.0", "accepted"))
            ),
            (
                "full@y.test",
                Outcome::Temporary(reply(450, "4.2.2", "mailbox full"))
            ),
            (
                "gone@y.test",
                Outcome::Permanent(reply(550, "5.1.1", "no such user"))
            ),
        ]
    );
    conn.quit().await;
    server.await.expect("server script");
}

#[tokio::test]
async fn data_refused_then_rset_and_reuse() {
    let (addr, server) = serve(|mut p| async move {
        p.open(&["PIPELINING"]).await;
        for want in [
            "MAIL FROM:<a@x.test>",
            "RCPT TO:<b@y.test>",
            "RCPT TO:<c@y.test>",
            "DATA",
        ] {
            p.expect(want).await;
        }
        p.send("250 ok\r\n250 ok\r\n550 5.1.1 unknown\r\n554 5.7.1 not from you\r\n")
            .await;
        p.answer("RSET", "250 2.0.0 reset\r\n").await;
        // The same connection carries the next transaction.
        for want in ["MAIL FROM:<a@x.test>", "RCPT TO:<d@y.test>", "DATA"] {
            p.expect(want).await;
        }
        p.send("250 ok\r\n250 ok\r\n354 go\r\n").await;
        p.data().await;
        p.send("250 fine\r\n").await;
        p.quit().await;
    })
    .await;
    let mut conn = connect(addr).await;
    let results = conn
        .send(&envelope("a@x.test", &["b@y.test", "c@y.test"]), MESSAGE)
        .await
        .expect("send");
    assert_eq!(
        results[0].outcome,
        Outcome::Permanent(reply(554, "5.7.1", "not from you"))
    );
    assert_eq!(
        results[1].outcome,
        Outcome::Permanent(reply(550, "5.1.1", "unknown"))
    );
    assert!(conn.is_usable());
    let results = conn
        .send(&envelope("a@x.test", &["d@y.test"]), MESSAGE)
        .await
        .expect("second send");
    assert!(
        matches!(results[0].outcome, Outcome::Delivered(_)),
        "{results:?}"
    );
    conn.quit().await;
    server.await.expect("server script");
}

#[tokio::test]
async fn mail_refused_applies_to_every_recipient() {
    let (addr, server) = serve(|mut p| async move {
        p.open(&[]).await;
        p.answer("MAIL FROM:<a@x.test>", "451 4.7.1 try later\r\n")
            .await;
        // Nothing else of the transaction is sent; the client resets.
        p.answer("RSET", "250 ok\r\n").await;
        p.quit().await;
    })
    .await;
    let mut conn = connect(addr).await;
    let results = conn
        .send(&envelope("a@x.test", &["b@y.test", "c@y.test"]), MESSAGE)
        .await
        .expect("send");
    for r in &results {
        assert_eq!(
            r.outcome,
            Outcome::Temporary(reply(451, "4.7.1", "try later"))
        );
    }
    conn.quit().await;
    server.await.expect("server script");
}

#[tokio::test]
async fn no_recipient_accepted_means_no_message() {
    let (addr, server) = serve(|mut p| async move {
        p.open(&["PIPELINING"]).await;
        for want in ["MAIL FROM:<a@x.test>", "RCPT TO:<b@y.test>", "DATA"] {
            p.expect(want).await;
        }
        // A lax server says 354 anyway: the client must end it with an empty message.
        p.send("250 ok\r\n550 5.1.1 unknown\r\n354 go\r\n").await;
        assert_eq!(p.data().await, b".\r\n");
        p.send("554 5.5.1 no valid recipients\r\n").await;
        p.answer("RSET", "250 ok\r\n").await;
        p.quit().await;
    })
    .await;
    let mut conn = connect(addr).await;
    let results = conn
        .send(&envelope("a@x.test", &["b@y.test"]), MESSAGE)
        .await
        .expect("send");
    assert_eq!(
        results[0].outcome,
        Outcome::Permanent(reply(550, "5.1.1", "unknown"))
    );
    conn.quit().await;
    server.await.expect("server script");
}

#[tokio::test]
async fn dot_stuffing_and_bare_lf() {
    let (addr, server) = serve(|mut p| async move {
        p.open(&[]).await;
        p.answer("MAIL FROM:<a@x.test>", "250 ok\r\n").await;
        p.answer("RCPT TO:<b@y.test>", "250 ok\r\n").await;
        p.answer("DATA", "354 go\r\n").await;
        let got = p.data().await;
        p.send("250 ok\r\n").await;
        p.quit().await;
        got
    })
    .await;
    let mut conn = connect(addr).await;
    let message = b"Subject: dots\n\n.leading\r\n..two\n.\nbare\rcr\nlast line";
    conn.send(&envelope("a@x.test", &["b@y.test"]), message)
        .await
        .expect("send");
    conn.quit().await;
    let got = server.await.expect("server script");
    assert_eq!(
        String::from_utf8(got).expect("ASCII"),
        "Subject: dots\r\n\r\n..leading\r\n...two\r\n..\r\nbare\r\ncr\r\nlast line\r\n.\r\n"
    );
}

#[tokio::test]
async fn size_limit_and_size_parameter() {
    let (addr, server) = serve(|mut p| async move {
        p.open(&["SIZE 100", "8BITMIME"]).await;
        // The oversized message is refused without a word to the server; the next one
        // announces its size (and its 8-bit body).
        p.answer("MAIL FROM:<a@x.test> SIZE=22 BODY=8BITMIME", "250 ok\r\n")
            .await;
        p.answer("RCPT TO:<b@y.test>", "250 ok\r\n").await;
        p.answer("DATA", "354 go\r\n").await;
        p.data().await;
        p.send("250 ok\r\n").await;
        p.quit().await;
    })
    .await;
    let mut conn = connect(addr).await;
    assert_eq!(conn.extensions().size, Some(100));
    let env = envelope("a@x.test", &["b@y.test", "c@y.test"]);
    let big = vec![b'x'; 500];
    let results = conn.send(&env, &big).await.expect("send");
    assert_eq!(results.len(), 2);
    for r in &results {
        let Outcome::Permanent(reply) = &r.outcome else {
            panic!("{r:?}")
        };
        assert_eq!((reply.code, reply.esc.as_deref()), (552, Some("5.3.4")));
    }
    let small = "Subject: café\r\n\r\nok\r\n".as_bytes();
    assert_eq!(small.len(), 22);
    let results = conn
        .send(&envelope("a@x.test", &["b@y.test"]), small)
        .await
        .expect("send");
    assert!(matches!(results[0].outcome, Outcome::Delivered(_)));
    conn.quit().await;
    server.await.expect("server script");
}

fn dsn_envelope() -> Envelope {
    Envelope {
        sender: "a@x.test".into(),
        recipients: vec![EnvelopeRcpt {
            address: "b@y.test".into(),
            notify: Some("SUCCESS,FAILURE".into()),
            orcpt: Some("rfc822;b@y.test".into()),
        }],
        ret: Some("HDRS".into()),
        envid: Some("env+1".into()),
        requiretls: false,
    }
}

async fn dsn_exchange(extensions: &'static [&'static str], mail: &'static str, rcpt: &'static str) {
    let (addr, server) = serve(move |mut p| async move {
        p.open(extensions).await;
        p.answer(mail, "250 ok\r\n").await;
        p.answer(rcpt, "250 ok\r\n").await;
        p.answer("DATA", "354 go\r\n").await;
        p.data().await;
        p.send("250 ok\r\n").await;
        p.quit().await;
    })
    .await;
    let mut conn = connect(addr).await;
    let results = conn.send(&dsn_envelope(), MESSAGE).await.expect("send");
    assert!(matches!(results[0].outcome, Outcome::Delivered(_)));
    conn.quit().await;
    server.await.expect("server script");
}

#[tokio::test]
async fn dsn_parameters_only_when_offered() {
    dsn_exchange(
        &["DSN"],
        "MAIL FROM:<a@x.test> RET=HDRS ENVID=env+2B1",
        "RCPT TO:<b@y.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;b@y.test",
    )
    .await;
    dsn_exchange(&[], "MAIL FROM:<a@x.test>", "RCPT TO:<b@y.test>").await;
}

#[tokio::test]
async fn two_transactions_on_one_connection() {
    let (addr, server) = serve(|mut p| async move {
        p.open(&["PIPELINING"]).await;
        for n in 1..=2 {
            for want in [
                format!("MAIL FROM:<s{n}@x.test>"),
                format!("RCPT TO:<r{n}@y.test>"),
                "DATA".into(),
            ] {
                p.expect(&want).await;
            }
            p.send("250 ok\r\n250 ok\r\n354 go\r\n").await;
            assert_eq!(p.data().await, format!("message {n}\r\n.\r\n").as_bytes());
            p.send(&format!("250 queued {n}\r\n")).await;
        }
        p.quit().await;
    })
    .await;
    let mut conn = connect(addr).await;
    for n in 1..=2 {
        let env = envelope(&format!("s{n}@x.test"), &[&format!("r{n}@y.test")]);
        let results = conn
            .send(&env, format!("message {n}\r\n").as_bytes())
            .await
            .expect("send");
        assert_eq!(results[0].outcome.reply().text, format!("queued {n}"));
    }
    conn.quit().await;
    server.await.expect("server script");
}
