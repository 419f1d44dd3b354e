//! Command options `imap-codec` does not parse, taken out of the command before it is:
//! SEARCH and SORT `RETURN (...)` (ESEARCH, RFC 4731 §3.1; SAVE, RFC 5182 §2; ESORT,
//! RFC 5267 §3), LIST selection and
//! return options (LIST-EXTENDED, RFC 5258 §3; LIST-STATUS, RFC 5819; SPECIAL-USE, RFC 6154)
//! and CREATE parameters (`USE (...)`, RFC 6154 §3; RFC 4466 §2.2).
//!
//! Invariants: only the exact grammar positions are touched (right after the command name
//! for SEARCH RETURN and LIST selection options, the end of the command for LIST RETURN,
//! right after the mailbox name for CREATE); anything else is left to the command parser,
//! which rejects what it does not know; an unknown option is an error, never silently
//! ignored.

use std::borrow::Cow;

use imap_codec::imap_types::status::StatusDataItemName;

use crate::tokens::{Kind, Tokens};

/// What SEARCH RETURN asked for (ESEARCH, RFC 4731; SEARCHRES, RFC 5182).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SearchReturn {
    /// MIN: the lowest match.
    pub min: bool,
    /// MAX: the highest match.
    pub max: bool,
    /// COUNT: how many matched.
    pub count: bool,
    /// ALL: every match, as a set (also what `RETURN ()` means).
    pub all: bool,
    /// Keep the result for `$` (RFC 5182 §2).
    pub save: bool,
}

impl SearchReturn {
    /// Whether an ESEARCH response is due (`RETURN (SAVE)` alone answers only the tagged
    /// OK, RFC 5182 §2.4).
    pub fn reports(&self) -> bool {
        self.min || self.max || self.count || self.all
    }
}

/// LIST-EXTENDED selection and return options.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListOptions {
    /// Selection SUBSCRIBED: only subscribed mailboxes (implies RETURN SUBSCRIBED).
    pub subscribed_only: bool,
    /// Selection RECURSIVEMATCH (accepted; children info is not sent).
    pub recursive: bool,
    /// RETURN (SUBSCRIBED): the \Subscribed attribute.
    pub return_subscribed: bool,
    /// RETURN (CHILDREN): the \HasChildren / \HasNoChildren attributes.
    pub return_children: bool,
    /// RETURN (SPECIAL-USE): the special-use attributes (RFC 6154).
    pub return_special_use: bool,
    /// RETURN (STATUS (...)).
    pub status: Option<Vec<StatusDataItemName>>,
    /// Several patterns, `LIST "" (a b)` (RFC 5258 §3): each as sent (quotes and literal
    /// framing taken off); empty for one pattern, which the command itself carries.
    pub patterns: Vec<Vec<u8>>,
    /// Whether any extended syntax was used.
    pub extended: bool,
}

/// Options taken out of a command.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Extras {
    /// SEARCH `RETURN (...)`, when given.
    pub search: Option<SearchReturn>,
    /// LIST selection and return options (all off for other commands).
    pub list: ListOptions,
    /// CREATE `USE (...)`: the special-use attributes asked for, as written.
    pub create_use: Option<Vec<String>>,
}

/// The command bytes without the options, and the options.
pub fn split(bytes: &[u8]) -> Result<(Cow<'_, [u8]>, Extras), &'static str> {
    let mut words = bytes.splitn(3, |&b| b == b' ');
    let _tag = words.next();
    let first = words.next().unwrap_or_default();
    let mut extras = Extras::default();
    let is = |w: &[u8], name: &str| w.eq_ignore_ascii_case(name.as_bytes());
    let offset = |sub: &[u8]| sub.as_ptr() as usize - bytes.as_ptr() as usize;
    if let Some(at) = search_at(bytes) {
        return search_return(bytes, at, extras);
    }
    if is(first, "CREATE") {
        return create_params(bytes, offset(first) + 7, extras);
    }
    if is(first, "LIST") {
        let at = offset(first) + 5;
        let (out, opts) = list_options(bytes, at)?;
        extras.list = opts;
        return Ok((out, extras));
    }
    Ok((Cow::Borrowed(bytes), extras))
}

/// The position just after "tag SEARCH " or "tag UID SEARCH ", or the same with SORT,
/// whose RETURN options are SEARCH's (ESORT, RFC 5267 §3).
fn search_at(bytes: &[u8]) -> Option<usize> {
    let mut words = bytes.splitn(4, |&b| b == b' ');
    let _tag = words.next();
    let first = words.next().unwrap_or_default();
    let second = words.next().unwrap_or_default();
    let offset = |sub: &[u8]| sub.as_ptr() as usize - bytes.as_ptr() as usize;
    let searches = |w: &[u8]| w.eq_ignore_ascii_case(b"SEARCH") || w.eq_ignore_ascii_case(b"SORT");
    if searches(first) {
        Some(offset(first) + first.len() + 1)
    } else if first.eq_ignore_ascii_case(b"UID") && searches(second) {
        Some(offset(second) + second.len() + 1)
    } else {
        None
    }
}

/// Whether a command is a SEARCH whose RETURN options name SAVE, well-formed or not (a
/// SEARCH with SAVE that fails empties the saved result, RFC 5182 §2.1).
pub fn asks_save(bytes: &[u8]) -> bool {
    let Some(after) = search_at(bytes)
        .and_then(|at| bytes.get(at..))
        .and_then(|rest| strip_word(rest, "RETURN ("))
    else {
        return false;
    };
    let inner = after.split(|&b| b == b')').next().unwrap_or_default();
    atoms(inner).any(|a| a.eq_ignore_ascii_case("SAVE"))
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
            "SAVE" => r.save = true,
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

/// CREATE parameters after the mailbox name (RFC 4466 §2.2: `SP "(" create-param *(SP
/// create-param) ")"`).
fn create_params(
    bytes: &[u8],
    at: usize,
    mut extras: Extras,
) -> Result<(Cow<'_, [u8]>, Extras), &'static str> {
    let name = Tokens::new(bytes, at)
        .next()
        .filter(|t| matches!(t.kind, Kind::Atom | Kind::Quoted | Kind::Literal));
    let Some(name) = name else {
        return Ok((Cow::Borrowed(bytes), extras));
    };
    let rest = bytes.get(name.end..).unwrap_or_default();
    let body = rest.strip_suffix(b"\r\n").unwrap_or(rest);
    let Some(params) = body.strip_prefix(b" ") else {
        return Ok((Cow::Borrowed(bytes), extras));
    };
    let (inner, tail) = group(params).ok_or("bad CREATE parameters")?;
    if !tail.is_empty() {
        return Err("bad CREATE parameters");
    }
    extras.create_use = Some(use_attributes(inner)?);
    let mut out = bytes[..name.end].to_vec();
    out.extend_from_slice(b"\r\n");
    Ok((Cow::Owned(out), extras))
}

/// The attributes of the parameters inside CREATE's parentheses; the only parameter known
/// is `USE (attr ...)` (RFC 6154 §3).
fn use_attributes(mut inner: &[u8]) -> Result<Vec<String>, &'static str> {
    let mut attrs = Vec::new();
    loop {
        inner = inner.strip_prefix(b" ").unwrap_or(inner);
        if inner.is_empty() {
            return Ok(attrs);
        }
        let after = strip_word(inner, "USE ").ok_or("unsupported CREATE parameter")?;
        let (list, tail) = group(after).ok_or("bad USE parameter")?;
        attrs.extend(atoms(list));
        if !tail.is_empty() && !tail.starts_with(b" ") {
            return Err("bad CREATE parameters");
        }
        inner = tail;
    }
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
        // RFC 5258 §3: RECURSIVEMATCH alone (or with REMOTE only) is a syntax error.
        let base = atoms(inner)
            .any(|o| o.eq_ignore_ascii_case("SUBSCRIBED") || o.eq_ignore_ascii_case("SPECIAL-USE"));
        if opts.recursive && !base {
            return Err("RECURSIVEMATCH needs another selection option");
        }
    }
    let multi = several_patterns(bytes, bytes.len() - rest.len())?;
    let rest: &[u8] = match &multi {
        Some((rewritten, patterns)) => {
            opts.patterns.clone_from(patterns);
            opts.extended = true;
            rewritten
        }
        None => rest,
    };
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

/// A LIST command's rest with one pattern in place of a group, and the group's patterns.
type SplitPatterns = (Vec<u8>, Vec<Vec<u8>>);

/// `reference (pat1 pat2 ...) ...` from `at` on (RFC 5258 §3 `patterns`): the same with
/// only the first pattern in place of the group, and every pattern; `None` for one pattern.
fn several_patterns(bytes: &[u8], at: usize) -> Result<Option<SplitPatterns>, &'static str> {
    let mut toks = Tokens::new(bytes, at);
    let (Some(_reference), Some(open)) = (toks.next(), toks.next()) else {
        return Ok(None);
    };
    if open.kind != Kind::Open {
        return Ok(None);
    }
    let mut patterns = Vec::new();
    let mut first = None;
    let close = loop {
        match toks.next() {
            Some(t) if t.kind == Kind::Close => break t,
            Some(t) if t.kind != Kind::Open => {
                first.get_or_insert(t);
                patterns.push(string_value(bytes, t));
            }
            _ => return Err("bad LIST patterns"),
        }
    };
    let Some(first) = first else {
        return Err("bad LIST patterns");
    };
    let mut out = bytes[at..open.start].to_vec();
    out.extend_from_slice(first.text(bytes));
    out.extend_from_slice(bytes.get(close.end..).unwrap_or_default());
    Ok(Some((out, patterns)))
}

/// The value of an atom, quoted string (quotes and escapes taken off) or literal (its
/// octets).
pub(crate) fn string_value(bytes: &[u8], t: crate::tokens::Token) -> Vec<u8> {
    let text = t.text(bytes);
    match t.kind {
        Kind::Quoted => {
            let inner = text.strip_prefix(b"\"").unwrap_or(text);
            let inner = inner.strip_suffix(b"\"").unwrap_or(inner);
            let mut out = Vec::with_capacity(inner.len());
            let mut escaped = false;
            for &c in inner {
                if c == b'\\' && !escaped {
                    escaped = true;
                } else {
                    out.push(c);
                    escaped = false;
                }
            }
            out
        }
        Kind::Literal => match text.windows(3).position(|w| w == b"}\r\n") {
            Some(i) => text[i + 3..].to_vec(),
            None => text.to_vec(),
        },
        _ => text.to_vec(),
    }
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
        assert!(split(b"t SEARCH RETURN (SAVE BOGUS) ALL\r\n").is_err());
    }

    #[test]
    fn sort_return_options() {
        let (b, e) = run("t UID SORT RETURN (MIN COUNT) (SUBJECT) UTF-8 ALL\r\n");
        assert_eq!(b, "t UID SORT (SUBJECT) UTF-8 ALL\r\n");
        let r = e.search.unwrap();
        assert!(r.min && r.count && !r.all);
        let (b, e) = run("t sort return () (DATE) UTF-8 ALL\r\n");
        assert_eq!(b, "t sort (DATE) UTF-8 ALL\r\n");
        assert!(e.search.unwrap().all);
        let (b, e) = run("t SORT (ARRIVAL) UTF-8 ALL\r\n");
        assert_eq!(b, "t SORT (ARRIVAL) UTF-8 ALL\r\n");
        assert!(e.search.is_none());
        assert!(asks_save(b"t SORT RETURN (SAVE) (SIZE) UTF-8 ALL\r\n"));
    }

    #[test]
    fn search_save() {
        let (b, e) = run("t SEARCH RETURN (SAVE) FLAGGED\r\n");
        assert_eq!(b, "t SEARCH FLAGGED\r\n");
        let r = e.search.unwrap();
        assert!(r.save && !r.reports(), "SAVE alone reports nothing");
        let (b, e) = run("t UID SEARCH RETURN (save MIN) UID $\r\n");
        assert_eq!(b, "t UID SEARCH UID $\r\n");
        let r = e.search.unwrap();
        assert!(r.save && r.min && !r.all);
        assert!(asks_save(b"t UID SEARCH RETURN (MIN SAVE) ALL\r\n"));
        assert!(asks_save(b"t SEARCH RETURN (SAVE BOGUS\r\n"));
        assert!(!asks_save(b"t SEARCH RETURN (MIN) SAVE\r\n"));
        assert!(!asks_save(b"t FETCH RETURN (SAVE)\r\n"));
    }

    #[test]
    fn create_use() {
        let (b, e) = run("t CREATE Sent2 (USE (\\Sent))\r\n");
        assert_eq!(b, "t CREATE Sent2\r\n");
        assert_eq!(e.create_use, Some(vec!["\\Sent".to_string()]));
        let (b, e) = run("t create \"My (USE (x))\" (use ())\r\n");
        assert_eq!(b, "t create \"My (USE (x))\"\r\n");
        assert_eq!(e.create_use, Some(vec![]));
        let (b, e) = run("t CREATE {12}\r\nx (USE (\\Y))\r\n");
        assert_eq!(b, "t CREATE {12}\r\nx (USE (\\Y))\r\n");
        assert_eq!(e.create_use, None);
        let (b, e) = run("t CREATE {1}\r\nx (USE (\\Trash \\Junk))\r\n");
        assert_eq!(b, "t CREATE {1}\r\nx\r\n");
        assert_eq!(e.create_use.unwrap().len(), 2);
        assert!(split(b"t CREATE x (OTHER 1)\r\n").is_err());
        assert!(split(b"t CREATE x (USE (\\Sent)) y\r\n").is_err());
        let (b, e) = run("t CREATE x\r\n");
        assert_eq!((b.as_str(), e.create_use), ("t CREATE x\r\n", None));
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
        assert!(split(b"t LIST (RECURSIVEMATCH) \"\" *\r\n").is_err());
        assert!(split(b"t LIST (RECURSIVEMATCH REMOTE) \"\" *\r\n").is_err());
        assert!(split(b"t LIST (SUBSCRIBED RECURSIVEMATCH) \"\" *\r\n").is_ok());
        assert!(split(b"t LIST \"\" ()\r\n").is_err());
        let (b, e) = run("t LIST \"\" (a/*2 \"b \\\"c\" {1}\r\nd) RETURN (CHILDREN)\r\n");
        assert_eq!(b, "t LIST \"\" a/*2\r\n");
        assert_eq!(e.list.patterns, [&b"a/*2"[..], b"b \"c", b"d"]);
        assert!(e.list.return_children && e.list.extended);
        let (b, e) = run("t LIST (SUBSCRIBED) x (%)\r\n");
        assert_eq!(b, "t LIST x %\r\n");
        assert_eq!(e.list.patterns, [b"%"]);
        let (b, _) = run("t NOOP\r\n");
        assert_eq!(b, "t NOOP\r\n");
    }
}
