//! BDAT (RFC 3030 CHUNKING): read exactly the announced octets, whatever the state, so the
//! command stream stays in step; accumulate chunks within the size limit; hand the message
//! over after `LAST`. An over-size message is read to its end and discarded.

use heron_proto_smtp::{ChunkReader, reply};

use crate::deliver;
use crate::session::{Flow, Session};

/// Run BDAT.
pub async fn execute(s: &mut Session<'_>, size: u64, last: bool) -> Flow {
    let valid = s.dlg.tx.as_ref().is_some_and(|t| !t.accepted.is_empty());
    let limit = s.dlg.tx.as_ref().map_or(0, |t| t.max_size.reader_limit());
    let mut chunks = if valid {
        s.dlg
            .chunks
            .take()
            .unwrap_or_else(|| ChunkReader::new(limit))
    } else {
        ChunkReader::new(0)
    };
    chunks.begin_chunk(size, last);
    let mut hold = s.dlg.chunks_hold.take().unwrap_or_else(|| s.body_hold());
    while !chunks.chunk_complete() {
        let data = match s.read_body().await {
            Ok(d) => d,
            Err(flow) => return flow,
        };
        let used = chunks.feed(&data);
        if valid && !hold.cover(chunks.capacity(), &s.svc.settings) {
            chunks.give_up();
        }
        s.client.framer().unread(&data[used..]);
    }
    if !valid {
        let r = if s.dlg.tx.is_none() {
            reply::BAD_SEQUENCE.with_text("Send MAIL first")
        } else {
            reply::NO_VALID_RECIPIENTS
        };
        return s.reply(r, Flow::Bad).await;
    }
    if let Some(r) = hold.refusal() {
        s.reset_transaction();
        return s.reply(r, Flow::Continue).await;
    }
    if chunks.is_too_big() {
        let r = s
            .dlg
            .tx
            .as_ref()
            .map_or(reply::MESSAGE_TOO_BIG, |t| t.max_size.refusal());
        s.reset_transaction();
        return s.reply(r, Flow::Continue).await;
    }
    if !last {
        let total = chunks.total();
        s.dlg.chunks = Some(chunks);
        s.dlg.chunks_hold = Some(hold);
        return s
            .reply(
                reply::OK.with_text(format!("{size} octets received, {total} in total")),
                Flow::Continue,
            )
            .await;
    }
    let Some(tx) = s.dlg.tx.take() else {
        return Flow::Close;
    };
    match chunks.finish() {
        Ok(body) => {
            let id = s.next_message_id();
            let r = deliver::accept(s, &id, tx, body).await;
            s.reply(r, Flow::Continue).await
        }
        Err(e) => s.reply(e.reply(), Flow::Continue).await,
    }
}
