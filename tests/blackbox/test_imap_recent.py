"""\\Recent for IMAP4rev1 sessions (RFC 3501 §2.3.2, §6.3.1, §6.4.4, §7.3.2): a message is
recent in exactly one session, the first to SELECT its mailbox after it arrived; EXAMINE and
STATUS look without taking it; IMAP4rev2 sessions (ENABLE IMAP4rev2) never see it."""

import re

from conftest import imap_raw


def append(r, n, box=b"INBOX"):
    for i in range(n):
        msg = b"Subject: r%d\r\n\r\nbody %d\r\n" % (i, i)
        _, done = r.cmd(b"ap", b"APPEND " + box + b" {%d+}\r\n" % len(msg) + msg)
        assert done.startswith(b"ap OK"), done


def recent_of(lines):
    found = [int(m.group(1)) for l in lines if (m := re.match(rb"\* (\d+) RECENT$", l))]
    return found[-1] if found else None


def search(r, what):
    lines, done = r.cmd(b"se", b"SEARCH " + what)
    assert done.startswith(b"se OK"), done
    return [l for l in lines if l.startswith(b"* SEARCH")][0].split()[2:]


def flags_have_recent(r, seq):
    lines, _ = r.cmd(b"f", b"FETCH %d (FLAGS)" % seq)
    return b"\\Recent" in lines[0]


def test_recent_belongs_to_one_session(imap_server):
    c = imap_raw(imap_server, login=True)
    append(c, 2)
    lines, _ = c.cmd(b"st", b"STATUS INBOX (RECENT MESSAGES)")
    assert lines == [b"* STATUS INBOX (RECENT 2 MESSAGES 2)"], lines

    # EXAMINE looks without taking.
    lines, _ = c.cmd(b"ex", b"EXAMINE INBOX")
    assert recent_of(lines) == 2, lines
    c.cmd(b"cl", b"CLOSE")

    a = imap_raw(imap_server, login=True)
    lines, done = a.cmd(b"s", b"SELECT INBOX")
    assert done.startswith(b"s OK") and recent_of(lines) == 2, lines
    assert flags_have_recent(a, 1) and flags_have_recent(a, 2)
    assert search(a, b"RECENT") == [b"1", b"2"]
    assert search(a, b"NEW") == [b"1", b"2"]
    assert search(a, b"OLD") == []

    b = imap_raw(imap_server, login=True)
    lines, _ = b.cmd(b"s", b"SELECT INBOX")
    assert recent_of(lines) == 0, lines
    assert not flags_have_recent(b, 1)
    assert search(b, b"RECENT") == [] and search(b, b"OLD") == [b"1", b"2"]
    lines, _ = c.cmd(b"st", b"STATUS INBOX (RECENT)")
    assert lines == [b"* STATUS INBOX (RECENT 0)"], lines

    # A new message: recent for the session that hears of it first, in its RECENT count.
    append(c, 1)
    lines, _ = b.cmd(b"n", b"NOOP")
    assert b"* 3 EXISTS" in lines and recent_of(lines) == 1, lines
    assert flags_have_recent(b, 3)
    lines, _ = a.cmd(b"n", b"NOOP")
    assert b"* 3 EXISTS" in lines and recent_of(lines) == 2, lines
    assert not flags_have_recent(a, 3)
    # Seen makes it no longer NEW, still RECENT.
    a.cmd(b"sto", b"STORE 1 +FLAGS (\\Seen)")
    assert search(a, b"NEW") == [b"2"] and search(a, b"RECENT") == [b"1", b"2"]
    for r in (a, b, c):
        r.close()


def test_copy_makes_recent_in_the_target(imap_server):
    a = imap_raw(imap_server, login=True)
    append(a, 2)
    a.cmd(b"cr", b"CREATE Target")
    a.cmd(b"s", b"SELECT INBOX")
    _, done = a.cmd(b"co", b"COPY 1:2 Target")
    assert done.startswith(b"co OK"), done
    b = imap_raw(imap_server, login=True)
    lines, _ = b.cmd(b"s", b"SELECT Target")
    assert recent_of(lines) == 2, lines
    a.close()
    b.close()


def test_imap4rev2_sessions_have_no_recent(imap_server):
    a = imap_raw(imap_server, login=True)
    append(a, 1)
    _, done = a.cmd(b"e", b"ENABLE IMAP4rev2")
    assert done.startswith(b"e OK"), done
    lines, _ = a.cmd(b"s", b"SELECT INBOX")
    assert recent_of(lines) is None, lines
    assert not flags_have_recent(a, 1)
    # It took nothing: a rev1 session still finds the message recent.
    b = imap_raw(imap_server, login=True)
    lines, _ = b.cmd(b"s", b"SELECT INBOX")
    assert recent_of(lines) == 1, lines
    a.close()
    b.close()
