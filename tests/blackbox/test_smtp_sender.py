"""An authenticated client sends only as its own domain (smtp_in.sender_login_match): a
user of example.test cannot use another hosted domain's address, or a remote one, as the
envelope sender, so it can never borrow that domain's DKIM signature."""

import smtplib

import pytest

from conftest import PASSWORD, USER, smtp_settle, submission
from conftest import smtp_server  # noqa: F401


def try_mail_from(heron, sender):
    s = submission(heron)
    try:
        return s.mail(sender)
    finally:
        s.close()


def test_own_addresses_and_null_sender_are_accepted(smtp_server):
    smtp_server.cli("alias", "add", "sales@example.test", USER)
    for sender in (USER, "sales@example.test", "anything@example.test", ""):
        code, text = try_mail_from(smtp_server, sender)
        assert code == 250, (sender, code, text)


@pytest.mark.parametrize("sender", ["ceo@other.test", "someone@remote.example"])
def test_other_domains_are_refused(smtp_server, sender):
    smtp_server.cli("domain", "add", "other.test")
    code, text = try_mail_from(smtp_server, sender)
    assert code == 553, (code, text)
    assert text.startswith(b"5.7.1"), text
    # The rule is per domain, and the reply says so.
    assert f"{sender} is not in domain example.test of the authenticated user {USER}".encode() \
        in text, text


def test_refused_sender_leaves_the_session_usable(smtp_server):
    s = submission(smtp_server)
    try:
        assert s.mail("ceo@elsewhere.test")[0] == 553
        assert s.mail(USER)[0] == 250
        assert s.rcpt(USER)[0] == 250
        assert s.data(b"Subject: still fine\r\n\r\nhello\r\n")[0] == 250
    finally:
        s.close()


def test_switch_off_allows_any_sender(smtp_server):
    smtp_server.set("smtp_in.sender_login_match", "false")
    smtp_settle(smtp_server)
    code, text = try_mail_from(smtp_server, "ceo@elsewhere.test")
    assert code == 250, (code, text)


def test_domain_alias_counts_as_own_domain(smtp_server):
    smtp_server.cli("domain", "alias-add", "example-alias.test", "example.test")
    code, text = try_mail_from(smtp_server, "alice@example-alias.test")
    assert code == 250, (code, text)
    with pytest.raises(smtplib.SMTPSenderRefused):
        s = submission(smtp_server, USER, PASSWORD)
        try:
            s.sendmail("x@not-hosted.test", [USER], b"Subject: x\r\n\r\nx\r\n")
        finally:
            s.close()
