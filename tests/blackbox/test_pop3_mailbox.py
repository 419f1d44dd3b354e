"""A 1,000-message mailbox read over plain POP3, STLS and POP3S."""

import poplib

import pytest

from conftest import drop, crlf, lines_of, top_lines

COUNT = 1000


@pytest.fixture
def big(mailbox):
    return mailbox(COUNT)


def uidls(p):
    resp, lines, _ = p.uidl()
    assert resp.startswith(b"+OK")
    pairs = [line.split(b" ", 1) for line in lines]
    assert [int(n) for n, _ in pairs] == list(range(1, len(pairs) + 1))
    return [uid for _, uid in pairs]


def sample(n):
    """Message numbers checked over TLS: first, last, and a spread between."""
    return sorted({1, 2, n} | set(range(5, n + 1, 37)))


def check_mailbox(p, msgs, numbers):
    size = sum(len(crlf(m)) for m in msgs)
    assert p.stat() == (len(msgs), size)

    resp, listing, _ = p.list()
    assert resp.startswith(b"+OK")
    assert listing == [b"%d %d" % (i, len(crlf(m))) for i, m in enumerate(msgs, 1)]
    for i in (1, len(msgs)):
        assert p.list(i) == b"+OK %d %d" % (i, len(crlf(msgs[i - 1])))

    uids = uidls(p)
    assert len(set(uids)) == len(msgs)
    for uid in uids:
        assert 0 < len(uid) <= 70 and all(0x21 <= c <= 0x7E for c in uid), uid

    for i in numbers:
        msg = msgs[i - 1]
        resp, lines, octets = p.retr(i)
        assert resp.startswith(b"+OK"), resp
        assert lines == lines_of(msg), f"RETR {i} differs"
        for n in (0, 3):
            resp, lines, _ = p.top(i, n)
            assert resp.startswith(b"+OK"), resp
            assert lines == top_lines(msg, n), f"TOP {i} {n} differs"
    return uids


@pytest.mark.parametrize("kind", ["plain", "stls", "pops"])
def test_read_whole_mailbox(server, big, kind):
    numbers = range(1, COUNT + 1) if kind == "plain" else sample(COUNT)
    p = server.login(kind)
    first = check_mailbox(p, big, numbers)
    assert p.quit().startswith(b"+OK")

    # UIDs are stable across sessions and across the transport used.
    p = server.login("plain" if kind != "plain" else "pops")
    assert uidls(p) == first
    p.quit()


def test_top_beyond_body_and_bad_numbers(server, big):
    p = server.login()
    msg = big[0]
    _, lines, _ = p.top(1, 100000)
    assert lines == lines_of(msg)
    for cmd in (f"RETR {COUNT + 1}", "RETR 0", "LIST 0", f"TOP {COUNT + 1} 0", "DELE 99999"):
        with pytest.raises(poplib.error_proto):
            p._shortcmd(cmd)
    assert p.noop().startswith(b"+OK")
    p.quit()


def test_dele_quit_removes(server, big):
    p = server.login()
    before = uidls(p)
    for i in (1, 500, COUNT):
        assert p.dele(i).startswith(b"+OK")
    # Marked messages are gone from this session's view already.
    gone = len(crlf(big[0])) + len(crlf(big[499])) + len(crlf(big[-1]))
    assert p.stat() == (COUNT - 3, sum(len(crlf(m)) for m in big) - gone)
    with pytest.raises(poplib.error_proto):
        p.retr(500)
    assert p.quit().startswith(b"+OK")

    p = server.login()
    kept = [m for i, m in enumerate(big, 1) if i not in (1, 500, COUNT)]
    assert p.stat() == (COUNT - 3, sum(len(crlf(m)) for m in kept))
    expected = [u for i, u in enumerate(before, 1) if i not in (1, 500, COUNT)]
    assert uidls(p) == expected
    assert p.retr(1)[1] == lines_of(big[1])
    assert p.retr(COUNT - 3)[1] == lines_of(big[-2])
    p.quit()


def test_dele_then_dropped_connection_removes_nothing(server, big):
    p = server.login()
    before = uidls(p)
    assert p.dele(1).startswith(b"+OK")
    assert p.dele(2).startswith(b"+OK")
    drop(p)  # no QUIT

    p = server.login()  # waits (bounded) until the old session is released
    assert p.stat()[0] == COUNT
    assert uidls(p) == before
    p.quit()


def test_rset_undoes_dele(server, big):
    p = server.login()
    before = p.stat()
    p.dele(3)
    p.dele(4)
    assert p.stat()[0] == COUNT - 2
    assert p.rset().startswith(b"+OK")
    assert p.stat() == before
    assert p.retr(3)[1] == lines_of(big[2])
    p.quit()

    p = server.login()
    assert p.stat() == before
    p.quit()


def test_deleted_message_is_gone_for_the_session(server, mailbox):
    msgs = mailbox(5, seed=3)
    p = server.login()
    uid2 = p.uidl(2).split()[2]
    assert p.dele(2).startswith(b"+OK")
    for cmd in ("LIST 2", "UIDL 2", "TOP 2 0", "RETR 2", "DELE 2"):
        with pytest.raises(poplib.error_proto):
            p._shortcmd(cmd)
    listing = p.list()[1]
    assert [line.split()[0] for line in listing] == [b"1", b"3", b"4", b"5"]
    assert uid2 not in b" ".join(p.uidl()[1])
    assert p.retr(3)[1] == lines_of(msgs[2])
    p.quit()
