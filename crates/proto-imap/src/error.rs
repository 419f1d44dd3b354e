//! Why a command could not be parsed.

use imap_codec::imap_types::core::Tag;

/// A command that is not valid IMAP, or uses options this server does not know: answered
/// BAD (tagged when the tag could be read) and counted as a bad command.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct ParseError {
    /// The command's tag, when it can be read (RFC 9051 §9 `tag`).
    pub tag: Option<Tag<'static>>,
    /// What is wrong, for the BAD response's text.
    pub reason: &'static str,
    /// The command is a SEARCH whose RETURN options name SAVE: the saved result must be
    /// emptied, since the SEARCH failed (RFC 5182 §2.1).
    pub forgets_saved: bool,
}
