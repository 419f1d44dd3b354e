"""IMAP corners the RFCs fix exactly, over raw sockets: names that are not modified UTF-7,
LIST-EXTENDED patterns and selection options, source routes in ENVELOPE, ESEARCH with MODSEQ,
HIGHESTMODSEQ when CONDSTORE is enabled by a command, and over-long command lines."""

import re

import pytest

from conftest import imap_raw

BAD_MUTF7 = b"!#$&'+,-.0123456789:;<=>?@^_`|[}"


@pytest.fixture
def r(imap_server):
    c = imap_raw(imap_server, login=True)
    yield c
    c.close()


def ok(c, tag, text):
    untagged, done = c.cmd(tag, text)
    assert done.startswith(tag + b" OK"), done
    return untagged


def append(c, msg):
    c.send(b"A APPEND INBOX {%d}\r\n" % len(msg))
    assert c.line().startswith(b"+")
    c.send(msg + b"\r\n")
    _, done = c.until(b"A")
    assert done.startswith(b"A OK"), done


def test_names_not_modified_utf7_are_no_not_bad(r):
    # RFC 3501 §5.1.3: such a name cannot be a mailbox; the command is well formed.
    _, done = r.cmd(b"s", b"SELECT " + BAD_MUTF7)
    assert done.startswith(b"s NO [CANNOT]"), done
    # A pattern no stored name can match: OK, nothing listed, the session goes on.
    assert ok(r, b"l", b'LIST "" ' + BAD_MUTF7 + b"%*") == []
    assert ok(r, b"u", b'LSUB "" ' + BAD_MUTF7 + b"*") == []
    assert ok(r, b"n", b"NOOP") == []


def test_list_several_patterns_and_selection_options(r):
    for name in (b"lx/a1", b"lx/b2", b"lx/c2", b"lx/c2/d", b"other"):
        ok(r, b"c", b"CREATE " + name)
    # RFC 5258 §3: LIST "" (p1 p2) lists what matches any pattern, once.
    got = ok(r, b"l", b'LIST "" (lx/*2 other lx/b2)')
    names = sorted(line.rsplit(b" ", 1)[1] for line in got)
    assert names == [b"lx/b2", b"lx/c2", b"other"], got
    # RECURSIVEMATCH alone, or with REMOTE only, is a syntax error; with SUBSCRIBED it is not.
    for opts in (b"(RECURSIVEMATCH)", b"(RECURSIVEMATCH REMOTE)"):
        _, done = r.cmd(b"b", b"LIST " + opts + b' "" "*"')
        assert done.startswith(b"b BAD"), done
    ok(r, b"s", b'LIST (SUBSCRIBED RECURSIVEMATCH) "" "lx/%"')
    _, done = r.cmd(b"e", b'LIST "" ()')
    assert done.startswith(b"e BAD"), done


def test_envelope_source_route_is_the_adl_field(r):
    append(r, b"From: <@route:user@domain>\r\nDate: Thu, 15 Feb 2007 01:02:03 +0200\r\n\r\nx\r\n")
    ok(r, b"s", b"SELECT INBOX")
    got = ok(r, b"f", b"FETCH 1 ENVELOPE")
    # RFC 3501 §7.4.2: (name adl mailbox host).
    assert b'((NIL "@route" "user" "domain"))' in got[0], got


def test_condstore_enabled_by_fetch_announces_highestmodseq(r):
    append(r, b"Subject: m\r\n\r\nx\r\n")
    ok(r, b"s", b"SELECT INBOX")
    got = ok(r, b"f", b"FETCH 1 (MODSEQ)")
    # RFC 7162 §3.1: the first CONDSTORE-enabling command in a selected mailbox.
    assert any(re.fullmatch(rb"\* OK \[HIGHESTMODSEQ \d+\].*", line) for line in got), got
    got = ok(r, b"g", b"FETCH 1 (MODSEQ)")
    assert not any(b"HIGHESTMODSEQ" in line for line in got), got


def test_esearch_modseq_is_that_of_the_messages_returned(r):
    for i in range(4):
        append(r, b"Subject: m%d\r\n\r\nx\r\n" % i)
    ok(r, b"s", b"SELECT INBOX (CONDSTORE)")
    modseq = {}
    for n in (1, 3, 2, 4):
        got = ok(r, b"t", b"STORE %d +FLAGS (\\Seen)" % n)
        modseq[n] = int(re.search(rb"MODSEQ \((\d+)\)", b" ".join(got)).group(1))
    assert len(set(modseq.values())) == 4

    def esearch(ret, sets):
        got = ok(r, b"e", b"SEARCH RETURN (" + ret + b") " + sets + b" MODSEQ 1")
        lines = [line for line in got if line.startswith(b"* ESEARCH")]
        assert len(lines) == 1, got
        return lines[0]

    # RFC 7162 §3.1.5: MIN and MAX alone return their own message's modseq.
    assert esearch(b"MIN", b"1:3").endswith(b" MIN 1 MODSEQ %d" % modseq[1])
    assert esearch(b"MAX", b"1:3").endswith(b" MAX 3 MODSEQ %d" % modseq[3])
    # Both: the higher of the two; ALL and COUNT: the highest of all matches.
    assert esearch(b"MIN MAX", b"1:3").endswith(
        b" MIN 1 MAX 3 MODSEQ %d" % max(modseq[1], modseq[3]))
    assert esearch(b"ALL", b"1:3").endswith(b" ALL 1:3 MODSEQ %d" % max(modseq[n] for n in (1, 2, 3)))
    assert esearch(b"COUNT", b"1,3").endswith(b" COUNT 2 MODSEQ %d" % max(modseq[1], modseq[3]))


def test_over_long_line_gets_a_tagged_bad(imap_server):
    c = imap_raw(imap_server)  # before login: lines are limited to 32 KiB
    try:
        _, done = c.cmd(b"x1", b'ID ("name" "' + b"a" * 40_000 + b'")')
        assert done == b"x1 BAD command line too long", done
        assert ok(c, b"n", b"NOOP") == []
    finally:
        c.close()
