"""Sessions shaped like real mail clients, written from their documented behaviour: the
commands in the order Thunderbird and Outlook send them when they open an account, sync a
folder, read, flag, move and delete, and what each answer must hold for the client to go on.

Thunderbird: CAPABILITY, AUTHENTICATE PLAIN with an initial response, ID, NAMESPACE, ENABLE
(CONDSTORE, UTF8=ACCEPT), LIST (SUBSCRIBED) with RETURN (SPECIAL-USE), SELECT with CONDSTORE,
a full flag sync by UID, a header fetch of new mail with its field list, IDLE woken by a
delivery, UID STORE, UID MOVE, UID EXPUNGE; then a second connection resyncs with
CHANGEDSINCE.

Outlook: LOGIN, LIST, LSUB, STATUS of every folder, SELECT, UID SEARCH UNDELETED, a UID
FETCH of flags and sizes, whole bodies by UID, STORE +FLAGS (\\Deleted), EXPUNGE, CLOSE.
"""

import base64
import re
import smtplib

from conftest import HOST, PASSWORD, USER, eventually, imap_raw

HEADER_FIELDS = (b"BODY.PEEK[HEADER.FIELDS (FROM TO CC BCC SUBJECT DATE MESSAGE-ID PRIORITY "
                 b"X-PRIORITY REFERENCES NEWSGROUPS IN-REPLY-TO CONTENT-TYPE REPLY-TO)]")


def ok(r, tag, text):
    lines, done = r.cmd(tag, text)
    assert done.startswith(tag + b" OK"), (text, lines, done)
    return lines


def deliver(heron, n, subject="note"):
    eventually(lambda: smtplib.SMTP(HOST, heron.smtp_port, timeout=5).quit() or True, 10,
               what="SMTP port accepts connections")
    s = smtplib.SMTP(HOST, heron.smtp_port, timeout=15)
    for i in range(n):
        s.sendmail("friend@remote.test", [USER],
                   (f"From: Friend <friend@remote.test>\r\nTo: {USER}\r\n"
                    f"Subject: {subject} {i}\r\nMessage-ID: <{subject}.{i}@remote.test>\r\n"
                    f"\r\nhello {i}\r\n").encode())
    s.quit()


def uids_of(lines):
    return [int(m.group(1)) for l in lines if (m := re.search(rb"UID (\d+)", l))]


def test_thunderbird_style_session(imap_server):
    deliver(imap_server, 3)
    eventually(lambda: b"MESSAGES 3" in imap_raw(imap_server, login=True)
               .cmd(b"s", b"STATUS INBOX (MESSAGES)")[0][0], 10, what="delivered")
    r = imap_raw(imap_server)
    caps = ok(r, b"1", b"CAPABILITY")[0].upper().split()
    for cap in (b"IMAP4REV1", b"IDLE", b"UIDPLUS", b"MOVE", b"CONDSTORE", b"SPECIAL-USE",
                b"AUTH=PLAIN", b"ID", b"NAMESPACE"):
        assert cap in caps, (cap, caps)
    plain = base64.b64encode(b"\0" + USER.encode() + b"\0" + PASSWORD.encode())
    ok(r, b"2", b"AUTHENTICATE PLAIN " + plain)
    ok(r, b"3", b'ID ("name" "Thunderbird" "version" "128.0")')
    assert ok(r, b"4", b"NAMESPACE")[0].startswith(b"* NAMESPACE ((")
    enabled = ok(r, b"5", b"ENABLE CONDSTORE UTF8=ACCEPT")
    assert enabled and b"CONDSTORE" in enabled[0], enabled
    listing = ok(r, b"6", b'LIST (SUBSCRIBED) "" "*" RETURN (SPECIAL-USE)')
    assert any(b"INBOX" in l for l in listing), listing
    assert any(b"\\Sent" in l for l in listing), listing
    sel = ok(r, b"7", b'SELECT "INBOX" (CONDSTORE)')
    assert b"* 3 EXISTS" in sel and any(b"[HIGHESTMODSEQ " in l for l in sel), sel
    assert any(b"[UIDVALIDITY " in l for l in sel) and any(b"[UIDNEXT " in l for l in sel), sel
    flags = ok(r, b"8", b"UID FETCH 1:* (FLAGS)")
    uids = uids_of(flags)
    assert len(uids) == 3, flags
    heads = ok(r, b"9", b"UID FETCH %d:* (UID RFC822.SIZE FLAGS " % uids[0] + HEADER_FIELDS + b")")
    assert sum(b"Subject: note" in l for l in heads) == 3, heads

    # IDLE until a new message arrives, then DONE.
    r.send(b"10 IDLE\r\n")
    assert r.line().startswith(b"+ "), "no IDLE continuation"
    deliver(imap_server, 1, "late")
    seen = []
    for _ in range(50):
        line = r.line()
        seen.append(line)
        if line.endswith(b"EXISTS"):
            break
    assert b"* 4 EXISTS" in seen, seen
    r.send(b"DONE\r\n")
    _, done = r.until(b"10")
    assert done.startswith(b"10 OK"), done
    new = ok(r, b"11", b"UID FETCH %d:* (UID FLAGS " % (uids[-1] + 1) + HEADER_FIELDS + b")")
    late = uids_of(new)
    assert len(late) == 1 and any(b"Subject: late 0" in l for l in new), new

    ok(r, b"12", b"UID STORE %d +FLAGS.SILENT (\\Seen $Label1)" % uids[0])
    moved = ok(r, b"13", b'UID MOVE %d "Sent Items"' % uids[1])
    assert any(b"EXPUNGE" in l for l in moved), moved
    ok(r, b"14", b"UID STORE %d +FLAGS.SILENT (\\Deleted)" % uids[2])
    gone = ok(r, b"15", b"UID EXPUNGE %d" % uids[2])
    assert any(b"EXPUNGE" in l for l in gone), gone

    # A second connection resyncs what changed since the first SELECT's HIGHESTMODSEQ.
    modseq = int(re.search(rb"HIGHESTMODSEQ (\d+)", b" ".join(sel)).group(1))
    b = imap_raw(imap_server, login=True)
    ok(b, b"1", b"ENABLE CONDSTORE")
    b_sel = ok(b, b"2", b'SELECT "INBOX" (CONDSTORE)')
    assert b"* 2 EXISTS" in b_sel, b_sel
    changed = ok(b, b"3", b"UID FETCH 1:* (FLAGS) (CHANGEDSINCE %d)" % modseq)
    assert any(b"$Label1" in l and b"\\Seen" in l for l in changed), changed
    ok(r, b"16", b"LOGOUT")
    b.close()


def test_outlook_style_session(imap_server):
    deliver(imap_server, 2)
    r = imap_raw(imap_server)
    ok(r, b"a1", b"CAPABILITY")
    ok(r, b"a2", b"LOGIN " + USER.encode() + b" " + PASSWORD.encode())
    folders = ok(r, b"a3", b'LIST "" "*"')
    names = [re.search(rb'"/" (.*)$', l).group(1).strip(b'"') for l in folders]
    assert b"INBOX" in names, folders
    ok(r, b"a4", b'LSUB "" "*"')
    for name in names:
        st = ok(r, b"a5", b'STATUS "%s" (MESSAGES UNSEEN RECENT UIDNEXT UIDVALIDITY)' % name)
        assert st and re.search(rb"MESSAGES \d+ UNSEEN \d+ RECENT \d+ UIDNEXT \d+ UIDVALIDITY \d+",
                                st[0]), st
    eventually(lambda: b"MESSAGES 2" in ok(r, b"a6", b'STATUS "INBOX" (MESSAGES)')[0], 10,
               what="delivered")
    ok(r, b"a7", b'SELECT "INBOX"')
    found = ok(r, b"a8", b"UID SEARCH UNDELETED")
    uids = [int(x) for x in found[0].split()[2:]]
    assert len(uids) == 2, found
    sizes = ok(r, b"a9", b"UID FETCH 1:* (UID FLAGS RFC822.SIZE)")
    assert len(sizes) == 2 and all(b"RFC822.SIZE" in l for l in sizes), sizes
    body = ok(r, b"a10", b"UID FETCH %d (UID BODY.PEEK[])" % uids[0])
    assert b"hello 0" in body[0], body
    ok(r, b"a11", b"UID STORE %d +FLAGS (\\Seen)" % uids[0])
    ok(r, b"a12", b"STORE 2 +FLAGS (\\Deleted)")
    gone = ok(r, b"a13", b"EXPUNGE")
    assert gone == [b"* 2 EXPUNGE"], gone
    ok(r, b"a14", b"NOOP")
    ok(r, b"a15", b"CLOSE")
    st = ok(r, b"a16", b'STATUS "INBOX" (MESSAGES UNSEEN)')
    assert st == [b'* STATUS INBOX (MESSAGES 1 UNSEEN 0)'], st
    ok(r, b"a17", b"LOGOUT")
