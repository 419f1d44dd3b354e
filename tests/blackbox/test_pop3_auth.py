"""Logging in: USER/PASS, SASL mechanisms, locking, and CAPA."""

import base64
import hashlib
import hmac
import os
import poplib

import pytest

from conftest import OTHER, OTHER_PASSWORD, PASSWORD, USER, drop


def b64(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.b64encode(data)


def continuation(line):
    """The decoded payload of a "+ " continuation line."""
    assert line == b"+" or line.startswith(b"+ "), line
    return base64.b64decode(line[2:]) if len(line) > 2 else b""


def assert_authenticated(r):
    assert r.cmd(b"STAT").startswith(b"+OK")
    assert r.cmd(b"QUIT").startswith(b"+OK")


def test_user_pass(server):
    r = server.raw()
    assert r.line().startswith(b"+OK")
    r.login()
    assert_authenticated(r)


def test_bad_password_and_unknown_user_fail_alike(server):
    replies = []
    for user, password in ((USER, "Wrong1pass"), ("nobody@example.test", "Wrong1pass")):
        r = server.raw()
        r.line()
        one = r.cmd(b"USER " + user.encode())
        two = r.cmd(b"PASS " + password.encode())
        replies.append((one, two))
        assert two.startswith(b"-ERR"), two
        # The session is back in the authorization state and may retry.
        r.login()
        assert_authenticated(r)
    assert replies[0] == replies[1]


def test_auth_plain_with_initial_response(server):
    r = server.raw()
    r.line()
    reply = r.cmd(b"AUTH PLAIN " + b64(f"\0{USER}\0{PASSWORD}"))
    assert reply.startswith(b"+OK"), reply
    assert_authenticated(r)


def test_auth_plain_without_initial_response(server):
    r = server.raw()
    r.line()
    assert continuation(r.cmd(b"AUTH PLAIN")) == b""
    reply = r.cmd(b64(f"\0{USER}\0{PASSWORD}"))
    assert reply.startswith(b"+OK"), reply
    assert_authenticated(r)


def test_auth_plain_bad_password(server):
    r = server.raw()
    r.line()
    assert r.cmd(b"AUTH PLAIN " + b64(f"\0{USER}\0Wrong1pass")).startswith(b"-ERR")
    assert r.cmd(b"STAT").startswith(b"-ERR")


def test_auth_login(server):
    r = server.raw()
    r.line()
    assert continuation(r.cmd(b"AUTH LOGIN")).lower().startswith(b"user")
    assert continuation(r.cmd(b64(USER))).lower().startswith(b"pass")
    reply = r.cmd(b64(PASSWORD))
    assert reply.startswith(b"+OK"), reply
    assert_authenticated(r)


def cram_md5(server, password):
    r = server.raw()
    r.line()
    challenge = continuation(r.cmd(b"AUTH CRAM-MD5"))
    assert challenge.startswith(b"<") and challenge.endswith(b">"), challenge
    digest = hmac.new(password.encode(), challenge, hashlib.md5).hexdigest()
    return r, r.cmd(b64(f"{USER} {digest}"))


def test_auth_cram_md5(server):
    r, reply = cram_md5(server, PASSWORD)
    assert reply.startswith(b"+OK"), reply
    assert_authenticated(r)


def test_auth_cram_md5_bad_password(server):
    _, reply = cram_md5(server, "Wrong1pass")
    assert reply.startswith(b"-ERR"), reply


def scram_sha256(r, user, password):
    """Client side of RFC 5802 / RFC 7677 over POP3 AUTH; returns the last reply."""
    cnonce = b64(os.urandom(18)).decode()
    bare = f"n={user.replace('=', '=3D').replace(',', '=2C')},r={cnonce}"
    assert continuation(r.cmd(b"AUTH SCRAM-SHA-256")) == b""
    server_first = continuation(r.cmd(b64("n,," + bare))).decode()
    attrs = dict(a.split("=", 1) for a in server_first.split(","))
    assert attrs["r"].startswith(cnonce) and len(attrs["r"]) > len(cnonce)
    salt, iterations = base64.b64decode(attrs["s"]), int(attrs["i"])
    assert iterations >= 4096

    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    without_proof = f"c=biws,r={attrs['r']}"
    auth_message = f"{bare},{server_first},{without_proof}".encode()
    signature = hmac.new(stored_key, auth_message, hashlib.sha256).digest()
    proof = bytes(a ^ b for a, b in zip(client_key, signature))
    reply = r.cmd(b64(f"{without_proof},p={b64(proof).decode()}"))
    if not reply.startswith(b"+"):
        return reply

    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
    expected = b"v=" + b64(hmac.new(server_key, auth_message, hashlib.sha256).digest())
    assert continuation(reply) == expected
    return r.cmd(b"")


def test_auth_scram_sha256(server):
    r = server.raw()
    r.line()
    reply = scram_sha256(r, USER, PASSWORD)
    assert reply.startswith(b"+OK"), reply
    assert_authenticated(r)


def test_auth_scram_sha256_bad_password(server):
    r = server.raw()
    r.line()
    reply = scram_sha256(r, USER, "Wrong1pass")
    assert reply.startswith(b"-ERR"), reply


def test_auth_cancelled(server):
    r = server.raw()
    r.line()
    continuation(r.cmd(b"AUTH LOGIN"))
    assert r.cmd(b"*").startswith(b"-ERR")
    r.login()
    assert_authenticated(r)


def test_unknown_mechanism(server):
    r = server.raw()
    r.line()
    assert r.cmd(b"AUTH X-NONSENSE").startswith(b"-ERR")
    r.login()
    assert_authenticated(r)


def test_second_session_in_use(server):
    first = server.login()
    second = server.pop()
    second.user(USER)
    with pytest.raises(poplib.error_proto) as err:
        second.pass_(PASSWORD)
    assert err.value.args[0].startswith(b"-ERR [IN-USE]"), err.value.args[0]

    # Another user is not affected by alice's lock.
    server.add_user(OTHER, OTHER_PASSWORD)
    bob = server.login(user=OTHER, password=OTHER_PASSWORD, wait=False)
    bob.quit()

    first.quit()
    again = server.login()  # the lock is released after QUIT
    again.quit()
    drop(second)


def test_passwd_changes_login(server):
    server.cli("user", "passwd", USER, "--password", "N3wPassword")
    p = server.pop()
    p.user(USER)
    with pytest.raises(poplib.error_proto):
        p.pass_(PASSWORD)
    drop(p)
    server.login(password="N3wPassword").quit()


def capabilities(p):
    caps = p.capa()
    return {k.upper(): v for k, v in caps.items()}


@pytest.mark.parametrize("kind", ["plain", "stls", "pops"])
def test_capa(server, kind):
    p = server.client(kind)
    caps = capabilities(p)
    for cap in ("USER", "UIDL", "TOP", "RESP-CODES"):
        assert cap in caps, caps
    assert {"PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-256"} <= set(caps.get("SASL", [])), caps
    if kind == "plain":
        assert "STLS" in caps
    else:
        assert "STLS" not in caps, "STLS offered on a connection that is already TLS"
    p.user(USER)
    p.pass_(PASSWORD)
    assert "STLS" not in capabilities(p)
    assert "UIDL" in capabilities(p)
    p.quit()


def test_pipelining_if_listed(server):
    p = server.pop()
    if "PIPELINING" not in capabilities(p):
        p.quit()
        pytest.skip("server does not list PIPELINING")
    drop(p)
    r = server.raw()
    r.line()
    r.send(f"USER {USER}\r\nPASS {PASSWORD}\r\nSTAT\r\nNOOP\r\nQUIT\r\n".encode())
    replies = [r.line() for _ in range(5)]
    assert all(x.startswith(b"+OK") for x in replies), replies


def test_stls_twice_and_after_login_refused(server):
    p = server.stls()
    with pytest.raises(poplib.error_proto):
        p._shortcmd("STLS")
    p.user(USER)
    p.pass_(PASSWORD)
    p.quit()
    r = server.raw()
    r.line()
    r.login()
    assert r.cmd(b"STLS").startswith(b"-ERR")
    assert_authenticated(r)


def test_login_again_after_quit_is_allowed(server):
    for _ in range(3):
        assert server.login().quit().startswith(b"+OK")
