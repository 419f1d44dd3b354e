//! Command options `imap-codec` does not parse, taken out of the command before it is:
//! SEARCH `RETURN (...)` (ESEARCH, RFC 4731 §3.1) and LIST selection and return options
//! (LIST-EXTENDED, RFC 5258 §3; LIST-STATUS, RFC 5819; SPECIAL-USE, RFC 6154).
//!
//! Invariants: only the exact grammar positions are touched (right after the command name
//! for SEARCH RETURN and LIST selection options, the end of the command for LIST RETURN);
//! anything else is left to the command parser, which rejects what it does not know; an
//! unknown option is an error, never silently ignored.

use std::borrow::Cow;

use imap_codec::imap_types::status::StatusDataItemName;

/// What ESEARCH RETURN asked for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SearchReturn {
    pub min: bool,
    pub max: bool,
    pub count: bool,
    pub all: bool,
}

/// LIST-EXTENDED selection and return options.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListOptions {
    /// Selection SUBSCRIBED: only subscribed mailboxes (implies RETURN SUBSCRIBED).
    pub subscribed_only: bool,
    /// Selection RECURSIVEMATCH (accepted; children info is not sent).
    pub recursive: bool,
    pub return_subscribed: bool,
    pub return_children: bool,
    pub return_special_use: bool,
    /// RETURN (STATUS (...)).
    pub status: Option<Vec<StatusDataItemName>>,
    /// Whether any extended syntax was used.
    pub extended: bool,
}

/// Options taken out of a command.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Extras {
    pub search: Option<SearchReturn>,
    pub list: ListOptions,
}

/// The command bytes without the options, and the options.
pub fn split(bytes: &[u8]) -> Result<(Cow<'_, [u8]>, Extras), &'static str> {
    let mut words = bytes.splitn(4, |&b| b == b' ');
    let _tag = words.next();
    let first = words.next().unwrap_or_default();
    let second = words.next().unwrap_or_default();
    let mut extras = Extras::default();
    let is = |w: &[u8], name: &str| w.eq_ignore_ascii_case(name.as_bytes());
    // Position just after "tag SEARCH " or "tag UID SEARCH ".
    let offset = |sub: &[u8]| sub.as_ptr() as usize - bytes.as_ptr() as usize;
    let search_at = if is(first, "SEARCH") {
        Some(offset(first) + 7)
    } else if is(first, "UID") && is(second, "SEARCH") {
        Some(offset(second) + 7)
    } else {
        None
    };
    if let Some(at) = search_at {
        return search_return(bytes, at, extras);
    }
    if is(first, "LIST") {
        let at = offset(first) + 5;
        let (out, opts) = list_options(bytes, at)?;
        extras.list = opts;
        return Ok((out, extras));
    }
    Ok((Cow::Borrowed(bytes), extras))
}

fn search_return(
    bytes: &[u8],
    at: usize,
    mut extras: Extras,
) -> Result<(Cow<'_, [u8]>, Extras), &'static str> {
    let rest = bytes.get(at..).unwrap_or_default();
    let Some(after) = strip_word(rest, "RETURN ") else {
        return Ok((Cow::Borrowed(bytes), extras));
    };
    let (inner, tail) = group(after).ok_or("bad RETURN options")?;
    let tail = tail.strip_prefix(b" ").ok_or("bad RETURN options")?;
    let mut r = SearchReturn::default();
    for opt in atoms(inner) {
        match opt.to_ascii_uppercase().as_str() {
            "MIN" => r.min = true,
            "MAX" => r.max = true,
            "COUNT" => r.count = true,
            "ALL" => r.all = true,
            _ => return Err("unsupported RETURN option"),
        }
    }
    if r == SearchReturn::default() {
        // RFC 4731 §3.1: RETURN () means RETURN (ALL).
        r.all = true;
    }
    extras.search = Some(r);
    let mut out = bytes[..at].to_vec();
    out.extend_from_slice(tail);
    Ok((Cow::Owned(out), extras))
}

fn list_options(bytes: &[u8], at: usize) -> Result<(Cow<'_, [u8]>, ListOptions), &'static str> {
    let mut opts = ListOptions::default();
    let mut out: Vec<u8> = bytes[..at.min(bytes.len())].to_vec();
    let mut rest = bytes.get(at..).unwrap_or_default();
    // RFC 5258 §3: LIST [SP list-select-opts] SP mailbox SP mbox-or-pat [SP list-return-opts]
    if rest.starts_with(b"(") {
        let (inner, tail) = group(rest).ok_or("bad LIST selection options")?;
        rest = tail
            .strip_prefix(b" ")
            .ok_or("bad LIST selection options")?;
        opts.extended = true;
        for o in atoms(inner) {
            match o.to_ascii_uppercase().as_str() {
                "SUBSCRIBED" => {
                    opts.subscribed_only = true;
                    opts.return_subscribed = true;
                }
                "RECURSIVEMATCH" => opts.recursive = true,
                "REMOTE" | "SPECIAL-USE" => {}
                _ => return Err("unsupported LIST selection option"),
            }
        }
    }
    let body = rest.strip_suffix(b"\r\n").unwrap_or(rest);
    let Some(pos) = find_return(body) else {
        out.extend_from_slice(rest);
        return Ok((Cow::Owned(out), opts));
    };
    let (inner, tail) = group(&body[pos + 8..]).ok_or("bad LIST return options")?;
    if !tail.is_empty() {
        return Err("bad LIST return options");
    }
    opts.extended = true;
    return_options(inner, &mut opts)?;
    out.extend_from_slice(&body[..pos]);
    out.extend_from_slice(b"\r\n");
    Ok((Cow::Owned(out), opts))
}

fn return_options(inner: &[u8], opts: &mut ListOptions) -> Result<(), &'static str> {
    let mut rest = inner;
    while !rest.is_empty() {
        let word_end = rest.iter().position(|&b| b == b' ').unwrap_or(rest.len());
        let word = String::from_utf8_lossy(&rest[..word_end]).to_ascii_uppercase();
        rest = rest.get(word_end + 1..).unwrap_or_default();
        match word.as_str() {
            "SUBSCRIBED" => opts.return_subscribed = true,
            "CHILDREN" => opts.return_children = true,
            "SPECIAL-USE" => opts.return_special_use = true,
            "STATUS" => {
                let (items, tail) = group(rest).ok_or("bad STATUS return option")?;
                rest = tail.strip_prefix(b" ").unwrap_or(tail);
                let names = atoms(items)
                    .map(|a| status_item(&a).ok_or("unknown STATUS item"))
                    .collect::<Result<Vec<_>, _>>()?;
                opts.status = Some(names);
            }
            "" => {}
            _ => return Err("unsupported LIST return option"),
        }
    }
    Ok(())
}

/// A STATUS data item by name.
pub fn status_item(name: &str) -> Option<StatusDataItemName> {
    Some(match name.to_ascii_uppercase().as_str() {
        "MESSAGES" => StatusDataItemName::Messages,
        "RECENT" => StatusDataItemName::Recent,
        "UIDNEXT" => StatusDataItemName::UidNext,
        "UIDVALIDITY" => StatusDataItemName::UidValidity,
        "UNSEEN" => StatusDataItemName::Unseen,
        "DELETED" => StatusDataItemName::Deleted,
        "SIZE" => StatusDataItemName::Size,
        "HIGHESTMODSEQ" => StatusDataItemName::HighestModSeq,
        _ => return None,
    })
}

/// Where ` RETURN (` starts, when the command ends with that group.
fn find_return(body: &[u8]) -> Option<usize> {
    let upper: Vec<u8> = body.iter().map(u8::to_ascii_uppercase).collect();
    let pos = upper.windows(9).rposition(|w| w == b" RETURN (")?;
    group(&body[pos + 8..]).filter(|(_, t)| t.is_empty())?;
    Some(pos)
}

fn strip_word<'b>(b: &'b [u8], word: &str) -> Option<&'b [u8]> {
    let n = word.len();
    (b.len() >= n && b[..n].eq_ignore_ascii_case(word.as_bytes())).then(|| &b[n..])
}

/// A parenthesised group at the start: (its inside, what follows it). Nested groups count.
fn group(b: &[u8]) -> Option<(&[u8], &[u8])> {
    if b.first() != Some(&b'(') {
        return None;
    }
    let mut depth = 0usize;
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return Some((&b[1..i], &b[i + 1..]));
                }
            }
            b'"' | b'{' | b'\r' | b'\n' => return None,
            _ => {}
        }
    }
    None
}

fn atoms(b: &[u8]) -> impl Iterator<Item = String> + '_ {
    b.split(|&c| c == b' ')
        .filter(|w| !w.is_empty())
        .map(|w| String::from_utf8_lossy(w).into_owned())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn run(s: &str) -> (String, Extras) {
        let (b, e) = split(s.as_bytes()).unwrap();
        (String::from_utf8(b.into_owned()).unwrap(), e)
    }

    #[test]
    fn search_return_options() {
        let (b, e) = run("t SEARCH RETURN (MIN COUNT) UNSEEN\r\n");
        assert_eq!(b, "t SEARCH UNSEEN\r\n");
        let r = e.search.unwrap();
        assert!(r.min && r.count && !r.max && !r.all);
        let (b, e) = run("t uid search return () ALL\r\n");
        assert_eq!(b, "t uid search ALL\r\n");
        assert!(e.search.unwrap().all);
        let (b, e) = run("t SEARCH SUBJECT RETURN\r\n");
        assert_eq!(b, "t SEARCH SUBJECT RETURN\r\n");
        assert!(e.search.is_none());
        assert!(split(b"t SEARCH RETURN (SAVE) ALL\r\n").is_err());
    }

    #[test]
    fn list_options() {
        let (b, e) =
            run("t LIST (SUBSCRIBED) \"\" \"*\" RETURN (CHILDREN STATUS (MESSAGES UNSEEN))\r\n");
        assert_eq!(b, "t LIST \"\" \"*\"\r\n");
        assert!(e.list.subscribed_only && e.list.return_children && e.list.extended);
        assert_eq!(
            e.list.status,
            Some(vec![
                StatusDataItemName::Messages,
                StatusDataItemName::Unseen
            ])
        );
        let (b, e) = run("t LIST \"\" %\r\n");
        assert_eq!(b, "t LIST \"\" %\r\n");
        assert!(!e.list.extended);
        let (b, e) = run("t LIST \"\" \"*\" RETURN (SPECIAL-USE)\r\n");
        assert_eq!(b, "t LIST \"\" \"*\"\r\n");
        assert!(e.list.return_special_use);
        assert!(split(b"t LIST (BOGUS) \"\" *\r\n").is_err());
        let (b, _) = run("t NOOP\r\n");
        assert_eq!(b, "t NOOP\r\n");
    }
}
