"""Mailboxes are bounded: at most 1,000 per user (`imap.max_mailboxes`), 32 levels deep
(`imap.max_mailbox_depth`) and 255 bytes long (`imap.max_mailbox_name`). CREATE and RENAME
past a limit answer NO [LIMIT] (RFC 5530) and write nothing."""

import pytest

from conftest import imap_client
from test_imap_mailboxes import listing

DEFAULT_FOLDERS = 5  # INBOX, Sent Items, Drafts, Deleted Items, Junk E-Mail


@pytest.fixture
def m(imap_server):
    c = imap_client(imap_server)
    yield c
    try:
        c.logout()
    except Exception:
        pass


def assert_limit(reply):
    typ, data = reply
    assert typ == "NO" and data[0].startswith(b"[LIMIT] "), reply
    return data[0]


def test_one_deep_create_is_refused_and_normal_names_work(m):
    before = listing(m)
    deep = "/".join(["a"] * 4000)  # about 8 KB: once made 4,000 mailboxes
    assert_limit(m.create(deep))
    # Too deep though short: 33 levels.
    text = assert_limit(m.create("/".join(["b"] * 33)))
    assert b"deep" in text, text
    assert listing(m) == before
    # Normal hierarchies, up to the depth limit, still work.
    assert m.create("Projects/2024/Q1")[0] == "OK"
    assert m.create("/".join(f"l{i}" for i in range(32)))[0] == "OK"
    boxes = listing(m)
    for name in ("Projects", "Projects/2024", "Projects/2024/Q1", "l0/l1/l2"):
        assert name in boxes, name
    assert m.rename("Projects", "Work/Projects")[0] == "OK"
    assert "Work/Projects/2024/Q1" in listing(m)


def test_name_length_limit(m):
    before = listing(m)
    text = assert_limit(m.create("n" * 256))
    assert b"long" in text, text
    # Counted in bytes of the whole name, hierarchy included.
    assert_limit(m.create("p/" + "q" * 254))
    assert listing(m) == before
    assert m.create("n" * 255)[0] == "OK"
    assert "n" * 255 in listing(m)


def test_rename_past_a_limit_is_refused(m):
    assert m.create("Top/" + "c" * 200)[0] == "OK"
    before = listing(m)
    # The child would become "Longer-top-name.../ccc..." past 255 bytes.
    assert_limit(m.rename("Top", "T" * 60))
    assert_limit(m.rename("Top", "/".join(["d"] * 32)))
    assert_limit(m.rename("INBOX", "e" * 256))
    assert listing(m) == before


def test_the_1001st_mailbox_is_refused(m):
    for i in range(1000 - DEFAULT_FOLDERS):
        typ, data = m.create(f"box{i:04d}")
        assert typ == "OK", (i, data)
    assert len(listing(m)) == 1000
    text = assert_limit(m.create("one-too-many"))
    assert b"1000" in text, text
    # Missing superiors count too, and RENAME cannot make new ones either.
    assert_limit(m.rename("box0000", "new-parent/box0000"))
    boxes = listing(m)
    assert len(boxes) == 1000 and "one-too-many" not in boxes and "new-parent" not in boxes
    # Renaming within the limit still works; after a DELETE there is room again.
    assert m.rename("box0001", "renamed")[0] == "OK"
    assert m.delete("box0002")[0] == "OK"
    assert m.create("one-more")[0] == "OK"
    assert len(listing(m)) == 1000
