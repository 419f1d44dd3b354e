//! CREATE (RFC 9051 §6.3.4): missing superior names are created too; INBOX and existing
//! names are refused with `[ALREADYEXISTS]`.

use heron_store::StoreError;
use imap_codec::imap_types::mailbox::Mailbox;

use crate::error::Result;
use crate::mailbox::{find, name_of};
use crate::names::ancestors;
use crate::response::{Done, code};
use crate::session::Session;

/// Run CREATE.
pub async fn execute(s: &mut Session<'_>, mailbox: Mailbox<'_>) -> Result<Done> {
    let name = match name_of(s, &mailbox) {
        Ok(n) => n,
        Err(d) => return Ok(d),
    };
    if name == "INBOX" || find(s, &name).await?.is_some() {
        return Ok(Done::no("mailbox already exists").with(code("ALREADYEXISTS")));
    }
    let Some(user) = s.user.as_ref().map(|u| u.user.id) else {
        return Ok(Done::no("not logged in"));
    };
    for parent in ancestors(&name) {
        if find(s, parent).await?.is_none() {
            create(s, user, parent).await?;
        }
    }
    match s.store().create_folder(user, &name, None).await {
        Ok(_) => Ok(Done::ok("CREATE completed")),
        Err(StoreError::Conflict(_)) => {
            Ok(Done::no("mailbox already exists").with(code("ALREADYEXISTS")))
        }
        Err(e) => Err(e.into()),
    }
}

/// Create a folder, tolerating a concurrent creation of the same name.
pub async fn create(s: &Session<'_>, user: i64, name: &str) -> Result<()> {
    match s.store().create_folder(user, name, None).await {
        Ok(_) | Err(StoreError::Conflict(_)) => Ok(()),
        Err(e) => Err(e.into()),
    }
}
