"""IMAP sessions: greeting, capabilities, TLS, login and SASL, limits, logout, shutdown."""

import base64
import imaplib
import socket

import pytest

from conftest import (HOST, PASSWORD, USER, client_tls, eventually, imap_client, imap_raw,
                      imap_settle)


def caps_of(line):
    """Capability names from a greeting or a tagged OK with [CAPABILITY ...]."""
    inner = line.split(b"[CAPABILITY ", 1)[1].split(b"]", 1)[0]
    return {c.upper() for c in inner.split()}


def test_greeting_announces_capabilities_and_banner(imap_server):
    r = imap_raw(imap_server, greet=False)
    line = r.line()
    assert line.startswith(b"* OK [CAPABILITY "), line
    assert line.endswith(b"Heron IMAP server ready"), line
    caps = caps_of(line)
    for c in (b"IMAP4REV1", b"IMAP4REV2", b"STARTTLS", b"LITERAL+", b"SASL-IR", b"IDLE",
              b"UIDPLUS", b"MOVE", b"SPECIAL-USE", b"CONDSTORE", b"AUTH=PLAIN",
              b"AUTH=SCRAM-SHA-256"):
        assert c in caps, (c, caps)
    assert any(c.startswith(b"APPENDLIMIT=") for c in caps)
    # Loopback clients may send passwords before TLS.
    assert b"LOGINDISABLED" not in caps
    r.close()


def test_implicit_tls_offers_no_starttls(imap_server):
    r = imap_raw(imap_server, tls=True, greet=False)
    caps = caps_of(r.line())
    assert b"STARTTLS" not in caps and b"AUTH=PLAIN" in caps
    r.close()


@pytest.mark.parametrize("tls", [None, "starttls", "implicit"])
def test_login_over_each_door(imap_server, tls):
    m = imap_client(imap_server, tls=tls)
    typ, data = m.select("INBOX")
    assert typ == "OK" and data == [b"0"]
    assert m.logout()[0] == "BYE"


def test_wrong_password_is_refused(imap_server):
    m = imap_client(imap_server, login=False)
    with pytest.raises(imaplib.IMAP4.error) as e:
        m.login(USER, "wrong-password")
    assert "AUTHENTICATIONFAILED" in str(e.value)
    with pytest.raises(imaplib.IMAP4.error):
        m.login("nobody@example.test", PASSWORD)
    # The session goes on and a correct login still works.
    assert m.login(USER, PASSWORD)[0] == "OK"
    m.logout()


def test_commands_need_the_right_state(imap_server):
    r = imap_raw(imap_server)
    _, done = r.cmd(b"a", b"SELECT INBOX")
    assert done.startswith(b"a BAD"), done
    r.login()
    _, done = r.cmd(b"b", b"FETCH 1 FLAGS")
    assert done.startswith(b"b BAD"), done
    _, done = r.cmd(b"c", b"LOGIN x y")
    assert done.startswith(b"c BAD"), done
    r.close()


def test_authenticate_plain_with_initial_response_and_continuation(imap_server):
    token = base64.b64encode(b"\0" + USER.encode() + b"\0" + PASSWORD.encode())
    r = imap_raw(imap_server)
    _, done = r.cmd(b"a", b"AUTHENTICATE PLAIN " + token)
    assert done.startswith(b"a OK [CAPABILITY"), done
    r.close()

    r = imap_raw(imap_server)
    r.send(b"b AUTHENTICATE PLAIN\r\n")
    assert r.line() == b"+ "
    r.send(token + b"\r\n")
    assert r.line().startswith(b"b OK"), "continuation login"
    r.close()


def test_authenticate_can_be_cancelled(imap_server):
    r = imap_raw(imap_server)
    r.send(b"a AUTHENTICATE LOGIN\r\n")
    assert r.line().startswith(b"+ ")
    r.send(b"*\r\n")
    assert r.line().startswith(b"a BAD"), "RFC 9051: a cancelled exchange gets BAD"
    _, done = r.cmd(b"b", b"NOOP")
    assert done.startswith(b"b OK")
    r.close()


def test_cram_md5_login(imap_server):
    m = imap_client(imap_server, login=False)
    assert m.login_cram_md5(USER, PASSWORD)[0] == "OK"
    m.logout()


def test_starttls_discards_pipelined_plaintext(imap_server):
    r = imap_raw(imap_server)
    # A command injected after STARTTLS in the same packet must not run.
    r.send(b"a STARTTLS\r\nb LOGIN alice@example.test Secret123x\r\n")
    assert r.line().startswith(b"a OK")
    r.sock = client_tls().wrap_socket(r.sock, server_hostname=HOST)
    r.buf = b""
    _, done = r.cmd(b"c", b"CAPABILITY")
    assert done.startswith(b"c OK")
    _, done = r.cmd(b"d", b"SELECT INBOX")
    assert done.startswith(b"d BAD"), "the injected LOGIN must not have logged in"
    r.close()


def test_id_namespace_enable(imap_server):
    r = imap_raw(imap_server, login=True)
    lines, done = r.cmd(b"a", b'ID ("name" "blackbox")')
    assert done.startswith(b"a OK") and lines[0].startswith(b"* ID ("), lines
    lines, done = r.cmd(b"b", b"NAMESPACE")
    assert lines == [b'* NAMESPACE (("" "/")) (("Other Users/" "/")) (("Public Folders/" "/"))'], lines
    lines, done = r.cmd(b"c", b"ENABLE CONDSTORE QRESYNC UNKNOWN")
    assert done.startswith(b"c OK")
    assert lines[0].startswith(b"* ENABLED") and b"QRESYNC" in lines[0], lines
    r.close()


def test_logout_says_bye_and_closes(imap_server):
    r = imap_raw(imap_server, login=True)
    r.send(b"z LOGOUT\r\n")
    assert r.line().startswith(b"* BYE")
    assert r.line().startswith(b"z OK")
    assert r.until_eof() == []


def test_too_many_bad_commands_close_the_session(imap_server):
    imap_server.set("imap.max_bad_commands", "3")
    imap_settle(imap_server)
    r = imap_raw(imap_server)
    r.send(b"a FROB\r\nb FROB\r\nc FROB\r\nd NOOP\r\n")
    rest = [r.line(), r.line(), r.line()] + r.until_eof()
    assert rest[0].startswith(b"a BAD") and rest[2].startswith(b"c BAD"), rest
    assert rest[3].startswith(b"* BYE"), rest
    assert not any(l.startswith(b"d ") for l in rest)


def test_silent_client_is_dropped(imap_server):
    imap_server.set("imap.command_timeout", "2")
    imap_settle(imap_server)
    r = imap_raw(imap_server)
    lines = r.until_eof(timeout=15)
    assert lines and lines[-1].startswith(b"* BYE"), lines


def test_shutdown_says_bye(imap_server):
    r = imap_raw(imap_server, login=True)
    _, done = r.cmd(b"a", b"SELECT INBOX")
    assert done.startswith(b"a OK")
    assert imap_server.stop() == 0
    lines = r.until_eof()
    assert lines and lines[-1].startswith(b"* BYE"), lines


def test_connection_limit_refuses_with_bye(imap_server):
    imap_server.set("imap.max_connections", "1")
    imap_settle(imap_server)
    # The settling probe's own session may still be ending: wait until it is gone.
    first = eventually(lambda: imap_raw(imap_server), 10, what="first connection greeted")

    def refused():
        s = socket.create_connection((HOST, imap_server.imap_port), timeout=5)
        try:
            return s.recv(200).startswith(b"* BYE")
        finally:
            s.close()

    eventually(refused, 10, what="second connection refused with BYE")
    first.close()
