//! Outbound SMTP sessions against a scripted server: STARTTLS with EHLO again, AUTH PLAIN
//! and LOGIN, refusals, HELO fallback, timeouts, hostile replies and the outbound address.

mod fake_smtp;

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use fake_smtp::{Peer, acceptor, connect_err, ehlo_reply, options, serve};
use heron_queue::client::{
    ClientError, Connection, Credentials, Envelope, EnvelopeRcpt, Outcome, StartTls,
};

fn envelope() -> Envelope {
    Envelope {
        sender: "a@x.test".into(),
        recipients: vec![EnvelopeRcpt {
            address: "b@y.test".into(),
            ..EnvelopeRcpt::default()
        }],
        ..Envelope::default()
    }
}

#[tokio::test]
async fn starttls_then_ehlo_again() {
    let (addr, server) = serve(|mut p| async move {
        p.open(&["PIPELINING", "STARTTLS"]).await;
        p.answer("STARTTLS", "220 2.0.0 ready for TLS\r\n").await;
        let tls = acceptor()
            .accept(p.into_inner())
            .await
            .expect("TLS handshake");
        let mut p = Peer::new(tls);
        // RFC 3207 §4.2: the client starts over with EHLO; we now offer AUTH, not STARTTLS.
        p.answer(
            "EHLO client.test",
            &ehlo_reply(&["PIPELINING", "AUTH PLAIN"]),
        )
        .await;
        p.expect("AUTH PLAIN AGFsaWNlAHMzY3JldA==").await;
        p.send("235 2.7.0 ok\r\n").await;
        for want in ["MAIL FROM:<a@x.test>", "RCPT TO:<b@y.test>", "DATA"] {
            p.expect(want).await;
        }
        p.send("250 ok\r\n250 ok\r\n354 go\r\n").await;
        p.data().await;
        p.send("250 over TLS\r\n").await;
        p.quit().await;
    })
    .await;
    let opts = heron_queue::client::ClientOptions {
        starttls: StartTls::Opportunistic,
        auth: Some(Credentials {
            user: "alice".into(),
            password: "s3cret".into(),
        }),
        ..options()
    };
    let mut conn = Connection::connect(addr, "mx.test", &opts)
        .await
        .expect("connect");
    assert!(conn.is_tls());
    assert!(
        !conn.extensions().starttls,
        "extensions must come from the EHLO after TLS"
    );
    assert!(conn.extensions().has_auth("PLAIN"));
    let results = conn.send(&envelope(), b"hi\r\n").await.expect("send");
    assert_eq!(results[0].outcome.reply().text, "over TLS");
    conn.quit().await;
    server.await.expect("server script");
}

#[tokio::test]
async fn starttls_required_but_not_offered() {
    let (addr, server) = serve(|mut p| async move {
        p.open(&["PIPELINING"]).await;
    })
    .await;
    let opts = heron_queue::client::ClientOptions {
        starttls: StartTls::Required,
        ..options()
    };
    let err = Connection::connect(addr, "mx.test", &opts)
        .await
        .err()
        .expect("must fail");
    assert!(matches!(err, ClientError::NoStartTls(_)), "{err:?}");
    assert!(!err.is_permanent());
    server.await.expect("server script");
}

#[tokio::test]
async fn opportunistic_starttls_refused_goes_on_in_the_clear() {
    let (addr, server) = serve(|mut p| async move {
        p.open(&["STARTTLS"]).await;
        p.answer("STARTTLS", "454 4.7.0 TLS not available\r\n")
            .await;
        p.quit().await;
    })
    .await;
    let opts = heron_queue::client::ClientOptions {
        starttls: StartTls::Opportunistic,
        ..options()
    };
    let conn = Connection::connect(addr, "mx.test", &opts)
        .await
        .expect("connect");
    assert!(!conn.is_tls());
    conn.quit().await;
    server.await.expect("server script");
}

#[tokio::test]
async fn auth_login_when_plain_is_not_offered() {
    let (addr, server) = serve(|mut p| async move {
        p.open(&["AUTH LOGIN"]).await;
        p.answer("AUTH LOGIN", "334 VXNlcm5hbWU6\r\n").await;
        p.answer("YWxpY2U=", "334 UGFzc3dvcmQ6\r\n").await;
        p.answer("czNjcmV0", "235 2.7.0 ok\r\n").await;
        p.quit().await;
    })
    .await;
    let opts = heron_queue::client::ClientOptions {
        auth: Some(Credentials {
            user: "alice".into(),
            password: "s3cret".into(),
        }),
        ..options()
    };
    let conn = Connection::connect(addr, "mx.test", &opts)
        .await
        .expect("connect");
    conn.quit().await;
    server.await.expect("server script");
}

#[tokio::test]
async fn auth_refused_is_permanent() {
    let (addr, server) = serve(|mut p| async move {
        p.open(&["AUTH PLAIN LOGIN"]).await;
        p.answer(
            "AUTH PLAIN AGFsaWNlAHdyb25n",
            "535 5.7.8 bad credentials\r\n",
        )
        .await;
        p.quit().await;
    })
    .await;
    let opts = heron_queue::client::ClientOptions {
        auth: Some(Credentials {
            user: "alice".into(),
            password: "wrong".into(),
        }),
        ..options()
    };
    let err = Connection::connect(addr, "mx.test", &opts)
        .await
        .err()
        .expect("must fail");
    match &err {
        ClientError::Rejected { stage, reply } => {
            assert_eq!(*stage, "AUTH");
            assert_eq!(reply.to_string(), "535 5.7.8 bad credentials");
        }
        other => panic!("{other:?}"),
    }
    assert!(err.is_permanent());
    server.await.expect("server script");
}

#[tokio::test]
async fn refused_greeting_is_permanent() {
    let (addr, server) = serve(|mut p| async move {
        p.send("554 5.7.1 no service for you\r\n").await;
        p.quit().await;
    })
    .await;
    let err = connect_err(addr).await;
    assert!(
        matches!(
            err,
            ClientError::Rejected {
                stage: "greeting",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.is_permanent());
    server.await.expect("server script");
}

#[tokio::test]
async fn helo_when_ehlo_is_unknown() {
    let (addr, server) = serve(|mut p| async move {
        p.send("220 old.test SMTP\r\n").await;
        p.answer("EHLO client.test", "502 command not implemented\r\n")
            .await;
        p.answer("HELO client.test", "250 old.test\r\n").await;
        p.answer("MAIL FROM:<a@x.test>", "250 ok\r\n").await;
        p.answer("RCPT TO:<b@y.test>", "250 ok\r\n").await;
        p.answer("DATA", "354 go\r\n").await;
        p.data().await;
        p.send("250 ok\r\n").await;
        p.quit().await;
    })
    .await;
    let mut conn = Connection::connect(addr, "old.test", &options())
        .await
        .expect("connect");
    assert_eq!(conn.greeting_name(), "old.test");
    assert!(!conn.extensions().pipelining);
    let results = conn.send(&envelope(), b"hi\r\n").await.expect("send");
    assert!(matches!(results[0].outcome, Outcome::Delivered(_)));
    conn.quit().await;
    server.await.expect("server script");
}

#[tokio::test]
async fn silent_server_times_out() {
    let (addr, server) = serve(|p| async move {
        // Accept, then say nothing until the client gives up.
        tokio::time::sleep(Duration::from_secs(3)).await;
        drop(p);
    })
    .await;
    let opts = heron_queue::client::ClientOptions {
        timeout: Duration::from_millis(500),
        ..options()
    };
    let started = Instant::now();
    let err = Connection::connect(addr, "mx.test", &opts)
        .await
        .err()
        .expect("must fail");
    let waited = started.elapsed();
    assert!(matches!(err, ClientError::Timeout("greeting")), "{err:?}");
    assert!(
        waited >= Duration::from_millis(450),
        "gave up too early: {waited:?}"
    );
    assert!(
        waited < Duration::from_secs(2),
        "gave up too late: {waited:?}"
    );
    server.await.expect("server script");
}

#[tokio::test]
async fn over_long_reply_line_is_a_protocol_error() {
    let (addr, server) = serve(|mut p| async move {
        p.send(&format!("220 {}\r\n", "a".repeat(5000))).await;
        // Keep the connection open: the client must give up on its own.
        tokio::time::sleep(Duration::from_millis(500)).await;
    })
    .await;
    let err = connect_err(addr).await;
    assert!(matches!(err, ClientError::Protocol(_)), "{err:?}");
    server.await.expect("server script");
}

#[tokio::test]
async fn endless_multi_line_reply_is_a_protocol_error() {
    let (addr, server) = serve(|mut p| async move {
        p.send("220 mx.test\r\n").await;
        p.expect("EHLO client.test").await;
        p.send(&"250-X-FILLER\r\n".repeat(300)).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
    })
    .await;
    let err = connect_err(addr).await;
    assert!(matches!(err, ClientError::Protocol(_)), "{err:?}");
    server.await.expect("server script");
}

#[tokio::test]
async fn connection_refused() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    let err = connect_err(addr).await;
    assert!(matches!(err, ClientError::Connect(_)), "{err:?}");
}

async fn connect_from(local: &str, fallback: bool) -> Result<SocketAddr, ClientError> {
    let (addr, server) = serve(|mut p| async move {
        p.open(&[]).await;
        p.quit().await;
    })
    .await;
    let opts = heron_queue::client::ClientOptions {
        local_ip: Some(local.parse::<IpAddr>().expect("IP")),
        fallback_primary: fallback,
        ..options()
    };
    let result = Connection::connect(addr, "mx.test", &opts).await;
    match result {
        Ok(conn) => {
            let peer = conn.peer();
            conn.quit().await;
            server.await.expect("server script");
            Ok(peer)
        }
        Err(e) => {
            server.abort();
            Err(e)
        }
    }
}

#[tokio::test]
async fn outbound_address_and_fallback() {
    // 127.0.0.1 is ours: bound and connected from it.
    connect_from("127.0.0.1", false)
        .await
        .expect("bound to loopback");
    // 192.0.2.1 (TEST-NET-1) is not an address of this machine: binding fails...
    let err = connect_from("192.0.2.1", false)
        .await
        .expect_err("cannot bind");
    assert!(matches!(err, ClientError::Connect(_)), "{err:?}");
    // ...unless falling back to the default address is allowed.
    connect_from("192.0.2.1", true)
        .await
        .expect("fallback connects");
}
