//! Fuzz target: the header-block reader every crate uses (`heron_message`: where the header
//! ends, its fields) and the SMTP server's checks on it (Received hop count, field presence) must never panic and must agree with
//! itself: the header ends just after an empty line, and nothing after it is counted.

#![no_main]

use heron_proto_smtp::{count_received, has_header};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let received = count_received(data);
    let lines = data.iter().filter(|&&b| b == b'\n').count() + 1;
    assert!(received <= lines);
    let any_received = has_header(data, "received");
    assert_eq!(any_received, received > 0);
    let _ = has_header(data, "Message-ID");
    let _ = has_header(data, "");

    let block = heron_message::header_block(data);
    match block.has_separator().then_some(block.body_start) {
        Some(end) => {
            assert!(end <= data.len());
            let head = &data[..end];
            assert!(
                head == b"\n"
                    || head == b"\r\n"
                    || head.ends_with(b"\n\n")
                    || head.ends_with(b"\n\r\n")
            );
            // Only the header block counts: a body full of Received lines adds nothing.
            let mut with_body = data.to_vec();
            with_body.extend_from_slice(b"Received: from x\r\n");
            assert_eq!(count_received(&with_body), received);
        }
        None => assert!(
            !data.windows(2).any(|w| w == b"\n\n")
                && !data.windows(3).any(|w| w == b"\n\r\n")
                && !data.starts_with(b"\n")
                && !data.starts_with(b"\r\n")
        ),
    }
});
