//! The message as it goes after DATA (RFC 5321 §4.1.1.4): every line ending CR LF,
//! dot-stuffed (§4.5.2), ended by `CRLF.CRLF`.
//!
//! Invariants: the output holds no bare CR or LF (each becomes CR LF, so no receiver can
//! read an early end of data into it: "SMTP smuggling"); a line starting with "." gets a
//! second one; the output ends with exactly one `.` line after a CR LF.

/// A message ready to send.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Body {
    /// What to write after 354, terminator included.
    pub wire: Vec<u8>,
    /// RFC 1870 §4 size: the message with CR LF line endings, without stuffing and terminator.
    pub size: u64,
    /// Whether any octet has the high bit set (RFC 6152 8BITMIME).
    pub eight_bit: bool,
}

/// Normalizes line endings, dot-stuffs and terminates `message`.
pub(crate) fn encode(message: &[u8]) -> Body {
    let mut wire = Vec::with_capacity(message.len() + message.len() / 64 + 5);
    let mut stuffed = 0u64;
    let mut line_start = true;
    let mut bytes = message.iter().copied().peekable();
    while let Some(b) = bytes.next() {
        match b {
            b'\r' => {
                // CR LF, or a bare CR made into one.
                bytes.next_if_eq(&b'\n');
                wire.extend_from_slice(b"\r\n");
                line_start = true;
            }
            b'\n' => {
                wire.extend_from_slice(b"\r\n");
                line_start = true;
            }
            _ => {
                if line_start && b == b'.' {
                    wire.push(b'.');
                    stuffed += 1;
                }
                wire.push(b);
                line_start = false;
            }
        }
    }
    if !line_start {
        wire.extend_from_slice(b"\r\n");
    }
    let size = wire.len() as u64 - stuffed;
    wire.extend_from_slice(b".\r\n");
    Body {
        wire,
        size,
        eight_bit: message.iter().any(|&b| b >= 0x80),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let table: &[(&[u8], &[u8], u64)] = &[
            (b"", b".\r\n", 0),
            (b"a\r\n", b"a\r\n.\r\n", 3),
            (b"a", b"a\r\n.\r\n", 3),
            (b"a\nb\n", b"a\r\nb\r\n.\r\n", 6),
            (b"a\rb", b"a\r\nb\r\n.\r\n", 6),
            (b".\r\n", b"..\r\n.\r\n", 3),
            (
                b"x\r\n.hidden\r\n..two\r\n",
                b"x\r\n..hidden\r\n...two\r\n.\r\n",
                19,
            ),
            (b"a.b\r\n", b"a.b\r\n.\r\n", 5),
            // A bare-LF end of data inside the message stays text.
            (b"a\n.\nb", b"a\r\n..\r\nb\r\n.\r\n", 9),
            (b"a\r\n.\rb", b"a\r\n..\r\nb\r\n.\r\n", 9),
            (b"\r\n\r\n", b"\r\n\r\n.\r\n", 4),
        ];
        for (input, wire, size) in table {
            let body = encode(input);
            assert_eq!(
                String::from_utf8_lossy(&body.wire),
                String::from_utf8_lossy(wire),
                "{:?}",
                String::from_utf8_lossy(input)
            );
            assert_eq!(body.size, *size, "{:?}", String::from_utf8_lossy(input));
            assert!(!body.eight_bit);
        }
    }

    #[test]
    fn eight_bit() {
        assert!(encode("Subject: café\r\n".as_bytes()).eight_bit);
        assert!(!encode(b"Subject: cafe\r\n").eight_bit);
    }
}
