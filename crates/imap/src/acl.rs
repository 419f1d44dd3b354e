//! What the ACL commands (RFC 4314 §3, one file each in [`crate::cmd`]) share: the mailbox
//! they name, resolved for the user ([`crate::access`]), and identifiers, which are users'
//! addresses (or bare local parts) of the user's own domain, or `anyone` (every user of
//! that domain).
//!
//! Invariants: an identifier of another domain is refused with a clear NO before anything
//! is looked up there; the owner of a folder cannot be given an entry (owners always hold
//! every right); administering a folder's list needs "a" (RFC 4314 §3.1–§3.4).

use heron_proto_imap::names::{self, BadName};
use heron_proto_imap::response::code;
use heron_store::{Folder, UserId};

use crate::access::{Access, noperm, resolve};
use crate::cx::AsUser;
use crate::done::Done;
use crate::error::Result;
use crate::mailbox::nonexistent;

/// The identifier RFC 4314 §2 reserves for everyone (here: every user of the domain).
pub const ANYONE: &str = "anyone";

/// The folder a command names, with the user's rights on it and its name in wire form;
/// `Err` with the answer when there is none the user may know of.
pub async fn target(
    cx: &AsUser<'_>,
    raw: &[u8],
) -> Result<std::result::Result<(Access, String), Done>> {
    let name = match names::from_wire(raw, cx.enabled.utf8) {
        Ok(n) => n,
        Err(BadName::Encoding) => {
            return Ok(Err(
                Done::no("mailbox name is not valid modified UTF-7").with(code("CANNOT"))
            ));
        }
        Err(BadName::Form) => {
            return Ok(Err(Done::no("invalid mailbox name").with(code("CANNOT"))));
        }
    };
    let Some(access) = resolve(&**cx.store(), cx.user, &name).await? else {
        return Ok(Err(nonexistent()));
    };
    let wire = names::to_wire(&access.shown, cx.enabled.utf8);
    Ok(Ok((access, wire)))
}

/// The folder of a command that administers its list: "a" needed.
pub async fn administered(
    cx: &AsUser<'_>,
    raw: &[u8],
) -> Result<std::result::Result<(Access, String), Done>> {
    Ok(match target(cx, raw).await? {
        Ok((a, _)) if !a.has('a') => Err(noperm("administering this mailbox")),
        other => other,
    })
}

/// The user's domain name.
pub async fn domain_name(cx: &AsUser<'_>) -> Result<String> {
    let id = cx.user.user.domain_id;
    Ok(match cx.store().get_domain_by_id(id).await? {
        Some(d) => d.name,
        None => String::new(),
    })
}

/// Whom an identifier names, for a folder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Who {
    /// The folder's owner, who holds every right and has no entry.
    Owner,
    /// Another user of the domain, or `anyone` (`None`): the grantee of an entry.
    Grantee(Option<UserId>),
}

impl Who {
    /// The grantee of an entry; `Err` with the answer for the owner.
    pub fn entry(self) -> std::result::Result<Option<UserId>, Done> {
        match self {
            Self::Grantee(g) => Ok(g),
            Self::Owner => {
                Err(Done::no("the owner of a mailbox always holds every right")
                    .with(code("CANNOT")))
            }
        }
    }
}

/// Whom an identifier names; `Err` with the answer for an identifier of another domain or
/// of no user.
pub async fn grantee(
    cx: &AsUser<'_>,
    folder: &Folder,
    identifier: &str,
) -> Result<std::result::Result<Who, Done>> {
    if identifier.eq_ignore_ascii_case(ANYONE) {
        return Ok(Ok(Who::Grantee(None)));
    }
    let local = match identifier.rsplit_once('@') {
        Some((local, domain)) => {
            if !domain.eq_ignore_ascii_case(&domain_name(cx).await?) {
                return Ok(Err(Done::no(
                    "rights can only be granted to users of the same domain",
                )
                .with(code("CANNOT"))));
            }
            local
        }
        None => identifier,
    };
    let local = local.to_ascii_lowercase();
    let Some(user) = cx.store().get_user(cx.user.user.domain_id, &local).await? else {
        return Ok(Err(
            Done::no("no such user in this domain").with(code("NONEXISTENT"))
        ));
    };
    if user.id == folder.user_id {
        return Ok(Ok(Who::Owner));
    }
    Ok(Ok(Who::Grantee(Some(user.id))))
}

/// The address shown for a user of the domain.
pub fn address(local: &str, domain: &str) -> String {
    if domain.is_empty() {
        local.to_owned()
    } else {
        format!("{local}@{domain}")
    }
}
