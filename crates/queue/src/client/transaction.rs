//! One mail transaction (RFC 5321 §3.3): MAIL, RCPT for each recipient, DATA and the
//! message, pipelined when the server offers PIPELINING (RFC 2920), and the per-recipient
//! outcome of what the server answered.
//!
//! Invariants: the message is only sent when MAIL and at least one RCPT were accepted and
//! DATA got 354; replies are read in the order the commands were sent; when the exchange
//! stops before the end of data, the caller sends RSET so the connection can be reused.

use super::data::Body;
use super::stream::Stream;
use super::{ClientError, Reply};
use heron_proto_smtp::client::reply::{OK, START_MAIL_INPUT};

/// What became of one recipient.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The server took responsibility for the message (2xx after the data).
    Delivered(Reply),
    /// Refused for now (4xx, or no usable reply); try again later.
    Temporary(Reply),
    /// Refused for good (5xx); bounce.
    Permanent(Reply),
}

impl Outcome {
    /// The reply behind the outcome.
    pub fn reply(&self) -> &Reply {
        match self {
            Outcome::Delivered(r) | Outcome::Temporary(r) | Outcome::Permanent(r) => r,
        }
    }

    /// A refusal: permanent for 5xx, temporary for anything else.
    pub(crate) fn refusal(reply: &Reply) -> Outcome {
        if reply.is_permanent() {
            Outcome::Permanent(reply.clone())
        } else {
            Outcome::Temporary(reply.clone())
        }
    }
}

/// The outcome for one recipient of the envelope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RcptResult {
    /// The recipient address, as in the envelope.
    pub address: String,
    /// What happened to it.
    pub outcome: Outcome,
}

/// The server's answers in one transaction, as far as it went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Replies {
    /// The reply to MAIL.
    pub mail: Reply,
    /// One reply per RCPT sent, in order (empty if MAIL was refused and RCPTs not sent).
    pub rcpts: Vec<Reply>,
    /// The reply to DATA, if sent.
    pub data: Option<Reply>,
    /// The reply after the end of data, if the message was sent.
    pub end: Option<Reply>,
}

impl Replies {
    /// Whether the transaction reached its end (the caller need not RSET).
    pub fn completed(&self) -> bool {
        self.end.is_some()
    }

    fn any_accepted(&self) -> bool {
        self.mail.is_positive() && self.rcpts.iter().any(Reply::is_positive)
    }
}

/// The outcome of each of `sent` recipients (in the order their RCPTs were sent).
pub(crate) fn outcomes(replies: &Replies, sent: usize) -> Vec<Outcome> {
    (0..sent)
        .map(|i| {
            // MAIL refused: every recipient shares its fate.
            if !replies.mail.is_positive() {
                return Outcome::refusal(&replies.mail);
            }
            let Some(rcpt) = replies.rcpts.get(i) else {
                return Outcome::Temporary(not_attempted());
            };
            if !rcpt.is_positive() {
                return Outcome::refusal(rcpt);
            }
            match (&replies.data, &replies.end) {
                (_, Some(end)) if end.is_positive() => Outcome::Delivered(end.clone()),
                (_, Some(end)) => Outcome::refusal(end),
                (Some(data), None) if data.code != START_MAIL_INPUT => Outcome::refusal(data),
                _ => Outcome::Temporary(not_attempted()),
            }
        })
        .collect()
}

/// The reply standing for "the server never answered for this one".
fn not_attempted() -> Reply {
    Reply {
        code: 451,
        esc: Some("4.4.2".into()),
        text: "transaction ended before this recipient was settled".into(),
    }
}

/// RFC 2920 §3.1: MAIL, every RCPT and DATA in one write, then the replies in order. The
/// message follows only if the server said 354 and accepted someone; a 354 with nobody
/// accepted is closed with an empty message (the caller then sends RSET).
pub(crate) async fn pipelined(
    stream: &mut Stream,
    mail: &str,
    rcpts: &[String],
    body: &Body,
) -> Result<Replies, ClientError> {
    let mut batch =
        String::with_capacity(mail.len() + rcpts.iter().map(String::len).sum::<usize>() + 6);
    batch.push_str(mail);
    for rcpt in rcpts {
        batch.push_str(rcpt);
    }
    batch.push_str("DATA\r\n");
    stream.send(batch.as_bytes(), "MAIL").await?;
    let mut replies = Replies {
        mail: stream.reply("MAIL").await?.reply,
        rcpts: Vec::with_capacity(rcpts.len()),
        data: None,
        end: None,
    };
    for _ in rcpts {
        replies.rcpts.push(stream.reply("RCPT").await?.reply);
    }
    let data = stream.reply("DATA").await?.reply;
    let go = data.code == START_MAIL_INPUT;
    replies.data = Some(data);
    if go {
        if replies.any_accepted() {
            replies.end = Some(send_message(stream, body).await?);
        } else {
            stream.send(b".\r\n", "DATA").await?;
            stream.reply("DATA").await?;
        }
    }
    Ok(replies)
}

/// Without PIPELINING: one command, one reply; stop at the first step that fails for all.
pub(crate) async fn one_by_one(
    stream: &mut Stream,
    mail: &str,
    rcpts: &[String],
    body: &Body,
) -> Result<Replies, ClientError> {
    let mut replies = Replies {
        mail: stream.command(mail, "MAIL").await?.reply,
        rcpts: Vec::with_capacity(rcpts.len()),
        data: None,
        end: None,
    };
    if !replies.mail.is_positive() {
        return Ok(replies);
    }
    for rcpt in rcpts {
        replies
            .rcpts
            .push(stream.command(rcpt, "RCPT").await?.reply);
    }
    if !replies.any_accepted() {
        return Ok(replies);
    }
    let data = stream.command("DATA\r\n", "DATA").await?.reply;
    let go = data.code == START_MAIL_INPUT;
    replies.data = Some(data);
    if go {
        replies.end = Some(send_message(stream, body).await?);
    }
    Ok(replies)
}

/// Writes the message and reads the reply to its end.
async fn send_message(stream: &mut Stream, body: &Body) -> Result<Reply, ClientError> {
    stream.send_body(&body.wire).await?;
    let end = stream.reply("end of data").await?.reply;
    if end.code / 100 == 3 {
        return Err(ClientError::Protocol(format!(
            "unexpected reply after the data: {end}"
        )));
    }
    Ok(end)
}

/// RSET (RFC 5321 §4.1.1.5): abandon what is left of the transaction. False if the server
/// did not confirm, and the connection should not be reused.
pub(crate) async fn rset(stream: &mut Stream) -> Result<bool, ClientError> {
    Ok(stream.command("RSET\r\n", "RSET").await?.reply.code == OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(code: u16) -> Reply {
        Reply {
            code,
            esc: None,
            text: format!("text {code}"),
        }
    }

    fn replies(mail: u16, rcpts: &[u16], data: Option<u16>, end: Option<u16>) -> Replies {
        Replies {
            mail: r(mail),
            rcpts: rcpts.iter().copied().map(r).collect(),
            data: data.map(r),
            end: end.map(r),
        }
    }

    #[test]
    fn delivered_and_refused_recipients() {
        let got = outcomes(&replies(250, &[250, 450, 550], Some(354), Some(250)), 3);
        assert_eq!(
            got,
            [
                Outcome::Delivered(r(250)),
                Outcome::Temporary(r(450)),
                Outcome::Permanent(r(550))
            ]
        );
    }

    #[test]
    fn mail_refused_applies_to_everyone() {
        let got = outcomes(&replies(452, &[503, 503], Some(503), None), 2);
        assert_eq!(
            got,
            [Outcome::Temporary(r(452)), Outcome::Temporary(r(452))]
        );
        let got = outcomes(&replies(553, &[], None, None), 2);
        assert_eq!(
            got,
            [Outcome::Permanent(r(553)), Outcome::Permanent(r(553))]
        );
    }

    #[test]
    fn data_and_end_refusals_hit_accepted_recipients_only() {
        let got = outcomes(&replies(250, &[250, 550], Some(554), None), 2);
        assert_eq!(
            got,
            [Outcome::Permanent(r(554)), Outcome::Permanent(r(550))]
        );
        let got = outcomes(&replies(250, &[250, 251], Some(451), None), 2);
        assert_eq!(
            got,
            [Outcome::Temporary(r(451)), Outcome::Temporary(r(451))]
        );
        let got = outcomes(&replies(250, &[250, 450], Some(354), Some(552)), 2);
        assert_eq!(
            got,
            [Outcome::Permanent(r(552)), Outcome::Temporary(r(450))]
        );
        let got = outcomes(&replies(250, &[250], Some(354), Some(421)), 1);
        assert_eq!(got, [Outcome::Temporary(r(421))]);
    }

    #[test]
    fn missing_replies_are_temporary() {
        let got = outcomes(&replies(250, &[250], None, None), 2);
        assert!(matches!(got[0], Outcome::Temporary(_)));
        assert!(matches!(got[1], Outcome::Temporary(_)));
        assert!(!replies(250, &[250], Some(554), None).completed());
        assert!(replies(250, &[250], Some(354), Some(250)).completed());
    }
}
