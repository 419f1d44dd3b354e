"""Keywords are announced before they are used (RFC 9051 §7.3.5, §7.5.2): a keyword shown in
any FETCH FLAGS response has first been listed in an untagged FLAGS and PERMANENTFLAGS in that
session, whether this session or another one set it; unknown system flags are refused (a
keyword atom such as NIL is stored as written)."""

import re

from conftest import imap_raw


def append(r, n):
    for i in range(n):
        msg = b"Subject: k%d\r\n\r\nbody %d\r\n" % (i, i)
        _, done = r.cmd(b"ap", b"APPEND INBOX {%d+}\r\n" % len(msg) + msg)
        assert done.startswith(b"ap OK"), done


def announced(lines):
    """Keywords in the FLAGS and PERMANENTFLAGS lines, in the order they came."""
    flags = perm = None
    for i, line in enumerate(lines):
        if line.startswith(b"* FLAGS ("):
            flags = (i, set(re.findall(rb"\$\w+", line)))
        if b"[PERMANENTFLAGS (" in line:
            perm = (i, set(re.findall(rb"\$\w+", line)))
    return flags, perm


def check_announced_first(lines, keyword):
    """`keyword` is in FLAGS and PERMANENTFLAGS lines that come before the first FETCH
    showing it."""
    (fi, fkw), (pi, pkw) = announced(lines)
    first_use = next(i for i, l in enumerate(lines) if b"FETCH" in l and keyword in l)
    assert keyword in fkw and keyword in pkw, lines
    assert fi < first_use and pi < first_use, lines


def test_keyword_set_by_another_session_is_announced_before_its_fetch(imap_server):
    a = imap_raw(imap_server, login=True)
    append(a, 2)
    lines, done = a.cmd(b"s", b"SELECT INBOX")
    assert done.startswith(b"s OK"), done
    (_, kw), (_, pkw) = announced(lines)
    assert b"$Later" not in kw
    b = imap_raw(imap_server, login=True)
    b.cmd(b"s", b"SELECT INBOX")
    lines, done = b.cmd(b"st", b"STORE 1 +FLAGS ($Later)")
    assert done.startswith(b"st OK"), done
    check_announced_first(lines, b"$Later")
    # Session A hears of it at its next command: FLAGS first, then the FETCH.
    lines, done = a.cmd(b"n", b"NOOP")
    assert done.startswith(b"n OK"), done
    check_announced_first(lines, b"$Later")
    # Announced once: a second change with the same keyword needs no new FLAGS.
    b.cmd(b"st2", b"STORE 2 +FLAGS ($Later)")
    lines, _ = a.cmd(b"n2", b"NOOP")
    assert any(b"FETCH" in l and b"$Later" in l for l in lines), lines
    assert not any(l.startswith(b"* FLAGS") for l in lines), lines
    a.close()
    b.close()


def test_own_store_of_a_new_keyword_announces_it_first(imap_server):
    a = imap_raw(imap_server, login=True)
    append(a, 1)
    a.cmd(b"s", b"SELECT INBOX")
    lines, done = a.cmd(b"st", b"STORE 1 +FLAGS ($Mine)")
    assert done.startswith(b"st OK"), done
    check_announced_first(lines, b"$Mine")
    # A later SELECT lists it from the start.
    lines, _ = a.cmd(b"s2", b"SELECT INBOX")
    (_, kw), (_, pkw) = announced(lines)
    assert b"$Mine" in kw and b"$Mine" in pkw, lines
    a.close()


def test_unknown_system_flags_are_refused(imap_server):
    a = imap_raw(imap_server, login=True)
    append(a, 1)
    a.cmd(b"s", b"SELECT INBOX")
    for flags in (b"(\\Frobbed)", b"($Ok \\Frobbed)"):
        _, done = a.cmd(b"st", b"STORE 1 +FLAGS " + flags)
        assert done.startswith(b"st BAD"), (flags, done)
    msg = b"Subject: x\r\n\r\nx\r\n"
    _, done = a.cmd(b"ap", b"APPEND INBOX (\\Frobbed) {%d+}\r\n" % len(msg) + msg)
    assert done.startswith(b"ap BAD"), done
    # Nothing was stored, and the session goes on.
    lines, done = a.cmd(b"f", b"FETCH 1 (FLAGS)")
    assert done.startswith(b"f OK") and lines == [b"* 1 FETCH (FLAGS (\\Recent))"], lines
    _, done = a.cmd(b"st", b"STORE 1 +FLAGS ($Fine \\Recent)")
    assert done.startswith(b"st OK"), done
    a.close()


def test_keywords_per_mailbox_are_limited(imap_server):
    a = imap_raw(imap_server, login=True)
    append(a, 1)
    a.cmd(b"s", b"SELECT INBOX")
    refused = None
    for batch in range(8):  # 50 new keywords a time: the sixth batch passes 256
        names = b" ".join(b"$k%d" % (batch * 50 + i) for i in range(50))
        _, done = a.cmd(b"st", b"STORE 1 +FLAGS (" + names + b")")
        if not done.startswith(b"st OK"):
            refused = (batch, done)
            break
    assert refused is not None and refused[0] == 5, refused
    assert refused[1].startswith(b"st NO [LIMIT]"), refused
    # Keywords already there can still be set and removed.
    _, done = a.cmd(b"r", b"STORE 1 -FLAGS ($k0)")
    assert done.startswith(b"r OK"), done
    _, done = a.cmd(b"r2", b"STORE 1 +FLAGS ($k0)")
    assert done.startswith(b"r2 OK"), done
    a.close()


def test_append_and_copy_keep_to_the_keyword_limit(imap_server):
    """APPEND and COPY into a mailbox check its stored keywords as STORE does: past 256
    distinct keywords the command is refused with NO [LIMIT] and nothing is written."""
    a = imap_raw(imap_server, login=True)
    append(a, 1)
    a.cmd(b"s", b"SELECT INBOX")
    for batch in range(5):  # 250 keywords in INBOX
        names = b" ".join(b"$k%d" % (batch * 50 + i) for i in range(50))
        _, done = a.cmd(b"st", b"STORE 1 +FLAGS (" + names + b")")
        assert done.startswith(b"st OK"), done

    # Six more fit (256); seven do not.
    msg = b"Subject: more\r\n\r\nbody\r\n"
    seven = b" ".join(b"$n%d" % i for i in range(7))
    _, done = a.cmd(b"ap", b"APPEND INBOX (" + seven + b") {%d+}\r\n" % len(msg) + msg)
    assert done.startswith(b"ap NO [LIMIT]"), done
    six = b" ".join(b"$n%d" % i for i in range(6))
    _, done = a.cmd(b"ap2", b"APPEND INBOX (" + six + b" \\Seen) {%d+}\r\n" % len(msg) + msg)
    assert done.startswith(b"ap2 OK"), done
    # Known keywords and system flags still go in.
    _, done = a.cmd(b"ap3", b"APPEND INBOX ($k1 $n0 \\Flagged) {%d+}\r\n" % len(msg) + msg)
    assert done.startswith(b"ap3 OK"), done
    lines, done = a.cmd(b"x", b"STATUS INBOX (MESSAGES)")
    assert b"MESSAGES 3" in b"".join(lines), lines

    # A message carrying new keywords cannot be copied into the full mailbox.
    _, done = a.cmd(b"c", b"CREATE Other")
    assert done.startswith(b"c OK"), done
    _, done = a.cmd(b"ap4", b"APPEND Other ($other1) {%d+}\r\n" % len(msg) + msg)
    assert done.startswith(b"ap4 OK"), done
    a.cmd(b"s2", b"SELECT Other")
    _, done = a.cmd(b"cp", b"COPY 1 INBOX")
    assert done.startswith(b"cp NO [LIMIT]"), done
    # Into a mailbox with room it goes.
    _, done = a.cmd(b"c2", b"CREATE Third")
    assert done.startswith(b"c2 OK"), done
    _, done = a.cmd(b"cp2", b"COPY 1 Third")
    assert done.startswith(b"cp2 OK"), done
    lines, done = a.cmd(b"x2", b"STATUS INBOX (MESSAGES)")
    assert b"MESSAGES 3" in b"".join(lines), lines
    a.close()
