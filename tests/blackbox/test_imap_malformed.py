"""Hostile and malformed IMAP input: each gets BAD/NO or a close, memory stays bounded,
and other sessions are unaffected."""

import time

import pytest

from conftest import imap_raw, imap_settle, vm_rss_kb

MEGABYTE = 1 << 20

# (case, bytes sent, expected start of the reply line)
BAD_INPUT = [
    ("unbalanced parentheses", b"a FETCH 1:* (FLAGS UID\r\n", b"a BAD"),
    ("extra closing parenthesis", b"a SEARCH (ALL))\r\n", b"a BAD"),
    ("8-bit in an atom", b"a SELECT \xe9t\xe9\r\n", b"a BAD"),
    ("8-bit tag", b"\xff\xfe NOOP\r\n", b"* BAD"),
    ("NUL inside a command", b"a NO\x00OP\r\n", b"a BAD"),
    ("unknown command", b"a FROBNICATE\r\n", b"a BAD"),
    ("missing argument", b"a SELECT\r\n", b"a BAD"),
    ("empty line", b"\r\n", b"* BAD"),
    ("bad sequence set", b"a FETCH 0:x FLAGS\r\n", b"a BAD"),
    ("unsupported command", b"a SETQUOTA \"\" (STORAGE 512)\r\n", b"a BAD"),
    ("4 GB literal", b"a SELECT {4294967296}\r\n", b"a BAD"),
    ("huge literal overflowing u64", b"a SELECT {99999999999999999999999}\r\n", b"a BAD"),
    ("literal over 64 KiB outside APPEND", b"a LOGIN {70000}\r\n", b"a BAD"),
    ("4 GB APPEND", b"a APPEND INBOX {4294967296}\r\n", b"a NO [TOOBIG]"),
]


@pytest.fixture
def pair(imap_server):
    """A logged-in session with INBOX selected, plus a bystander session."""
    r = imap_raw(imap_server, login=True)
    r.cmd(b"s", b"SELECT INBOX")
    other = imap_raw(imap_server, login=True)
    yield r, other
    r.close()
    other.close()


def assert_alive(r, tag=b"z"):
    _, done = r.cmd(tag, b"NOOP")
    assert done.startswith(tag + b" OK"), done


@pytest.mark.parametrize("case,data,expect", BAD_INPUT, ids=[c[0] for c in BAD_INPUT])
def test_bad_input_is_refused_and_the_session_goes_on(pair, case, data, expect):
    r, other = pair
    r.send(data)
    line = r.line()
    assert line.startswith(expect), (case, line)
    assert_alive(r)
    assert_alive(other)


def test_megabyte_line_is_discarded(pair):
    r, other = pair
    r.send(b"a NOOP " + b"A" * MEGABYTE + b"\r\n")
    # Tagged with the tag read from the line's start, so the client is not left waiting.
    assert r.line() == b"a BAD command line too long"
    assert_alive(r)
    assert_alive(other)


def test_huge_literal_announcement_costs_no_memory(imap_server, pair):
    imap_server.set("imap.max_bad_commands", "0")
    imap_settle(imap_server)
    r, other = pair
    before = vm_rss_kb(imap_server.proc.pid)
    for i in range(20):
        r.send(b"a%d APPEND INBOX {4294967296}\r\n" % i)
        assert r.line().startswith(b"a%d NO [TOOBIG]" % i)
        r.send(b"b%d SELECT {4000000000}\r\n" % i)
        assert r.line().startswith(b"b%d BAD" % i)
    assert_alive(r)
    after = vm_rss_kb(imap_server.proc.pid)
    assert after - before < 20 * 1024, f"server grew from {before} to {after} KiB"


def test_non_synchronizing_literal_over_limit_closes(pair):
    r, other = pair
    r.send(b"a APPEND INBOX {4294967296+}\r\n" + b"x" * 1000)
    lines = [r.line()] + r.until_eof()
    assert lines[0].startswith(b"a NO [TOOBIG]") or lines[0].startswith(b"a BAD"), lines
    assert any(l.startswith(b"* BYE") for l in lines), lines
    assert_alive(other)


def test_synchronizing_literal_waits_for_continuation(pair):
    r, _ = pair
    r.send(b"a LOGIN {5}\r\n")
    # Only an accepted literal gets "+"; LOGIN is not allowed now, but that is only known
    # once the whole command is read.
    assert r.line().startswith(b"+ ")
    r.send(b"alice x\r\n")
    assert r.line().startswith(b"a BAD")
    assert_alive(r)


def test_append_with_short_literal_then_disconnect(imap_server, pair):
    r, other = pair
    msg = b"Subject: cut\r\n\r\n" + b"x" * 5000
    r.send(b"a APPEND INBOX {%d}\r\n" % (len(msg) + 1000))
    assert r.line().startswith(b"+ ")
    r.send(msg)
    time.sleep(0.2)
    r.close()
    assert_alive(other)
    lines, _ = other.cmd(b"st", b"STATUS INBOX (MESSAGES)")
    assert lines == [b"* STATUS INBOX (MESSAGES 0)"], "nothing half-stored"
    fresh = imap_raw(imap_server, login=True)
    assert_alive(fresh)
    fresh.close()


def test_literal_plus_within_limits_needs_no_continuation(pair):
    r, _ = pair
    msg = b"Subject: plus\r\n\r\nbody\r\n"
    lines, done = r.cmd(b"a", b"APPEND INBOX (\\Seen) {%d+}\r\n" % len(msg) + msg)
    assert done.startswith(b"a OK [APPENDUID"), done
    assert b"* 1 EXISTS" in lines, "APPEND to the selected mailbox is announced"
