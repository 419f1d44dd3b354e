//! VRFY and EXPN (RFC 5321 §3.5), each off by default (PROTO-5) because they help address
//! harvesting. When on, they answer only for hosted domains.

use heron_proto_smtp::reply;
use heron_settings::defs;

use crate::SmtpService;
use crate::parts::Answer;

/// Run VRFY (`expn` false) or EXPN.
pub async fn execute(svc: &SmtpService, arg: String, expn: bool) -> Answer {
    let enabled = if expn {
        svc.settings.get(defs::SMTP_EXPN)
    } else {
        svc.settings.get(defs::SMTP_VRFY)
    };
    if !enabled {
        let r = if expn {
            reply::NOT_IMPLEMENTED.with_text("EXPN is disabled")
        } else {
            reply::VRFY_DISABLED
        };
        return Answer::go_on(r);
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
    let local = matches!(svc.dir.is_local_domain(&domain).await, Ok(true));
    let resolved = if local {
        svc.dir.resolve(&address).await.ok()
    } else {
        None
    };
    let Some(r) = resolved.filter(|r| !r.is_empty()) else {
        return Answer::go_on(
            reply::NO_SUCH_USER.with_text(format!("{address}: no such user here")),
        );
    };
    let mut lines: Vec<String> = Vec::new();
    for u in &r.mailboxes {
        let d = svc
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
    Answer::go_on(reply::OK.with_text(lines.join("\n")))
}
