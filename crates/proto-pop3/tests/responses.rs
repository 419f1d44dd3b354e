//! Tests for status lines, response codes and the CAPA builder.

use heron_proto_pop3::{MAX_RESPONSE_LINE, RespCode, capa, err, ok};

#[test]
fn ok_lines() {
    assert_eq!(ok("text"), b"+OK text\r\n");
    assert_eq!(ok(""), b"+OK\r\n");
    assert_eq!(ok("2 320"), b"+OK 2 320\r\n");
}

#[test]
fn err_lines() {
    assert_eq!(err(None, "no such message"), b"-ERR no such message\r\n");
    assert_eq!(err(None, ""), b"-ERR\r\n");
    assert_eq!(
        err(Some(RespCode::InUse), "text"),
        b"-ERR [IN-USE] text\r\n"
    );
    assert_eq!(err(Some(RespCode::Auth), ""), b"-ERR [AUTH]\r\n");
}

#[test]
fn every_response_code() {
    let table = [
        (RespCode::InUse, "IN-USE"),
        (RespCode::LoginDelay, "LOGIN-DELAY"),
        (RespCode::SysTemp, "SYS/TEMP"),
        (RespCode::SysPerm, "SYS/PERM"),
        (RespCode::Auth, "AUTH"),
        (RespCode::Utf8, "UTF8"),
    ];
    for (code, text) in table {
        assert_eq!(code.as_str(), text);
        assert_eq!(code.to_string(), text);
        let expected = format!("-ERR [{text}] x\r\n");
        assert_eq!(err(Some(code), "x"), expected.as_bytes());
    }
}

#[test]
fn reply_text_cannot_inject_lines() {
    assert_eq!(ok("a\r\nb\0c\n"), b"+OK abc\r\n");
    assert_eq!(
        err(Some(RespCode::SysTemp), "x\r\n+OK forged"),
        b"-ERR [SYS/TEMP] x+OK forged\r\n"
    );
    assert_eq!(ok("\r\n"), b"+OK\r\n");
}

#[test]
fn long_text_is_truncated_on_a_char_boundary() {
    let long = "\u{e9}".repeat(1000);
    for line in [ok(&long), err(Some(RespCode::LoginDelay), &long)] {
        assert!(line.len() <= MAX_RESPONSE_LINE);
        assert!(line.ends_with(b"\r\n"));
        assert!(std::str::from_utf8(&line).is_ok());
        assert_eq!(line.iter().filter(|&&b| b == b'\n').count(), 1);
    }
    let ascii = "a".repeat(1000);
    assert_eq!(ok(&ascii).len(), MAX_RESPONSE_LINE);
}

#[test]
fn capa_lists_capabilities() {
    assert_eq!(
        capa(&["TOP", "UIDL", "SASL PLAIN"]),
        b"+OK Capability list follows\r\nTOP\r\nUIDL\r\nSASL PLAIN\r\n.\r\n"
    );
    assert_eq!(capa(&[]), b"+OK Capability list follows\r\n.\r\n");
}

#[test]
fn capa_sanitises_lines() {
    assert_eq!(
        capa(&["USER\r\n.", "", "\r\n", ".odd"]),
        b"+OK Capability list follows\r\nUSER.\r\n..odd\r\n.\r\n"
    );
}
