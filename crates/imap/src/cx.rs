//! What a command is given: the parts of the session it works on, borrowed apart.
//!
//! A command of the authenticated state gets an [`AsUser`]: the service, the logged-in user,
//! the extensions in force and the output. A command of the selected state gets an
//! [`InMailbox`]: the same and the selected mailbox's view. Both are only made from the
//! [`Phase`] that holds that data, so a command cannot run without its user or mailbox, and
//! it cannot change the session's state: the few commands that do (SELECT, CLOSE, DELETE,
//! UNSELECT) are given the phase itself, and those that work on the connection (STARTTLS,
//! LOGIN, AUTHENTICATE, IDLE) the session.
//!
//! Invariant: output is only queued here; it is written by [`Wire::flush`] (the session
//! after each command unless the next one is already buffered, any continuation request
//! with everything queued before it, FETCH once a large response has gathered).

use std::io;
use std::sync::Arc;

use heron_net::Client;
use heron_store::Store;

use crate::ImapService;
use crate::selected::Selected;
use crate::session::{Authed, Enabled};
use crate::state::Phase;

/// Output is written to the client once this much is buffered.
const FLUSH_AT: usize = 256 * 1024;
/// An output buffer that grew beyond this (a large FETCH) is given back once written, so
/// an idle session does not keep it.
const KEEP_OUT: usize = 16 * 1024;

/// The connection and the responses queued for it.
pub struct Wire {
    pub client: Client,
    /// Responses not yet written; commands queue here so one write carries many lines.
    out: Vec<u8>,
}

impl Wire {
    /// A connection with nothing queued.
    pub fn new(client: Client) -> Self {
        Self {
            client,
            out: Vec::new(),
        }
    }

    /// Queue output.
    pub fn push(&mut self, bytes: &[u8]) {
        self.out.extend_from_slice(bytes);
    }

    /// Write queued output once enough has gathered (long FETCH responses).
    pub async fn flush_if_large(&mut self) -> io::Result<()> {
        if self.out.len() >= FLUSH_AT {
            self.flush().await?;
        }
        Ok(())
    }

    /// Write what a command queued, unless the client has already sent its next command
    /// (pipelining): then the answers of both go out in one write. A large queue is
    /// written anyway.
    pub async fn flush_between_commands(&mut self) -> io::Result<()> {
        if self.out.len() < FLUSH_AT && self.client.more_pending() {
            return Ok(());
        }
        self.flush().await
    }

    /// Write everything queued.
    pub async fn flush(&mut self) -> io::Result<()> {
        if self.out.is_empty() {
            return Ok(());
        }
        self.client.send(&self.out).await?;
        if self.out.capacity() > KEEP_OUT {
            self.out = Vec::new();
        } else {
            self.out.clear();
        }
        Ok(())
    }

    /// Queue and write at once.
    pub async fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.push(bytes);
        self.flush().await
    }
}

/// The parts of an authenticated-state command.
pub struct AsUser<'s> {
    pub svc: &'s ImapService,
    pub user: &'s Authed,
    pub enabled: &'s mut Enabled,
    pub wire: &'s mut Wire,
}

impl<'s> AsUser<'s> {
    /// The parts, when the phase has a user.
    pub fn of(
        svc: &'s ImapService,
        phase: &'s Phase,
        enabled: &'s mut Enabled,
        wire: &'s mut Wire,
    ) -> Option<Self> {
        let user = phase.user()?;
        Some(Self {
            svc,
            user,
            enabled,
            wire,
        })
    }

    /// The store.
    pub fn store(&self) -> &'s Arc<dyn Store> {
        self.svc.dir.store()
    }

    /// The logged-in user's id.
    pub fn user_id(&self) -> i64 {
        self.user.user.id
    }

    /// Queue output.
    pub fn push(&mut self, bytes: &[u8]) {
        self.wire.push(bytes);
    }
}

/// The parts of a selected-state command.
pub struct InMailbox<'s> {
    pub svc: &'s ImapService,
    pub user: &'s Authed,
    /// The selected mailbox as this session has announced it.
    pub view: &'s mut Selected,
    pub enabled: &'s mut Enabled,
    pub wire: &'s mut Wire,
}

impl<'s> InMailbox<'s> {
    /// The parts, when the phase has a selected mailbox.
    pub fn of(
        svc: &'s ImapService,
        phase: &'s mut Phase,
        enabled: &'s mut Enabled,
        wire: &'s mut Wire,
    ) -> Option<Self> {
        let Phase::Selected(user, view) = phase else {
            return None;
        };
        Some(Self {
            svc,
            user,
            view,
            enabled,
            wire,
        })
    }

    /// The store.
    pub fn store(&self) -> &'s Arc<dyn Store> {
        self.svc.dir.store()
    }

    /// The same parts without the mailbox (COPY and MOVE name a target mailbox).
    pub fn as_user(&mut self) -> AsUser<'_> {
        AsUser {
            svc: self.svc,
            user: self.user,
            enabled: self.enabled,
            wire: self.wire,
        }
    }

    /// Queue output.
    pub fn push(&mut self, bytes: &[u8]) {
        self.wire.push(bytes);
    }
}
