"""Limits: message size, hop count, recipients, bad commands, timeouts, connections, quotas."""

import sqlite3
import time

import pytest

from conftest import (USER, eventually, fetch_all, smtp_client, smtp_raw, smtp_settle,
                      strip_trace, submission, vm_rss_kb)

MB = 1024 * 1024
DEFAULT_LIMIT = 30 * MB


def transaction(r, sender=b"x@remote.test", rcpt=USER.encode()):
    assert r.cmd(b"MAIL FROM:<" + sender + b">")[0] == 250
    assert r.cmd(b"RCPT TO:<" + rcpt + b">")[0] == 250


def body_of_size(size, subject=b"big"):
    """A message of exactly `size` bytes with 78-byte CRLF lines."""
    head = b"Subject: " + subject + b"\r\n\r\n"
    line = b"x" * 76 + b"\r\n"
    n, rest = divmod(size - len(head), len(line))
    assert rest >= 2 or rest == 0
    tail = b"y" * (rest - 2) + b"\r\n" if rest else b""
    msg = head + line * n + tail
    assert len(msg) == size
    return msg


def send_data(r, msg):
    """DATA with `msg` (no line of which starts with a dot); the final reply."""
    code, text = r.cmd(b"DATA")
    assert code == 354, (code, text)
    r.send(msg + b".\r\n")
    return r.reply()


def ehlo_size(server):
    r = smtp_raw(server)
    try:
        for ext in r.ehlo():
            if ext.startswith(b"SIZE"):
                return int(ext.split()[1])
    finally:
        r.close()
    raise AssertionError("no SIZE in EHLO")


def test_declared_size_over_limit_refused_at_mail(smtp_server):
    assert ehlo_size(smtp_server) == DEFAULT_LIMIT
    r = smtp_raw(smtp_server)
    r.ehlo()
    code, text = r.cmd(b"MAIL FROM:<x@remote.test> SIZE=%d" % (DEFAULT_LIMIT + 1))
    assert code == 552 and text.startswith(b"5.3.4"), (code, text)
    # The reply states the limit and whose it is.
    assert b"exceeds the %d MB size limit of this server" % (DEFAULT_LIMIT // MB) in text, text
    # Exactly at the limit is fine, and the session goes on.
    assert r.cmd(b"MAIL FROM:<x@remote.test> SIZE=%d" % DEFAULT_LIMIT)[0] == 250
    assert r.cmd(b"RSET")[0] == 250
    r.close()


def test_undeclared_size_over_limit_refused_after_data(smtp_server):
    smtp_server.set("smtp_in.max_message_mb", "1")
    eventually(lambda: ehlo_size(smtp_server) == MB, 10, what="SIZE 1 MB advertised")
    r = smtp_raw(smtp_server, timeout=60)
    r.ehlo()
    transaction(r)
    code, text = send_data(r, body_of_size(2 * MB))
    assert code == 552 and text.startswith(b"5.3.4"), (code, text)
    assert b"exceeds the 1 MB size limit of this server" in text, text
    # The session is still usable: a small message goes through.
    small = b"Subject: small\r\n\r\nfits\r\n"
    transaction(r)
    code, text = send_data(r, small)
    assert code == 250, (code, text)
    assert r.cmd(b"QUIT")[0] == 221
    r.close()
    (arrived,) = fetch_all(smtp_server)
    assert strip_trace(arrived) == small


def test_bdat_over_limit_refused(smtp_server):
    smtp_server.set("smtp_in.max_message_mb", "1")
    eventually(lambda: ehlo_size(smtp_server) == MB, 10, what="SIZE 1 MB advertised")
    big = body_of_size(MB + 1000)
    r = smtp_raw(smtp_server, timeout=60)
    r.ehlo()
    transaction(r)
    r.send(b"BDAT %d LAST\r\n" % len(big) + big)
    code, text = r.reply()
    assert code == 552 and text.startswith(b"5.3.4"), (code, text)
    assert b"exceeds the 1 MB size limit of this server" in text, text
    assert r.cmd(b"NOOP")[0] == 250
    r.close()
    assert fetch_all(smtp_server) == []


def test_a_domains_size_limit_is_for_what_its_users_send(smtp_server):
    """DOM-4's per-domain message size limits what the domain's users send (the reply names the
    domain); mail to the domain from outside is limited by the server's size only."""
    smtp_server.cli("domain", "set", "example.test", "--max-message-kb", "64")
    s = submission(smtp_server)
    try:
        code, text = s.mail(USER, ["SIZE=%d" % (100 * 1024)])
        assert code == 552 and text.startswith(b"5.3.4"), (code, text)
        assert b"exceeds the 64 KB size limit of domain example.test" in text, text
        assert s.mail(USER)[0] == 250 and s.rcpt(USER)[0] == 250
        code, text = s.data(body_of_size(100 * 1024))
        assert code == 552 and b"64 KB size limit of domain example.test" in text, (code, text)
    finally:
        s.close()
    r = smtp_raw(smtp_server, timeout=60)
    r.ehlo()
    transaction(r)
    big = body_of_size(100 * 1024)
    assert send_data(r, big)[0] == 250
    r.close()
    (arrived,) = fetch_all(smtp_server)
    assert strip_trace(arrived) == big


def hops_message(n):
    received = b"".join(b"Received: from h%d.remote.test by h%d.remote.test;\r\n"
                        b"\tMon, 01 Jan 2024 00:00:%02d +0000\r\n" % (i, i + 1, i)
                        for i in range(n))
    return received + b"Subject: hops\r\n\r\nloop?\r\n"


def test_hop_count(smtp_server):
    r = smtp_raw(smtp_server)
    r.ehlo()
    transaction(r)
    code, text = send_data(r, hops_message(20))
    assert code == 554 and text.startswith(b"5.4.6"), (code, text)
    transaction(r)
    code, text = send_data(r, hops_message(19))
    assert code == 250, (code, text)
    r.close()
    (arrived,) = fetch_all(smtp_server)
    assert strip_trace(arrived) == hops_message(19)


def test_recipients_per_message(smtp_server):
    for i in range(1, 5):
        smtp_server.cli("alias", "add", f"r{i}@example.test", USER)
    smtp_server.set("smtp_in.max_recipients", "3")
    smtp_settle(smtp_server)

    def fourth_refused():
        r = smtp_raw(smtp_server)
        try:
            r.ehlo()
            assert r.cmd(b"MAIL FROM:<x@remote.test>")[0] == 250
            for i in range(1, 4):
                assert r.cmd(b"RCPT TO:<r%d@example.test>" % i)[0] == 250
            code, text = r.cmd(b"RCPT TO:<r4@example.test>")
            assert code == 452 and text.startswith(b"4.5.3"), (code, text)
            code, text = send_data(r, b"Subject: three\r\n\r\nx\r\n")
            assert code == 250, (code, text)
            return True
        finally:
            r.close()

    eventually(fourth_refused, 10, what="fourth recipient refused")
    assert len(fetch_all(smtp_server)) == 1


def test_recipients_per_message_for_authenticated_users(smtp_server):
    for i in range(1, 4):
        smtp_server.cli("alias", "add", f"r{i}@example.test", USER)
    smtp_server.cli("domain", "set", "example.test", "--max-recipients", "2")
    s = submission(smtp_server)
    s.mail(USER)
    assert s.rcpt("r1@example.test")[0] == 250
    assert s.rcpt("r2@example.test")[0] == 250
    code, text = s.rcpt("r3@example.test")
    assert code == 452 and text.startswith(b"4.5.3"), (code, text)
    s.close()


def test_bad_recipients_close_the_session(smtp_server):
    smtp_server.set("smtp_in.max_bad_recipients", "3")
    smtp_settle(smtp_server)

    def closed_at_third():
        r = smtp_raw(smtp_server)
        try:
            r.ehlo()
            assert r.cmd(b"MAIL FROM:<x@remote.test>")[0] == 250
            for i in range(2):
                code, text = r.cmd(b"RCPT TO:<nobody%d@example.test>" % i)
                assert code == 550 and text.startswith(b"5.1.1"), (code, text)
            r.send(b"RCPT TO:<nobody9@example.test>\r\n")
            lines = r.until_eof(5)
            assert len(lines) == 1 and lines[0].startswith(b"421 "), lines
            return True
        finally:
            r.close()

    eventually(closed_at_third, 10, what="session closed at the third unknown recipient")
    # Known recipients do not count.
    r = smtp_raw(smtp_server)
    r.ehlo()
    assert r.cmd(b"MAIL FROM:<x@remote.test>")[0] == 250
    assert r.cmd(b"RCPT TO:<nobody1@example.test>")[0] == 550
    for _ in range(5):
        assert r.cmd(b"RCPT TO:<" + USER.encode() + b">")[0] == 250
    assert r.cmd(b"RCPT TO:<nobody2@example.test>")[0] == 550
    assert r.cmd(b"NOOP")[0] == 250
    r.close()


def test_bad_commands_close_the_session(smtp_server):
    smtp_server.set("smtp_in.max_bad_commands", "3")
    smtp_settle(smtp_server)

    def closed_at_third():
        r = smtp_raw(smtp_server)
        try:
            for i in range(2):
                code, text = r.cmd(b"XBAD%d" % i)
                assert code == 500, (code, text)
            r.send(b"XBADLAST\r\n")
            lines = r.until_eof(5)
            assert [line[:4] for line in lines] == [b"500 ", b"421 "], lines
            return True
        finally:
            r.close()

    eventually(closed_at_third, 10, what="session closed after 3 bad commands")
    # Two bad commands still leave a usable session.
    r = smtp_raw(smtp_server)
    assert r.cmd(b"XBAD1")[0] == 500
    assert r.cmd(b"MAIL FROM:<x@remote.test>")[0] == 503
    assert r.cmd(b"NOOP")[0] == 250
    r.close()


def test_mail_before_ehlo_is_a_bad_sequence(smtp_server):
    r = smtp_raw(smtp_server)
    code, text = r.cmd(b"MAIL FROM:<x@remote.test>")
    assert code == 503 and text.startswith(b"5.5.1"), (code, text)
    code, text = r.cmd(b"RCPT TO:<" + USER.encode() + b">")
    assert code == 503, (code, text)
    code, text = r.cmd(b"DATA")
    assert code == 503, (code, text)
    r.ehlo()
    transaction(r)
    r.close()


def test_command_timeout(smtp_server):
    smtp_server.set("smtp_in.command_timeout", "2")
    smtp_settle(smtp_server)

    def idle_session_closed():
        r = smtp_raw(smtp_server)
        try:
            r.ehlo()
            lines = r.until_eof(10)
            assert len(lines) == 1 and lines[0].startswith(b"421 4.4.2"), lines
            return True
        finally:
            r.close()

    eventually(idle_session_closed, 35, interval=0.5, what="idle session closed")


def test_session_timeout(smtp_server):
    smtp_server.set("smtp_in.session_timeout", "3")
    smtp_settle(smtp_server)

    def busy_session_closed():
        r = smtp_raw(smtp_server)
        try:
            r.ehlo()
            for _ in range(40):
                r.send(b"NOOP\r\n")
                code, text = r.reply()
                if code == 421:
                    assert text.startswith(b"4.4.2"), (code, text)
                    r.until_eof(5)
                    return True
                assert code == 250, (code, text)
                time.sleep(0.5)
            return False
        finally:
            r.close()

    eventually(busy_session_closed, 60, interval=0.5, what="long session closed")


def refused_with_421(server, port, tls=False):
    r = smtp_raw(server, port=port, tls=tls, greet=False)
    try:
        lines = r.until_eof(5)
    finally:
        r.close()
    assert len(lines) == 1 and lines[0].startswith(b"421 4.7.0"), lines
    return True


@pytest.mark.parametrize("key,port", [("smtp_in.max_connections", "smtp_port"),
                                      ("submission.max_connections", "submission_port")])
def test_max_connections(smtp_server, key, port):
    port = getattr(smtp_server, port)
    smtp_server.set(key, "2")
    smtp_settle(smtp_server)

    def third_refused():
        a = smtp_raw(smtp_server, port=port)
        b = smtp_raw(smtp_server, port=port)
        try:
            return refused_with_421(smtp_server, port)
        finally:
            a.close()
            b.close()

    eventually(third_refused, 15, what="third connection refused")
    # Once the others are gone, a new connection is served again.
    eventually(lambda: smtp_raw(smtp_server, port=port).close() or True, 10,
               what="connection accepted again")


def test_submission_connection_limit_ignores_mx_sessions(smtp_server):
    smtp_server.set("submission.max_connections", "2")
    smtp_settle(smtp_server)
    a, b = smtp_raw(smtp_server), smtp_raw(smtp_server)
    try:
        r = smtp_raw(smtp_server, port=smtp_server.submission_port, greet=False)
        code, text = r.reply()
        r.close()
        assert code == 220, (code, text)
    finally:
        a.close()
        b.close()


def test_command_timeout_during_auth(smtp_server):
    smtp_server.set("smtp_in.command_timeout", "2")
    smtp_settle(smtp_server)
    r = smtp_raw(smtp_server)
    try:
        r.ehlo()
        assert r.cmd(b"AUTH LOGIN")[0] == 334
        lines = r.until_eof(10)
    finally:
        r.close()
    assert len(lines) == 1 and lines[0].startswith(b"421 4.4.2"), lines


def test_command_timeout_during_data(smtp_server):
    smtp_server.set("smtp_in.command_timeout", "2")
    smtp_settle(smtp_server)
    r = smtp_raw(smtp_server)
    try:
        r.ehlo()
        transaction(r)
        assert r.cmd(b"DATA")[0] == 354
        r.send(b"Subject: partial\r\n\r\nhalf a mess")
        lines = r.until_eof(10)
    finally:
        r.close()
    assert len(lines) == 1 and lines[0].startswith(b"421 4.4.2"), lines
    assert fetch_all(smtp_server) == []


@pytest.mark.parametrize("how", ["DATA", "BDAT"])
def test_message_exactly_at_the_limit(smtp_server, how):
    smtp_server.set("smtp_in.max_message_mb", "1")
    eventually(lambda: ehlo_size(smtp_server) == MB, 10, what="SIZE 1 MB advertised")
    r = smtp_raw(smtp_server, timeout=60)
    r.ehlo()
    for size, want in ((MB, 250), (MB + 1, 552)):
        msg = body_of_size(size)
        transaction(r)
        if how == "DATA":
            code, text = send_data(r, msg)
        else:
            r.send(b"BDAT %d LAST\r\n" % size + msg)
            code, text = r.reply()
        assert code == want, (size, code, text)
    r.close()
    assert len(fetch_all(smtp_server)) == 1


def test_user_quota_refuses_at_rcpt(smtp_server):
    smtp_server.cli("user", "set", USER, "--quota-mb", "1")
    r = smtp_raw(smtp_server, timeout=60)
    r.ehlo()
    # Declared size over the quota.
    assert r.cmd(b"MAIL FROM:<x@remote.test> SIZE=%d" % (2 * MB))[0] == 250
    code, text = r.cmd(b"RCPT TO:<" + USER.encode() + b">")
    assert code == 452 and text.startswith(b"4.2.2"), (code, text)
    assert r.cmd(b"RSET")[0] == 250
    # A message that takes the mailbox over its quota is still taken...
    transaction(r)
    assert send_data(r, body_of_size(MB + MB // 2))[0] == 250
    # ...but then the mailbox is full.
    assert r.cmd(b"MAIL FROM:<x@remote.test>")[0] == 250
    code, text = r.cmd(b"RCPT TO:<" + USER.encode() + b">")
    assert code == 452 and text.startswith(b"4.2.2"), (code, text)
    r.close()


def test_domain_disk_limit_refuses_at_rcpt(smtp_server):
    smtp_server.cli("domain", "set", "example.test", "--disk-mb", "1")
    r = smtp_raw(smtp_server, timeout=60)
    r.ehlo()
    assert r.cmd(b"MAIL FROM:<x@remote.test> SIZE=%d" % (2 * MB))[0] == 250
    code, text = r.cmd(b"RCPT TO:<" + USER.encode() + b">")
    assert code == 452 and text.startswith(b"4.2.2"), (code, text)
    assert r.cmd(b"RSET")[0] == 250
    transaction(r)
    assert send_data(r, body_of_size(MB + MB // 2))[0] == 250
    assert r.cmd(b"MAIL FROM:<x@remote.test>")[0] == 250
    code, text = r.cmd(b"RCPT TO:<" + USER.encode() + b">")
    assert code == 452 and text.startswith(b"4.2.2"), (code, text)
    r.close()


def refuse_undeclared(s, msg):
    """Send `msg` without declaring its size; the server must read it all, then refuse it."""
    assert s.mail("x@remote.test")[0] == 250
    assert s.rcpt(USER)[0] == 250
    code, text = s.data(msg)
    assert code == 552 and text.startswith(b"5.3.4"), (code, text)


def vm_hwm_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise AssertionError(f"no VmHWM for {pid}")


def reset_hwm(pid):
    """Reset the process's peak resident memory (Linux clear_refs)."""
    with open(f"/proc/{pid}/clear_refs", "w") as f:
        f.write("5")


def text_index_done(heron):
    """No message waits for the search text indexer."""
    c = sqlite3.connect(heron.data / "heron.db", timeout=30)
    try:
        return c.execute("SELECT count(*) FROM text_pending WHERE cut = 0").fetchone()[0] == 0
    finally:
        c.close()


def test_30mb_accepted_31mb_refused_without_buffering(heron, monkeypatch):
    # Large blocks come from and go back to the kernel, so that resident memory shows what
    # the server holds rather than what the C allocator keeps cached in its arenas.
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "131072")
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "131072")
    heron.start()
    heron.add_user()
    pid = heron.proc.pid
    ok = body_of_size(30_000_000, b"thirty")
    s = smtp_client(heron, timeout=300)
    assert s.sendmail("x@remote.test", [USER], ok) == {}
    p = heron.login()
    count, _ = p.stat()
    size = int(p.list(1).split()[2])
    p.quit()
    assert count == 1 and size > len(ok), (count, size)
    # The search text indexer reads the new message once, in the background: let it be done
    # before measuring what refusing a message holds.
    eventually(lambda: text_index_done(heron), 60, what="the new message's text indexed")

    for msg in (body_of_size(31 * MB, b"thirty-one"), body_of_size(62 * MB, b"sixty-two")):
        before = vm_rss_kb(pid)
        reset_hwm(pid)
        refuse_undeclared(s, msg)
        after, peak = vm_rss_kb(pid), vm_hwm_kb(pid)
        print(f"{len(msg)}-byte message: VmRSS before {before} KiB, after {after} KiB, "
              f"peak {peak} KiB")
        assert after - before < 20 * 1024, (len(msg), before, after)
        # While reading it, the server held at most the limit's worth, not the message.
        assert peak - before < DEFAULT_LIMIT // 1024 + 20 * 1024, (len(msg), before, peak)
    assert s.noop()[0] == 250
    s.quit()
    p = heron.login()
    assert p.stat()[0] == 1
    p.quit()
