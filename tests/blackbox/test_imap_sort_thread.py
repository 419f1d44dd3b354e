"""IMAP SORT (RFC 5256, with SORT=DISPLAY from RFC 5957), ESORT (RFC 5267) and THREAD
(ORDEREDSUBJECT, REFERENCES) on a mailbox filled with APPEND, checked with imaplib,
IMAPClient and raw commands against answers worked out from the messages by hand.

The mailbox: a message appended and expunged first, so UIDs are message numbers + 1; then
eight messages with distinct internal dates, Date fields (one missing, one in another
zone), subjects with reply markers and list tags, and Message-ID / References /
In-Reply-To links (one parent missing)."""

import imaplib

import pytest
from imapclient import IMAPClient

from conftest import PASSWORD, USER, imap_client, imap_raw

# (subject, from, to, cc, date field or None, internal date, message-id, references field,
#  in-reply-to field)
MESSAGES = [
    ("Project plan", "Alpha Zoe <zoe@example.org>", "bob@example.test",
     "carol@example.test", "Wed, 03 Jan 2024 10:00:00 +0000", "05-Jan-2024 09:00:00 +0000",
     "<a@x>", None, None),
    ("Re: Project plan", "adam@example.org", "Xavier <xavier@example.test>", None,
     "Thu, 04 Jan 2024 10:00:00 +0000", "01-Jan-2024 09:00:00 +0000", "<b@x>", "<a@x>",
     None),
    ("[list] Lunch?", "Mallory <mallory@example.org>", "alice@example.test", None,
     "Tue, 02 Jan 2024 23:00:00 -0500", "03-Jan-2024 09:00:00 +0000", "<c@x>", None, None),
    ("Re: Re: Project plan", "Bob <Bob@example.org>", "Alice Liddell <alice@example.test>",
     "zed@example.test", None, "02-Jan-2024 12:00:00 +0000", "<d@x>", "<a@x> <b@x>", None),
    ("Fwd: Lunch? (fwd)", "carol <Carol@example.org>", "alice@example.test",
     "adam@example.test", "Mon, 01 Jan 2024 08:00:00 +0000", "04-Jan-2024 09:00:00 +0000",
     "<e@x>", None, "<c@x>"),
    ("Budget", "dave@example.org", "Bob <bob@example.test>", None,
     "Fri, 05 Jan 2024 10:00:00 +0000", "06-Jan-2024 09:00:00 +0000", "<f@x>",
     "<missing@x>", None),
    ("Re: Budget", "Erin Example <erin@example.org>", "bob@example.test", None,
     "Sat, 06 Jan 2024 10:00:00 +0000", "07-Jan-2024 09:00:00 +0000", "<g@x>",
     "<missing@x>", None),
    ("Re: Lunch?", "Frank <frank@example.org>", "alice@example.test", None,
     "Tue, 02 Jan 2024 10:00:00 +0000", "08-Jan-2024 09:00:00 +0000", "<h@x>", None, None),
]


def raw_message(i, m):
    subject, frm, to, cc, date, _, mid, refs, irt = m
    head = [f"From: {frm}", f"To: {to}", f"Subject: {subject}", f"Message-ID: {mid}"]
    if cc:
        head.append(f"Cc: {cc}")
    if date:
        head.append(f"Date: {date}")
    if refs:
        head.append(f"References: {refs}")
    if irt:
        head.append(f"In-Reply-To: {irt}")
    body = "x" * (37 * ((i * 5) % 8) + 1)
    return ("\r\n".join(head) + "\r\n\r\n" + body + "\r\n").encode()


RAWS = [raw_message(i, m) for i, m in enumerate(MESSAGES, 1)]


@pytest.fixture
def box(imap_server):
    """INBOX holding the messages above (UIDs 2..9), through APPEND."""
    m = imap_client(imap_server)
    m.append("INBOX", None, None, b"Subject: gone\r\n\r\nx\r\n")
    m.select("INBOX")
    m.store("1", "+FLAGS", "\\Deleted")
    m.expunge()
    for raw, msg in zip(RAWS, MESSAGES):
        typ, _ = m.append("INBOX", None, f'"{msg[5]}"', raw)
        assert typ == "OK"
    m.logout()
    return imap_server


def sort(m, criteria, *search):
    typ, data = m.sort(criteria, "UTF-8", *(search or ("ALL",)))
    assert typ == "OK", data
    return [int(n) for n in data[0].split()]


def test_capabilities(box):
    m = imap_client(box)
    try:
        caps = m.capability()[1][0].split()
        for c in (b"SORT", b"SORT=DISPLAY", b"ESORT", b"THREAD=ORDEREDSUBJECT",
                  b"THREAD=REFERENCES"):
            assert c in caps, caps
    finally:
        m.logout()


def test_sort_every_key(box):
    m = imap_client(box)
    try:
        m.select("INBOX")
        assert sort(m, "(ARRIVAL)") == [2, 4, 3, 5, 1, 6, 7, 8]
        # The Date field in UTC; message 4 has none and counts its internal date.
        assert sort(m, "(DATE)") == [5, 8, 4, 3, 1, 2, 6, 7]
        assert sort(m, "(REVERSE DATE)") == [7, 6, 2, 1, 3, 4, 8, 5]
        # Base subjects: BUDGET, LUNCH?, PROJECT PLAN; ties by message number.
        assert sort(m, "(SUBJECT)") == [6, 7, 3, 5, 8, 1, 2, 4]
        assert sort(m, "(SUBJECT DATE)") == [6, 7, 5, 8, 3, 4, 1, 2]
        # The first address's mailbox, case ignored.
        assert sort(m, "(FROM)") == [2, 4, 5, 6, 7, 8, 3, 1]
        assert sort(m, "(TO)") == [3, 4, 5, 8, 1, 6, 7, 2]
        # No Cc sorts first; REVERSE keeps ties in mailbox order.
        assert sort(m, "(CC)") == [2, 3, 6, 7, 8, 5, 1, 4]
        assert sort(m, "(REVERSE CC)") == [4, 1, 5, 2, 3, 6, 7, 8]
        # Display name, else the address.
        assert sort(m, "(DISPLAYFROM)") == [2, 1, 4, 5, 6, 7, 8, 3]
        assert sort(m, "(DISPLAYTO)") == [4, 3, 5, 8, 6, 1, 7, 2]
        by_size = sorted(range(1, 9), key=lambda i: (len(RAWS[i - 1]), i))
        assert sort(m, "(SIZE)") == by_size
        assert sort(m, "(REVERSE SIZE)") == sorted(
            range(1, 9), key=lambda i: (-len(RAWS[i - 1]), i))
        # Search criteria narrow the set; UID SORT answers UIDs.
        assert sort(m, "(DATE)", 'SUBJECT "plan"') == [4, 1, 2]
        typ, data = m.uid("SORT", "(DATE)", "UTF-8", "ALL")
        assert typ == "OK" and data[0].split() == b"6 9 5 4 2 3 7 8".split(), data
        typ, data = m.sort("(SUBJECT)", "US-ASCII", "SUBJECT", "nothing-matches")
        assert typ == "OK" and data == [b""], data
    finally:
        m.logout()


def test_sort_charset_and_errors(box):
    c = imap_raw(box, login=True)
    try:
        _, done = c.cmd(b"s", b"SELECT INBOX")
        assert done.startswith(b"s OK"), done
        lines, done = c.cmd(b"a", b"SORT (DATE) ISO-8859-1 ALL")
        assert lines == [] and done == b"a NO [BADCHARSET (UTF-8 US-ASCII)] unsupported charset"
        lines, done = c.cmd(b"b", b"THREAD REFERENCES KOI8-R ALL")
        assert done.startswith(b"b NO [BADCHARSET (UTF-8 US-ASCII)]"), done
        _, done = c.cmd(b"c", b"SORT (BOGUS) UTF-8 ALL")
        assert done.startswith(b"c BAD"), done
        _, done = c.cmd(b"d", b"THREAD FLAT UTF-8 ALL")
        assert done.startswith(b"d BAD"), done
        lines, done = c.cmd(b"e", b"SORT (ARRIVAL) utf-8 1:3")
        assert lines == [b"* SORT 2 3 1"] and done.startswith(b"e OK"), (lines, done)
    finally:
        c.close()


def test_esort(box):
    c = imap_raw(box, login=True)
    try:
        _, done = c.cmd(b"s", b"SELECT INBOX")
        assert done.startswith(b"s OK"), done
        lines, done = c.cmd(b"a", b"SORT RETURN (MIN MAX COUNT ALL) (DATE) UTF-8 ALL")
        assert done.startswith(b"a OK"), done
        assert lines == [b'* ESEARCH (TAG "a") MIN 5 MAX 7 COUNT 8 ALL 5,8,4,3,1:2,6:7'], lines
        lines, done = c.cmd(b"b", b"UID SORT RETURN (ALL) (REVERSE ARRIVAL) UTF-8 ALL")
        assert lines == [b'* ESEARCH (TAG "b") UID ALL 9,8,7,2,6,4:5,3'], lines
        lines, done = c.cmd(b"c", b"SORT RETURN () (SUBJECT) UTF-8 SUBJECT lunch")
        assert lines == [b'* ESEARCH (TAG "c") ALL 3,5,8'], lines
        lines, done = c.cmd(b"d", b"SORT RETURN (COUNT) (SUBJECT) UTF-8 SUBJECT nothing")
        assert lines == [b'* ESEARCH (TAG "d") COUNT 0'], lines
        # SAVE keeps the first in sort order for MIN, for `$` afterwards.
        lines, done = c.cmd(b"e", b"SORT RETURN (SAVE MIN) (REVERSE DATE) UTF-8 ALL")
        assert lines == [b'* ESEARCH (TAG "e") MIN 7'], lines
        lines, done = c.cmd(b"f", b"SEARCH $")
        assert lines == [b"* SEARCH 7"], lines
    finally:
        c.close()


def test_thread(box):
    m = imap_client(box)
    try:
        m.select("INBOX")
        typ, data = m.thread("REFERENCES", "UTF-8", "ALL")
        # 8 ("Re: Lunch?", no references) joins 3 by subject; 6 and 7 share a missing
        # parent; threads in order of their first message's date.
        assert typ == "OK" and data == [b"(3 (5)(8))(1 2 4)((6)(7))"], data
        typ, data = m.thread("ORDEREDSUBJECT", "UTF-8", "ALL")
        assert typ == "OK" and data == [b"(5 (8)(3))(4 (1)(2))(6 7)"], data
        typ, data = m.uid("THREAD", "REFERENCES", "UTF-8", "ALL")
        assert typ == "OK" and data == [b"(4 (6)(9))(2 3 5)((7)(8))"], data
        typ, data = m.thread("REFERENCES", "US-ASCII", "SUBJECT", "plan")
        assert typ == "OK" and data == [b"(1 2 4)"], data
        typ, data = m.thread("REFERENCES", "UTF-8", "SUBJECT", "nothing-matches")
        assert typ == "OK" and data == [b""], data
    finally:
        m.logout()


def test_imapclient_sort_and_thread(box):
    with IMAPClient(box.host, port=box.imap_port, ssl=False, timeout=15) as c:
        c.login(USER, PASSWORD)
        c.select_folder("INBOX")
        assert c.sort(["SUBJECT", "DATE"]) == [7, 8, 6, 9, 4, 5, 2, 3]
        assert c.sort("FROM", ["SUBJECT", "lunch"]) == [6, 9, 4]
        assert c.thread("REFERENCES") == ((4, (6,), (9,)), (2, 3, 5), ((7,), (8,)))


# Address forms SORT must read as ENVELOPE does (RFC 5256 §3, RFC 5957 §3): a group (its
# name is the first element of the address list), an empty group, a comment standing for
# the display name, a bare word without a domain, an encoded display name.
# (to, cc)
ADDRESS_FORMS = [
    ("foo bar <a@b.c>", "user2@domain2.org (foo bar)"),
    ("b@c.d", "user2: blah@domain1.org;"),
    ("d", "user1@domain1.org"),
    ("=?iso-8859-1?q?foo_aar?= <e@f.g>", '"Aaa" <zzz@domain.org>'),
    ("a: xx@xx.org, yy@yy.org;", None),
    ("empty:;", None),
    ("y@y.org (Comment Only)", None),
]


def test_sort_groups_comments_and_bare_words(imap_server):
    m = imap_client(imap_server)
    try:
        m.create("Forms")
        for i, (to, cc) in enumerate(ADDRESS_FORMS, 1):
            head = f"From: s{i}@example.org\r\nTo: {to}\r\n" + (f"Cc: {cc}\r\n" if cc else "")
            date = f'"0{i}-Jan-2024 09:00:00 +0000"'  # arrival order is message order
            typ, _ = m.append("Forms", None, date, f"{head}Subject: {i}\r\n\r\nx\r\n".encode())
            assert typ == "OK"
        m.select("Forms")
        # CC: none (5, 6, 7) first; USER1; USER2 twice (a comment, then the group named
        # user2, whose member blah would sort before user1), ties by number; ZZZ.
        assert sort(m, "(CC)") == [5, 6, 7, 3, 1, 2, 4]
        assert sort(m, "(REVERSE CC)") == [4, 1, 2, 3, 5, 6, 7]
        assert sort(m, "(CC REVERSE ARRIVAL)") == [7, 6, 5, 3, 2, 1, 4]
        # TO: A (1, and the group a, not its member xx), B, D, E, EMPTY, Y.
        assert sort(m, "(TO)") == [1, 5, 2, 3, 4, 6, 7]
        # DISPLAYTO: a (group), b@c.d, comment only, d, empty (group), foo aar (decoded),
        # foo bar.
        assert sort(m, "(DISPLAYTO)") == [5, 2, 7, 3, 6, 4, 1]
        assert sort(m, "(REVERSE DISPLAYTO)") == [1, 4, 6, 3, 7, 2, 5]
    finally:
        m.logout()


def test_thread_reference_that_would_loop_breaks_the_old_link(imap_server):
    """2 names 1 then 3, so 3 is first put under 1 and 2 under 3; 3 names 2, its own child.
    That link is not made (a loop), but 3's link to 1 breaks (RFC 5256 §3 step 1B): 3
    heads its own thread, before 1 since its date (the internal date: no Date field) is
    earlier."""
    mails = [("<a@b>", None, "22-Feb-2008 17:06:23 +0000"),
             ("<b@b>", "<a@b> <c@b>", "22-Feb-2008 15:06:23 +0000"),
             ("<c@b>", "<b@b>", "22-Feb-2008 16:06:25 +0000")]
    m = imap_client(imap_server)
    try:
        m.create("Loop")
        for mid, refs, date in mails:
            raw = f"Message-ID: {mid}\r\n" + (f"References: {refs}\r\n" if refs else "")
            typ, _ = m.append("Loop", None, f'"{date}"', (raw + "\r\nbody\r\n").encode())
            assert typ == "OK"
        m.select("Loop")
        typ, data = m.thread("REFERENCES", "US-ASCII", "ALL")
        assert typ == "OK" and data == [b"(3 2)(1)"], data
        typ, data = m.uid("THREAD", "REFERENCES", "US-ASCII", "ALL")
        assert typ == "OK" and data == [b"(3 2)(1)"], data
        m.store("1", "+FLAGS", "\\Deleted")
        m.expunge()
        # Without <a@b>: 3 (now 2) still heads the thread of 2 (now 1).
        typ, data = m.thread("REFERENCES", "US-ASCII", "ALL")
        assert typ == "OK" and data == [b"(2 1)"], data
        typ, data = m.uid("THREAD", "REFERENCES", "US-ASCII", "ALL")
        assert typ == "OK" and data == [b"(3 2)"], data
    finally:
        m.logout()
