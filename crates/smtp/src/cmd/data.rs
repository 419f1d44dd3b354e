//! DATA (RFC 5321 §4.1.1.4): read the message to its terminator without keeping more than
//! the size limit, then hand it over. Bare LF or CR is refused (RFC 5321 §2.3.8), so no
//! message can hide another.

use heron_proto_smtp::{Body, DataError, DataReader, Feed, reply};

use crate::deliver;
use crate::session::{Flow, Session};

/// Run DATA.
pub async fn execute(s: &mut Session<'_>) -> Flow {
    let Some(tx) = &s.dlg.tx else {
        return s
            .reply(reply::BAD_SEQUENCE.with_text("Send MAIL first"), Flow::Bad)
            .await;
    };
    if tx.accepted.is_empty() {
        return s.reply(reply::NO_VALID_RECIPIENTS, Flow::Bad).await;
    }
    if s.dlg.chunks.is_some() {
        // RFC 3030 §2: DATA may not follow BDAT in one transaction.
        return s
            .reply(
                reply::BAD_SEQUENCE.with_text("DATA not allowed after BDAT"),
                Flow::Bad,
            )
            .await;
    }
    if tx.params.body == Some(Body::BinaryMime) {
        return s
            .reply(
                reply::BAD_SEQUENCE.with_text("BINARYMIME requires BDAT"),
                Flow::Bad,
            )
            .await;
    }
    let limit = tx.max_size.reader_limit();
    if s.send(&reply::START_DATA).await.is_err() {
        return Flow::Close;
    }
    let mut reader = DataReader::new(limit);
    let mut hold = s.body_hold();
    loop {
        let chunk = match s.read_body().await {
            Ok(c) => c,
            Err(flow) => return flow,
        };
        let fed = reader.feed(&chunk);
        if !hold.cover(reader.capacity(), &s.svc.settings) {
            reader.give_up();
        }
        if let Feed::Done { consumed } = fed {
            s.client.framer().unread(&chunk[consumed..]);
            break;
        }
    }
    let Some(tx) = s.dlg.tx.take() else {
        return Flow::Close;
    };
    if let Some(r) = hold.refusal() {
        return s.reply(r, Flow::Continue).await;
    }
    match reader.finish() {
        Ok(body) => {
            let id = s.next_message_id();
            let r = deliver::accept(s, &id, tx, body).await;
            s.reply(r, Flow::Continue).await
        }
        Err(e) => {
            tracing::info!(target: "smtp", "message refused: {e}");
            let r = match e {
                DataError::TooBig { .. } => tx.max_size.refusal(),
                e => e.reply(),
            };
            s.reply(r, Flow::Continue).await
        }
    }
}
