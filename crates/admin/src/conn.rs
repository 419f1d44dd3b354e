//! One admin connection, served by hyper's HTTP/1 server with a header deadline.
//!
//! Invariants:
//! - A request's headers must arrive within `admin.header_timeout`, counted from the
//!   connection's start or from the end of the previous answer, so an idle keep-alive
//!   connection is closed after the same time. A request cut off by that deadline (some of
//!   it received) is answered 408 and the connection closed; a connection that sent nothing
//!   is just closed. The body's own deadline is applied before routing (`plain::shape`).
//! - A request's head is buffered up to about [`MAX_BUFFER`], no further (431).
//! - A client that leaves an answer unread for `admin.body_timeout` is dropped
//!   ([`WriteDeadline`]).
//! - The client's address reaches handlers as `ConnectInfo<SocketAddr>`, as with
//!   `axum::serve`, and how it came ([`Transport`]: HTTPS or not) as an extension; answers
//!   over HTTPS are marked by [`crate::transport::finish`] (`Secure` cookies, HSTS).
//! - On stop, a connection between requests closes at once; one serving a request finishes
//!   that answer and then closes.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::{Pin, pin};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::response::Response;
use heron_settings::{Settings, defs};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

use crate::stall::WriteDeadline;
use crate::transport::{Transport, finish};

/// Where hyper stops growing a connection's read buffer (its default is about 400 KiB;
/// admin requests carry a cookie or a token, not more). A request head that has not ended
/// once the buffer holds this much is refused (431); reads grow the buffer in doubling steps,
/// so a connection's buffer stays under about twice this.
const MAX_BUFFER: usize = 64 * 1024;

/// How long writing the 408 answer to a cut-off request may take.
const ANSWER_408_WRITE: Duration = Duration::from_secs(2);

/// How long an answer may wait for the client to read it (`admin.body_timeout`, at least
/// 1 s): a client that reads nothing for that long is dropped.
pub fn write_stall(settings: &Settings) -> Duration {
    settings
        .get(defs::ADMIN_BODY_TIMEOUT)
        .max(Duration::from_secs(1))
}

/// The header deadline new connections get now (`admin.header_timeout`, at least 1 s).
pub fn header_timeout(settings: &Settings) -> Duration {
    settings
        .get(defs::ADMIN_HEADER_TIMEOUT)
        .max(Duration::from_secs(1))
}

type Answer = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

/// Serve HTTP/1 requests on `stream` (plain TCP or TLS, as `transport` says) with `app`
/// until the client leaves, a deadline passes, or `stop` is cancelled.
pub async fn serve<S>(
    stream: S,
    (peer, transport): (SocketAddr, Transport),
    app: Router,
    header_timeout: Duration,
    write_stall: Duration,
    stop: CancellationToken,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    // Boxed answers keep the service and its futures `Unpin`, which taking the socket back
    // from hyper after a timeout needs.
    let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        req.extensions_mut().insert(ConnectInfo(peer));
        req.extensions_mut().insert(transport);
        let app = app.clone();
        Box::pin(async move {
            let r = app.oneshot(req).await;
            r.map(|r| finish(r, transport))
        }) as Answer
    });
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .max_buf_size(MAX_BUFFER);
    let stream = WriteDeadline::new(stream, write_stall);
    let mut conn = http.serve_connection(TokioIo::new(stream), service);
    let mut stopped = pin!(stop.cancelled());
    let mut stopping = false;
    let result = std::future::poll_fn(|cx| {
        if !stopping && stopped.as_mut().poll(cx).is_ready() {
            stopping = true;
            Pin::new(&mut conn).graceful_shutdown();
        }
        conn.poll_without_shutdown(cx)
    })
    .await;
    let parts = conn.into_parts();
    let mut stream = parts.io.into_inner().into_inner();
    match result {
        Ok(()) => {}
        Err(e) if e.is_timeout() => {
            if !parts.read_buf.is_empty() {
                let answer = answer_408(&parts.read_buf);
                let _ = tokio::time::timeout(ANSWER_408_WRITE, stream.write_all(&answer)).await;
            }
            tracing::debug!("admin connection from {peer}: {e}");
        }
        Err(e) => tracing::debug!("admin connection from {peer}: {e}"),
    }
    let _ = stream.shutdown().await;
}

/// The 408 answer to a request whose start is `partial`: JSON under `/api/` (the API's
/// error shape), plain text elsewhere; the connection closes after it.
fn answer_408(partial: &[u8]) -> Vec<u8> {
    let target = partial.splitn(3, |&b| b == b' ').nth(1).unwrap_or_default();
    let (kind, body) = if target.starts_with(b"/api/") {
        (
            "application/json",
            r#"{"error":"the request took too long"}"#,
        )
    } else {
        ("text/plain; charset=utf-8", "the request took too long")
    };
    format!(
        "HTTP/1.1 408 Request Timeout\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_requests_get_the_json_shape() {
        let a = String::from_utf8(answer_408(b"GET /api/v1/domains HTTP/1.1\r\nHost: x"))
            .expect("utf-8");
        assert!(a.starts_with("HTTP/1.1 408 Request Timeout\r\n"), "{a}");
        assert!(a.contains("Content-Type: application/json\r\n"), "{a}");
        assert!(a.contains("Connection: close\r\n"), "{a}");
        let (head, body) = a.split_once("\r\n\r\n").expect("head and body");
        assert!(
            head.contains(&format!("Content-Length: {}", body.len())),
            "{a}"
        );
        assert_eq!(body, r#"{"error":"the request took too long"}"#);
    }

    #[test]
    fn pages_and_garbage_get_text() {
        for partial in [&b"GET /domains HTTP/1.1\r\n"[..], b"GE", b"\x00\xff"] {
            let a = String::from_utf8(answer_408(partial)).expect("utf-8");
            assert!(a.starts_with("HTTP/1.1 408 "), "{a}");
            assert!(a.contains("text/plain"), "{partial:?}: {a}");
        }
    }
}
