//! Trace headers at final delivery: the Return-Path (RFC 5321 §4.4) recording the envelope
//! sender. The Received line is built where the message is accepted ([`crate::deliver`]).

/// The Return-Path header; `<>` for the null sender. Characters that could break the header
/// are dropped.
pub fn return_path(sender: &str) -> String {
    let clean: String = sender
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '<' | '>'))
        .collect();
    format!("Return-Path: <{clean}>\r\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_path_forms() {
        assert_eq!(return_path(""), "Return-Path: <>\r\n");
        assert_eq!(return_path("a@b.test"), "Return-Path: <a@b.test>\r\n");
        assert_eq!(return_path("a\r\nX: y@b>"), "Return-Path: <aX: y@b>\r\n");
    }
}
