"""Hostile and unusual input: each gets the right reply and nothing breaks."""

import time

import pytest

from conftest import OTHER, OTHER_PASSWORD, crlf

MEGABYTE = 1 << 20

# (case name, bytes sent in one write, number of -ERR replies expected)
BAD_INPUT = [
    ("1 MB line", b"X" * MEGABYTE + b"\r\n", 1),
    ("1 MB argument", b"NOOP " + b"A" * MEGABYTE + b"\r\n", 1),
    ("4097-byte line", b"LIST " + b"1" * 4092 + b"\r\n", 1),
    ("NUL inside a command", b"NO\x00OP\r\n", 1),
    ("NUL only", b"\x00\x00\x00\r\n", 1),
    ("NUL in an argument", b"LIST 1\x00\r\n", 1),
    ("invalid UTF-8", b"\xff\xfe\xfd\r\n", 1),
    ("invalid UTF-8 argument", b"STAT \xc3\x28\r\n", 1),
    ("latin-1 byte", b"LIST \xe9\r\n", 1),
    ("valid UTF-8, not a number", b"RETR \xc3\xa9\r\n", 1),
    ("unknown commands", b"HELO there\r\nFOOBAR\r\n", 2),
    ("empty line", b"\r\n", 1),
    ("USER in transaction state", b"USER x@example.test\r\n", 1),
]


@pytest.fixture
def setup(server, mailbox):
    msgs = mailbox(5)
    server.add_user(OTHER, OTHER_PASSWORD)
    bystander = server.raw()
    bystander.line()
    bystander.login(OTHER, OTHER_PASSWORD)
    yield server, msgs, bystander
    assert bystander.cmd(b"NOOP").startswith(b"+OK"), "a concurrent session was disturbed"
    assert bystander.cmd(b"QUIT").startswith(b"+OK")
    assert server.alive()


def session(server):
    r = server.raw(timeout=20)
    assert r.line().startswith(b"+OK")
    r.login()
    return r


@pytest.mark.parametrize("name,data,errors", BAD_INPUT, ids=[c[0] for c in BAD_INPUT])
def test_bad_input_in_transaction_state(setup, name, data, errors):
    server, msgs, _ = setup
    r = session(server)
    r.send(data)
    for _ in range(errors):
        reply = r.line()
        assert reply.startswith(b"-ERR"), reply
        assert len(reply) <= 512, "reply line longer than RFC 2449 allows"
    assert r.cmd(b"NOOP").startswith(b"+OK")  # no stray reply was pending
    assert r.cmd(b"STAT") == b"+OK %d %d" % (len(msgs), sum(len(crlf(m)) for m in msgs))
    assert r.cmd(b"QUIT").startswith(b"+OK")


@pytest.mark.parametrize("name,data,errors", BAD_INPUT[:9], ids=[c[0] for c in BAD_INPUT[:9]])
def test_bad_input_before_login(setup, name, data, errors):
    server, _, _ = setup
    r = server.raw(timeout=20)
    assert r.line().startswith(b"+OK")
    r.send(data)
    for _ in range(errors):
        assert r.line().startswith(b"-ERR")
    assert r.cmd(b"CAPA").startswith(b"+OK")
    assert b"USER" in r.multiline()
    r.login()
    assert r.cmd(b"QUIT").startswith(b"+OK")


def test_pipelined_commands_in_one_write(setup):
    server, msgs, _ = setup
    r = session(server)
    r.send(b"NOOP\r\nSTAT\r\nLIST 2\r\nLIST\r\nUIDL 1\r\nBOGUS\r\nTOP 1 0\r\nNOOP\r\n")
    assert r.line().startswith(b"+OK")
    assert r.line() == b"+OK %d %d" % (len(msgs), sum(len(crlf(m)) for m in msgs))
    assert r.line() == b"+OK 2 %d" % len(crlf(msgs[1]))
    assert r.line().startswith(b"+OK")
    assert r.multiline() == [b"%d %d" % (i, len(crlf(m))) for i, m in enumerate(msgs, 1)]
    assert r.line().startswith(b"+OK 1 ")
    assert r.line().startswith(b"-ERR")
    assert r.line().startswith(b"+OK")
    headers = r.multiline()
    assert headers and headers[-1] == b"" and headers[0].startswith(b"From:")
    assert r.line().startswith(b"+OK")
    assert r.cmd(b"QUIT").startswith(b"+OK")


def test_command_split_across_writes(setup):
    server, msgs, _ = setup
    r = session(server)
    for piece in (b"ST", b"A", b"T", b"\r", b"\n"):
        r.send(piece)
        time.sleep(0.05)  # let each piece travel as its own segment
    assert r.line() == b"+OK %d %d" % (len(msgs), sum(len(crlf(m)) for m in msgs))
    for piece in (b"RETR", b" ", b"1\r\nNO", b"OP\r\n"):
        r.send(piece)
        time.sleep(0.05)
    assert r.line().startswith(b"+OK")
    assert r.multiline() == crlf(msgs[0]).split(b"\r\n")[:-1]
    assert r.line().startswith(b"+OK")
    assert r.cmd(b"QUIT").startswith(b"+OK")


def test_bare_lf_line_endings(setup):
    server, _, _ = setup
    r = server.raw()
    r.line()
    r.send(b"CAPA\n")
    assert r.line().startswith(b"+OK")
    r.multiline()
    assert r.cmd(b"QUIT").startswith(b"+OK")


def test_many_bad_commands_end_the_session_only(setup):
    server, _, _ = setup
    r = session(server)
    r.send(b"".join(b"JUNK%d\r\n" % i for i in range(8)))
    lines = r.until_eof(10)
    assert len(lines) >= 8 and all(line.startswith(b"-ERR") for line in lines), lines
    assert server.alive()
