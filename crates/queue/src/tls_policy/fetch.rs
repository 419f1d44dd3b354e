//! Fetching an MTA-STS policy file (RFC 8461 §3.3): HTTPS GET of
//! `https://mta-sts.DOMAIN/.well-known/mta-sts.txt`, the host looked up through Heron's own
//! resolver, its certificate checked against the public roots and `smtp_out.tls_ca_file`.
//!
//! Invariants: no redirects are followed (§3.3); only a 200 answer of type `text/plain`
//! counts; the answer is read up to [`MAX_POLICY_BYTES`](super::mta_sts::MAX_POLICY_BYTES)
//! plus its headers and within the timeout, whatever the server sends.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rustls::ClientConfig;
use rustls_pki_types::ServerName;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use super::mta_sts::MAX_POLICY_BYTES;
use heron_mailauth::Dns;

/// Bytes of headers accepted before the body.
const MAX_HEAD: usize = 16 * 1024;

/// Fetches the policy file of `domain` from port `port`; the body, or why not.
pub async fn policy_file(
    dns: &Dns,
    domain: &str,
    port: u16,
    config: Arc<ClientConfig>,
    timeout: Duration,
) -> Result<String, String> {
    let host = format!("mta-sts.{domain}");
    let work = async {
        let ips = dns
            .ips(&host)
            .await
            .map_err(|e| format!("cannot look up {host}: {e}"))?;
        let ip = ips
            .first()
            .ok_or_else(|| format!("{host} has no address"))?;
        let tcp = TcpStream::connect(SocketAddr::new(*ip, port))
            .await
            .map_err(|e| format!("cannot connect to {host}: {e}"))?;
        let name =
            ServerName::try_from(host.clone()).map_err(|e| format!("bad name {host}: {e}"))?;
        let mut tls = TlsConnector::from(config)
            .connect(name, tcp)
            .await
            .map_err(|e| format!("TLS with {host}: {e}"))?;
        let request = format!(
            "GET /.well-known/mta-sts.txt HTTP/1.1\r\nHost: {host}\r\nUser-Agent: Heron\r\nAccept: text/plain\r\nConnection: close\r\n\r\n"
        );
        tls.write_all(request.as_bytes())
            .await
            .map_err(|e| format!("writing to {host}: {e}"))?;
        let mut buf = Vec::new();
        let limit = (MAX_POLICY_BYTES + MAX_HEAD) as u64;
        // A server closing without close_notify still gave us what it sent.
        let _ = (&mut tls).take(limit).read_to_end(&mut buf).await;
        parse_response(&buf)
    };
    match tokio::time::timeout(timeout, work).await {
        Ok(r) => r,
        Err(_) => Err(format!("fetching the policy of {domain} timed out")),
    }
}

/// The body of an HTTP/1.x response if it is a 200 of type `text/plain`; handles
/// `Content-Length`, chunked, and read-to-close bodies.
pub fn parse_response(raw: &[u8]) -> Result<String, String> {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("incomplete HTTP response")?;
    let head = std::str::from_utf8(&raw[..end]).map_err(|_| "HTTP headers are not text")?;
    let body = &raw[end + 4..];
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap_or_default();
    let code = status.split_ascii_whitespace().nth(1).unwrap_or_default();
    if !status.starts_with("HTTP/1.") || code != "200" {
        return Err(format!("HTTP answer {status:?}"));
    }
    let (mut length, mut chunked, mut ctype) = (None, false, String::new());
    for line in lines {
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        let v = v.trim();
        match k.trim().to_ascii_lowercase().as_str() {
            "content-length" => length = v.parse::<usize>().ok(),
            "transfer-encoding" => chunked = v.to_ascii_lowercase().contains("chunked"),
            "content-type" => ctype = v.to_ascii_lowercase(),
            _ => {}
        }
    }
    // RFC 8461 §3.2: the media type is text/plain.
    if !ctype.starts_with("text/plain") {
        return Err(format!("policy served as {ctype:?}, not text/plain"));
    }
    let body = if chunked {
        dechunk(body)?
    } else if let Some(n) = length {
        body.get(..n)
            .ok_or("HTTP body shorter than its length")?
            .to_vec()
    } else {
        body.to_vec()
    };
    String::from_utf8(body).map_err(|_| "policy is not UTF-8".into())
}

fn dechunk(mut data: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let eol = data
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("bad chunk")?;
        let size_text = std::str::from_utf8(&data[..eol]).map_err(|_| "bad chunk size")?;
        let size_text = size_text.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| "bad chunk size")?;
        data = &data[eol + 2..];
        if size == 0 {
            return Ok(out);
        }
        let chunk = data.get(..size).ok_or("truncated chunk")?;
        out.extend_from_slice(chunk);
        if out.len() > MAX_POLICY_BYTES {
            return Err("policy file too large".into());
        }
        data = data.get(size + 2..).ok_or("truncated chunk")?;
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn responses() {
        let ok = b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nabcdeXX";
        assert_eq!(parse_response(ok).unwrap(), "abcde");
        let close = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nall";
        assert_eq!(parse_response(close).unwrap(), "all");
        let chunked = b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n";
        assert_eq!(parse_response(chunked).unwrap(), "abcde");
        let redirect = b"HTTP/1.1 301 Moved\r\nLocation: https://x/\r\n\r\n";
        assert!(parse_response(redirect).is_err());
        let html = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\nx";
        assert!(parse_response(html).is_err());
        assert!(parse_response(b"HTTP/1.1 200 OK\r\n").is_err());
    }
}
