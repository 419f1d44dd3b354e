//! Opening the TCP connection, from the configured outbound address when there is one
//! (PROTO-6), and reading the server greeting (RFC 5321 §3.1, §4.3.1).
//!
//! Invariant: the connect attempt (or both, with the fallback) is bounded by the timeout;
//! TCP_NODELAY is set, since commands are small and every one waits for an answer.

use std::io;
use std::net::{IpAddr, SocketAddr};

use tokio::net::{TcpSocket, TcpStream};
use tokio::time::timeout;
use tracing::warn;

use super::stream::Stream;
use super::{ClientError, ClientOptions};
use heron_proto_smtp::client::reply::SERVICE_READY;

/// Connects to `addr`, from `opts.local_ip` when set; if that fails and
/// `opts.fallback_primary` is on, tries once more from the system's default address.
pub(crate) async fn tcp(addr: SocketAddr, opts: &ClientOptions) -> Result<TcpStream, ClientError> {
    let tcp = match opts.local_ip {
        Some(local) => match timeout(opts.timeout, from(local, addr)).await {
            Ok(Ok(tcp)) => tcp,
            failed if opts.fallback_primary => {
                let why = match failed {
                    Ok(Err(e)) => e.to_string(),
                    _ => "timed out".to_owned(),
                };
                warn!(target: "delivery", %addr, %local, error = %why, "connect from outbound address failed, retrying from the default address");
                plain(addr, opts).await?
            }
            Ok(Err(e)) => return Err(ClientError::Connect(e)),
            Err(_) => return Err(ClientError::Timeout("connect")),
        },
        None => plain(addr, opts).await?,
    };
    tcp.set_nodelay(true).map_err(ClientError::Connect)?;
    Ok(tcp)
}

async fn plain(addr: SocketAddr, opts: &ClientOptions) -> Result<TcpStream, ClientError> {
    match timeout(opts.timeout, TcpStream::connect(addr)).await {
        Ok(res) => res.map_err(ClientError::Connect),
        Err(_) => Err(ClientError::Timeout("connect")),
    }
}

/// Connects from `local` (any port).
async fn from(local: IpAddr, addr: SocketAddr) -> io::Result<TcpStream> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.bind(SocketAddr::new(local, 0))?;
    socket.connect(addr).await
}

/// Reads the greeting; returns the host name the server gives first in it.
pub(crate) async fn greeting(stream: &mut Stream) -> Result<String, ClientError> {
    let greeting = stream.reply("greeting").await?;
    if greeting.reply.code != SERVICE_READY {
        // RFC 5321 §3.1: a 554 greeting means no service here.
        return Err(ClientError::Rejected {
            stage: "greeting",
            reply: greeting.reply,
        });
    }
    let name = greeting
        .lines
        .first()
        .and_then(|l| l.split_ascii_whitespace().next())
        .unwrap_or_default();
    Ok(name.to_owned())
}
