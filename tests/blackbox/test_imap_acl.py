"""IMAP ACL (RFC 4314) and folders shared between users of one domain, on the exact
responses of raw connections (and imaplib's ACL methods).

alice shares a folder with bob: bob sees it under the other users' namespace
(`Other Users/alice/...`, RFC 2342), selects it, reads it, changes it as far as his rights
go (`NO [NOPERM]` beyond them, RFC 5530), appends with "i", and loses it after DELETEACL;
a folder he holds no rights on answers exactly like one that does not exist. A user of
another domain cannot be granted. IDLE on a shared folder reports the owner's new mail."""

import pytest

from conftest import OTHER, OTHER_PASSWORD, PASSWORD, USER, imap_client, imap_raw

TEAM = b'"Other Users/alice/Team"'
MSG = b"From: a@example.test\r\nSubject: shared\r\n\r\nhello\r\n"
STRANGER = "carol@elsewhere.test"


@pytest.fixture
def two(imap_server):
    """Raw sessions of alice (the owner) and bob (same domain); alice has folder Team with
    two messages."""
    imap_server.add_user(OTHER, OTHER_PASSWORD)
    imap_server.add_user(STRANGER, PASSWORD)
    a = imap_raw(imap_server, login=True)
    b = imap_raw(imap_server)
    b.login(OTHER, OTHER_PASSWORD)
    ok(a, b"C", b"CREATE Team")
    ok(a, b"C", b"CREATE Private")
    for _ in range(2):
        append(a, b"Team")
    yield a, b
    a.close()
    b.close()


def ok(r, tag, text):
    """Run a command that must succeed: its untagged lines."""
    lines, done = r.cmd(tag, text)
    assert done.startswith(tag + b" OK"), (text, done)
    return lines


def answer(r, text):
    """Run a command: (untagged lines, tagged line without the tag)."""
    lines, done = r.cmd(b"T", text)
    return lines, done[2:]


def append(r, mailbox, msg=MSG):
    r.send(b"A APPEND " + mailbox + b" {%d+}\r\n" % len(msg) + msg + b"\r\n")
    return r.until(b"A")


def shared_lines(r):
    return [x for x in ok(r, b"L", b'LIST "" "*"') if b"Other Users" in x]


def test_capabilities_and_namespace(two):
    a, _ = two
    (caps,) = ok(a, b"C", b"CAPABILITY")
    assert b" ACL " in caps + b" " and b" RIGHTS=texk" in caps, caps
    assert ok(a, b"N", b"NAMESPACE") == [b'* NAMESPACE (("" "/")) (("Other Users/" "/")) (("Public Folders/" "/"))']


def test_setacl_getacl_myrights_listrights(two):
    a, _ = two
    assert ok(a, b"S", b"SETACL Team bob@example.test lr") == []
    assert ok(a, b"G", b"GETACL Team") == [
        b"* ACL Team alice@example.test lrswipkxteacd bob@example.test lr"]
    ok(a, b"S", b"SETACL Team bob +s")
    ok(a, b"S", b"SETACL Team anyone l")
    assert ok(a, b"G", b"GETACL Team") == [
        b"* ACL Team alice@example.test lrswipkxteacd anyone l bob@example.test lrs"]
    ok(a, b"S", b"SETACL Team bob@example.test -rs")
    ok(a, b"S", b'SETACL Team anyone ""')
    assert ok(a, b"G", b"GETACL Team") == [
        b"* ACL Team alice@example.test lrswipkxteacd bob@example.test l"]
    # The obsolete "c" and "d" (RFC 4314 §2.1.1).
    ok(a, b"S", b"SETACL Team bob@example.test lrcd")
    assert ok(a, b"G", b"GETACL Team") == [
        b"* ACL Team alice@example.test lrswipkxteacd bob@example.test lrkxtecd"]
    assert ok(a, b"M", b"MYRIGHTS Team") == [b"* MYRIGHTS Team lrswipkxteacd"]
    assert ok(a, b"M", b"MYRIGHTS INBOX") == [b"* MYRIGHTS INBOX lrswipkxteacd"]
    assert ok(a, b"R", b"LISTRIGHTS Team bob@example.test") == [
        b'* LISTRIGHTS Team bob@example.test "" l r s w i p k x t e a']
    assert ok(a, b"R", b"LISTRIGHTS Team alice@example.test") == [
        b"* LISTRIGHTS Team alice@example.test lrswipkxtea"]
    ok(a, b"D", b"DELETEACL Team bob@example.test")
    assert ok(a, b"G", b"GETACL Team") == [b"* ACL Team alice@example.test lrswipkxteacd"]
    ok(a, b"D", b"DELETEACL Team bob@example.test")  # nothing left: still OK


def test_refused_grants(two):
    a, _ = two
    assert answer(a, b"SETACL Team carol@elsewhere.test lr") == (
        [], b"NO [CANNOT] rights can only be granted to users of the same domain")
    assert answer(a, b"SETACL Team nobody@example.test lr") == (
        [], b"NO [NONEXISTENT] no such user in this domain")
    assert answer(a, b"SETACL Team alice@example.test lr") == (
        [], b"NO [CANNOT] the owner of a mailbox always holds every right")
    assert answer(a, b"SETACL Team bob lrz") == ([], b'BAD unknown right "z"')
    assert answer(a, b"SETACL Nowhere bob lr") == ([], b"NO [NONEXISTENT] no such mailbox")
    assert answer(a, b"SETACL Team bob") == ([], b"BAD wrong number of arguments")
    assert ok(a, b"G", b"GETACL Team") == [b"* ACL Team alice@example.test lrswipkxteacd"]


def test_imaplib_acl_methods(two, imap_server):
    a, _ = two
    m = imap_client(imap_server)
    try:
        assert m.setacl("Team", OTHER, "lrs")[0] == "OK"
        typ, data = m.getacl("Team")
        assert typ == "OK" and data == [
            b"Team alice@example.test lrswipkxteacd bob@example.test lrs"], data
        typ, data = m.myrights("Team")
        assert (typ, data) == ("OK", [b"Team lrswipkxteacd"])
        # imaplib has no listrights(): the raw command.
        typ, data = m._untagged_response(*m.xatom("LISTRIGHTS", "Team", OTHER), "LISTRIGHTS")
        assert typ == "OK" and data == [b'Team bob@example.test "" l r s w i p k x t e a']
        assert m.deleteacl("Team", OTHER)[0] == "OK"
        assert m.setacl("Team", STRANGER, "lr") == (
            "NO", [b"[CANNOT] rights can only be granted to users of the same domain"])
    finally:
        m.logout()


def test_grantee_lists_selects_reads_and_changes_within_rights(two):
    a, b = two
    assert shared_lines(b) == []
    ok(a, b"S", b"SETACL Team bob lr")
    assert shared_lines(b) == [
        b'* LIST (\\Noselect \\HasChildren) "/" "Other Users"',
        b'* LIST (\\Noselect \\HasChildren) "/" "Other Users/alice"',
        b'* LIST (\\HasNoChildren) "/" "Other Users/alice/Team"',
    ]
    assert ok(b, b"S", b"STATUS " + TEAM + b" (MESSAGES UNSEEN)") == [
        b'* STATUS "Other Users/alice/Team" (MESSAGES 2 UNSEEN 2)']
    assert ok(b, b"M", b"MYRIGHTS " + TEAM) == [b'* MYRIGHTS "Other Users/alice/Team" lr']
    assert answer(b, b"GETACL " + TEAM) == (
        [], b"NO [NOPERM] permission denied: administering this mailbox")
    # No "s", "w", "t", "i" or "e": read-only.
    lines, done = answer(b, b"SELECT " + TEAM)
    assert done == b"OK [READ-ONLY] SELECT completed", done
    assert b"* 2 EXISTS" in lines
    lines = ok(b, b"F", b"FETCH 1 (BODY[] FLAGS)")
    assert b"hello" in lines[0] and b"\\Seen" not in lines[0], lines
    assert answer(b, b"STORE 1 +FLAGS (\\Seen)") == (
        [], b'NO [NOPERM] permission denied: changing these flags needs the "s" right')
    assert answer(b, b"EXPUNGE") == (
        [], b"NO [NOPERM] permission denied: expunging in this mailbox")
    # Reading out of it is allowed, writing into it is not.
    lines, done = answer(b, b"COPY 1 INBOX")
    assert done.startswith(b"OK [COPYUID "), done
    ok(b, b"U", b"UNSELECT")
    assert append(b, TEAM) == (
        [], b"A NO [NOPERM] permission denied: appending to this mailbox")

    # With "s": \Seen, not \Flagged; with "i": APPEND, its \Flagged left off without "w".
    ok(a, b"S", b"SETACL Team bob +si")
    lines, done = answer(b, b"SELECT " + TEAM)
    assert done == b"OK [READ-WRITE] SELECT completed", done
    (line,) = ok(b, b"F", b"STORE 1 +FLAGS (\\Seen)")
    assert line.startswith(b"* 1 FETCH (FLAGS (\\Seen"), line
    assert answer(b, b"STORE 2 +FLAGS (\\Flagged)") == (
        [], b'NO [NOPERM] permission denied: changing these flags needs the "w" right')
    assert answer(b, b"STORE 2 FLAGS (\\Seen)") == (
        [], b'NO [NOPERM] permission denied: changing these flags needs the "t" right')
    ok(b, b"U", b"UNSELECT")
    b.send(b"A APPEND " + TEAM + b" (\\Flagged \\Seen) {%d+}\r\n" % len(MSG) + MSG + b"\r\n")
    _, done = b.until(b"A")
    assert done.startswith(b"A OK [APPENDUID "), done
    a_lines = ok(a, b"F", b"SELECT Team")
    assert b"* 3 EXISTS" in a_lines
    flags = [x.replace(b"\\Recent", b"").replace(b" )", b")").replace(b"( ", b"(")
             for x in ok(a, b"F", b"FETCH 1:3 (FLAGS)")]
    assert flags == [
        b"* 1 FETCH (FLAGS (\\Seen))", b"* 2 FETCH (FLAGS ())", b"* 3 FETCH (FLAGS (\\Seen))"]

    # After DELETEACL the folder is gone for bob, exactly like one he never had.
    ok(a, b"D", b"DELETEACL Team bob")
    assert shared_lines(b) == []
    for name in (TEAM, b'"Other Users/alice/Private"', b'"Other Users/alice/Nothing"',
                 b'"Other Users/nobody/Team"'):
        assert answer(b, b"SELECT " + name) == ([], b"NO [NONEXISTENT] no such mailbox"), name
        assert answer(b, b"STATUS " + name + b" (MESSAGES)") == (
            [], b"NO [NONEXISTENT] no such mailbox"), name
        assert answer(b, b"MYRIGHTS " + name) == ([], b"NO [NONEXISTENT] no such mailbox")


def test_anyone_of_the_domain_only(two, imap_server):
    a, b = two
    ok(a, b"S", b"SETACL Team anyone lr")
    assert b'* LIST (\\HasNoChildren) "/" "Other Users/alice/Team"' in shared_lines(b)
    c = imap_raw(imap_server)
    try:
        c.login(STRANGER, PASSWORD)
        assert shared_lines(c) == []
        assert answer(c, b"SELECT " + TEAM) == ([], b"NO [NONEXISTENT] no such mailbox")
    finally:
        c.close()


def test_owner_names_stay_personal(two):
    a, _ = two
    assert answer(a, b'CREATE "Other Users/x"') == (
        [], b"NO [NOPERM] permission denied: mailboxes of other users are created by them")
    assert answer(a, b'RENAME Team "Other Users/Team"') == (
        [], b"NO [NOPERM] permission denied: mailboxes of other users are renamed by them")


def test_idle_on_a_shared_folder_sees_the_owners_new_mail(two):
    a, b = two
    ok(a, b"S", b"SETACL Team bob lr")
    lines, done = answer(b, b"EXAMINE " + TEAM)
    assert done == b"OK [READ-ONLY] EXAMINE completed" and b"* 2 EXISTS" in lines
    b.send(b"I IDLE\r\n")
    assert b.line().startswith(b"+ ")
    _, done = append(a, b"Team")
    assert done.startswith(b"A OK [APPENDUID "), done
    assert b.line() == b"* 3 EXISTS"
    b.send(b"DONE\r\n")
    assert b.until(b"I")[1].startswith(b"I OK")


def test_create_below_a_shared_folder_with_k_and_delete_with_x(two):
    a, b = two
    ok(a, b"S", b"SETACL Team bob lr")
    assert answer(b, b'CREATE "Other Users/alice/Team/Sub"') == (
        [], b"NO [NOPERM] permission denied: creating mailboxes below this one")
    ok(a, b"S", b"SETACL Team bob +k")
    ok(b, b"C", b'CREATE "Other Users/alice/Team/Sub"')
    assert ok(a, b"L", b'LIST "" "Team*"') == [
        b'* LIST (\\HasChildren) "/" Team', b'* LIST (\\HasNoChildren) "/" Team/Sub']
    # The new folder starts with its parent's entries.
    assert ok(a, b"G", b"GETACL Team/Sub") == [
        b"* ACL Team/Sub alice@example.test lrswipkxteacd bob@example.test lrkc"]
    assert b'* LIST (\\HasNoChildren) "/" "Other Users/alice/Team/Sub"' in shared_lines(b)
    assert answer(b, b'CREATE "Other Users/alice/Top"') == (
        [], b"NO [NOPERM] permission denied: top-level mailboxes of other users are created by them")
    assert answer(b, b'CREATE "Other Users/alice/Private/X"') == (
        [], b"NO [NONEXISTENT] no such mailbox")
    assert answer(b, b'DELETE "Other Users/alice/Team/Sub"') == (
        [], b"NO [NOPERM] permission denied: deleting this mailbox")
    ok(a, b"S", b"SETACL Team/Sub bob +x")
    ok(b, b"D", b'DELETE "Other Users/alice/Team/Sub"')
    assert ok(a, b"L", b'LIST "" "Team*"') == [b'* LIST (\\HasNoChildren) "/" Team']


def test_revoked_rights_apply_to_a_selected_session(two):
    a, b = two
    ok(a, b"S", b"SETACL Team bob lrs")
    lines, done = answer(b, b"SELECT " + TEAM)
    assert done == b"OK [READ-WRITE] SELECT completed", done
    ok(b, b"F", b"STORE 1 +FLAGS (\\Seen)")
    ok(a, b"S", b"SETACL Team bob lr")
    assert answer(b, b"STORE 2 +FLAGS (\\Seen)") == (
        [], b'NO [NOPERM] permission denied: changing these flags needs the "s" right')
    ok(a, b"D", b"DELETEACL Team bob")
    assert b.cmd(b"N", b"NOOP") == (
        [b"* OK [CLOSED] access to the mailbox was withdrawn"], b"N OK NOOP completed")
    assert answer(b, b"FETCH 1 FLAGS") == ([], b"BAD FETCH requires a selected mailbox")


def test_list_extended_and_status_on_shared_folders(two):
    a, b = two
    ok(a, b"S", b"SETACL Team bob lr")
    ok(a, b"S", b"SETACL Private bob l")
    assert ok(b, b"L", b'LIST "Other Users/" "%/%" RETURN (STATUS (MESSAGES))') == [
        b'* LIST (\\HasNoChildren) "/" "Other Users/alice/Private"',
        b'* LIST (\\HasNoChildren) "/" "Other Users/alice/Team"',
        b'* STATUS "Other Users/alice/Team" (MESSAGES 2)',
    ]
    # "l" without "r": listed, not read.
    assert answer(b, b'STATUS "Other Users/alice/Private" (MESSAGES)') == (
        [], b"NO [NOPERM] permission denied: reading this mailbox")
    assert answer(b, b'SELECT "Other Users/alice/Private"') == (
        [], b"NO [NOPERM] permission denied: reading this mailbox")
    ok(b, b"S", b'SUBSCRIBE "Other Users/alice/Team"')
    assert ok(b, b"L", b'LIST (SUBSCRIBED) "" "Other Users/*"') == [
        b'* LIST (\\HasNoChildren \\Subscribed) "/" "Other Users/alice/Team"']


def test_copies_into_a_shared_folder_keep_only_flags_the_grantee_may_set(two):
    a, b = two
    ok(a, b"S", b"SETACL Team bob lrsi")
    ok(b, b"S", b"SELECT INBOX")
    append(b, b"INBOX")
    ok(b, b"F", b"STORE 1 +FLAGS (\\Seen \\Flagged $Work)")
    _, done = answer(b, b"COPY 1 " + TEAM)
    assert done.startswith(b"OK [COPYUID "), done
    ok(a, b"S", b"EXAMINE Team")
    (line,) = ok(a, b"F", b"FETCH 3 (FLAGS)")
    assert line.replace(b" \\Recent", b"") == b"* 3 FETCH (FLAGS (\\Seen))", line
