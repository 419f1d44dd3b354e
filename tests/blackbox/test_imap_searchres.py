"""IMAP SEARCHRES (RFC 5182) and CREATE-SPECIAL-USE (RFC 6154 §3): SEARCH RETURN (SAVE),
the `$` marker in FETCH/STORE/COPY/MOVE/SEARCH and their UID forms, its reset on SELECT,
expunged messages leaving it, and CREATE with a USE attribute."""

import re

import pytest

from conftest import imap_client, imap_raw


def simple(i):
    return (b"From: Sender %d <s%d@example.org>\r\nTo: alice@example.test\r\n"
            b"Subject: Message number %d\r\nDate: Mon, 01 Jan 2024 10:00:00 +0000\r\n\r\n"
            b"Body text %d\r\n" % (i, i, i, i))


@pytest.fixture
def r(imap_server):
    """A raw logged-in session with six messages in INBOX, 2, 4 and 5 \\Flagged; INBOX selected."""
    c = imap_raw(imap_server, login=True)
    for i in range(1, 7):
        msg = simple(i)
        flags = b"(\\Flagged) " if i in (2, 4, 5) else b""
        _, done = c.cmd(b"a", b"APPEND INBOX %s{%d+}\r\n" % (flags, len(msg)) + msg)
        assert done.startswith(b"a OK"), done
    _, done = c.cmd(b"s", b"SELECT INBOX")
    assert done.startswith(b"s OK"), done
    yield c
    c.close()


def ok(c, tag, text):
    lines, done = c.cmd(tag, text)
    assert done.startswith(tag + b" OK"), (text, done, lines)
    return lines


def fetched(lines):
    """{message number: rest of the FETCH line} for the untagged FETCH lines."""
    out = {}
    for line in lines:
        m = re.match(rb"\* (\d+) FETCH (.*)", line)
        if m:
            out[int(m.group(1))] = m.group(2)
    return out


def test_capabilities(imap_server):
    m = imap_client(imap_server)
    try:
        typ, data = m.capability()
        caps = data[0].split()
        assert b"SEARCHRES" in caps and b"CREATE-SPECIAL-USE" in caps, caps
    finally:
        m.logout()


def test_save_then_fetch_dollar(r):
    lines = ok(r, b"a", b"SEARCH RETURN (SAVE) FLAGGED")
    assert lines == [], "RETURN (SAVE) alone returns no untagged result"
    got = fetched(ok(r, b"b", b"FETCH $ (FLAGS)"))
    assert sorted(got) == [2, 4, 5], got
    assert all(b"\\Flagged" in v for v in got.values()), got
    got = fetched(ok(r, b"c", b"UID FETCH $ (FLAGS)"))
    assert sorted(got) == [2, 4, 5] and all(b"UID" in v for v in got.values()), got
    # `$` as a search key: bare (message numbers) and after UID.
    lines = ok(r, b"d", b"SEARCH $ NOT 4")
    assert lines == [b"* SEARCH 2 5"], lines
    lines = ok(r, b"e", b"UID SEARCH RETURN (ALL) UID $")
    assert lines == [b'* ESEARCH (TAG "e") UID ALL 2,4:5'], lines
    # A keyword that starts with "$" is not the marker.
    ok(r, b"f", b"STORE 1 +FLAGS ($Forwarded)")
    lines = ok(r, b"g", b"SEARCH KEYWORD $Forwarded")
    assert lines == [b"* SEARCH 1"], lines


def test_uid_search_save_min(r):
    lines = ok(r, b"a", b"UID SEARCH RETURN (SAVE MIN) FLAGGED")
    assert lines == [b'* ESEARCH (TAG "a") UID MIN 2'], lines
    # RFC 5182 §2.1: with MIN alone, "$" holds the minimum only.
    got = fetched(ok(r, b"b", b"FETCH $ (UID)"))
    assert got == {2: b"(UID 2)"}, got
    lines = ok(r, b"c", b"SEARCH RETURN (SAVE COUNT ALL) FLAGGED")
    assert lines == [b'* ESEARCH (TAG "c") COUNT 3 ALL 2,4:5'], lines
    assert sorted(fetched(ok(r, b"d", b"FETCH $ (UID)"))) == [2, 4, 5]


def test_store_copy_move_dollar(r):
    ok(r, b"a", b"SEARCH RETURN (SAVE) FLAGGED")
    got = fetched(ok(r, b"b", b"STORE $ +FLAGS (\\Seen)"))
    assert sorted(got) == [2, 4, 5] and all(b"\\Seen" in v for v in got.values()), got
    lines = ok(r, b"c", b"SEARCH SEEN")
    assert lines == [b"* SEARCH 2 4 5"], lines
    _, done = r.cmd(b"d", b"COPY $ Drafts")
    assert re.match(rb"d OK \[COPYUID \d+ 2,4:5 1:3\]", done), done
    ok(r, b"e", b"UID SEARCH RETURN (SAVE) UID 1,6")
    lines = ok(r, b"f", b"UID MOVE $ Drafts")
    assert [l for l in lines if b"EXPUNGE" in l] == [b"* 6 EXPUNGE", b"* 1 EXPUNGE"], lines
    lines = ok(r, b"g", b"STATUS Drafts (MESSAGES)")
    assert lines == [b'* STATUS Drafts (MESSAGES 5)'], lines
    # The moved messages left the view, so "$" is empty now.
    lines, done = r.cmd(b"h", b"FETCH $ (FLAGS)")
    assert done.startswith(b"h OK") and fetched(lines) == {}, (lines, done)


def test_dollar_is_empty_after_select(r):
    ok(r, b"a", b"SEARCH RETURN (SAVE) ALL")
    assert len(fetched(ok(r, b"b", b"FETCH $ (UID)"))) == 6
    ok(r, b"c", b"SELECT Drafts")
    ok(r, b"d", b"SELECT INBOX")
    for tag, cmd in [(b"e", b"FETCH $ (FLAGS)"), (b"f", b"UID FETCH $ (FLAGS)"),
                     (b"g", b"STORE $ +FLAGS (\\Deleted)"), (b"h", b"COPY $ Drafts"),
                     (b"i", b"UID MOVE $ Drafts"), (b"j", b"UID EXPUNGE $")]:
        lines = ok(r, tag, cmd)
        assert fetched(lines) == {} and not any(b"EXPUNGE" in l for l in lines), (cmd, lines)
    assert ok(r, b"k", b"SEARCH $") == [b"* SEARCH"]
    assert ok(r, b"l", b"SEARCH NOT $") == [b"* SEARCH 1 2 3 4 5 6"]
    assert ok(r, b"m", b"SEARCH DELETED") == [b"* SEARCH"], "nothing was stored"
    # UNSELECT empties it too; so does a failed SEARCH with SAVE.
    ok(r, b"n", b"SEARCH RETURN (SAVE) ALL")
    ok(r, b"o", b"UNSELECT")
    ok(r, b"p", b"SELECT INBOX")
    assert fetched(ok(r, b"q", b"FETCH $ (UID)")) == {}
    ok(r, b"s", b"SEARCH RETURN (SAVE) ALL")
    _, done = r.cmd(b"t", b"SEARCH RETURN (SAVE) CHARSET KOI8-R ALL")
    assert done.startswith(b"t NO [BADCHARSET"), done
    assert fetched(ok(r, b"u", b"FETCH $ (UID)")) == {}
    ok(r, b"v", b"SEARCH RETURN (SAVE) ALL")
    _, done = r.cmd(b"w", b"SEARCH RETURN (SAVE) NOSUCHKEY")
    assert done.startswith(b"w BAD"), done
    assert fetched(ok(r, b"x", b"FETCH $ (UID)")) == {}


def test_expunged_messages_leave_dollar(r, imap_server):
    ok(r, b"a", b"SEARCH RETURN (SAVE) FLAGGED")
    ok(r, b"b", b"STORE 4 +FLAGS.SILENT (\\Deleted)")
    lines = ok(r, b"c", b"EXPUNGE")
    assert lines == [b"* 4 EXPUNGE"], lines
    got = fetched(ok(r, b"d", b"FETCH $ (UID)"))
    assert got == {2: b"(UID 2)", 4: b"(UID 5)"}, got
    # Expunged by another session: gone from "$" once announced.
    other = imap_client(imap_server)
    try:
        other.select("INBOX")
        other.uid("STORE", "2", "+FLAGS.SILENT", "(\\Deleted)")
        other.expunge()
    finally:
        other.logout()
    lines = ok(r, b"e", b"NOOP")
    assert b"* 2 EXPUNGE" in lines, lines
    got = fetched(ok(r, b"f", b"FETCH $ (UID)"))
    assert got == {3: b"(UID 5)"}, got
    lines = ok(r, b"g", b"UID SEARCH UID $")
    assert lines == [b"* SEARCH 5"], lines


def test_create_special_use(imap_server):
    m = imap_client(imap_server)
    try:
        typ, data = m._simple_command("CREATE", '"Sent2"', "(USE (\\Sent))")
        assert typ == "OK", data
        typ, data = m.list('""', "Sent2")
        assert typ == "OK" and b"\\Sent" in data[0], data
        typ, data = m._simple_command("CREATE", "Archive/2024", "(USE (\\Archive))")
        assert typ == "OK", data
        typ, data = m.list('""', "Archive*")
        by_name = {d.rsplit(b" ", 1)[-1].strip(b'"'): d for d in data}
        assert b"\\Archive" in by_name[b"Archive/2024"], data
        assert b"\\Archive" not in by_name[b"Archive"], "superiors get no special use"
        typ, data = m._simple_command("CREATE", "Odd", "(USE (\\Bogus))")
        assert typ == "NO" and data[0].startswith(b"[USEATTR]"), data
        typ, data = m._simple_command("CREATE", "Virtual", "(USE (\\All))")
        assert typ == "NO" and data[0].startswith(b"[USEATTR]"), data
        typ, data = m.list('""', "*")
        assert not any(b"Odd" in d or b"Virtual" in d for d in data), "refused names not created"
        typ, data = m._simple_command("CREATE", "Plain", "(USE ())")
        assert typ == "OK", data
    finally:
        m.logout()
