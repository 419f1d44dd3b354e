//! Mass messaging: an administrator's message delivered straight into the INBOX of every
//! user of the server, of one domain, every domain administrator, or one user.
//!
//! Invariants: the target is validated and authorised before any lookup (a domain
//! administrator may reach only users of their own domain); the message is built once and
//! stored once, every recipient's INBOX sharing its bytes, in one durable write; bulk
//! targets leave out disabled users and users of disabled domains.

use axum::Json;
use axum::extract::State;
use heron_directory::Directory;
use heron_directory::address::normalise_domain;
use heron_store::{NewMessage, Role, User};
use mail_builder::MessageBuilder;
use mail_builder::headers::address::Address as MailAddress;
use mail_builder::headers::date::Date;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::session::parse_address;
use crate::auth::{Caller, Shared};
use crate::authz::Action;
use crate::body::Body;
use crate::error::{ApiError, ApiResult, ErrorBody};

/// Longest subject, in characters.
const MAX_SUBJECT: usize = 900;

/// A message to send.
#[derive(Deserialize, ToSchema)]
pub struct MessageRequest {
    /// `all`, `domain`, `domain-admins` or `user`.
    pub to: String,
    /// The domain, with `to` = `domain`.
    pub domain: Option<String>,
    /// The user's address, with `to` = `user`.
    pub user: Option<String>,
    pub subject: String,
    /// Plain text.
    pub body: String,
}

/// How many mailboxes received it.
#[derive(Serialize, ToSchema)]
pub struct Delivered {
    pub delivered: usize,
}

/// Who receives a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// Every enabled user of every enabled domain.
    All,
    /// Every enabled user of one domain (lower-case).
    Domain(String),
    /// Every enabled domain administrator.
    DomainAdmins,
    /// One user (lower-case address).
    User { address: String, domain: String },
}

impl Target {
    /// The request's target, validated (422 naming the field).
    pub fn parse(req: &MessageRequest) -> ApiResult<Target> {
        match req.to.as_str() {
            "all" => Ok(Target::All),
            "domain-admins" => Ok(Target::DomainAdmins),
            "domain" => {
                let d = req
                    .domain
                    .as_deref()
                    .ok_or_else(|| ApiError::invalid("domain", "name the domain"))?;
                let d = normalise_domain(d).map_err(|e| ApiError::invalid("domain", e))?;
                Ok(Target::Domain(d))
            }
            "user" => {
                let u = req
                    .user
                    .as_deref()
                    .ok_or_else(|| ApiError::invalid("user", "name the user"))?;
                let a = parse_address(u, "user")?;
                Ok(Target::User {
                    address: a.to_string(),
                    domain: a.domain,
                })
            }
            _ => Err(ApiError::invalid(
                "to",
                "to is all, domain, domain-admins or user",
            )),
        }
    }

    /// What sending to this target needs.
    pub fn action(&self) -> Action {
        match self {
            Target::All | Target::DomainAdmins => Action::SendMessage(None),
            Target::Domain(d) | Target::User { domain: d, .. } => {
                Action::SendMessage(Some(d.clone()))
            }
        }
    }

    /// The domain whose postmaster signs the message, if one.
    fn domain(&self) -> Option<&str> {
        match self {
            Target::All | Target::DomainAdmins => None,
            Target::Domain(d) | Target::User { domain: d, .. } => Some(d),
        }
    }
}

/// Check the subject and body (422 naming the field).
pub fn check_text(subject: &str, body: &str) -> ApiResult<()> {
    if subject.trim().is_empty() {
        return Err(ApiError::invalid("subject", "the subject is empty"));
    }
    if subject.chars().any(char::is_control) {
        return Err(ApiError::invalid(
            "subject",
            "the subject is one line without control characters",
        ));
    }
    if subject.chars().count() > MAX_SUBJECT {
        return Err(ApiError::invalid(
            "subject",
            format!("the subject is at most {MAX_SUBJECT} characters"),
        ));
    }
    if body.trim().is_empty() {
        return Err(ApiError::invalid("body", "the body is empty"));
    }
    if body.contains('\0') {
        return Err(ApiError::invalid(
            "body",
            "the body contains a NUL character",
        ));
    }
    Ok(())
}

/// The users a target names.
pub async fn recipients(dir: &Directory, target: &Target) -> ApiResult<Vec<User>> {
    let enabled = |u: &User| !u.disabled;
    Ok(match target {
        Target::User { address, .. } => vec![dir.user(address).await?],
        Target::Domain(d) => dir
            .list_users(d)
            .await?
            .into_iter()
            .filter(enabled)
            .collect(),
        Target::All | Target::DomainAdmins => {
            let mut out = Vec::new();
            for d in dir.list_domains().await? {
                if d.disabled {
                    continue;
                }
                let users = dir.store().list_users(d.id).await?;
                out.extend(users.into_iter().filter(|u| {
                    enabled(u) && (*target == Target::All || u.role == Role::DomainAdmin)
                }));
            }
            out
        }
    })
}

/// This server's host name: `server.hostname`, else the machine's.
pub fn server_hostname(dir: &Directory) -> String {
    let h = dir.settings().get(heron_settings::defs::SERVER_HOSTNAME);
    if h.is_empty() {
        heron_net::system_hostname()
    } else {
        h
    }
}

/// The message as stored: Return-Path, then the RFC 5322 message from `from`.
pub fn build(
    from: &str,
    to: Option<&str>,
    hostname: &str,
    subject: &str,
    body: &str,
) -> ApiResult<Vec<u8>> {
    let now = chrono::Utc::now().timestamp();
    let id = format!("{:016x}.{now}@{hostname}", rand::random::<u64>());
    let to: MailAddress = match to {
        Some(a) => a.into(),
        // RFC 5322 §3.6.3: an empty group hides the recipients.
        None => ("undisclosed-recipients", Vec::<MailAddress>::new()).into(),
    };
    let msg = MessageBuilder::new()
        .from(("Postmaster", from))
        .to(to)
        .subject(subject)
        .date(Date::new(now))
        .message_id(id)
        .text_body(body.replace("\r\n", "\n"))
        .write_to_vec()
        .map_err(ApiError::internal)?;
    let mut out = format!("Return-Path: <{from}>\r\n").into_bytes();
    out.extend_from_slice(&msg);
    Ok(out)
}

/// Build the message and put it in the INBOX of every user `target` names; how many.
pub async fn send(dir: &Directory, target: &Target, subject: &str, body: &str) -> ApiResult<usize> {
    let users = recipients(dir, target).await?;
    let hostname = server_hostname(dir);
    let from = format!("postmaster@{}", target.domain().unwrap_or(&hostname));
    let to = match target {
        Target::User { address, .. } => Some(address.as_str()),
        _ => None,
    };
    let bytes = build(&from, to, &hostname, subject, body)?;
    let store = dir.store();
    let mut targets = Vec::with_capacity(users.len());
    let mut counted = Vec::with_capacity(users.len());
    for u in &users {
        let Some(inbox) = store.get_folder(u.id, "INBOX").await? else {
            tracing::warn!(target: "delivery", "admin message: user #{} has no INBOX", u.id);
            continue;
        };
        targets.push((
            inbox.id,
            NewMessage {
                flags: Vec::new(),
                internal_date: None,
            },
        ));
        counted.push((u.domain_id, u.id));
    }
    if targets.is_empty() {
        return Ok(0);
    }
    let size = bytes.len() as u64;
    store.deliver(bytes.into(), &targets).await?;
    // OPS-3: each copy put in a mailbox.
    for (domain, user) in counted {
        let e = heron_store::stats::Event::Delivered(size);
        heron_store::stats::recorder().account(domain, Some(user), e);
    }
    Ok(targets.len())
}

/// Send a message into users' INBOXes (a domain administrator: their own domain's users).
#[utoipa::path(operation_id = "messages_send", post, path = "/api/v1/messages", tag = "messages", request_body = MessageRequest,
    responses((status = 200, description = "Delivered", body = Delivered), (status = 400, description = "Malformed request", body = ErrorBody),
        (status = 401, description = "Not authenticated", body = ErrorBody), (status = 403, description = "Forbidden", body = ErrorBody),
        (status = 404, description = "No such domain or user", body = ErrorBody),
        (status = 422, description = "Invalid input (named in `field`)", body = ErrorBody)))]
pub async fn create(
    State(st): State<Shared>,
    caller: Caller,
    Body(req): Body<MessageRequest>,
) -> ApiResult<Json<Delivered>> {
    let target = Target::parse(&req)?;
    caller.allow(target.action())?;
    check_text(&req.subject, &req.body)?;
    let n = send(&st.dir, &target, &req.subject, &req.body).await?;
    let to = match &target {
        Target::All => "all users".to_owned(),
        Target::DomainAdmins => "domain administrators".to_owned(),
        Target::Domain(d) => format!("users of {d}"),
        Target::User { address, .. } => address.clone(),
    };
    caller.event(format!(
        "sent message {:?} to {to}: {n} mailbox(es)",
        req.subject
    ));
    Ok(Json(Delivered { delivered: n }))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn req(to: &str, domain: Option<&str>, user: Option<&str>) -> MessageRequest {
        MessageRequest {
            to: to.into(),
            domain: domain.map(Into::into),
            user: user.map(Into::into),
            subject: "s".into(),
            body: "b".into(),
        }
    }

    #[test]
    fn targets() {
        let t = |r| Target::parse(&r).map_err(|e| e.field);
        assert_eq!(t(req("all", None, None)), Ok(Target::All));
        assert_eq!(
            t(req("domain", Some("A.Test"), None)),
            Ok(Target::Domain("a.test".into()))
        );
        assert_eq!(t(req("domain", None, None)), Err(Some("domain")));
        assert_eq!(
            t(req("domain", Some("not a domain"), None)),
            Err(Some("domain"))
        );
        assert_eq!(t(req("user", None, Some("nope"))), Err(Some("user")));
        assert_eq!(t(req("everyone", None, None)), Err(Some("to")));
        let u = Target::parse(&req("user", None, Some("Ann@A.test"))).unwrap();
        assert_eq!(u.action(), Action::SendMessage(Some("a.test".into())));
        assert_eq!(Target::DomainAdmins.action(), Action::SendMessage(None));
    }

    #[test]
    fn text_checks() {
        let f = |s: &str, b: &str| check_text(s, b).err().and_then(|e| e.field);
        assert_eq!(f("Hello", "world"), None);
        assert_eq!(f(" ", "world"), Some("subject"));
        assert_eq!(f("a\r\nBcc: x@y", "world"), Some("subject"));
        assert_eq!(f("Hello", ""), Some("body"));
    }

    #[test]
    fn builds_a_message() {
        let m = build(
            "postmaster@a.test",
            None,
            "mx.a.test",
            "Grüße",
            "line 1\nline 2\n",
        )
        .unwrap();
        let text = String::from_utf8(m).unwrap();
        assert!(
            text.starts_with("Return-Path: <postmaster@a.test>\r\n"),
            "{text}"
        );
        assert!(
            text.contains("From: \"Postmaster\" <postmaster@a.test>\r\n"),
            "{text}"
        );
        assert!(text.contains("\r\n\r\nline 1\r\nline 2\r\n"), "{text:?}");
        assert!(
            !text.replace("\r\n", "").contains('\n'),
            "bare LF in {text:?}"
        );
        assert!(text.contains("undisclosed-recipients"), "{text}");
        assert!(text.contains("@mx.a.test>\r\n"), "{text}");
        assert!(text.contains("Date: "), "{text}");
        let parsed = mail_parser::MessageParser::default()
            .parse(text.as_bytes())
            .unwrap();
        assert_eq!(parsed.subject(), Some("Grüße"));
        assert!(parsed.body_text(0).unwrap().contains("line 2"));
    }
}
