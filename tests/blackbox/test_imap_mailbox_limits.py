"""Mailboxes are bounded: at most 1,000 per user (`imap.max_mailboxes`), 32 levels deep
(`imap.max_mailbox_depth`) and 255 bytes long (`imap.max_mailbox_name`). CREATE and RENAME
past a limit answer NO [LIMIT] (RFC 5530) and write nothing."""

from conftest import USER
from test_imap_mailboxes import listing, m  # noqa: F401 (m: the logged-in client fixture)

DEFAULT_FOLDERS = 5  # INBOX, Sent Items, Drafts, Deleted Items, Junk E-Mail


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


def used_bytes(server, user=USER):
    """The user's usage in bytes as `heron user list` shows it."""
    domain = user.split("@", 1)[1]
    for line in server.cli("user", "list", domain).stdout.splitlines():
        address, _, used = line.split("\t")
        if address == user:
            return int(used.split()[0])
    raise AssertionError(f"{user} not listed")


def test_mailboxes_count_against_the_quota(imap_server, m):
    before = used_bytes(imap_server)
    assert m.create("q" * 200)[0] == "OK"
    grown = used_bytes(imap_server) - before
    assert grown > 200, grown
    assert m.rename("q" * 200, "r" * 100)[0] == "OK"
    assert used_bytes(imap_server) - before == grown - 100
    assert m.delete("r" * 100)[0] == "OK"
    assert used_bytes(imap_server) == before

    # Filled to just below the quota: a new mailbox no longer fits.
    imap_server.cli("user", "set", USER, "--quota-mb", "1")
    room = 1024 * 1024 - used_bytes(imap_server)
    head = b"Subject: filler\r\n\r\n"
    body = b"x" * (room - 20 - len(head) - 2) + b"\r\n"
    assert m.append("INBOX", None, None, head + body)[0] == "OK"
    boxes = listing(m)
    typ, data = m.create("Later")
    assert typ == "NO" and data[0].startswith(b"[OVERQUOTA]"), (typ, data)
    typ, data = m.rename("Drafts", '"Drafts, with a much longer name than before"')
    assert typ == "NO" and data[0].startswith(b"[OVERQUOTA]"), (typ, data)
    assert listing(m) == boxes
    # A rename to a shorter name frees room.
    assert m.rename('"Junk E-Mail"', "J")[0] == "OK"
