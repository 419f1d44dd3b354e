"""Limits and access rules changed with the CLI while the server runs."""

import socket
import ssl

import pytest

from conftest import HOST, PASSWORD, USER, client_tls, eventually, free_port


def closes_after_bad_commands(server, limit):
    """True when `limit` unknown commands end the session; False if it stays open."""
    r = server.raw()
    try:
        assert r.line().startswith(b"+OK")
        for i in range(limit - 1):
            assert r.cmd(b"XBAD%d" % i).startswith(b"-ERR")
        r.send(b"XBADLAST\r\n")
        try:
            lines = r.until_eof(3)
        except AssertionError:
            return False
        assert lines and all(line.startswith(b"-ERR") for line in lines), lines
        return True
    finally:
        r.close()


def test_max_bad_commands(server):
    # Default limit is 8: three unknown commands leave the session open.
    assert not closes_after_bad_commands(server, 3)
    server.set("pop.max_bad_commands", "3")
    eventually(lambda: closes_after_bad_commands(server, 3), 10,
               what="session closed after 3 bad commands")
    # Two bad commands still leave a usable session.
    r = server.raw()
    r.line()
    assert r.cmd(b"XBAD1").startswith(b"-ERR")
    assert r.cmd(b"XBAD2").startswith(b"-ERR")
    assert r.cmd(b"CAPA").startswith(b"+OK")
    r.multiline()
    r.close()


def test_idle_timeout(server):
    server.set("pop.command_timeout", "2")

    def idle_session_closed():
        r = server.raw(timeout=15)
        try:
            assert r.line().startswith(b"+OK")
            r.login()
            assert r.cmd(b"NOOP").startswith(b"+OK")
            lines = r.until_eof(10)
            assert all(line.startswith(b"-ERR") for line in lines), lines
            return True
        finally:
            r.close()

    # Sessions that opened before the change was picked up may keep the old
    # timeout; each attempt is bounded by 10 s.
    eventually(idle_session_closed, 35, interval=0.5, what="idle session closed")


def greeting(server, port=None, tls=False):
    r = server.raw(port=port, tls=tls)
    try:
        return r.line()
    finally:
        r.close()


def refused_with_err(server, port=None):
    """The connection gets one -ERR line, then EOF."""
    r = server.raw(port=port)
    try:
        lines = r.until_eof(5)
    finally:
        r.close()
    assert len(lines) == 1 and lines[0].startswith(b"-ERR"), lines
    return lines[0]


def test_max_connections(server):
    server.set("pop.max_connections", "2")

    def third_refused():
        a, b = server.raw(), server.raw()
        try:
            assert a.line().startswith(b"+OK") and b.line().startswith(b"+OK")
            line = refused_with_err(server)
            assert line.startswith(b"-ERR [SYS/TEMP]"), line
            return True
        finally:
            a.close()
            b.close()

    eventually(third_refused, 15, what="third connection refused")
    # Once the others are gone, a new connection is served again.
    eventually(lambda: greeting(server).startswith(b"+OK"), 10, what="connection accepted again")


def test_blacklist_and_whitelist(server):
    server.set("security.ip_blacklist", "127.0.0.1 pop3")
    eventually(lambda: refused_with_err(server), 10, what="blacklisted IP refused")
    server.set("security.ip_whitelist", "127.0.0.1")
    eventually(lambda: greeting(server).startswith(b"+OK"), 10, what="whitelist overrides")
    server.cli("settings", "reset", "security.ip_whitelist")
    eventually(lambda: refused_with_err(server), 10, what="refused again")
    server.set("security.ip_blacklist", "127.0.0.0/8 imap, 10.0.0.0/8")
    eventually(lambda: greeting(server).startswith(b"+OK"), 10,
               what="rules for other protocols and ranges do not apply")


def test_blacklist_applies_to_pop3s(server):
    assert greeting(server, tls=True).startswith(b"+OK")
    server.set("security.ip_blacklist", "127.0.0.1-127.0.0.9 pop")

    def refused():
        """Either no TLS session at all, or one -ERR line inside TLS; never a greeting."""
        try:
            r = server.raw(tls=True)
        except (ssl.SSLError, ConnectionResetError):
            return True
        try:
            lines = r.until_eof(5)
        except ssl.SSLError:
            return True
        finally:
            r.close()
        assert len(lines) == 1 and lines[0].startswith(b"-ERR"), lines
        return True

    eventually(refused, 10, what="POP3S refuses a blacklisted IP")


def test_banner(server):
    first = greeting(server)
    assert first.startswith(b"+OK") and b"Heron POP3 server ready" in first, first
    server.set("pop.banner", "Hello #ConnectedIP# at #UnixTime# from blackbox")

    def shows_banner():
        line = greeting(server)
        assert line.startswith(b"+OK Hello 127.0.0.1 at "), line
        assert b" from blackbox" in line and b"#" not in line, line
        unix = line.split(b" at ", 1)[1].split(b" ", 1)[0]
        assert unix.isdigit(), line
        return True

    eventually(shows_banner, 10, what="new banner shown")
    assert greeting(server, tls=True).startswith(b"+OK Hello 127.0.0.1 at ")


def refuses(port):
    try:
        with socket.create_connection((HOST, port), timeout=2):
            return False
    except ConnectionRefusedError:
        return True


def test_move_listeners_without_restart(server):
    old_plain, old_tls = server.pop3_port, server.pop3s_port
    plain, tls = free_port(), free_port()
    assert plain != tls
    server.set("bind.listeners", f"pop3 starttls {HOST}:{plain}, pop3 tls {HOST}:{tls}")

    eventually(lambda: greeting(server, port=plain).startswith(b"+OK"), 10, what="new port answers")
    eventually(lambda: greeting(server, port=tls, tls=True).startswith(b"+OK"), 10,
               what="new TLS port answers")
    eventually(lambda: refuses(old_plain) and refuses(old_tls), 10, what="old ports closed")

    p = server.pop(port=plain)
    p.stls(client_tls())
    p.user(USER)
    p.pass_(PASSWORD)
    assert p.stat() == (0, 0)
    p.quit()
    assert server.alive()


@pytest.mark.parametrize("key,value", [("pop.max_bad_commands", "-1"),
                                       ("pop.command_timeout", "soon")])
def test_invalid_runtime_values_are_rejected(server, key, value):
    r = server.cli("settings", "set", "--", key, value, check=False)
    assert r.returncode != 0
    assert key in r.stderr, r.stderr
    assert greeting(server).startswith(b"+OK")
