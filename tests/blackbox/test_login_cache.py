"""Logins remembered after the password check (`security.login_cache_seconds`): a password
that passed once is accepted again, and what the directory says now still decides.

- Logging in twice (IMAP LOGIN, IMAP AUTHENTICATE PLAIN, POP3 USER/PASS, SMTP AUTH PLAIN)
  works; a wrong password right after a correct login is refused on each.
- After `heron user passwd` (another process, as an administrator would run it) the old
  password is refused at the very next login and the new one accepted, on every door.
- After `heron user set --disabled true` or `heron domain set --disabled true` a password
  that just logged in is refused at once; enabled again, it logs in again.
- With the cache off (0) logins still work.

Nothing here measures time: whether argon2 ran is not visible from outside, only that the
answers stay right (timing goes in bench/)."""

import base64
import imaplib
import poplib
import smtplib

import pytest

from conftest import PASSWORD, USER, drop, imap_client, smtp_client

NEW_PASSWORD = "Changed456y"


@pytest.fixture
def srv(imap_server):
    return imap_server


def imap_login(heron, password):
    """True if IMAP LOGIN with `password` is accepted (and the session can be used)."""
    try:
        m = imap_client(heron, password=password)
    except imaplib.IMAP4.error:
        return False
    try:
        typ, _ = m.select("INBOX")
        assert typ == "OK"
        return True
    finally:
        m.logout()


def imap_plain(heron, password):
    """True if IMAP AUTHENTICATE PLAIN with `password` is accepted."""
    m = imap_client(heron, login=False)
    try:
        m.authenticate("PLAIN", lambda _: f"\0{USER}\0{password}".encode())
    except imaplib.IMAP4.error:
        return False
    finally:
        drop(m)
    return True


def pop_login(heron, password):
    """True if POP3 USER/PASS with `password` is accepted."""
    p = heron.pop()
    try:
        p.user(USER)
        p.pass_(password)
    except poplib.error_proto as e:
        assert b"IN-USE" not in e.args[0], e.args[0]
        drop(p)
        return False
    # QUIT gives the maildrop back before its reply, so the next login finds it free.
    p.quit()
    return True


def smtp_plain(heron, password):
    """True if SMTP AUTH PLAIN on the submission port (after STARTTLS) is accepted."""
    s = smtp_client(heron, heron.submission_port, starttls=True)
    try:
        token = base64.b64encode(f"\0{USER}\0{password}".encode()).decode()
        code, _ = s.docmd("AUTH", "PLAIN " + token)
        assert code in (235, 535), code
        return code == 235
    finally:
        try:
            s.quit()
        except smtplib.SMTPException:
            pass


DOORS = (imap_login, imap_plain, pop_login, smtp_plain)


def test_logins_repeat_and_wrong_passwords_stay_refused(srv):
    for door in DOORS:
        assert door(srv, PASSWORD), door.__name__
        assert door(srv, PASSWORD), f"{door.__name__} again"
        assert not door(srv, "Wrong999z"), f"{door.__name__}: wrong password after a login"
        assert not door(srv, PASSWORD + " "), f"{door.__name__}: near miss"
        assert door(srv, PASSWORD), f"{door.__name__} after a refusal"


def test_password_change_through_the_cli_applies_at_the_next_login(srv):
    for door in DOORS:
        assert door(srv, PASSWORD), door.__name__
    srv.cli("user", "passwd", USER, "--password", NEW_PASSWORD)
    for door in DOORS:
        assert not door(srv, PASSWORD), f"{door.__name__} took the old password"
        assert door(srv, NEW_PASSWORD), door.__name__
        assert door(srv, NEW_PASSWORD), f"{door.__name__} again"
    # And back: the first password is good again (new credentials, checked anew).
    srv.cli("user", "passwd", USER, "--password", PASSWORD)
    assert not imap_login(srv, NEW_PASSWORD)
    assert imap_login(srv, PASSWORD)


def test_disabled_user_or_domain_is_refused_at_once(srv):
    assert imap_login(srv, PASSWORD) and pop_login(srv, PASSWORD)
    srv.cli("user", "set", USER, "--disabled", "true")
    for door in DOORS:
        assert not door(srv, PASSWORD), f"{door.__name__}: disabled user"
    srv.cli("user", "set", USER, "--disabled", "false")
    assert imap_login(srv, PASSWORD) and smtp_plain(srv, PASSWORD)
    srv.cli("domain", "set", "example.test", "--disabled", "true")
    for door in DOORS:
        assert not door(srv, PASSWORD), f"{door.__name__}: disabled domain"
    srv.cli("domain", "set", "example.test", "--disabled", "false")
    for door in DOORS:
        assert door(srv, PASSWORD), f"{door.__name__}: enabled again"


def test_cache_off_still_logs_in(srv):
    srv.set("security.login_cache_seconds", "0")
    for door in (imap_login, pop_login):
        assert door(srv, PASSWORD)
        assert door(srv, PASSWORD)
        assert not door(srv, "Wrong999z")
