"""IMAP SEARCH text keys answered through the store's text index: BODY, TEXT, SUBJECT,
FROM and HEADER find exactly what they found by reading every message, for plain,
quoted-printable, base64, HTML and multipart messages, after COPY, MOVE and EXPUNGE, on
a store made before the index existed (its messages indexed in the background), and on a
mailbox of 5,000 messages, whose index rows are checked in the database; and on the
PostgreSQL store."""

import sqlite3

from conftest import PASSWORD, USER, eventually, imap_client, imap_raw

PLAIN = (b"From: Alice Smith <alice.smith@example.org>\r\n"
         b"To: bob@example.test\r\n"
         b"Subject: Plain hello\r\n"
         b"\r\n"
         b"The quick brown fox jumps over the lazy dog.\r\n")

QUOTED = (b"From: =?utf-8?q?J=C3=BCrgen?= <jurgen@example.org>\r\n"
          b"Subject: =?utf-8?q?Caf=C3=A9_plans?=\r\n"
          b"MIME-Version: 1.0\r\n"
          b"Content-Type: text/plain; charset=utf-8\r\n"
          b"Content-Transfer-Encoding: quoted-printable\r\n"
          b"\r\n"
          b"Gr=C3=BC=C3=9Fe aus K=C3=B6ln, the meet=\r\n"
          b"ing is at noon.\r\n")

BASE64 = (b"From: carol@example.org\r\n"
          b"Subject: Encoded\r\n"
          b"MIME-Version: 1.0\r\n"
          b"Content-Type: text/plain; charset=us-ascii\r\n"
          b"Content-Transfer-Encoding: base64\r\n"
          b"\r\n"
          b"QmFzZTY0IHNlY3JldCBwYXlsb2FkOiB6ZWJyYSBjcm9zc2luZw==\r\n")  # "...zebra crossing"

HTML = (b"From: news@example.org\r\n"
        b"Subject: Weekly news\r\n"
        b"MIME-Version: 1.0\r\n"
        b"Content-Type: text/html; charset=utf-8\r\n"
        b"\r\n"
        b"<html><body><p>Weekly <b>Newsletter</b> about giraffes</p></body></html>\r\n")

MULTIPART = (b"From: dave@example.org\r\n"
             b"Subject: Report\r\n"
             b"X-Project: Heron-Index\r\n"
             b"MIME-Version: 1.0\r\n"
             b"Content-Type: multipart/mixed; boundary=\"sep\"\r\n"
             b"\r\n"
             b"--sep\r\n"
             b"Content-Type: text/plain\r\n"
             b"\r\n"
             b"Please see the attached report.\r\n"
             b"--sep\r\n"
             b"Content-Type: application/octet-stream; name=\"data.bin\"\r\n"
             b"Content-Transfer-Encoding: base64\r\n"
             b"\r\n"
             b"aGlwcG9wb3RhbXVzIGluIGFuIGF0dGFjaG1lbnQ=\r\n"  # "hippopotamus in an attachment"
             b"--sep--\r\n")

MESSAGES = [PLAIN, QUOTED, BASE64, HTML, MULTIPART]


def uids(m, *criteria, literal=None):
    """UID SEARCH with `criteria`; `literal` (bytes) goes last as a literal, in UTF-8."""
    if literal is not None:
        m.literal = literal
        criteria = ("CHARSET", "UTF-8") + criteria
    typ, data = m.uid("SEARCH", *criteria)
    assert typ == "OK", (criteria, data)
    return {int(x) for x in data[0].split()}


def fill(m, msgs, box="INBOX"):
    for msg in msgs:
        typ, data = m.append(box, None, None, msg)
        assert typ == "OK", data


# The UIDs each search finds among MESSAGES appended in order (UIDs 1..5).
EXPECTED = [
    (("BODY", '"quick brown"'), None, {1}),
    (("BODY", '"QUICK BROWN"'), None, {1}),
    (("BODY", '"fox jumps"'), None, {1}),
    (("BODY",), "grüße aus köln".encode(), {2}),
    (("BODY", '"meeting is"'), None, {2}),
    (("BODY", '"zebra crossing"'), None, {3}),
    (("BODY", '"giraffes"'), None, {4}),
    (("BODY", '"<b>newsletter</b>"'), None, {4}),
    (("BODY", '"attached report"'), None, {5}),
    (("BODY", '"hippopotamus"'), None, set()),
    (("BODY", '"ox"'), None, {1}),
    (("TEXT", '"heron-index"'), None, {5}),
    (("TEXT", '"attached report"'), None, {5}),
    (("TEXT", '"x-project"'), None, {5}),
    (("SUBJECT",), "café".encode(), {2}),
    (("SUBJECT", '"plain"'), None, {1}),
    (("SUBJECT", '"hello"'), None, {1}),
    (("SUBJECT", '"quick"'), None, set()),
    (("FROM", '"alice.smith"'), None, {1}),
    (("FROM", '"smith <alice"'), None, {1}),
    (("FROM",), "jürgen".encode(), {2}),
    (("FROM", '"J=C3=BCrgen"'), None, {2}),
    (("TO", '"bob@example"'), None, {1}),
    (("HEADER", "X-Project", '"heron-ind"'), None, {5}),
    (("HEADER", "X-Project", '"nothing"'), None, set()),
    (("BODY", '"quick"', "SUBJECT", '"plain"'), None, {1}),
    (("BODY", '"quick"', "SUBJECT", '"report"'), None, set()),
    (("OR", "BODY", '"giraffes"', "BODY", '"zebra"'), None, {3, 4}),
    (("NOT", "BODY", '"fox"'), None, {2, 3, 4, 5}),
    (("BODY", '"e"', "BODY", '"giraffes"'), None, {4}),
]


def check_all(m, expected=EXPECTED):
    for criteria, literal, want in expected:
        assert uids(m, *criteria, literal=literal) == want, (criteria, literal)


def test_text_keys_find_exactly_the_matching_messages(imap_server):
    exercise(imap_server)


def test_text_keys_on_postgres(tmp_path, pg_url):
    from test_store_postgres import PgHeron

    node = PgHeron(tmp_path / "node", pg_url)
    try:
        node.start()
        node.cli("domain", "add", "example.test")
        node.cli("user", "add", USER, "--password", PASSWORD)
        eventually(lambda: imap_raw(node).close() or True, 10, what="IMAP up")
        exercise(node)
    finally:
        if node.proc is not None:
            assert node.stop() == 0, node.tail()


def exercise(server):
    """Every search of EXPECTED, then after COPY, EXPUNGE and MOVE."""
    m = imap_client(server)
    try:
        fill(m, MESSAGES)
        m.select("INBOX")
        check_all(m)
        # COPY carries the text: UIDs 1 and 4 become 1 and 2 in Archive.
        assert m.create("Archive")[0] == "OK"
        assert m.uid("COPY", "1,4", "Archive")[0] == "OK"
        m.select("Archive")
        assert uids(m, "BODY", '"fox"') == {1}
        assert uids(m, "BODY", '"giraffes"') == {2}
        assert uids(m, "SUBJECT", '"weekly"') == {2}
        # EXPUNGE takes it away.
        m.select("INBOX")
        assert m.uid("STORE", "1", "+FLAGS", "(\\Deleted)")[0] == "OK"
        assert m.expunge()[0] == "OK"
        assert uids(m, "BODY", '"quick brown"') == set()
        assert uids(m, "FROM", '"alice.smith"') == set()
        assert uids(m, "BODY", '"giraffes"') == {4}
        # MOVE: gone from the source, found in the target.
        assert m.uid("MOVE", "4", "Archive")[0] == "OK"
        assert uids(m, "BODY", '"giraffes"') == set()
        m.select("Archive")
        assert uids(m, "BODY", '"giraffes"') == {2, 3}
    finally:
        m.logout()


def db_count(heron, sql):
    c = sqlite3.connect(heron.data / "heron.db", timeout=30)
    try:
        return c.execute(sql).fetchone()[0]
    finally:
        c.close()


def test_a_store_made_before_the_index_is_searched_and_indexed(imap_server):
    m = imap_client(imap_server)
    try:
        fill(m, MESSAGES)
    finally:
        m.logout()
    imap_server.stop()
    # As the previous schema version left the database: no search text tables.
    c = sqlite3.connect(imap_server.data / "heron.db")
    c.executescript("DROP TRIGGER message_text_unlisted; DROP TABLE text_gone; "
                    "DROP TABLE message_text; "
                    "DROP TABLE text_pending; "
                    "UPDATE meta SET value = '4' WHERE key = 'schema_version';")
    c.close()
    imap_server.start()
    eventually(lambda: imap_raw(imap_server).close() or True, 10, what="IMAP up")
    m = imap_client(imap_server)
    try:
        m.select("INBOX")
        # Right at once (pending messages are read), and once the indexer is done.
        check_all(m)
        eventually(lambda: db_count(imap_server, "SELECT count(*) FROM text_pending") == 0,
                   30, what="old messages indexed")
        assert db_count(imap_server, "SELECT count(*) FROM message_text") == len(MESSAGES)
        check_all(m)
    finally:
        m.logout()


def big_mailbox(n):
    for i in range(1, n + 1):
        extra = b" rare-marker" if i % 1000 == 7 else b""
        yield (b"From: sender%d@example.org\r\nSubject: Number %d item\r\n\r\n"
               b"Body of message serial-%05d-end%s\r\n" % (i, i, i, extra))


def test_a_mailbox_of_5000_messages(imap_server):
    n = 5000
    r = imap_raw(imap_server, login=True, timeout=120)
    try:
        # Pipelined APPENDs with non-synchronising literals (LITERAL+), answered in order.
        batch = []
        for i, msg in enumerate(big_mailbox(n), 1):
            batch.append(b"a%d APPEND INBOX {%d+}\r\n%s\r\n" % (i, len(msg), msg))
            if len(batch) == 200 or i == n:
                r.send(b"".join(batch))
                first = i - len(batch) + 1
                for k in range(first, i + 1):
                    _, done = r.until(b"a%d" % k)
                    assert done.startswith(b"a%d OK" % k), done
                batch = []
    finally:
        r.close()
    m = imap_client(imap_server)
    try:
        m.select("INBOX")
        # Right while new messages wait for the indexer, and once it has kept them all.
        check_big(m, n)
        eventually(lambda: db_count(imap_server, "SELECT count(*) FROM text_pending") == 0,
                   60, what="new messages indexed")
        assert db_count(imap_server, "SELECT count(*) FROM message_text") == n
        check_big(m, n)
    finally:
        m.logout()


def check_big(m, n):
    assert uids(m, "BODY", '"serial-03210-end"') == {3210}
    assert uids(m, "BODY", '"rare-marker"') == {7, 1007, 2007, 3007, 4007}
    assert uids(m, "SUBJECT", '"number 4999 item"') == {4999}
    assert uids(m, "FROM", '"sender77@"') == {77}
    assert uids(m, "TEXT", '"serial-0001"') == set(range(10, 20))
    assert uids(m, "BODY", '"rare-marker"', "SUBJECT", '"number 2007"') == {2007}
    assert len(uids(m, "BODY", '"serial"')) == n
