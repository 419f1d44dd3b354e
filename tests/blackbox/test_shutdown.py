"""SIGTERM with sessions open: a quick clean exit and no lost or deleted mail."""

import signal
import subprocess
import time

import pytest

from conftest import OTHER, OTHER_PASSWORD, USER, drop


def test_sigterm_with_open_sessions(server, mailbox):
    mailbox(20)
    server.add_user(OTHER, OTHER_PASSWORD)
    alice = server.login()  # left open, authenticated
    before = alice.stat()
    mailbox(3, seed=2, user=OTHER)

    at_greeting = server.raw()
    assert at_greeting.line().startswith(b"+OK")
    mid_login = server.raw()
    mid_login.line()
    assert mid_login.cmd(b"USER " + USER.encode()).startswith(b"+OK")
    authenticated = server.raw()
    authenticated.line()
    authenticated.login(OTHER, OTHER_PASSWORD)
    assert authenticated.cmd(b"DELE 1").startswith(b"+OK")  # never confirmed by QUIT

    proc = server.proc
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    try:
        code = proc.wait(10)
    except subprocess.TimeoutExpired:
        pytest.fail("server still running 10 s after SIGTERM")
    finally:
        server.proc = None if proc.poll() is not None else proc
    assert code == 0, f"exit code {code}:\n{server.tail()}"
    assert time.monotonic() - started < 10

    for name, r in (("at greeting", at_greeting), ("mid-login", mid_login),
                    ("authenticated", authenticated)):
        lines = r.until_eof(5)
        assert lines and lines[-1].startswith(b"-ERR [SYS/TEMP]"), (name, lines)

    drop(alice)

    server.start()
    alice = server.login()
    assert alice.stat() == before
    alice.quit()
    other = server.login(user=OTHER, password=OTHER_PASSWORD)
    assert other.stat()[0] == 3, "a DELE without QUIT was applied at shutdown"
    other.quit()


def test_sigterm_when_idle_and_restart_twice(heron):
    heron.start()
    heron.add_user()
    for _ in range(2):
        assert heron.stop() == 0
        heron.start()
    p = heron.login()
    assert p.stat() == (0, 0)
    p.quit()
