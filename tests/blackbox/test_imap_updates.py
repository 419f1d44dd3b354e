"""IMAP mailbox updates between sessions: IDLE woken by an SMTP delivery, EXPUNGE only at
the points RFC 9051 §7.5.1 allows, flag changes and new messages seen by other sessions."""

import smtplib
import time

import pytest

from conftest import HOST, USER, eventually, imap_raw, imap_settle


def deliver(heron, subject):
    eventually(lambda: smtplib.SMTP(HOST, heron.smtp_port, timeout=5).quit() or True, 10,
               what="SMTP port accepts connections")
    s = smtplib.SMTP(HOST, heron.smtp_port, timeout=15)
    s.sendmail("sender@remote.test", [USER], f"Subject: {subject}\r\n\r\nhello\r\n".encode())
    s.quit()


def append(r, n):
    for i in range(n):
        msg = b"Subject: m%d\r\n\r\nbody %d\r\n" % (i, i)
        _, done = r.cmd(b"ap", b"APPEND INBOX {%d+}\r\n" % len(msg) + msg)
        assert done.startswith(b"ap OK"), done


def read_until(r, predicate, timeout):
    """Lines read until one satisfies `predicate` (bounded wait)."""
    r.sock.settimeout(timeout)
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        line = r.line()
        seen.append(line)
        if predicate(line):
            return seen
    raise AssertionError(f"not seen within {timeout}s: {seen}")


def test_idle_is_woken_by_an_smtp_delivery(imap_server):
    r = imap_raw(imap_server, login=True)
    r.cmd(b"s", b"SELECT INBOX")
    r.send(b"i IDLE\r\n")
    assert r.line().startswith(b"+ ")
    deliver(imap_server, "wake up")
    # The delivery shows as EXISTS while idling (bounded wait, no timing assertion).
    seen = read_until(r, lambda l: l == b"* 1 EXISTS", timeout=5)
    assert seen[-1] == b"* 1 EXISTS"
    r.send(b"DONE\r\n")
    _, done = r.until(b"i")
    assert done.startswith(b"i OK"), done
    lines, _ = r.cmd(b"f", b"FETCH 1 (BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    assert b"Subject: wake up" in lines[0]
    r.close()


def test_idle_disabled_by_setting(imap_server):
    imap_server.set("imap.idle", "false")
    imap_settle(imap_server)
    r = imap_raw(imap_server, login=True)
    _, done = r.cmd(b"i", b"IDLE")
    assert done.startswith(b"i BAD"), done
    caps, _ = r.cmd(b"c", b"CAPABILITY")
    assert b" IDLE" not in caps[0]
    r.close()


def test_expunge_by_another_session_waits_for_an_allowed_point(imap_server):
    a = imap_raw(imap_server, login=True)
    append(a, 3)
    a.cmd(b"s", b"SELECT INBOX")
    b = imap_raw(imap_server, login=True)
    b.cmd(b"s", b"SELECT INBOX")
    _, done = b.cmd(b"d", b"STORE 2 +FLAGS.SILENT (\\Deleted)")
    lines, done = b.cmd(b"e", b"EXPUNGE")
    assert lines == [b"* 2 EXPUNGE"] and done.startswith(b"e OK"), lines

    # Session A is answering FETCH, STORE and SEARCH: no EXPUNGE, numbers stay put.
    lines, done = a.cmd(b"f", b"FETCH 1:3 (UID)")
    assert not any(b"EXPUNGE" in l for l in lines), lines
    assert [l for l in lines if b"FETCH" in l] == [
        b"* 1 FETCH (UID 1)", b"* 2 FETCH (UID 2)", b"* 3 FETCH (UID 3)"]
    lines, done = a.cmd(b"g", b"STORE 3 +FLAGS (\\Seen)")
    assert not any(b"EXPUNGE" in l for l in lines) and done.startswith(b"g OK"), lines
    lines, done = a.cmd(b"h", b"SEARCH ALL")
    assert lines == [b"* SEARCH 1 2 3"], lines
    # A was told message 2 exists and may still read it, bytes and all (the store holds
    # an expunged message for a while for sessions not yet told).
    lines, done = a.cmd(b"j", b"FETCH 2 (UID RFC822.SIZE BODY.PEEK[HEADER.FIELDS (SUBJECT)] BODY.PEEK[])")
    assert done.startswith(b"j OK"), (lines, done)
    assert lines[0].startswith(b"* 2 FETCH (UID 2 RFC822.SIZE "), lines
    assert any(b"Subject: " in l for l in lines), lines
    # NOOP is an allowed point.
    lines, done = a.cmd(b"n", b"NOOP")
    assert lines == [b"* 2 EXPUNGE"], lines
    lines, _ = a.cmd(b"k", b"FETCH 1:* (UID)")
    assert lines == [b"* 1 FETCH (UID 1)", b"* 2 FETCH (UID 3)"], lines
    a.close()
    b.close()


def test_uid_commands_may_report_expunges(imap_server):
    a = imap_raw(imap_server, login=True)
    append(a, 2)
    a.cmd(b"s", b"SELECT INBOX")
    b = imap_raw(imap_server, login=True)
    b.cmd(b"s", b"SELECT INBOX")
    b.cmd(b"d", b"STORE 1 +FLAGS.SILENT (\\Deleted)")
    b.cmd(b"e", b"EXPUNGE")
    lines, _ = a.cmd(b"u", b"UID FETCH 1:* (FLAGS)")
    assert b"* 1 EXPUNGE" in lines, lines
    a.close()
    b.close()


def test_other_sessions_see_new_messages_and_flag_changes(imap_server):
    a = imap_raw(imap_server, login=True)
    append(a, 1)
    a.cmd(b"s", b"SELECT INBOX")
    b = imap_raw(imap_server, login=True)
    b.cmd(b"s", b"SELECT INBOX")
    b.cmd(b"f", b"STORE 1 +FLAGS (\\Flagged)")
    append(b, 1)

    def a_sees_both():
        lines, _ = a.cmd(b"n", b"NOOP")
        got = b" ".join(lines)
        # A selected first: it holds the \\Recent of message 1.
        return b"* 2 EXISTS" in got and b"* 1 FETCH (FLAGS (\\Flagged \\Recent) UID 1)" in got
    eventually(a_sees_both, 5, what="session A told of B's changes")
    a.close()
    b.close()


def test_qresync_reports_vanished(imap_server):
    a = imap_raw(imap_server, login=True)
    append(a, 3)
    lines, _ = a.cmd(b"s", b"SELECT INBOX")
    joined = b" ".join(lines)
    uidvalidity = int(joined.split(b"UIDVALIDITY ")[1].split(b"]")[0])
    modseq = int(joined.split(b"HIGHESTMODSEQ ")[1].split(b"]")[0])
    a.cmd(b"d", b"STORE 1 +FLAGS.SILENT (\\Deleted)")
    a.cmd(b"e", b"EXPUNGE")
    a.cmd(b"u", b"UNSELECT")
    a.cmd(b"q", b"ENABLE QRESYNC")
    lines, done = a.cmd(b"t", b"SELECT INBOX (QRESYNC (%d %d 1:3))" % (uidvalidity, modseq))
    assert done.startswith(b"t OK"), done
    assert b"* VANISHED (EARLIER) 1" in lines, lines

    b = imap_raw(imap_server, login=True)
    b.cmd(b"s", b"SELECT INBOX")
    b.cmd(b"d", b"UID STORE 2 +FLAGS.SILENT (\\Deleted)")
    b.cmd(b"e", b"UID EXPUNGE 2")
    lines, _ = a.cmd(b"n", b"NOOP")
    assert lines == [b"* VANISHED 2"], lines
    a.close()
    b.close()


@pytest.mark.parametrize("cmd", [b"CHECK", b"NOOP"])
def test_new_delivery_reported_after_command(imap_server, cmd):
    a = imap_raw(imap_server, login=True)
    a.cmd(b"s", b"SELECT INBOX")
    deliver(imap_server, "arrives")

    def exists():
        lines, _ = a.cmd(b"c", cmd)
        return b"* 1 EXISTS" in lines
    eventually(exists, 5, what="EXISTS after a delivery")
    a.close()
