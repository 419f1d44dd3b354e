//! VRFY and EXPN (RFC 5321 §3.5), each off by default (PROTO-5) because they help address
//! harvesting. When on, they answer only for hosted domains.

use heron_proto_smtp::reply;
use heron_settings::defs;

use crate::session::{Flow, Session};

/// Run VRFY (`expn` false) or EXPN.
pub async fn execute(s: &mut Session<'_>, arg: String, expn: bool) -> Flow {
    let enabled = if expn {
        s.svc.settings.get(defs::SMTP_EXPN)
    } else {
        s.svc.settings.get(defs::SMTP_VRFY)
    };
    if !enabled {
        let r = if expn {
            reply::NOT_IMPLEMENTED.with_text("EXPN is disabled")
        } else {
            reply::VRFY_DISABLED
        };
        return s.reply(r, Flow::Continue).await;
    }
    let address = arg
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_owned();
    let domain = address
        .rsplit_once('@')
        .map(|(_, d)| d.to_owned())
        .unwrap_or_default();
    let local = matches!(s.svc.dir.is_local_domain(&domain).await, Ok(true));
    let resolved = if local {
        s.svc.dir.resolve(&address).await.ok()
    } else {
        None
    };
    let Some(r) = resolved.filter(|r| !r.is_empty()) else {
        return s
            .reply(
                reply::NO_SUCH_USER.with_text(format!("{address}: no such user here")),
                Flow::Continue,
            )
            .await;
    };
    let mut lines: Vec<String> = Vec::new();
    for u in &r.mailboxes {
        let d = s
            .svc
            .dir
            .store()
            .get_domain_by_id(u.domain_id)
            .await
            .ok()
            .flatten()
            .map(|d| d.name)
            .unwrap_or_default();
        lines.push(format!("<{}@{d}>", u.local));
    }
    lines.extend(r.remote.iter().map(|a| format!("<{a}>")));
    if !expn {
        lines.truncate(1);
    }
    s.reply(reply::OK.with_text(lines.join("\n")), Flow::Continue)
        .await
}
