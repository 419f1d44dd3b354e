"""RFC 5321 §4.5.1: RCPT TO:<postmaster> and postmaster@ every hosted domain (and domain alias)
are accepted without a postmaster user or alias, and delivered to `server.postmaster` (else
the domain's first domain administrator); they never open relaying."""

from conftest import (OTHER, OTHER_PASSWORD, USER, fetch_all, smtp_client, smtp_raw,
                      smtp_settle, spool_list, strip_trace)

BOSS = "boss@example.test"
BOSS_PASSWORD = "Harrier77x"


def send(server, recipient, subject):
    msg = f"From: someone@remote.test\r\nSubject: {subject}\r\n\r\nhello postmaster\r\n".encode()
    s = smtp_client(server)
    try:
        assert s.sendmail("someone@remote.test", [recipient], msg) == {}
    finally:
        s.quit()
    return msg


def rcpt(server, recipient):
    """The reply to RCPT TO:<recipient> from an unauthenticated client on the MX port."""
    r = smtp_raw(server)
    try:
        r.ehlo()
        assert r.cmd(b"MAIL FROM:<someone@remote.test>")[0] == 250
        return r.cmd(b"RCPT TO:<" + recipient.encode() + b">")
    finally:
        r.close()


def test_bare_postmaster_goes_to_the_configured_mailbox(smtp_server):
    smtp_server.add_user(OTHER, OTHER_PASSWORD)
    smtp_server.set("server.postmaster", OTHER)
    smtp_settle(smtp_server)

    sent = [send(smtp_server, "<postmaster>", "bare"), send(smtp_server, "<PostMaster>", "caps")]
    arrived = fetch_all(smtp_server, OTHER, OTHER_PASSWORD)
    assert [strip_trace(m) for m in arrived] == sent
    assert fetch_all(smtp_server) == []
    assert spool_list(smtp_server) == []

    # The configured postmaster opens no relaying: a remote postmaster is still refused.
    code, text = rcpt(smtp_server, "postmaster@remote.test")
    assert code == 550 and text.startswith(b"5.7.1"), (code, text)
    assert spool_list(smtp_server) == []


def test_postmaster_of_hosted_domain_and_domain_alias(smtp_server):
    smtp_server.cli("domain", "alias-add", "example-alias.test", "example.test")
    smtp_server.add_user(OTHER, OTHER_PASSWORD)
    smtp_server.set("server.postmaster", OTHER)
    smtp_settle(smtp_server)
    sent = [send(smtp_server, "postmaster@example.test", "hosted"),
            send(smtp_server, "Postmaster@Example-Alias.test", "alias")]
    arrived = fetch_all(smtp_server, OTHER, OTHER_PASSWORD)
    assert [strip_trace(m) for m in arrived] == sent
    assert spool_list(smtp_server) == []


def test_unset_postmaster_goes_to_the_domain_administrator(smtp_server):
    smtp_server.cli("user", "add", BOSS, "--password", BOSS_PASSWORD, "--domain-admin")
    sent = send(smtp_server, "postmaster@example.test", "to the admin")
    bare = send(smtp_server, "<postmaster>", "bare to the admin")
    arrived = fetch_all(smtp_server, BOSS, BOSS_PASSWORD)
    assert [strip_trace(m) for m in arrived] == [sent, bare]
    assert fetch_all(smtp_server) == []


def test_real_postmaster_keeps_precedence(smtp_server):
    smtp_server.add_user(OTHER, OTHER_PASSWORD)
    smtp_server.cli("user", "add", BOSS, "--password", BOSS_PASSWORD, "--domain-admin")
    smtp_server.cli("alias", "add", "postmaster@example.test", USER)
    smtp_server.set("server.postmaster", OTHER)
    smtp_settle(smtp_server)
    sent = send(smtp_server, "postmaster@example.test", "to the alias")
    assert [strip_trace(m) for m in fetch_all(smtp_server)] == [sent]
    assert fetch_all(smtp_server, OTHER, OTHER_PASSWORD) == []
    assert fetch_all(smtp_server, BOSS, BOSS_PASSWORD) == []
