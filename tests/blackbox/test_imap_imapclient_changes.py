"""IMAP changes through IMAPClient (PyPI): flags and keywords, CONDSTORE MODSEQ and
CHANGEDSINCE, COPY and MOVE with UIDPLUS results, delete and (UID) EXPUNGE, IDLE woken by an
SMTP delivery, quota roots, and errors that leave the session usable."""

import time

import imapclient
import pytest
from imapclient.exceptions import IMAPClientError

from conftest import USER, smtp_client
from test_imap_imapclient import connect, simple

FLAGGED, SEEN, DELETED = imapclient.FLAGGED, imapclient.SEEN, imapclient.DELETED


def plain(flags):
    """Flags by message without \\Recent, which this IMAP4rev1 session holds for the messages
    it appended before selecting (RFC 3501 §2.3.2); these tests are about the other flags."""
    return {k: tuple(f for f in v if f != imapclient.RECENT) for k, v in flags.items()}


@pytest.fixture
def c(imap_server):
    client = connect(imap_server)
    yield client
    try:
        client.logout()
    except Exception:
        pass


def fill(c, n, folder="INBOX"):
    for i in range(1, n + 1):
        c.append(folder, simple(i))
    return c.select_folder(folder)


def copyuid(c):
    """The COPYUID data (RFC 4315) of the last COPY/MOVE: IMAPClient's copy() and move() return
    None, and the response code stays in the underlying imaplib object's untagged_responses."""
    data = c._imap.untagged_responses.pop("COPYUID", [])
    assert len(data) == 1, data
    uidvalidity, source, dest = data[0].split()
    return int(uidvalidity), source, dest


def test_add_remove_set_flags_with_a_keyword(c):
    fill(c, 3)
    assert plain(c.add_flags([1, 3], [FLAGGED, "$Important"])) == {
        1: (FLAGGED, b"$Important"), 3: (FLAGGED, b"$Important")}
    assert plain(c.get_flags([1, 2, 3])) == {1: (FLAGGED, b"$Important"), 2: (),
                                      3: (FLAGGED, b"$Important")}
    assert plain(c.remove_flags([1], [FLAGGED])) == {1: (b"$Important",)}
    assert plain(c.set_flags([2], [SEEN, "$Later"])) == {2: (SEEN, b"$Later")}
    assert plain(c.set_flags([3], [])) == {3: ()}
    assert plain(c.get_flags([1, 2, 3])) == {1: (b"$Important",), 2: (SEEN, b"$Later"), 3: ()}
    # The keyword is now offered in FLAGS and searchable.
    assert b"$Important" in c.select_folder("INBOX")[b"FLAGS"]
    assert c.search(["KEYWORD", "$Important"]) == [1]
    assert c.search(["UNKEYWORD", "$Later"]) == [1, 3]
    # Silent stores return nothing and still change the flags.
    c.add_flags([3], [SEEN], silent=True)
    assert c.get_flags([3]) == {3: (SEEN,)}


def test_condstore_modseq_and_changedsince(c):
    assert c.has_capability("CONDSTORE")
    sel = fill(c, 3)
    start = c.fetch([1, 2, 3], ["MODSEQ"])
    modseqs = {uid: item[b"MODSEQ"][0] for uid, item in start.items()}
    assert sorted(modseqs) == [1, 2, 3] and all(m > 0 for m in modseqs.values())
    assert max(modseqs.values()) <= sel[b"HIGHESTMODSEQ"]
    before = max(modseqs.values())

    c.add_flags([2], [FLAGGED])
    after = c.fetch([2], ["MODSEQ"])[2][b"MODSEQ"][0]
    assert after > before
    changed = c.fetch([1, 2, 3], ["FLAGS"], modifiers=["CHANGEDSINCE %d" % before])
    assert list(changed) == [2], changed
    assert plain({2: changed[2][b"FLAGS"]}) == {2: (FLAGGED,)}
    assert changed[2][b"MODSEQ"] == (after,)  # CHANGEDSINCE implies MODSEQ (RFC 7162)
    assert c.fetch([1, 2, 3], ["FLAGS"], modifiers=["CHANGEDSINCE %d" % after]) == {}
    assert c.search(["MODSEQ", after]) == [2]
    assert c.folder_status("INBOX", ["HIGHESTMODSEQ"])[b"HIGHESTMODSEQ"] == after


def test_copy_and_move_report_uidplus(c):
    fill(c, 4)
    c.create_folder("Kept")
    c.create_folder("Moved")
    uidvalidity = c.folder_status("Kept", ["UIDVALIDITY"])[b"UIDVALIDITY"]

    c.copy([1, 2], "Kept")
    assert copyuid(c) == (uidvalidity, b"1:2", b"1:2")
    assert c.search() == [1, 2, 3, 4], "copy leaves the source alone"

    c.add_flags([3], [FLAGGED])
    c.move([3, 4], "Moved")
    assert c.search() == [1, 2], "moved messages are gone from the source"
    assert c.folder_status("INBOX", ["MESSAGES"]) == {b"MESSAGES": 2}
    # RFC 6851: the COPYUID of MOVE comes in an untagged OK before the EXPUNGEs.
    moved_uv = c.folder_status("Moved", ["UIDVALIDITY"])[b"UIDVALIDITY"]
    assert copyuid(c) == (moved_uv, b"3:4", b"1:2")

    c.select_folder("Moved")
    got = c.fetch([1, 2], ["FLAGS", "BODY.PEEK[HEADER.FIELDS (SUBJECT)]"])
    assert plain({k: v[b"FLAGS"] for k, v in got.items()}) == {1: (FLAGGED,), 2: ()}
    assert got[1][b"BODY[HEADER.FIELDS (SUBJECT)]"] == b"Subject: Note 3\r\n\r\n"
    assert c.folder_status("Kept", ["MESSAGES", "UIDNEXT"]) == {b"MESSAGES": 2, b"UIDNEXT": 3}
    with pytest.raises(IMAPClientError, match="TRYCREATE"):
        c.copy([1], "Nowhere")


def test_delete_messages_and_expunge(c):
    fill(c, 5)
    assert plain(c.delete_messages([2, 4])) == {2: (DELETED,), 4: (DELETED,)}
    text, responses = c.expunge()
    # Each EXPUNGE renumbers the later messages; in any order, they must remove UIDs 2 and 4.
    remaining = [1, 2, 3, 4, 5]
    for seq, what in responses:
        assert what == b"EXPUNGE", responses
        del remaining[seq - 1]
    assert remaining == [1, 3, 5], responses
    assert c.search() == [1, 3, 5]

    # UID EXPUNGE (UIDPLUS) removes only the listed \Deleted messages.
    c.delete_messages([1, 5])
    c.uid_expunge([5])
    assert c.search() == [1, 3]
    assert plain(c.get_flags([1])) == {1: (DELETED,)}
    c.uid_expunge([1])
    assert c.search() == [3]
    assert c.folder_status("INBOX", ["MESSAGES", "UIDNEXT"]) == {b"MESSAGES": 1, b"UIDNEXT": 6}


def test_idle_reports_an_smtp_delivery(smtp_server, c):
    c.select_folder("INBOX")
    c.idle()
    # Mail for a local user is accepted on the MX port without authentication.
    with smtp_client(smtp_server) as s:
        s.sendmail("sender@remote.test", [USER], b"Subject: wake up\r\n\r\nhello\r\n")
    # Bounded wait: idle_check returns what came within its timeout, possibly [].
    seen, deadline = [], time.monotonic() + 5
    while (1, b"EXISTS") not in seen and time.monotonic() < deadline:
        seen += c.idle_check(timeout=max(0.1, deadline - time.monotonic()))
    assert (1, b"EXISTS") in seen, seen
    text, _ = c.idle_done()
    assert text  # the tagged OK's text
    got = c.fetch([1], ["BODY.PEEK[HEADER.FIELDS (SUBJECT)]"])
    assert got[1][b"BODY[HEADER.FIELDS (SUBJECT)]"] == b"Subject: wake up\r\n\r\n"


def test_quota_root_of_inbox(imap_server):
    imap_server.cli("user", "set", USER, "--quota-mb", "1")
    c = connect(imap_server)
    assert c.has_capability("QUOTA")
    c.append("INBOX", b"Subject: small\r\n\r\n" + b"x" * 3000 + b"\r\n")
    roots, quotas = c.get_quota_root("INBOX")
    assert roots.mailbox == "INBOX" and roots.quota_roots == [""]
    # 3,020 bytes of message and 685 of the five default mailboxes (name + 128 each).
    assert [(q.quota_root, q.resource, q.usage, q.limit) for q in quotas] == [
        ("", "STORAGE", 4, 1024)]
    assert c.get_quota("INBOX") == quotas
    c.logout()


def test_missing_folder_raises_with_the_servers_text(c):
    fill(c, 1)
    with pytest.raises(IMAPClientError) as e:
        c.select_folder("Does/Not/Exist")
    # IMAPClient's error carries the text of the server's tagged NO.
    assert str(e.value) == "select failed: [NONEXISTENT] no such mailbox"
    assert not c.folder_exists("Does/Not/Exist")
    with pytest.raises(IMAPClientError, match=r"^delete failed: \[NONEXISTENT\]"):
        c.delete_folder("Does/Not/Exist")
    # The connection stays usable.
    assert c.noop()[0]
    sel = c.select_folder("INBOX")
    assert sel[b"EXISTS"] == 1
    assert c.fetch([1], ["RFC822.SIZE"])[1][b"RFC822.SIZE"] == len(simple(1))
