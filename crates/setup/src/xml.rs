//! Escaping for XML text and attribute values (the configuration documents and plists).

/// `s` with `&`, `<`, `>`, `"` and `'` escaped and control characters dropped, safe as XML
/// text or inside a quoted attribute.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if c.is_control() && c != '\t' && c != '\n' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_markup() {
        assert_eq!(
            super::escape("a<b>&\"c'\u{0}"),
            "a&lt;b&gt;&amp;&quot;c&apos;"
        );
    }
}
