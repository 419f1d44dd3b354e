"""SCRAM-SHA-256 does not tell unknown users from real ones: the salt it shows an unknown
user is as stable as a real user's, across restarts too, and differs between users."""

import base64
import os

from conftest import USER, imap_raw, smtp_raw

GHOST = "ghost@example.test"
PHANTOM = "phantom@nowhere.test"


def b64(text):
    return base64.b64encode(text.encode())


def client_first(user):
    return f"n,,n={user.replace('=', '=3D').replace(',', '=2C')},r={os.urandom(12).hex()}"


def server_first_attrs(text):
    return dict(a.split("=", 1) for a in base64.b64decode(text).decode().split(","))


def imap_salt(server, user):
    """The s= of the server-first message for `user` over IMAP; the exchange is cancelled."""
    r = imap_raw(server)
    try:
        r.send(b"A AUTHENTICATE SCRAM-SHA-256 " + b64(client_first(user)) + b"\r\n")
        line = r.line()
        assert line.startswith(b"+ "), line
        attrs = server_first_attrs(line[2:])
        r.send(b"*\r\n")
        _, done = r.until(b"A")
        assert done.startswith(b"A BAD") or done.startswith(b"A NO"), done
        return attrs["s"], attrs["i"]
    finally:
        r.close()


def smtp_salt(server, user):
    """The s= of the server-first message for `user` over SMTP submission after STARTTLS."""
    r = smtp_raw(server, port=server.submission_port)
    try:
        r.ehlo()
        r.starttls()
        r.ehlo()
        code, text = r.cmd(b"AUTH SCRAM-SHA-256 " + b64(client_first(user)))
        assert code == 334, (code, text)
        attrs = server_first_attrs(text)
        code, _ = r.cmd(b"*")
        assert code == 501, code
        return attrs["s"], attrs["i"]
    finally:
        r.close()


def test_unknown_user_salt_survives_a_restart(imap_server):
    server = imap_server
    before = {u: imap_salt(server, u) for u in (USER, GHOST, PHANTOM)}
    # Stable within a run, and the same over SMTP.
    assert imap_salt(server, GHOST) == before[GHOST]
    assert smtp_salt(server, GHOST) == before[GHOST]
    # Unknown users look like real ones: their own salt each, the same iteration count.
    assert before[GHOST][0] != before[PHANTOM][0]
    assert before[GHOST][0] != before[USER][0]
    assert before[GHOST][1] == before[USER][1]

    server.stop()
    server.start()
    after = {u: imap_salt(server, u) for u in (USER, GHOST, PHANTOM)}
    assert after == before
    assert smtp_salt(server, PHANTOM) == before[PHANTOM]
