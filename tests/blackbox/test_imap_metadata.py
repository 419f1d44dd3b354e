"""IMAP METADATA and METADATA-SERVER (RFC 5464): the RFC's examples answered exactly, NIL
removal, MAXSIZE and DEPTH, the limits, server entries, and entries of renamed and deleted
mailboxes."""

from conftest import imap_raw, imap_settle


def session(heron):
    return imap_raw(heron, login=True)


def ok(r, tag, text):
    untagged, done = r.cmd(tag, text)
    assert done.startswith(tag + b" OK"), (text, done)
    return untagged


def test_capabilities_name_both_extensions(imap_server):
    r = session(imap_server)
    untagged = ok(r, b"c", b"CAPABILITY")
    caps = untagged[0].split()
    assert b"METADATA" in caps and b"METADATA-SERVER" in caps
    r.close()


def test_the_rfc_examples(imap_server):
    r = session(imap_server)
    # RFC 5464 §4.3: a multi-line value in a literal.
    r.send(b"a SETMETADATA INBOX (/private/comment {33}\r\n")
    assert r.line().startswith(b"+ ")
    # (The RFC's line break before ")" is layout only, §2.)
    r.send(b"My new comment across\r\ntwo lines.)\r\n")
    _, done = r.until(b"a")
    assert done == b"a OK SETMETADATA completed"
    untagged = ok(r, b"b", b'GETMETADATA "INBOX" /private/comment')
    assert untagged == [b"* METADATA INBOX (/private/comment {33}\r\n"
                        b"My new comment across\r\ntwo lines.)"]

    ok(r, b"c", b'SETMETADATA INBOX (/private/comment "My new comment" '
                b'/shared/comment "This one is for you!")')
    untagged = ok(r, b"d", b'GETMETADATA "INBOX" (/shared/comment /private/comment)')
    assert untagged == [b'* METADATA INBOX (/shared/comment "This one is for you!" '
                        b'/private/comment "My new comment")']

    # NIL removes; an entry asked for by name that does not exist is NIL.
    ok(r, b"e", b"SETMETADATA INBOX (/private/comment NIL)")
    untagged = ok(r, b"f", b'GETMETADATA "INBOX" (/private/comment /shared/comment)')
    assert untagged == [b'* METADATA INBOX (/private/comment NIL '
                        b'/shared/comment "This one is for you!")']
    # Entry names are case-insensitive.
    untagged = ok(r, b"g", b'GETMETADATA "INBOX" /SHARED/Comment')
    assert untagged == [b'* METADATA INBOX (/shared/comment "This one is for you!")']
    r.close()


def test_maxsize_and_depth(imap_server):
    r = session(imap_server)
    long = b"y" * 2199
    r.send(b"a SETMETADATA INBOX (/shared/comment {2199+}\r\n" + long
           + b' /private/comment "My own comment")\r\n')
    _, done = r.until(b"a")
    assert done == b"a OK SETMETADATA completed"
    # RFC 5464 §4.2.1.
    untagged, done = r.cmd(b"b", b'GETMETADATA "INBOX" (MAXSIZE 1024) '
                                 b'(/shared/comment /private/comment)')
    assert untagged == [b'* METADATA INBOX (/private/comment "My own comment")']
    assert done == b"b OK [METADATA LONGENTRIES 2199] GETMETADATA completed"

    # RFC 5464 §4.2.2.
    ok(r, b"c", b'SETMETADATA INBOX (/private/filters/values/small "SMALLER 5000" '
                b'/private/filters/values/boss "FROM \\"boss@example.com\\"" '
                b'/private/filters/values/a/deep "x")')
    untagged = ok(r, b"d", b'GETMETADATA "INBOX" (DEPTH 1) (/private/filters/values)')
    assert untagged == [b'* METADATA INBOX (/private/filters/values/boss '
                        b'"FROM \\"boss@example.com\\"" '
                        b'/private/filters/values/small "SMALLER 5000")']
    untagged = ok(r, b"e", b'GETMETADATA "INBOX" (DEPTH infinity MAXSIZE 20) /private/filters')
    assert untagged == [b'* METADATA INBOX (/private/filters/values/a/deep "x" '
                        b'/private/filters/values/small "SMALLER 5000")']
    # DEPTH 0 is the default: the subtree's root does not exist.
    untagged = ok(r, b"f", b'GETMETADATA "INBOX" (DEPTH 0) /private/filters')
    assert untagged == [b"* METADATA INBOX (/private/filters NIL)"]
    # With a depth, nothing there means no METADATA response at all.
    untagged = ok(r, b"g", b'GETMETADATA "INBOX" (DEPTH 1) /private/nothing')
    assert untagged == []
    r.close()


def test_limits_and_bad_names(imap_server):
    r = session(imap_server)
    big = b"z" * (32 * 1024 + 1)
    r.send(b"a SETMETADATA INBOX (/shared/comment {%d+}\r\n" % len(big) + big + b")\r\n")
    _, done = r.until(b"a")
    assert done == b"a NO [METADATA MAXSIZE 32768] value too large"
    # 100 entries fit; one more is refused and nothing of that command is written.
    pairs = b" ".join(b'/private/n%d "v"' % i for i in range(100))
    ok(r, b"b", b"SETMETADATA INBOX (" + pairs + b")")
    _, done = r.cmd(b"c", b'SETMETADATA INBOX (/private/n0 "changed" /private/extra "v")')
    assert done == b"c NO [METADATA TOOMANY] too many metadata entries"
    untagged = ok(r, b"d", b'GETMETADATA INBOX /private/n0')
    assert untagged == [b'* METADATA INBOX (/private/n0 "v")']
    # Replacing and removing still work at the limit.
    ok(r, b"e", b'SETMETADATA INBOX (/private/n0 "changed" /private/n1 NIL)')
    ok(r, b"f", b'SETMETADATA INBOX (/private/extra "v")')
    for i, bad in enumerate([b"/shared//x", b"/other/x", b"/shared/c*", b"/shared",
                             b"/shared/x/", b"/shared/vendor/acme"]):
        tag = b"g%d" % i
        _, done = r.cmd(tag, b'SETMETADATA INBOX (' + bad + b' "v")')
        assert done.startswith(tag + b" BAD"), (bad, done)
    _, done = r.cmd(b"h", b'GETMETADATA "INBOX" /shared/c%')
    assert done.startswith(b"h BAD"), done
    _, done = r.cmd(b"i", b'GETMETADATA "Nowhere" /shared/comment')
    assert done == b"i NO [NONEXISTENT] no such mailbox"
    _, done = r.cmd(b"j", b'SETMETADATA "Nowhere" (/shared/comment "x")')
    assert done == b"j NO [NONEXISTENT] no such mailbox"
    r.close()


def test_server_entries(imap_server):
    r = session(imap_server)
    untagged = ok(r, b"a", b'GETMETADATA "" (/shared/comment /shared/admin)')
    assert untagged == [b'* METADATA "" (/shared/comment NIL /shared/admin NIL)']
    ok(r, b"b", b'SETMETADATA "" (/shared/comment "Shared comment" '
                b'/private/vendor/heron/theme "dark")')
    untagged = ok(r, b"c", b'GETMETADATA "" /shared/comment')
    assert untagged == [b'* METADATA "" (/shared/comment "Shared comment")']
    untagged = ok(r, b"d", b'GETMETADATA "" (DEPTH infinity) /private')
    assert untagged == [b'* METADATA "" (/private/vendor/heron/theme "dark")']
    # Server entries are apart from INBOX's.
    untagged = ok(r, b"e", b'GETMETADATA INBOX /shared/comment')
    assert untagged == [b"* METADATA INBOX (/shared/comment NIL)"]
    _, done = r.cmd(b"f", b'SETMETADATA "" (/shared/admin "mailto:me@example.test")')
    assert done == b"f NO /shared/admin is read-only"
    r.close()

    imap_server.set("server.postmaster", "postmaster@example.test")
    imap_settle(imap_server)
    r = session(imap_server)
    untagged = ok(r, b"g", b'GETMETADATA "" /shared/admin')
    assert untagged == [b'* METADATA "" (/shared/admin "mailto:postmaster@example.test")']
    r.close()


def test_entries_follow_renames_and_go_with_deleted_mailboxes(imap_server):
    r = session(imap_server)
    ok(r, b"a", b"CREATE Work/Old")
    ok(r, b"b", b'SETMETADATA Work/Old (/shared/comment "kept")')
    ok(r, b"c", b"RENAME Work Job")
    untagged = ok(r, b"d", b"GETMETADATA Job/Old /shared/comment")
    assert untagged == [b'* METADATA Job/Old (/shared/comment "kept")']
    ok(r, b"e", b"DELETE Job/Old")
    ok(r, b"f", b"CREATE Job/Old")
    untagged = ok(r, b"g", b"GETMETADATA Job/Old /shared/comment")
    assert untagged == [b"* METADATA Job/Old (/shared/comment NIL)"]

    # RFC 5464 §4.1: RENAME INBOX copies INBOX's entries and INBOX keeps them.
    ok(r, b"h", b'SETMETADATA INBOX (/private/comment "inbox note")')
    ok(r, b"i", b"RENAME INBOX Archived")
    for tag, box in ((b"j", b"INBOX"), (b"k", b"Archived")):
        untagged = ok(r, tag, b"GETMETADATA " + box + b" /private/comment")
        assert untagged == [b"* METADATA " + box + b' (/private/comment "inbox note")']
    r.close()


def test_metadata_needs_login(imap_server):
    r = imap_raw(imap_server)
    _, done = r.cmd(b"a", b'GETMETADATA "" /shared/comment')
    assert done == b"a BAD GETMETADATA requires login first"
    _, done = r.cmd(b"b", b'SETMETADATA "" (/shared/comment "x")')
    assert done == b"b BAD SETMETADATA requires login first"
    r.close()
