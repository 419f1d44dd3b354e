//! The session states of RFC 9051 §3 and the one table of which command each allows.
//!
//! [`Phase`] is the state with the data it carries: no user before authentication, the user
//! after it, the user and the mailbox view once one is selected. A mailbox cannot be selected
//! without a user, and logging in or out of a mailbox moves the data with the state, so a
//! command finds what its state has or nothing.

use imap_codec::imap_types::command::CommandBody;

use crate::selected::Selected;
use crate::session::Authed;

/// The session's state and what it holds.
#[derive(Default)]
pub enum Phase {
    #[default]
    NotAuthenticated,
    Authenticated(Authed),
    Selected(Authed, Box<Selected>),
}

impl Phase {
    /// Which of RFC 9051's states this is.
    pub fn state(&self) -> State {
        match self {
            Self::NotAuthenticated => State::NotAuthenticated,
            Self::Authenticated(_) => State::Authenticated,
            Self::Selected(..) => State::Selected,
        }
    }

    /// The logged-in user, in the authenticated and selected states.
    pub fn user(&self) -> Option<&Authed> {
        match self {
            Self::NotAuthenticated => None,
            Self::Authenticated(u) | Self::Selected(u, _) => Some(u),
        }
    }

    /// Whether a user has logged in.
    pub fn is_authenticated(&self) -> bool {
        self.user().is_some()
    }

    /// The selected mailbox's view.
    pub fn selected(&self) -> Option<&Selected> {
        match self {
            Self::Selected(_, sel) => Some(sel),
            _ => None,
        }
    }

    /// The selected mailbox's view, to change.
    pub fn selected_mut(&mut self) -> Option<&mut Selected> {
        match self {
            Self::Selected(_, sel) => Some(sel),
            _ => None,
        }
    }

    /// The user and, when a mailbox is selected, its view, borrowed apart (RENAME also
    /// renames the selected mailbox in the view).
    pub fn user_and_view(&mut self) -> Option<(&Authed, Option<&mut Selected>)> {
        match self {
            Self::NotAuthenticated => None,
            Self::Authenticated(u) => Some((u, None)),
            Self::Selected(u, sel) => Some((u, Some(sel))),
        }
    }

    /// Log in: from the not-authenticated state to the authenticated one.
    pub fn log_in(&mut self, user: Authed) {
        *self = Self::Authenticated(user);
    }

    /// Select a mailbox (replacing any selected one); nothing happens before authentication.
    pub fn select(&mut self, sel: Selected) {
        if let Some(user) = self.take_user() {
            *self = Self::Selected(user, Box::new(sel));
        }
    }

    /// Leave the selected mailbox (CLOSE, UNSELECT, a failed SELECT, DELETE of it): back to
    /// the authenticated state; the view left, if there was one.
    pub fn unselect(&mut self) -> Option<Selected> {
        match std::mem::take(self) {
            Self::Selected(user, sel) => {
                *self = Self::Authenticated(user);
                Some(*sel)
            }
            other => {
                *self = other;
                None
            }
        }
    }

    fn take_user(&mut self) -> Option<Authed> {
        match std::mem::take(self) {
            Self::NotAuthenticated => None,
            Self::Authenticated(u) | Self::Selected(u, _) => Some(u),
        }
    }
}

/// Where the session is in RFC 9051 §3's state diagram. (The Logout state lasts only for
/// the LOGOUT command's responses.)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    NotAuthenticated,
    Authenticated,
    Selected,
}

/// Whether a command may run in a state. Commands this server does not implement are
/// allowed nowhere.
pub fn allowed(state: State, body: &CommandBody<'_>) -> bool {
    use CommandBody::*;
    use State::*;
    match body {
        // RFC 9051 §6.1: any state.
        Capability | Noop | Logout | Id { .. } => true,
        // RFC 9051 §6.2: not authenticated.
        StartTLS | Authenticate { .. } | Login { .. } => state == NotAuthenticated,
        // RFC 5161 §3.1: ENABLE only before a mailbox is selected.
        Enable { .. } => state == Authenticated,
        // RFC 9051 §6.3: authenticated (the selected state includes it).
        Select { .. }
        | Examine { .. }
        | Create { .. }
        | Delete { .. }
        | Rename { .. }
        | Subscribe { .. }
        | Unsubscribe { .. }
        | List { .. }
        | Lsub { .. }
        | Status { .. }
        | Append { .. }
        | Namespace
        | Idle
        | GetQuota { .. }
        | GetQuotaRoot { .. }
        // RFC 4978 §5: COMPRESS is a `command-auth`.
        | Compress { .. }
        // RFC 5464 §5: so are GETMETADATA and SETMETADATA.
        | GetMetadata { .. }
        | SetMetadata { .. } => state != NotAuthenticated,
        // RFC 9051 §6.4: selected.
        Check
        | Close
        | Unselect
        | Expunge
        | ExpungeUid { .. }
        | Search { .. }
        | Sort { .. }
        | Thread { .. }
        | Fetch { .. }
        | Store { .. }
        | Copy { .. }
        | Move { .. } => state == Selected,
        _ => false,
    }
}

/// Whether untagged EXPUNGE responses may follow a command (RFC 9051 §7.5.1: not while
/// responding to FETCH, STORE or SEARCH, nor SORT and THREAD, which answer message numbers
/// too; their UID forms are fine).
pub fn may_expunge(body: &CommandBody<'_>) -> bool {
    use CommandBody::*;
    !matches!(
        body,
        Fetch { uid: false, .. }
            | Store { uid: false, .. }
            | Search { uid: false, .. }
            | Sort { uid: false, .. }
            | Thread { uid: false, .. }
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use imap_codec::CommandCodec;
    use imap_codec::decode::Decoder;

    fn body(line: &str) -> CommandBody<'static> {
        use imap_codec::imap_types::IntoStatic;
        let l = format!("t {line}\r\n");
        let (_, c) = CommandCodec::default().decode(l.as_bytes()).unwrap();
        c.body.into_static()
    }

    #[test]
    fn table() {
        assert!(allowed(State::NotAuthenticated, &body("LOGIN a b")));
        assert!(!allowed(State::Authenticated, &body("LOGIN a b")));
        assert!(!allowed(State::NotAuthenticated, &body("SELECT INBOX")));
        assert!(allowed(State::Selected, &body("SELECT INBOX")));
        assert!(!allowed(State::Authenticated, &body("FETCH 1 FLAGS")));
        assert!(allowed(State::Selected, &body("UID EXPUNGE 1:3")));
        assert!(!allowed(State::Selected, &body("ENABLE CONDSTORE")));
        assert!(allowed(State::NotAuthenticated, &body("ID NIL")));
        assert!(!allowed(State::NotAuthenticated, &body("COMPRESS DEFLATE")));
        assert!(allowed(State::Authenticated, &body("COMPRESS DEFLATE")));
        assert!(allowed(State::Selected, &body("COMPRESS DEFLATE")));
    }

    #[test]
    fn expunge_points() {
        assert!(!may_expunge(&body("FETCH 1 FLAGS")));
        assert!(may_expunge(&body("UID FETCH 1 FLAGS")));
        assert!(!may_expunge(&body("STORE 1 +FLAGS (\\Seen)")));
        assert!(!may_expunge(&body("SEARCH ALL")));
        assert!(may_expunge(&body("NOOP")));
        assert!(may_expunge(&body("COPY 1 x")));
    }
}
