"""IMAP mailboxes: LIST with special-use and children, CREATE/RENAME/DELETE with
hierarchies, RENAME INBOX, subscriptions, STATUS and LIST-STATUS, international names."""

import imaplib
import re

import pytest

from conftest import imap_client, imap_raw

LIST_LINE = re.compile(rb'^\((?P<attrs>[^)]*)\) "(?P<delim>.)" (?P<name>.+)$')


def listing(m, pattern="*", ref='""', cmd="list"):
    """{name: set of attributes} from imaplib's LIST/LSUB data."""
    typ, data = getattr(m, cmd)(ref, pattern)
    assert typ == "OK", data
    out = {}
    for item in data:
        if item is None:
            continue
        mt = LIST_LINE.match(item)
        assert mt, item
        assert mt["delim"] == b"/"
        name = mt["name"]
        if name.startswith(b'"'):
            name = name[1:-1]
        out[name.decode()] = set(mt["attrs"].decode().split())
    return out


@pytest.fixture
def m(imap_server):
    c = imap_client(imap_server)
    yield c
    try:
        c.logout()
    except Exception:
        pass


def test_default_folders_carry_special_use(m):
    boxes = listing(m)
    assert boxes["INBOX"] == {"\\HasNoChildren"}
    assert "\\Sent" in boxes["Sent Items"]
    assert "\\Drafts" in boxes["Drafts"]
    assert "\\Trash" in boxes["Deleted Items"]
    assert "\\Junk" in boxes["Junk E-Mail"]
    # Empty pattern: the delimiter and root.
    typ, data = m.list('""', '""')
    assert data == [b'(\\Noselect) "/" ""']


def test_create_rename_delete_with_children(m):
    assert m.create("Projects/2024/Q1")[0] == "OK", "superior names are created"
    boxes = listing(m)
    assert "\\HasChildren" in boxes["Projects"] and "\\HasChildren" in boxes["Projects/2024"]
    assert "\\HasNoChildren" in boxes["Projects/2024/Q1"]
    assert listing(m, "Projects/%") == {"Projects/2024": {"\\HasChildren"}}
    assert m.create("Projects")[0] == "NO", "already exists"
    assert m.create("inbox")[0] == "NO"

    m.select("Projects/2024/Q1")
    m.append("Projects/2024/Q1", None, None, b"Subject: keep me\r\n\r\nx\r\n")
    m.close()
    assert m.rename("Projects", "Archive/Old")[0] == "OK"
    boxes = listing(m)
    assert "Projects" not in boxes and "Projects/2024/Q1" not in boxes
    assert {"Archive", "Archive/Old", "Archive/Old/2024", "Archive/Old/2024/Q1"} <= set(boxes)
    typ, data = m.select("Archive/Old/2024/Q1")
    assert data == [b"1"], "messages follow their folder"
    m.close()

    assert m.rename("Nope", "Other")[0] == "NO"
    assert m.rename("Archive", "INBOX")[0] == "NO"

    # Deleting a parent keeps its children; the name stays as a \Noselect placeholder.
    assert m.delete("Archive/Old")[0] == "OK"
    boxes = listing(m)
    assert "\\Noselect" in boxes["Archive/Old"] and "\\HasChildren" in boxes["Archive/Old"]
    assert m.select("Archive/Old")[0] == "NO"
    assert m.delete("Archive/Old/2024/Q1")[0] == "OK"
    assert m.delete("Archive/Old/2024")[0] == "OK"
    assert "Archive/Old" not in listing(m)
    assert m.delete("INBOX")[0] == "NO"
    assert m.delete("Missing")[0] == "NO"


def test_rename_inbox_moves_its_messages(m):
    for i in range(3):
        m.append("INBOX", None, None, f"Subject: m{i}\r\n\r\nbody {i}\r\n".encode())
    assert m.rename("INBOX", '"Old Mail"')[0] == "OK"
    assert m.select("INBOX")[1] == [b"0"], "INBOX is left empty"
    assert m.select('"Old Mail"')[1] == [b"3"]
    assert "INBOX" in listing(m)


def test_subscriptions(m):
    m.create("Lists/rust")
    m.create("Lists/python")
    # CREATE does not subscribe; the default folders start subscribed.
    subs = listing(m, cmd="lsub")
    assert "INBOX" in subs and not any(n.startswith("Lists") for n in subs), subs
    assert m.subscribe("Lists/rust")[0] == "OK"
    assert m.subscribe("Lists/python")[0] == "OK"
    assert m.unsubscribe("Lists/python")[0] == "OK"
    assert m.unsubscribe("Lists")[0] == "OK"
    subs = listing(m, cmd="lsub")
    assert "Lists/rust" in subs and "Lists/python" not in subs and "Lists" not in subs
    # LSUB with %: an unsubscribed parent of a subscribed mailbox shows as \Noselect.
    subs = listing(m, "%", cmd="lsub")
    assert subs.get("Lists") == {"\\Noselect"}, subs
    # LIST-EXTENDED: selection SUBSCRIBED returns \Subscribed.
    typ, data = m._simple_command("LIST", "(SUBSCRIBED)", '""', '"Lists/*"')
    lines = m.untagged_responses.pop("LIST", [])
    assert typ == "OK"
    assert lines == [b'(\\HasNoChildren \\Subscribed) "/" Lists/rust'], lines
    assert m.subscribe("Lists/python")[0] == "OK"
    assert "Lists/python" in listing(m, cmd="lsub")
    # Subscriptions are names apart from mailboxes: one without a mailbox may be subscribed.
    assert m.subscribe("Nowhere")[0] == "OK"
    assert "Nowhere" in listing(m, cmd="lsub")


def test_status_and_list_status(m):
    m.append("INBOX", "(\\Seen)", None, b"Subject: a\r\n\r\n12345\r\n")
    m.append("INBOX", None, None, b"Subject: b\r\n\r\n67890\r\n")
    typ, data = m.status("INBOX", "(MESSAGES UNSEEN UIDNEXT UIDVALIDITY RECENT SIZE HIGHESTMODSEQ)")
    assert typ == "OK"
    text = data[0].decode()
    assert "MESSAGES 2" in text and "UNSEEN 1" in text and "UIDNEXT 3" in text
    # Nobody selected INBOX since the APPENDs: both still wait for a session to take them.
    assert "RECENT 2" in text and "SIZE 42" in text and "HIGHESTMODSEQ" in text
    assert m.status("Missing", "(MESSAGES)")[0] == "NO"

    r_typ, _ = m._simple_command("LIST", '""', '"INBOX"', "RETURN", "(STATUS (MESSAGES UNSEEN))")
    assert r_typ == "OK"
    assert m.untagged_responses.pop("LIST") == [b'(\\HasNoChildren) "/" INBOX']
    assert m.untagged_responses.pop("STATUS") == [b"INBOX (MESSAGES 2 UNSEEN 1)"]


def test_international_names_use_modified_utf7(imap_server):
    m = imap_client(imap_server)
    assert m.create("Entw&APw-rfe/&ZeVnLIqe-")[0] == "OK"
    boxes = listing(m)
    assert "Entw&APw-rfe/&ZeVnLIqe-" in boxes and "Entw&APw-rfe" in boxes
    # An unterminated shift is invalid: such a name cannot be a mailbox (NO, not BAD).
    typ, data = m.create("Bad&Name")
    assert typ == "NO" and data[0].startswith(b"[CANNOT]"), (typ, data)
    m.logout()
    # With UTF8=ACCEPT the same mailbox is named in UTF-8.
    r = imap_raw(imap_server, login=True)
    r.cmd(b"e", b"ENABLE UTF8=ACCEPT")
    lines, done = r.cmd(b"l", b'LIST "" "Entw*"')
    assert done.startswith(b"l OK")
    assert any("Entwürfe/日本語".encode() in line for line in lines), lines
    _, done = r.cmd(b"c", 'CREATE "Ünïcödé"'.encode())
    assert done.startswith(b"c OK"), done
    lines, _ = r.cmd(b"m", b'LIST "" "*"')
    assert any("Ünïcödé".encode() in line for line in lines), lines
    r.close()


def test_quota_roots_and_over_quota_append(imap_server):
    imap_server.cli("user", "set", "alice@example.test", "--quota-mb", "1")
    m = imap_client(imap_server)
    m.append("INBOX", None, None, b"Subject: small\r\n\r\n" + b"x" * 3000 + b"\r\n")
    typ, data = m.getquotaroot("INBOX")
    assert typ == "OK"
    assert data[0] == [b'INBOX ""'], data
    # 3,020 bytes of message and 685 of the five default mailboxes (name + 128 each).
    assert data[1] == [b'"" (STORAGE 4 1024)'], data
    typ, data = m.getquota('""')
    assert data == [b'"" (STORAGE 4 1024)'], data
    big = b"Subject: big\r\n\r\n" + (b"y" * 998 + b"\r\n") * 1100
    typ, data = m.append("INBOX", None, None, big)
    assert typ == "NO" and b"OVERQUOTA" in data[0], (typ, data)
    m.logout()


def test_a_domain_disk_limit_changed_during_a_session_applies_to_its_next_append(imap_server):
    m = imap_client(imap_server)
    assert m.append("INBOX", None, None, b"Subject: first\r\n\r\nsmall\r\n")[0] == "OK"
    big = b"Subject: big\r\n\r\n" + (b"y" * 998 + b"\r\n") * 1100
    # Set by another process while the session is logged in (and the domain was read).
    imap_server.cli("domain", "set", "example.test", "--disk-mb", "1")
    typ, data = m.append("INBOX", None, None, big)
    assert typ == "NO" and b"OVERQUOTA" in data[0], (typ, data)
    imap_server.cli("domain", "set", "example.test", "--disk-mb", "0")
    typ, data = m.append("INBOX", None, None, big)
    assert typ == "OK", (typ, data)
    m.logout()
