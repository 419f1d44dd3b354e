"""IMAP work a client controls is bounded: the number of SEARCH keys, the time a SEARCH
may compute, and a SEARCH whose client hangs up stops at once; nested search keys work to
a depth real clients use."""

import os
import time

from conftest import eventually, imap_raw, imap_settle

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """User plus system CPU time of a process so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def expensive_search(n=450):
    """A SEARCH that looks through every message's text once per key (each key matches,
    so none cuts the evaluation short)."""
    return b"SEARCH " + b" ".join(b"NOT TEXT nomatch%05d" % i for i in range(n))


def selected(heron):
    r = imap_raw(heron, login=True, timeout=120)
    _, done = r.cmd(b"x", b"SELECT INBOX")
    assert done.startswith(b"x OK"), done
    return r


def test_ten_thousand_search_keys_are_refused_and_the_session_goes_on(server, mailbox):
    mailbox(20)
    r = selected(server)
    _, done = r.cmd(b"s", b"SEARCH " + b" ".join([b"SEEN"] * 10_000))
    assert done.startswith(b"s NO [LIMIT]"), done
    _, done = r.cmd(b"n", b"NOOP")
    assert done.startswith(b"n OK"), done
    # A search of ordinary size still works.
    untagged, done = r.cmd(b"t", b"SEARCH " + b" ".join([b"ALL"] * 50))
    assert done.startswith(b"t OK"), done
    assert untagged[0].split()[2:] == [b"%d" % i for i in range(1, 21)], untagged
    r.close()


def test_a_search_over_its_time_budget_is_stopped(server, mailbox):
    mailbox(1000)
    server.set("imap.search_timeout", "1")
    imap_settle(server)
    r = selected(server)
    _, done = r.cmd(b"s", expensive_search())
    assert done.startswith(b"s NO [LIMIT]"), done
    _, done = r.cmd(b"n", b"NOOP")
    assert done.startswith(b"n OK"), done
    r.close()


def test_a_search_stops_when_its_client_hangs_up(server, mailbox):
    mailbox(1000)
    r = selected(server)
    pid = server.proc.pid
    r.send(b"s " + expensive_search() + b"\r\n")
    time.sleep(1.0)
    busy = cpu_seconds(pid)
    # On a busy machine the server may get little of a core: wait for its 0.2 CPU-seconds.
    eventually(lambda: cpu_seconds(pid) - busy > 0.2, 15, what="the search running")
    r.close()
    time.sleep(2.0)
    idle = cpu_seconds(pid)
    time.sleep(1.0)
    spent = cpu_seconds(pid) - idle
    assert spent < 0.15, f"server still used {spent:.2f}s of CPU a second, 2s after the client left"


def test_deeply_nested_search_keys_work(server, mailbox):
    mailbox(50)
    r = selected(server)
    # OR chains as clients build them: OR OR OR a b c d ... (depth 39).
    keys = [b"FROM sender%d@example.org" % i for i in range(1, 41)]
    chain = b"OR " * (len(keys) - 1) + b" ".join(keys)
    untagged, done = r.cmd(b"s", b"SEARCH " + chain)
    assert done.startswith(b"s OK"), done
    assert untagged[0].split()[2:] == [b"%d" % i for i in range(1, 41)], untagged
    # Parentheses 40 deep, and NOT inside them, under UID SEARCH.
    nested = b"(" * 40 + b"NOT FROM sender2@example.org" + b")" * 40
    untagged, done = r.cmd(b"u", b"UID SEARCH 1:3 " + nested)
    assert done.startswith(b"u OK"), done
    assert untagged[0].split()[2:] == [b"1", b"3"], untagged
    # Past the limit the command is refused as a syntax error, and the session goes on.
    _, done = r.cmd(b"d", b"SEARCH " + b"(" * 100 + b"SEEN" + b")" * 100)
    assert done.startswith(b"d BAD"), done
    _, done = r.cmd(b"n", b"NOOP")
    assert done.startswith(b"n OK"), done
    r.close()
