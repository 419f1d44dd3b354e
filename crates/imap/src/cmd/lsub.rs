//! LSUB (RFC 3501 §6.3.9; deprecated by RFC 9051 but widely used): the subscribed names
//! matching a pattern, whether a mailbox has the name or not (subscriptions are kept apart
//! from mailboxes). With `%`, a subscribed name below an unsubscribed one makes that one
//! appear as `\Noselect`.

use std::collections::BTreeSet;

use heron_proto_imap::names::{self, DELIMITER};
use heron_proto_imap::response;
use imap_codec::imap_types::core::QuotedChar;
use imap_codec::imap_types::flag::FlagNameAttribute;
use imap_codec::imap_types::mailbox::{ListMailbox, Mailbox};
use imap_codec::imap_types::response::Data;

use crate::cmd::list::{pattern_text, reference_text};
use crate::cx::AsUser;
use crate::done::Done;
use crate::error::Result;
use crate::mailbox::to_mailbox;

/// Run LSUB.
pub async fn execute(
    cx: &mut AsUser<'_>,
    reference: Mailbox<'_>,
    pattern: ListMailbox<'_>,
) -> Result<Done> {
    let (reference, pattern) = match (reference_text(cx, &reference), pattern_text(cx, &pattern)) {
        (Some(r), Some(p)) => (r, p),
        // No stored name has a wire form that is not valid modified UTF-7: nothing matches.
        _ => return Ok(Done::ok("LSUB completed")),
    };
    let full = names::join_reference(&reference, &pattern);
    let user = cx.user_id();
    let names = cx.store().list_subscriptions(user).await?;
    let subscribed: BTreeSet<&str> = names.iter().map(String::as_str).collect();
    let mut shown: BTreeSet<(String, bool)> = BTreeSet::new();
    for name in &subscribed {
        if names::matches(&full, name) {
            shown.insert(((*name).to_owned(), false));
        }
        for a in names::ancestors(name) {
            if !subscribed.contains(a) && names::matches(&full, a) && full.contains('%') {
                shown.insert((a.to_owned(), true));
            }
        }
    }
    for (name, placeholder) in shown {
        let items = if placeholder {
            vec![FlagNameAttribute::Noselect]
        } else {
            Vec::new()
        };
        let mailbox = to_mailbox(cx.enabled.utf8, &name);
        cx.push(&response::data(Data::Lsub {
            items,
            delimiter: QuotedChar::try_from(DELIMITER).ok(),
            mailbox,
        }));
    }
    Ok(Done::ok("LSUB completed"))
}
