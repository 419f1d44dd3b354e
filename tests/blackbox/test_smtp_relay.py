"""Relay policy: nobody relays through the MX port without the policy's consent."""

import pytest

from conftest import (OTHER, PASSWORD, USER, eventually, fetch_all, smtp_client, smtp_raw,
                      smtp_settle, spool_list, strip_trace, submission)

REMOTE = "bob@remote.test"


@pytest.fixture
def relay_server(smtp_server):
    # Keep spooled messages where they are while the tests look at them.
    smtp_server.set("spool.delivery_delay", "86400")
    return smtp_server


def rcpt_reply(server, recipient, sender="someone@remote.test", port=None):
    """The reply to RCPT TO:<recipient> from an unauthenticated client; checks the session
    survives, that DATA then has no recipients, and that nothing was spooled."""
    r = smtp_raw(server, port=port)
    try:
        r.ehlo()
        code, text = r.cmd(b"MAIL FROM:<" + sender.encode() + b">")
        assert code == 250, (code, text)
        reply = r.cmd(b"RCPT TO:<" + recipient.encode() + b">")
        if reply[0] != 250:
            code, text = r.cmd(b"DATA")
            assert code == 554 and text.startswith(b"5.5.1"), (code, text)
            assert r.cmd(b"NOOP")[0] == 250
        assert r.cmd(b"QUIT")[0] == 221
    finally:
        r.close()
    return reply


def assert_relay_denied(server, recipient, sender="someone@remote.test"):
    code, text = rcpt_reply(server, recipient, sender)
    assert code == 550 and text.startswith(b"5.7.1"), (code, text)
    assert spool_list(server) == []


def test_external_recipient_refused(relay_server):
    assert_relay_denied(relay_server, REMOTE)


def test_percent_hack_refused(relay_server):
    assert_relay_denied(relay_server, "bob%remote.test@example.test")


def test_source_route_refused(relay_server):
    assert_relay_denied(relay_server, "@example.test,@relay.test:bob@remote.test")


def test_source_route_to_local_domain_refused(relay_server):
    assert_relay_denied(relay_server, "@remote.test:" + USER)


def test_double_at_is_a_syntax_error(relay_server):
    code, text = rcpt_reply(relay_server, "bob@remote.test@example.test")
    assert code == 553 and text.startswith(b"5.1.3"), (code, text)
    assert spool_list(relay_server) == []


def test_quoted_local_part_with_at_refused(relay_server):
    assert_relay_denied(relay_server, '"bob@remote.test"@example.test')


def test_bang_path_refused(relay_server):
    assert_relay_denied(relay_server, "remote.test!bob@example.test")


def test_remote_postmaster_refused(relay_server):
    assert_relay_denied(relay_server, "postmaster@remote.test")


def test_bare_postmaster_refused_when_there_is_none(relay_server):
    code, text = rcpt_reply(relay_server, "postmaster")
    assert code == 550 and text.startswith(b"5.1.1"), (code, text)


def test_bare_postmaster_accepted_when_it_exists(relay_server):
    relay_server.cli("alias", "add", "postmaster@example.test", USER)
    msg = b"Subject: to the postmaster\r\n\r\nhello\r\n"
    s = smtp_client(relay_server)
    assert s.sendmail("someone@remote.test", ["<postmaster>"], msg) == {}
    s.quit()
    (arrived,) = fetch_all(relay_server)
    assert strip_trace(arrived) == msg
    assert spool_list(relay_server) == []


def test_forged_local_sender_to_external_refused(relay_server):
    assert_relay_denied(relay_server, REMOTE, sender=USER)


def test_forged_local_sender_to_local_accepted(relay_server):
    # Local delivery does not depend on the sender.
    code, text = rcpt_reply(relay_server, USER, sender=OTHER)
    assert code == 250, (code, text)


def spooled(server, recipient):
    """The spool-list recipient lines naming `recipient`."""
    return [line for _, rcpts in spool_list(server) for line in rcpts
            if line.startswith("<" + recipient + ">")]


def test_authenticated_relay_is_spooled_with_dsn_parameters(relay_server):
    msg = b"From: alice@example.test\r\nTo: bob@remote.test\r\nSubject: out\r\n\r\nbye\r\n"
    s = submission(relay_server)
    s.mail(USER)
    code, text = s.rcpt(REMOTE, ["NOTIFY=SUCCESS,FAILURE", "ORCPT=rfc822;carol@origin.test"])
    assert code == 250 and text.startswith(b"2.1.5"), (code, text)
    code, text = s.data(msg)
    assert code == 250, (code, text)
    s.quit()
    entries = spool_list(relay_server)
    assert len(entries) == 1, entries
    assert entries[0][0].split("\t")[0].strip().isdigit(), entries
    (line,) = spooled(relay_server, REMOTE)
    assert " pending" in line, line
    assert "NOTIFY=SUCCESS,FAILURE" in line, line
    assert "ORCPT=" in line and "carol@origin.test" in line, line


def test_authenticated_relay_without_dsn_parameters(relay_server):
    s = submission(relay_server)
    assert s.sendmail(USER, [REMOTE], b"Subject: plain\r\n\r\nx\r\n") == {}
    s.quit()
    (line,) = spooled(relay_server, REMOTE)
    assert line.split() == ["<" + REMOTE + ">", "pending"], line


def test_authenticated_relay_on_mx_port(relay_server):
    s = smtp_client(relay_server, login=(USER, PASSWORD))
    assert s.sendmail(USER, [REMOTE], b"Subject: mx auth\r\n\r\nx\r\n") == {}
    s.quit()
    assert len(spooled(relay_server, REMOTE)) == 1


def test_mixed_local_and_remote_recipients(relay_server):
    msg = b"Subject: both\r\n\r\nlocal and remote\r\n"
    s = submission(relay_server)
    assert s.sendmail(USER, [USER, REMOTE], msg) == {}
    s.quit()
    assert len(spooled(relay_server, REMOTE)) == 1
    (arrived,) = fetch_all(relay_server)
    assert strip_trace(arrived, received=True).endswith(msg)


def test_submission_without_auth_refused(relay_server):
    r = smtp_raw(relay_server, port=relay_server.submission_port)
    r.ehlo()
    r.starttls()
    r.ehlo()
    code, text = r.cmd(b"MAIL FROM:<" + USER.encode() + b">")
    assert code == 530 and text.startswith(b"5.7.0"), (code, text)
    assert r.cmd(b"NOOP")[0] == 250
    r.close()


def test_submission_without_auth_refused_on_implicit_tls(relay_server):
    r = smtp_raw(relay_server, port=relay_server.smtps_port, tls=True)
    r.ehlo()
    code, text = r.cmd(b"MAIL FROM:<" + USER.encode() + b">")
    assert code == 530 and text.startswith(b"5.7.0"), (code, text)
    r.close()


def test_relay_anyone_then_back_to_local_users(relay_server):
    relay_server.set("smtp_in.relay", "anyone")
    eventually(lambda: rcpt_reply(relay_server, REMOTE)[0] == 250, 10,
               what="open relay with smtp_in.relay anyone")
    relay_server.set("smtp_in.relay", "local-users")
    eventually(lambda: rcpt_reply(relay_server, REMOTE)[0] == 550, 10,
               what="relay refused again")
    code, text = rcpt_reply(relay_server, REMOTE)
    assert code == 550 and text.startswith(b"5.7.1"), (code, text)


def test_relay_local_domains_lets_hosted_senders_relay(relay_server):
    relay_server.set("smtp_in.relay", "local-domains")
    eventually(lambda: rcpt_reply(relay_server, REMOTE, sender=USER)[0] == 250, 10,
               what="hosted sender may relay")
    code, text = rcpt_reply(relay_server, REMOTE, sender="someone@remote.test")
    assert code == 550 and text.startswith(b"5.7.1"), (code, text)


def test_relay_nobody_refuses_authenticated_without_bypass(relay_server):
    relay_server.set("smtp_in.relay", "nobody")
    relay_server.set("smtp_in.auth_bypasses_relay", "false")

    def refused():
        s = submission(relay_server)
        try:
            s.mail(USER)
            code, text = s.rcpt(REMOTE)
            assert code == 550 and text.startswith(b"5.7.1"), (code, text)
            return True
        finally:
            s.close()

    eventually(refused, 10, what="authenticated relay refused")


def test_ip_whitelist_allows_relay(relay_server):
    relay_server.set("security.ip_whitelist", "127.0.0.1")
    eventually(lambda: rcpt_reply(relay_server, REMOTE)[0] == 250, 10,
               what="whitelisted client relays")
    s = smtp_client(relay_server)
    assert s.sendmail("someone@remote.test", [REMOTE], b"Subject: w\r\n\r\nx\r\n") == {}
    s.quit()
    assert len(spooled(relay_server, REMOTE)) == 1
    relay_server.cli("settings", "reset", "security.ip_whitelist")
    eventually(lambda: rcpt_reply(relay_server, REMOTE)[0] == 550, 10,
               what="relay refused after the whitelist is cleared")


def test_smtp_auth_bypass_allows_relay(relay_server):
    relay_server.set("security.smtp_auth_bypass", "127.0.0.1")
    eventually(lambda: rcpt_reply(relay_server, REMOTE)[0] == 250, 10,
               what="bypass IP relays")
    # ...and may use the submission port without AUTH.
    r = smtp_raw(relay_server, port=relay_server.submission_port)
    r.ehlo()
    assert r.cmd(b"MAIL FROM:<" + USER.encode() + b">")[0] == 250
    assert r.cmd(b"RCPT TO:<" + REMOTE.encode() + b">")[0] == 250
    r.close()


def test_blocked_senders(relay_server):
    relay_server.set("security.blocked_senders", "spam.test, *@bad.test, joe*@x.test")

    def mail_reply(sender):
        r = smtp_raw(relay_server)
        try:
            r.ehlo()
            reply = r.cmd(b"MAIL FROM:<" + sender.encode() + b">")
            assert r.cmd(b"NOOP")[0] == 250
            return reply
        finally:
            r.close()

    eventually(lambda: mail_reply("a@spam.test")[0] == 550, 10, what="blocked sender refused")
    for sender in ("a@spam.test", "A@BAD.TEST", "joey@x.test"):
        code, text = mail_reply(sender)
        assert code == 550 and text.startswith(b"5.7.1"), (sender, code, text)
    for sender in ("ann@x.test", "a@notspam.test", "a@sub.bad.test"):
        code, text = mail_reply(sender)
        assert code == 250, (sender, code, text)
    # The null sender (bounces) is never blocked.
    assert mail_reply("")[0] == 250


def test_quoted_remote_recipient_kept_in_spool(relay_server):
    s = submission(relay_server)
    assert s.sendmail(USER, ['"bob smith"@remote.test'], b"Subject: q\r\n\r\nx\r\n") == {}
    s.quit()
    ((_, rcpts),) = spool_list(relay_server)
    assert rcpts and rcpts[0].startswith('<"bob smith"@remote.test> '), rcpts


def test_relay_denied_recipients_are_not_unknown_recipients(relay_server):
    relay_server.set("smtp_in.max_bad_recipients", "3")
    smtp_settle(relay_server)
    r = smtp_raw(relay_server)
    try:
        r.ehlo()
        assert r.cmd(b"MAIL FROM:<someone@remote.test>")[0] == 250
        for i in range(5):
            code, text = r.cmd(b"RCPT TO:<user%d@remote.test>" % i)
            assert code == 550 and text.startswith(b"5.7.1"), (i, code, text)
        assert r.cmd(b"RCPT TO:<" + USER.encode() + b">")[0] == 250
    finally:
        r.close()
