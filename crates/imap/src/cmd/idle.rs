//! IDLE (RFC 2177, RFC 9051 §6.3.13): wait for `DONE` while announcing mailbox changes as
//! store events arrive (a delivery shows as `* n EXISTS` at once; no polling).
//!
//! Invariants: the command timeout does not apply while idling; a client idle longer than
//! [`IDLE_LIMIT`] is logged out (RFC 9051 recommends at least 30 minutes); shutdown ends
//! IDLE with `* BYE`.

use std::time::Duration;

use heron_net::line::{Framed, ReadError};
use heron_proto_imap::response;
use heron_settings::defs;

use crate::done::Done;
use crate::error::{ImapError, Result};
use crate::session::{LineOrEvent, Session};

/// How long a client may idle without re-issuing IDLE.
pub const IDLE_LIMIT: Duration = Duration::from_secs(31 * 60);

/// Run IDLE.
pub async fn execute(s: &mut Session<'_>) -> Result<Done> {
    if !s.svc.settings.get(defs::IMAP_IDLE) {
        return Ok(Done::bad("IDLE is disabled"));
    }
    s.push(&response::continuation("idling"));
    s.announce_updates(true).await?;
    s.flush().await?;
    loop {
        match s.line_or_event(IDLE_LIMIT).await {
            LineOrEvent::Line(Ok(Framed::Line(l))) if l.eq_ignore_ascii_case(b"DONE") => {
                return Ok(Done::ok("IDLE terminated"));
            }
            LineOrEvent::Line(Ok(_)) => return Ok(Done::bad("expected DONE")),
            LineOrEvent::Line(Err(ReadError::Timeout)) => {
                s.send(&response::bye("idle for too long")).await?;
                return Err(ImapError::Closed);
            }
            LineOrEvent::Line(Err(_)) => return Err(ImapError::Closed),
            LineOrEvent::Event(Some(ev)) => {
                s.note_event(&ev);
                s.poll_events();
                s.announce_updates(true).await?;
                s.flush().await?;
            }
            LineOrEvent::Event(None) => return Ok(Done::ok("IDLE terminated")),
            LineOrEvent::Cancelled => {
                s.send(&response::bye("server shutting down")).await?;
                return Err(ImapError::Closed);
            }
        }
    }
}
