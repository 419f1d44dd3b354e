"""IMAP subscriptions kept apart from mailboxes (RFC 3501 §6.3.6-6.3.9, RFC 9051 §6.3.7,
RFC 5258) and UIDVALIDITY of a mailbox created again (RFC 9051 §2.3.1.1), checked on the
exact responses of a raw connection.

A new user's default folders start subscribed; CREATE does not subscribe, DELETE keeps the
subscription, RENAME does not move it; a subscribed name without a mailbox is listed as
\\NonExistent by LIST (SUBSCRIBED) and stays in LSUB; LIST (SUBSCRIBED RECURSIVEMATCH) names
an unsubscribed parent of subscribed mailboxes the pattern misses with CHILDINFO."""

import pytest

from conftest import OTHER, OTHER_PASSWORD, imap_raw

DEFAULTS = [b"INBOX", b'"Sent Items"', b"Drafts", b'"Deleted Items"', b'"Junk E-Mail"']


@pytest.fixture
def r(imap_server):
    c = imap_raw(imap_server, login=True)
    yield c
    c.close()


def ok(r, tag, text):
    """Run a command that must succeed: its untagged lines."""
    lines, done = r.cmd(tag, text)
    assert done.startswith(tag + b" OK"), (text, done)
    return lines


def lsub_names(r, pattern=b'"*"'):
    lines = ok(r, b"S", b'LSUB "" ' + pattern)
    assert all(line.startswith(b'* LSUB () "/" ') for line in lines), lines
    return sorted(line[len(b'* LSUB () "/" '):] for line in lines)


def uidvalidity(r, name):
    (line,) = ok(r, b"U", b"STATUS " + name + b" (UIDVALIDITY)")
    assert line.startswith(b"* STATUS " + name + b" (UIDVALIDITY "), line
    return int(line.rsplit(b" ", 1)[1].rstrip(b")"))


def test_default_folders_start_subscribed_created_ones_do_not(r):
    assert lsub_names(r) == sorted(DEFAULTS)
    ok(r, b"C", b"CREATE Projects/2026")
    assert lsub_names(r) == sorted(DEFAULTS), "CREATE does not subscribe"
    assert ok(r, b"L", b'LIST (SUBSCRIBED) "" "Projects*"') == []
    assert ok(r, b"L", b'LIST "" "Projects*" RETURN (SUBSCRIBED)') == [
        b'* LIST (\\HasChildren) "/" Projects',
        b'* LIST (\\HasNoChildren) "/" Projects/2026',
    ]
    ok(r, b"S", b"SUBSCRIBE Projects/2026")
    assert ok(r, b"L", b'LIST "" "Projects*" RETURN (SUBSCRIBED)') == [
        b'* LIST (\\HasChildren) "/" Projects',
        b'* LIST (\\HasNoChildren \\Subscribed) "/" Projects/2026',
    ]
    # With %, an unsubscribed parent of a subscribed name shows as \Noselect.
    assert ok(r, b"S", b'LSUB "" "Proj%"') == [b'* LSUB (\\Noselect) "/" Projects']
    ok(r, b"S", b"UNSUBSCRIBE Projects/2026")
    ok(r, b"S", b"UNSUBSCRIBE Projects/2026")  # not subscribed: still OK
    assert lsub_names(r) == sorted(DEFAULTS)


def test_delete_keeps_and_rename_leaves_the_subscription(r):
    ok(r, b"C", b"CREATE Box")
    ok(r, b"S", b"SUBSCRIBE Box")
    ok(r, b"D", b"DELETE Box")
    # RFC 3501 §6.3.4: DELETE does not unsubscribe.
    assert ok(r, b"S", b'LSUB "" Box') == [b'* LSUB () "/" Box']
    assert ok(r, b"L", b'LIST (SUBSCRIBED) "" Box') == [
        b'* LIST (\\NonExistent \\HasNoChildren \\Subscribed) "/" Box'
    ]
    assert ok(r, b"L", b'LIST "" Box') == []
    ok(r, b"C", b"CREATE Box")
    assert ok(r, b"L", b'LIST (SUBSCRIBED) "" Box') == [
        b'* LIST (\\HasNoChildren \\Subscribed) "/" Box'
    ]
    # RENAME moves the mailbox, not the subscription.
    ok(r, b"R", b"RENAME Box Crate")
    assert ok(r, b"L", b'LIST (SUBSCRIBED) "" "B*"') == [
        b'* LIST (\\NonExistent \\HasNoChildren \\Subscribed) "/" Box'
    ]
    assert ok(r, b"L", b'LIST (SUBSCRIBED) "" "C*"') == []
    assert ok(r, b"L", b'LIST "" "C*"') == [b'* LIST (\\HasNoChildren) "/" Crate']


def test_subscribe_a_name_without_a_mailbox(r):
    ok(r, b"S", b"SUBSCRIBE Ghost/Child")
    assert ok(r, b"S", b'LSUB "" "Ghost/*"') == [b'* LSUB () "/" Ghost/Child']
    assert ok(r, b"S", b'LSUB "" "Gh%"') == [b'* LSUB (\\Noselect) "/" Ghost']
    assert ok(r, b"L", b'LIST (SUBSCRIBED) "" "Ghost*"') == [
        b'* LIST (\\NonExistent \\HasNoChildren \\Subscribed) "/" Ghost/Child'
    ]
    # A name that is not valid modified UTF-7 is refused.
    _, done = r.cmd(b"B", b"SUBSCRIBE &Jjo")
    assert done.startswith(b"B NO [CANNOT]"), done


def test_recursivematch_reports_childinfo(r):
    for name in (b"Top/A", b"Top/B", b"Top/B/Deep", b"Solo"):
        ok(r, b"C", b"CREATE " + name)
    ok(r, b"S", b"SUBSCRIBE Top/B/Deep")
    ok(r, b"S", b"SUBSCRIBE Solo")
    # Top and Top/B are not subscribed; Top/B/Deep is, and "T%" does not match it.
    assert ok(r, b"L", b'LIST (SUBSCRIBED RECURSIVEMATCH) "" "T%"') == [
        b'* LIST (\\HasChildren) "/" Top ("CHILDINFO" ("SUBSCRIBED"))'
    ]
    assert ok(r, b"L", b'LIST (SUBSCRIBED RECURSIVEMATCH) "" "Top/%"') == [
        b'* LIST (\\HasChildren) "/" Top/B ("CHILDINFO" ("SUBSCRIBED"))'
    ]
    # When a pattern matches the subscribed child itself, the parent is not listed.
    assert ok(r, b"L", b'LIST (SUBSCRIBED RECURSIVEMATCH) "" "Top*"') == [
        b'* LIST (\\HasNoChildren \\Subscribed) "/" Top/B/Deep'
    ]
    assert ok(r, b"L", b'LIST (SUBSCRIBED RECURSIVEMATCH) "" (Top Top/B/Deep)') == [
        b'* LIST (\\HasNoChildren \\Subscribed) "/" Top/B/Deep'
    ]
    # Without RECURSIVEMATCH, no CHILDINFO and no unsubscribed parent.
    assert ok(r, b"L", b'LIST (SUBSCRIBED) "" "T%"') == []
    # A subscribed parent is listed as such.
    assert ok(r, b"L", b'LIST (SUBSCRIBED RECURSIVEMATCH) "" "So%"') == [
        b'* LIST (\\HasNoChildren \\Subscribed) "/" Solo'
    ]
    _, done = r.cmd(b"B", b'LIST (RECURSIVEMATCH) "" "%"')
    assert done.startswith(b"B BAD"), done


def test_subscriptions_are_per_user(imap_server, r):
    imap_server.add_user(OTHER, OTHER_PASSWORD)
    ok(r, b"S", b"SUBSCRIBE Mine")
    other = imap_raw(imap_server)
    other.login(OTHER, OTHER_PASSWORD)
    try:
        assert lsub_names(other) == sorted(DEFAULTS)
    finally:
        other.close()
    assert lsub_names(r) == sorted(DEFAULTS + [b"Mine"])


def test_uidvalidity_grows_when_a_mailbox_is_created_again(imap_server, r):
    ok(r, b"C", b"CREATE Again")
    seen = [uidvalidity(r, b"Again")]
    # Several times within a second or so: each a new, larger UIDVALIDITY.
    for _ in range(4):
        ok(r, b"D", b"DELETE Again")
        ok(r, b"C", b"CREATE Again")
        seen.append(uidvalidity(r, b"Again"))
    assert seen == sorted(set(seen)), seen
    # A message appended before is gone, and the new mailbox starts at UID 1.
    (line,) = ok(r, b"U", b"STATUS Again (UIDNEXT MESSAGES)")
    assert line == b"* STATUS Again (UIDNEXT 1 MESSAGES 0)", line
    r.close()
    # Across a restart too.
    imap_server.stop()
    imap_server.start()
    r2 = imap_raw(imap_server, login=True)
    try:
        ok(r2, b"D", b"DELETE Again")
        ok(r2, b"C", b"CREATE Again")
        assert uidvalidity(r2, b"Again") > seen[-1]
        ok(r2, b"C", b"CREATE Other")
        assert uidvalidity(r2, b"Other") > uidvalidity(r2, b"Again")
    finally:
        r2.close()
