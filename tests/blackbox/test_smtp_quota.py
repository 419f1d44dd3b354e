"""DOM-4 disk limits at SMTP time: a full mailbox or a full domain gets 452 4.2.2 at RCPT,
and the domain's administrators are warned once."""

import smtplib

from conftest import HOST, PASSWORD, USER


def smtp(heron):
    s = smtplib.SMTP(HOST, 25 + heron.offset, timeout=15)
    s.ehlo("client.test")
    return s


def message(size):
    return b"Subject: filler\r\n\r\n" + (b"x" * 76 + b"\r\n") * (size // 78)


def send_undeclared(s, rcpt, msg):
    """One message without the SIZE parameter, so nothing is known before DATA."""
    assert s.mail("a@remote.test")[0] == 250
    assert s.rcpt(rcpt)[0] == 250
    assert s.data(msg)[0] == 250


def test_user_quota_refuses_with_452(server):
    server.cli("user", "set", USER, "--quota-mb", "1")
    s = smtp(server)
    send_undeclared(s, USER, message(600_000))
    send_undeclared(s, USER, message(600_000))  # now over 1 MB
    s.mail("a@remote.test")
    code, text = s.rcpt(USER)
    assert code == 452 and text.startswith(b"4.2.2"), (code, text)
    s.quit()


def test_declared_size_counts_against_quota(server):
    server.cli("user", "set", USER, "--quota-mb", "1")
    s = smtp(server)
    s.mail("a@remote.test", ["SIZE=2000000"])
    code, text = s.rcpt(USER)
    assert code == 452, (code, text)
    s.rset()
    s.mail("a@remote.test", ["SIZE=1000"])
    assert s.rcpt(USER)[0] == 250
    s.quit()


def test_domain_limit_refuses_and_warns_admin_once(server):
    admin = "boss@example.test"
    server.cli("user", "add", admin, "--password", "Kestrel42x", "--domain-admin")
    server.cli("domain", "set", "example.test", "--disk-mb", "1")
    s = smtp(server)
    send_undeclared(s, USER, message(1_100_000))
    for _ in range(2):
        s.mail("a@remote.test")
        code, text = s.rcpt(USER)
        assert code == 452 and text.startswith(b"4.2.2"), (code, text)
        s.rset()
    s.quit()
    p = server.login(user=admin, password="Kestrel42x")
    count, _ = p.stat()
    subjects = [l for i in range(1, count + 1) for l in p.top(i, 0)[1] if l.startswith(b"Subject:")]
    p.quit()
    warnings = [x for x in subjects if b"disk space limit" in x]
    assert len(warnings) == 1, subjects
