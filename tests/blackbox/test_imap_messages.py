"""IMAP messages: SELECT/EXAMINE, APPEND and FETCH of exact bytes, MIME structure and
sections, flags, SEARCH, COPY/MOVE with COPYUID, EXPUNGE, CONDSTORE."""

import imaplib
import re

import pytest

from conftest import imap_client, imap_raw, imap_settle

MULTIPART = (
    b"From: =?utf-8?q?J=C3=BCrgen?= <j@example.test>\r\n"
    b"To: Team <team@example.test>\r\n"
    b"Cc: x@example.test\r\n"
    b"Subject: Quarterly report\r\n"
    b"Date: Tue, 02 Jan 2024 08:30:00 +0000\r\n"
    b"Message-ID: <multi.2@example.test>\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: multipart/mixed; boundary=\"outer\"\r\n"
    b"\r\n"
    b"preamble\r\n"
    b"--outer\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Content-Transfer-Encoding: quoted-printable\r\n"
    b"\r\n"
    b"Sch=C3=B6ne Gr=C3=BC=C3=9Fe\r\n"
    b"from the team\r\n"
    b"--outer\r\n"
    b"Content-Type: application/pdf; name=\"r.pdf\"\r\n"
    b"Content-Transfer-Encoding: base64\r\n"
    b"Content-Disposition: attachment; filename=\"r.pdf\"\r\n"
    b"\r\n"
    b"JVBERi0xLjQK\r\n"
    b"--outer--\r\n"
)


def simple(i, extra=b""):
    return (b"From: Sender %d <s%d@example.org>\r\nTo: alice@example.test\r\n"
            b"Subject: Message number %d\r\nDate: Mon, 01 Jan 2024 10:00:00 +0000\r\n%s\r\n"
            b"Body text %d with lemon\r\n" % (i, i, i, extra, i))


@pytest.fixture
def m(imap_server):
    c = imap_client(imap_server)
    yield c
    try:
        c.logout()
    except Exception:
        pass


def fetch1(m, num, what, uid=False):
    """The data of one FETCH as (response line text, [literal bytes...])."""
    typ, data = m.uid("FETCH", num, what) if uid else m.fetch(num, what)
    assert typ == "OK", data
    texts, literals = [], []
    for item in data:
        if isinstance(item, tuple):
            texts.append(item[0])
            literals.append(item[1])
        elif item is not None:
            texts.append(item)
    return no_recent(b" ".join(texts)), literals


def no_recent(text):
    """A response without \\Recent in its FLAGS: this IMAP4rev1 session holds it for the
    messages it appended before selecting (RFC 3501 §2.3.2); these tests are about the
    other flags (test_imap_recent.py checks \\Recent)."""
    return re.sub(rb"(?<=\()\\Recent ?| \\Recent", b"", text)


def test_select_and_examine_responses(m):
    for i in range(3):
        m.append("INBOX", "(\\Seen)" if i == 0 else None, None, simple(i))
    typ, data = m.select("INBOX")
    assert typ == "OK" and data == [b"3"]
    u = m.untagged_responses
    assert u["FLAGS"] == [b"(\\Answered \\Flagged \\Deleted \\Seen \\Draft)"]
    assert u["PERMANENTFLAGS"] == [b"(\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)"]
    assert u["UIDNEXT"] == [b"4"] and int(u["UIDVALIDITY"][0]) > 0
    assert u["UNSEEN"] == [b"2"] and int(u["HIGHESTMODSEQ"][0]) >= 3
    assert "READ-WRITE" in u
    typ, data = m.select("INBOX", readonly=True)
    assert typ == "OK" and "READ-ONLY" in m.untagged_responses
    assert m.untagged_responses["PERMANENTFLAGS"] == [b"()"]
    # EXAMINE does not set \Seen and refuses changes.
    fetch1(m, "2", "(BODY[])")
    assert fetch1(m, "2", "(FLAGS)")[0] == b"2 (FLAGS ())"
    assert m.store("2", "+FLAGS", "(\\Flagged)")[0] == "NO"
    assert m.select("Missing")[0] == "NO"


def test_append_then_fetch_exact_bytes(m):
    msgs = [MULTIPART, simple(1), b"X: 8bit \xe9\xff\r\n\r\n\x01\x7f"]
    for msg in msgs:
        typ, data = m.append("INBOX", None, None, msg)
        assert typ == "OK" and b"APPENDUID" in data[0], data
    m.select("INBOX")
    for i, msg in enumerate(msgs, 1):
        text, lits = fetch1(m, str(i), "(RFC822.SIZE BODY.PEEK[])")
        assert lits == [msg], i
        assert b"RFC822.SIZE %d" % len(msg) in text


def test_append_keeps_bare_line_feeds(imap_server):
    msg = b"Subject: bare LF\n\nbody\nmore\n"
    r = imap_raw(imap_server, login=True)
    _, done = r.cmd(b"a", b"APPEND INBOX {%d+}\r\n" % len(msg) + msg)
    assert done.startswith(b"a OK [APPENDUID"), done
    r.cmd(b"b", b"SELECT INBOX")
    lines, _ = r.cmd(b"c", b"FETCH 1 BODY.PEEK[]")
    assert lines == [b"* 1 FETCH (BODY[] {%d}\r\n" % len(msg) + msg + b")"], lines
    r.close()


def test_appenduid_and_internal_date(m):
    typ, data = m.append("Drafts", "(\\Draft $Pending)", '"05-Mar-2023 14:15:16 +0200"', simple(9))
    uidvalidity, uid = re.search(rb"APPENDUID (\d+) (\d+)", data[0]).groups()
    m.select("Drafts")
    assert m.untagged_responses["UIDVALIDITY"] == [uidvalidity]
    text, _ = fetch1(m, uid.decode(), "(FLAGS INTERNALDATE)", uid=True)
    assert b'INTERNALDATE "05-Mar-2023 12:15:16 +0000"' in text
    assert b"\\Draft" in text and b"$Pending" in text
    assert m.append("Nowhere", None, None, simple(1))[1][0].startswith(b"[TRYCREATE]")


def test_envelope_and_bodystructure_of_a_multipart_message(m):
    m.append("INBOX", None, None, MULTIPART)
    m.select("INBOX")
    text, _ = fetch1(m, "1", "(ENVELOPE BODYSTRUCTURE BODY)")
    assert (b'ENVELOPE ("Tue, 02 Jan 2024 08:30:00 +0000" "Quarterly report" '
            b'(("=?utf-8?b?SsO8cmdlbg==?=" NIL "j" "example.test")) ') in text, text
    assert b'(("Team" NIL "team" "example.test")) ((NIL NIL "x" "example.test")) NIL NIL "<multi.2@example.test>")' in text
    assert (b'BODYSTRUCTURE (("TEXT" "PLAIN" ("CHARSET" "utf-8") NIL NIL "QUOTED-PRINTABLE" 42 2'
            in text), text
    assert (b'("APPLICATION" "PDF" ("NAME" "r.pdf") NIL NIL "BASE64" 12 NIL '
            b'("ATTACHMENT" ("FILENAME" "r.pdf")) NIL NIL) "MIXED" ("BOUNDARY" "outer") NIL NIL NIL)'
            in text), text
    assert b'BODY (("TEXT" "PLAIN" ("CHARSET" "utf-8") NIL NIL "QUOTED-PRINTABLE" 42 2)' in text


def test_sections_and_partial_fetch(m):
    m.append("INBOX", None, None, MULTIPART)
    m.select("INBOX")
    _, lits = fetch1(m, "1", "(BODY.PEEK[1] BODY.PEEK[2] BODY.PEEK[2.MIME])")
    assert lits[0] == b"Sch=C3=B6ne Gr=C3=BC=C3=9Fe\r\nfrom the team"
    assert lits[1] == b"JVBERi0xLjQK"
    assert lits[2].startswith(b"Content-Type: application/pdf") and lits[2].endswith(b"\r\n\r\n")
    _, lits = fetch1(m, "1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT TO)])")
    assert lits == [b"To: Team <team@example.test>\r\nSubject: Quarterly report\r\n\r\n"]
    _, lits = fetch1(m, "1", "(BODY.PEEK[HEADER.FIELDS.NOT (FROM TO CC DATE MESSAGE-ID MIME-VERSION CONTENT-TYPE)])")
    assert lits == [b"Subject: Quarterly report\r\n\r\n"]
    text, lits = fetch1(m, "1", "(BODY.PEEK[]<0.10> BODY.PEEK[TEXT]<2.6>)")
    assert lits == [MULTIPART[:10], b"eamble"]
    assert b"BODY[]<0>" in text
    # BINARY (RFC 3516): the content with its transfer encoding undone.
    text, lits = fetch1(m, "1", "(BINARY.PEEK[1] BINARY.SIZE[2])")
    assert lits == ["Schöne Grüße\r\nfrom the team".encode()]
    assert b"BINARY.SIZE[2] 9" in text
    assert fetch1(m, "1", "FLAGS")[0] == b"1 (FLAGS ())"
    header = MULTIPART.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n"
    _, lits = fetch1(m, "1", "(RFC822.HEADER BODY.PEEK[HEADER])")
    assert lits == [header, header]


def test_body_fetch_sets_seen_but_peek_does_not(m):
    m.append("INBOX", None, None, simple(1))
    m.select("INBOX")
    fetch1(m, "1", "(BODY.PEEK[TEXT])")
    assert fetch1(m, "1", "FLAGS")[0] == b"1 (FLAGS ())"
    text, _ = fetch1(m, "1", "(BODY[TEXT])")
    assert b"FLAGS (\\Seen)" in text


def test_store_flags_and_keywords(m):
    for i in range(3):
        m.append("INBOX", None, None, simple(i))
    m.select("INBOX")
    typ, data = m.store("1:2", "+FLAGS", "(\\Flagged $Work)")
    assert typ == "OK" and len(data) == 2
    assert b"FLAGS (\\Flagged $Work)" in no_recent(data[0])
    assert m.store("2", "-FLAGS.SILENT", "(\\Flagged)") == ("OK", [None])
    typ, data = m.store("3", "FLAGS", "(\\Answered)")
    assert b"FLAGS (\\Answered)" in no_recent(data[0])
    assert fetch1(m, "1:3", "FLAGS")[0] == (
        b"1 (FLAGS (\\Flagged $Work)) 2 (FLAGS ($Work)) 3 (FLAGS (\\Answered))")
    typ, data = m.uid("STORE", "3", "+FLAGS", "(\\Seen)")
    assert b"UID 3" in data[0]
    # New keywords are announced with a FLAGS response.
    m.noop()
    m.select("INBOX")
    assert b"$Work" in m.untagged_responses["FLAGS"][0]


def test_search_keys(m):
    m.append("INBOX", "(\\Seen)", '"01-Jan-2024 10:00:00 +0000"', simple(1))
    m.append("INBOX", "(\\Flagged)", '"15-Feb-2024 10:00:00 +0000"', simple(2, b"X-Tag: green\r\n"))
    m.append("INBOX", None, '"20-Mar-2024 10:00:00 +0000"', MULTIPART)
    m.select("INBOX")

    def search(*criteria, uid=False):
        typ, data = m.uid("SEARCH", *criteria) if uid else m.search(None, *criteria)
        assert typ == "OK", data
        return data[0].decode().split()

    assert search("ALL") == ["1", "2", "3"]
    assert search("SEEN") == ["1"] and search("UNSEEN") == ["2", "3"]
    assert search("FLAGGED") == ["2"] and search("NOT", "FLAGGED") == ["1", "3"]
    assert search("OR", "SEEN", "FLAGGED") == ["1", "2"]
    assert search("(SEEN", "FLAGGED)") == []
    assert search("FROM", "s2@example") == ["2"]
    assert search("TO", "TEAM") == ["3"] and search("CC", "x@example.test") == ["3"]
    assert search("SUBJECT", '"message number"') == ["1", "2"]
    assert search("HEADER", "X-Tag", "GREEN") == ["2"]
    assert search("BODY", "lemon") == ["1", "2"]
    assert search("TEXT", "quarterly") == ["3"]
    assert search("SINCE", "1-Feb-2024") == ["2", "3"]
    assert search("BEFORE", "1-Feb-2024") == ["1"] and search("ON", "15-Feb-2024") == ["2"]
    assert search("SENTON", "2-Jan-2024") == ["3"] and search("SENTBEFORE", "2-Jan-2024") == ["1", "2"]
    assert search("LARGER", "400") == ["3"] and search("SMALLER", "400") == ["1", "2"]
    assert search("2:*") == ["2", "3"] and search("UID", "1,3") == ["1", "3"]
    assert search("ALL", uid=True) == ["1", "2", "3"]
    assert search("KEYWORD", "$none") == []
    # RFC 7162 §3.1.5: a MODSEQ search reports the highest modseq of the matches.
    assert search("MODSEQ", "1")[:4] == ["1", "2", "3", "(MODSEQ"]


def test_search_utf8_literal_and_esearch(imap_server):
    r = imap_raw(imap_server, login=True)
    r.cmd(b"a", b"APPEND INBOX {%d+}\r\n" % len(MULTIPART) + MULTIPART)
    r.cmd(b"b", b"SELECT INBOX")
    needle = "grüße".encode()
    r.send(b"c SEARCH CHARSET UTF-8 BODY {%d}\r\n" % len(needle))
    assert r.line().startswith(b"+ ")
    r.send(needle + b"\r\n")
    lines, done = r.until(b"c")
    assert done.startswith(b"c OK") and lines == [b"* SEARCH 1"], lines
    lines, done = r.cmd(b"d", b"SEARCH CHARSET KOI8-R ALL")
    assert done.startswith(b"d NO [BADCHARSET"), done
    lines, done = r.cmd(b"e", b"UID SEARCH RETURN (MIN MAX COUNT ALL) ALL")
    assert lines == [b'* ESEARCH (TAG "e") UID MIN 1 MAX 1 COUNT 1 ALL 1'], lines
    lines, _ = r.cmd(b"f", b"SEARCH RETURN (COUNT) DELETED")
    assert lines == [b'* ESEARCH (TAG "f") COUNT 0'], lines
    r.close()


def test_copy_and_move_with_copyuid(m):
    for i in range(4):
        m.append("INBOX", "(\\Flagged)" if i == 0 else None, None, simple(i))
    m.select("Drafts")
    m.select("INBOX")
    typ, data = m.copy("1:2", "Drafts")
    assert typ == "OK"
    assert re.match(rb"\[COPYUID \d+ 1:2 1:2\]", data[0]), data
    typ, data = m._simple_command("MOVE", "3", "Drafts")
    assert typ == "OK"
    assert re.match(rb"\[COPYUID \d+ 3 3\]", m.untagged_responses.pop("OK")[-1]), "untagged COPYUID"
    assert m.untagged_responses.pop("EXPUNGE") == [b"3"]
    typ, data = m.uid("MOVE", "4", "Drafts")
    assert m.untagged_responses.pop("EXPUNGE") == [b"3"]
    assert m.select("INBOX")[1] == [b"2"]
    assert m.select("Drafts")[1] == [b"4"]
    assert fetch1(m, "1", "FLAGS")[0] == b"1 (FLAGS (\\Flagged))", "flags are copied"
    assert fetch1(m, "4", "(BODY.PEEK[])")[1] == [simple(3)]
    typ, data = m.copy("1", "Missing")
    assert typ == "NO" and data[0].startswith(b"[TRYCREATE]")


def test_expunge_and_uid_expunge(m):
    for i in range(5):
        m.append("INBOX", None, None, simple(i))
    m.select("INBOX")
    m.store("2,4", "+FLAGS", "(\\Deleted)")
    typ, data = m.expunge()
    assert typ == "OK" and data == [b"4", b"2"], "highest number first keeps numbers valid"
    m.store("1:3", "+FLAGS", "(\\Deleted)")
    typ, _ = m.uid("EXPUNGE", "1:3")
    assert typ == "OK"
    assert m.untagged_responses.pop("EXPUNGE") == [b"2", b"1"]
    assert fetch1(m, "1", "UID")[0] == b"1 (UID 5)"
    m.store("1", "+FLAGS", "(\\Deleted)")
    assert m.close()[0] == "OK"
    assert m.select("INBOX")[1] == [b"0"], "CLOSE expunges"


def test_condstore_unchangedsince(imap_server):
    r = imap_raw(imap_server, login=True)
    for i in range(2):
        msg = simple(i)
        r.cmd(b"a", b"APPEND INBOX {%d+}\r\n" % len(msg) + msg)
    lines, done = r.cmd(b"b", b"SELECT INBOX (CONDSTORE)")
    modseq = int(re.search(rb"HIGHESTMODSEQ (\d+)", b" ".join(lines)).group(1))
    lines, done = r.cmd(b"c", b"FETCH 1:2 (MODSEQ)")
    assert lines == [b"* 1 FETCH (MODSEQ (%d))" % (modseq - 1), b"* 2 FETCH (MODSEQ (%d))" % modseq], lines
    lines, done = r.cmd(b"d", b"STORE 2 (UNCHANGEDSINCE %d) +FLAGS (\\Seen)" % modseq)
    assert done.startswith(b"d OK") and b"FLAGS (\\Seen)" in no_recent(lines[0]), lines
    lines, done = r.cmd(b"e", b"UID STORE 2 (UNCHANGEDSINCE %d) +FLAGS (\\Flagged)" % modseq)
    assert done.startswith(b"e OK [MODIFIED 2]"), done
    lines, done = r.cmd(b"f", b"FETCH 1:* (FLAGS) (CHANGEDSINCE %d)" % modseq)
    assert len(lines) == 1 and lines[0].startswith(b"* 2 FETCH"), lines
    r.close()


def test_fetch_errors(m):
    m.append("INBOX", None, None, simple(1))
    m.select("INBOX")
    with pytest.raises(imaplib.IMAP4.error, match="BAD"):
        m.fetch("7", "FLAGS")
    assert m.uid("FETCH", "7", "FLAGS") == ("OK", [None]), "missing UIDs are ignored"


def test_large_append_round_trips_and_the_limit_is_enforced(imap_server):
    imap_server.set("smtp_in.max_message_mb", "4")
    imap_settle(imap_server)
    m = imap_client(imap_server)
    assert b"APPENDLIMIT=4194304" in m.capability()[1][0]
    big = b"Subject: big\r\n\r\n" + (b"0123456789" * 99 + b"\r\n") * 3000
    typ, data = m.append("INBOX", None, None, big)
    assert typ == "OK", data
    m.select("INBOX")
    assert fetch1(m, "1", "(BODY.PEEK[])")[1] == [big]
    too_big = b"Subject: too big\r\n\r\n" + b"y" * (5 << 20)
    typ, data = m.append("INBOX", None, None, too_big)
    assert typ == "NO" and data[0].startswith(b"[TOOBIG]"), data
    assert m.noop()[0] == "OK", "the session goes on"
    m.logout()
