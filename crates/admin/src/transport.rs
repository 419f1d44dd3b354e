//! HTTPS and plain HTTP on the one admin port: a connection whose first byte is a TLS
//! handshake record (0x16) is served over TLS with the listeners' default certificate
//! (`tls.cert`/`tls.key`, else the self-signed one); any other is plain HTTP.
//!
//! Invariants:
//! - Plain HTTP is served only to loopback clients (127.0.0.0/8, ::1), and to them only while
//!   `admin.plain_http_loopback` is on. Every plain-HTTP request from elsewhere is answered
//!   308 with the same path on `https://` and the same host and port, and nothing else: no
//!   handler runs, no cookie or password crosses the network in clear. The one exception is
//!   an ACME HTTP-01 answer (`/.well-known/acme-challenge/`), public by design.
//! - Without a certificate (an app run without listeners), there is no HTTPS and plain HTTP
//!   is served as before.
//! - Over HTTPS every `Set-Cookie` gets `Secure`, and `Strict-Transport-Security` is sent only
//!   when the certificate is one clients can trust (configured and not self-issued): a
//!   browser told HSTS for a self-signed certificate would lock its user out.
//! - Every answer carries `X-Content-Type-Options: nosniff` and `X-Frame-Options` ([`finish`]).
//! - A client that sends nothing within the header deadline is closed without a word.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderValue, Request, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use heron_net::tls::TlsProvider;
use tokio::net::TcpStream;
use tokio_rustls::server::TlsStream;

/// The first byte of a TLS record carrying a handshake message (a ClientHello).
const TLS_HANDSHAKE: u8 = 0x16;

/// What browsers are told to remember: one year of HTTPS only.
pub const HSTS: &str = "max-age=31536000";

/// How a request reached the admin listener; a request extension set by [`crate::conn`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Transport {
    /// The request came over TLS.
    pub https: bool,
    /// Answers carry `Strict-Transport-Security`.
    pub hsts: bool,
}

/// A connection after its first byte was looked at.
pub enum Accepted {
    /// TLS, handshake done.
    Tls(Box<TlsStream<TcpStream>>, Transport),
    /// Plain HTTP to be served.
    Plain(TcpStream),
    /// Plain HTTP from a client that must use HTTPS: every request is redirected.
    Redirect(TcpStream),
    /// The client left, sent nothing in time, or failed the handshake.
    Gone,
}

/// What decides how a connection is served.
#[derive(Clone)]
pub struct Policy {
    /// The listeners' certificates; `None`: no HTTPS.
    pub tls: Option<Arc<TlsProvider>>,
    /// `admin.plain_http_loopback` now.
    pub plain_loopback: bool,
    /// How long the client has to send its first byte and finish the handshake.
    pub deadline: Duration,
}

/// Whether a plain-HTTP client at `peer` is served (else redirected).
pub fn plain_allowed(peer: SocketAddr, policy: &Policy) -> bool {
    policy.tls.is_none()
        || (policy.plain_loopback && heron_settings::values::canonical(peer.ip()).is_loopback())
}

/// Look at the first byte and do the TLS handshake if it starts one.
pub async fn accept(stream: TcpStream, peer: SocketAddr, policy: &Policy) -> Accepted {
    let mut first = [0u8; 1];
    let peeked = tokio::time::timeout(policy.deadline, stream.peek(&mut first)).await;
    if !matches!(peeked, Ok(Ok(1))) {
        return Accepted::Gone;
    }
    let tls = match &policy.tls {
        Some(tls) if first[0] == TLS_HANDSHAKE => tls,
        _ if plain_allowed(peer, policy) => return Accepted::Plain(stream),
        _ => return Accepted::Redirect(stream),
    };
    let acceptor = match tls.acceptor(None) {
        Ok(a) => a,
        Err(e) => {
            tracing::error!(target: "events", "admin HTTPS: {e}");
            return Accepted::Gone;
        }
    };
    match tokio::time::timeout(policy.deadline, acceptor.accept(stream)).await {
        Ok(Ok(s)) => Accepted::Tls(
            Box::new(s),
            Transport {
                https: true,
                hsts: tls.default_is_issued(),
            },
        ),
        Ok(Err(e)) => {
            tracing::debug!("admin TLS handshake with {peer} failed: {e}");
            Accepted::Gone
        }
        Err(_) => {
            tracing::debug!("admin TLS handshake with {peer} timed out");
            Accepted::Gone
        }
    }
}

/// The app for plain-HTTP clients that must use HTTPS: every request is redirected, except
/// ACME HTTP-01 answers, which a certificate authority fetches over plain HTTP on port 80
/// (RFC 8555 §8.3) and which hold nothing secret.
pub fn redirect_app(local: SocketAddr) -> Router {
    Router::new()
        .route(
            "/.well-known/acme-challenge/{token}",
            axum::routing::get(crate::routes::acme_challenge::answer),
        )
        .fallback(move |req: Request<axum::body::Body>| async move {
            redirect(req.headers().get(header::HOST), req.uri(), local)
        })
}

/// 308 to the same host, port and path over HTTPS (the request's `Host`, else the address
/// the client connected to).
fn redirect(host: Option<&HeaderValue>, uri: &Uri, local: SocketAddr) -> Response {
    let host = host
        .and_then(|h| h.to_str().ok())
        .filter(|h| valid_host(h))
        .map(str::to_owned)
        .unwrap_or_else(|| local.to_string());
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let location = format!("https://{host}{path}");
    match HeaderValue::from_str(&location) {
        Ok(v) => (
            StatusCode::PERMANENT_REDIRECT,
            [(header::LOCATION, v)],
            "use HTTPS\n",
        )
            .into_response(),
        Err(_) => (StatusCode::BAD_REQUEST, "bad request\n").into_response(),
    }
}

/// A `Host` value that is a host name or address with an optional port, nothing more.
fn valid_host(h: &str) -> bool {
    !h.is_empty()
        && h.len() <= 260
        && h.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.:[]_".contains(&b))
}

/// Mark an answer sent over `t`: on every answer (API, redirects, files, not only pages)
/// `X-Content-Type-Options: nosniff` and, unless set, `X-Frame-Options: DENY`; over HTTPS
/// `Secure` cookies and HSTS.
pub fn finish(mut r: Response, t: Transport) -> Response {
    let h = r.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.entry(header::X_FRAME_OPTIONS)
        .or_insert(HeaderValue::from_static("DENY"));
    if !t.https {
        return r;
    }
    let cookies: Vec<HeaderValue> = r
        .headers_mut()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| {
            let s = v.to_str().unwrap_or_default();
            if s.to_ascii_lowercase().contains("; secure") {
                v.clone()
            } else {
                HeaderValue::from_str(&format!("{s}; Secure")).unwrap_or_else(|_| v.clone())
            }
        })
        .collect();
    if !cookies.is_empty() {
        r.headers_mut().remove(header::SET_COOKIE);
        for c in cookies {
            r.headers_mut().append(header::SET_COOKIE, c);
        }
    }
    if t.hsts {
        r.headers_mut().insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    r
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn policy(tls: bool, plain_loopback: bool) -> Policy {
        let t = tempfile::tempdir().unwrap();
        let pair = heron_net::tls::ensure_self_signed(t.path(), "x.test", &[]).unwrap();
        Policy {
            tls: tls.then(|| Arc::new(TlsProvider::new(pair))),
            plain_loopback,
            deadline: Duration::from_secs(1),
        }
    }

    #[test]
    fn plain_http_only_on_loopback() {
        let on = policy(true, true);
        assert!(plain_allowed("127.0.0.1:5".parse().unwrap(), &on));
        assert!(plain_allowed("127.3.0.1:5".parse().unwrap(), &on));
        assert!(plain_allowed("[::1]:5".parse().unwrap(), &on));
        assert!(plain_allowed("[::ffff:127.0.0.1]:5".parse().unwrap(), &on));
        assert!(!plain_allowed("192.0.2.1:5".parse().unwrap(), &on));
        assert!(!plain_allowed("[2001:db8::1]:5".parse().unwrap(), &on));
        let off = policy(true, false);
        assert!(!plain_allowed("127.0.0.1:5".parse().unwrap(), &off));
        assert!(plain_allowed(
            "192.0.2.1:5".parse().unwrap(),
            &policy(false, false)
        ));
    }

    #[test]
    fn redirects_keep_host_port_and_path() {
        let local = "192.0.2.1:9998".parse().unwrap();
        let uri: Uri = "/domains?page=2".parse().unwrap();
        let host = HeaderValue::from_static("mail.example.test:9998");
        let r = redirect(Some(&host), &uri, local);
        assert_eq!(r.status(), StatusCode::PERMANENT_REDIRECT);
        assert_eq!(
            r.headers()[header::LOCATION],
            "https://mail.example.test:9998/domains?page=2"
        );
        let bad = HeaderValue::from_static("evil.test/x?");
        let r = redirect(Some(&bad), &uri, local);
        assert_eq!(
            r.headers()[header::LOCATION],
            "https://192.0.2.1:9998/domains?page=2"
        );
    }

    #[test]
    fn cookies_get_secure_and_hsts_only_when_promised() {
        let cookie = || {
            let mut r = StatusCode::OK.into_response();
            r.headers_mut().insert(
                header::SET_COOKIE,
                HeaderValue::from_static("heron_session=x; HttpOnly"),
            );
            r
        };
        let plain = finish(cookie(), Transport::default());
        assert_eq!(
            plain.headers()[header::SET_COOKIE],
            "heron_session=x; HttpOnly"
        );
        assert_eq!(plain.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(plain.headers()[header::X_FRAME_OPTIONS], "DENY");
        let https = Transport {
            https: true,
            hsts: false,
        };
        let r = finish(cookie(), https);
        assert_eq!(
            r.headers()[header::SET_COOKIE],
            "heron_session=x; HttpOnly; Secure"
        );
        assert!(r.headers().get(header::STRICT_TRANSPORT_SECURITY).is_none());
        let r = finish(
            cookie(),
            Transport {
                hsts: true,
                ..https
            },
        );
        assert_eq!(r.headers()[header::STRICT_TRANSPORT_SECURITY], HSTS);
    }
}
