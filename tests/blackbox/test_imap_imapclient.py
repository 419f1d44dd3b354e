"""IMAP with a second, higher-level real client: IMAPClient (PyPI). Sessions over each door,
capabilities, NAMESPACE and ID, special-use folders, folder management and STATUS, APPEND
and FETCH of typed items, SEARCH by sequence number and by UID."""

import datetime

import imapclient
import pytest
from imapclient.exceptions import LoginError
from imapclient.imapclient import DRAFTS, JUNK, SENT, TRASH

from conftest import HOST, PASSWORD, USER, client_tls

UTC = datetime.timezone.utc

MULTIPART = (
    b"From: Carol Baker <carol@example.org>\r\n"
    b"To: Alice <alice@example.test>\r\n"
    b"Subject: Quarterly report\r\n"
    b"Date: Tue, 02 Jan 2024 08:30:00 +0000\r\n"
    b"Message-ID: <quarterly.1@example.org>\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: multipart/mixed; boundary=\"outer\"\r\n"
    b"\r\n"
    b"--outer\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Content-Transfer-Encoding: quoted-printable\r\n"
    b"\r\n"
    b"Sch=C3=B6ne Gr=C3=BC=C3=9Fe\r\n"
    b"--outer\r\n"
    b"Content-Type: application/octet-stream; name=\"r.bin\"\r\n"
    b"Content-Transfer-Encoding: base64\r\n"
    b"Content-Disposition: attachment; filename=\"r.bin\"\r\n"
    b"\r\n"
    b"AQL/\r\n"
    b"--outer--\r\n"
)


def simple(i, sender="dave@example.org", subject=None, body="plain words"):
    subject = subject or f"Note {i}"
    return (f"From: Dave <{sender}>\r\nTo: alice@example.test\r\nSubject: {subject}\r\n"
            f"Date: Mon, 01 Jan 2024 10:00:00 +0000\r\nMessage-ID: <n{i}@example.org>\r\n"
            f"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
            f"Content-Transfer-Encoding: 8bit\r\n\r\n{body}\r\n").encode()


def connect(heron, tls=None, login=True):
    """An IMAPClient: plain (`tls` None), "starttls" or "implicit"; logged in unless not."""
    if tls == "implicit":
        c = imapclient.IMAPClient(HOST, port=heron.imaps_port, ssl=True,
                                  ssl_context=client_tls(), timeout=15)
    else:
        c = imapclient.IMAPClient(HOST, port=heron.imap_port, ssl=False, timeout=15)
        if tls == "starttls":
            c.starttls(client_tls())
    if login:
        c.login(USER, PASSWORD)
    return c


@pytest.fixture
def c(imap_server):
    client = connect(imap_server)
    yield client
    try:
        client.logout()
    except Exception:
        pass


@pytest.mark.parametrize("tls", [None, "starttls", "implicit"])
def test_login_over_each_door_and_capabilities(imap_server, tls):
    c = connect(imap_server, tls=tls, login=False)
    if tls:
        assert c.socket().version().startswith("TLSv1."), c.socket().version()
    assert c.has_capability("STARTTLS") == (tls is None)
    assert c.login(USER, PASSWORD).startswith(b"[CAPABILITY ")
    caps = set(c.capabilities())
    for cap in (b"IMAP4REV1", b"IDLE", b"UIDPLUS", b"MOVE", b"CONDSTORE", b"QRESYNC",
                b"SPECIAL-USE", b"NAMESPACE", b"ID", b"ESEARCH", b"QUOTA"):
        assert cap in caps, (cap, caps)
    assert c.select_folder("INBOX")[b"EXISTS"] == 0
    assert c.logout()  # the BYE text


def test_wrong_password_raises_login_error(imap_server):
    c = connect(imap_server, login=False)
    with pytest.raises(LoginError) as e:
        c.login(USER, "wrong-password")
    assert "AUTHENTICATIONFAILED" in str(e.value)
    c.login(USER, PASSWORD)
    assert c.select_folder("INBOX")[b"EXISTS"] == 0
    c.logout()


def test_namespace_and_id(c):
    ns = c.namespace()
    assert ns.personal == (("", "/"),)
    assert ns.other == (("Other Users/", "/"),)
    assert ns.shared == (("Public Folders/", "/"),)
    info = c.id_({"name": "IMAPClient", "version": imapclient.__version__})
    # RFC 2971: one parenthesised list of field/value pairs.
    assert len(info) == 1 and len(info[0]) % 2 == 0, info
    fields = dict(zip(info[0][0::2], info[0][1::2]))
    assert fields[b"name"] == b"Heron", info
    assert c.id_() == info, "the answer does not depend on what the client says"


def test_special_use_folders_are_found(c):
    listing = {name: (flags, delim) for flags, delim, name in c.list_folders()}
    assert listing["INBOX"][1] == b"/"
    assert c.find_special_folder(SENT) == "Sent Items"
    assert c.find_special_folder(DRAFTS) == "Drafts"
    assert c.find_special_folder(TRASH) == "Deleted Items"
    assert c.find_special_folder(JUNK) == "Junk E-Mail"
    assert SENT in listing["Sent Items"][0]
    assert not {SENT, TRASH} & set(listing["INBOX"][0])


def test_create_rename_subscribe_delete_folders(c):
    c.create_folder("Projects/2024")
    assert c.folder_exists("Projects/2024") and c.folder_exists("Projects")
    c.create_folder("Reisen Köln")  # sent as modified UTF-7, listed back decoded
    names = [name for _, _, name in c.list_folders()]
    assert "Projects/2024" in names and "Reisen Köln" in names
    assert [n for _, _, n in c.list_folders("Projects/", "%")] == ["Projects/2024"]

    c.subscribe_folder("Projects/2024")
    c.subscribe_folder("Reisen Köln")
    subscribed = [name for _, _, name in c.list_sub_folders()]
    assert "Projects/2024" in subscribed and "Reisen Köln" in subscribed
    c.unsubscribe_folder("Reisen Köln")
    assert "Reisen Köln" not in [name for _, _, name in c.list_sub_folders()]

    c.append("Projects/2024", simple(1))
    c.rename_folder("Projects/2024", "Archive 2024")
    assert not c.folder_exists("Projects/2024") and c.folder_exists("Archive 2024")
    assert c.folder_status("Archive 2024", ["MESSAGES"]) == {b"MESSAGES": 1}
    c.delete_folder("Archive 2024")
    c.delete_folder("Reisen Köln")
    names = [name for _, _, name in c.list_folders()]
    assert "Archive 2024" not in names and "Reisen Köln" not in names
    assert "Projects" in names


def test_folder_status_counts(c):
    c.append("INBOX", simple(1), flags=[imapclient.SEEN])
    c.append("INBOX", simple(2))
    c.append("INBOX", simple(3))
    st = c.folder_status("INBOX", ["MESSAGES", "UIDNEXT", "UIDVALIDITY", "UNSEEN",
                                   "HIGHESTMODSEQ"])
    assert st[b"MESSAGES"] == 3 and st[b"UIDNEXT"] == 4 and st[b"UNSEEN"] == 2
    assert st[b"UIDVALIDITY"] > 0 and st[b"HIGHESTMODSEQ"] > 0
    sel = c.select_folder("INBOX", readonly=True)
    assert sel[b"UIDVALIDITY"] == st[b"UIDVALIDITY"]
    assert sel[b"HIGHESTMODSEQ"] == st[b"HIGHESTMODSEQ"]
    assert c.folder_status("Drafts", ["MESSAGES", "UIDNEXT", "UNSEEN"]) == {
        b"MESSAGES": 0, b"UIDNEXT": 1, b"UNSEEN": 0}


def test_append_with_flags_and_date_then_select(c):
    when = datetime.datetime(2023, 3, 5, 14, 15, 16, tzinfo=datetime.timezone(
        datetime.timedelta(hours=2)))
    resp = c.append("INBOX", MULTIPART, flags=[imapclient.FLAGGED, "$Work"], msg_time=when)
    assert resp.startswith(b"[APPENDUID "), resp
    uidvalidity, uid = (int(x) for x in resp.split(b"]")[0].split()[1:3])
    sel = c.select_folder("INBOX", readonly=False)
    assert sel[b"EXISTS"] == 1 and sel[b"UIDVALIDITY"] == uidvalidity
    assert sel[b"UIDNEXT"] == uid + 1 and sel[b"READ-WRITE"] is True
    assert imapclient.FLAGGED in sel[b"PERMANENTFLAGS"] and b"\\*" in sel[b"PERMANENTFLAGS"]

    c.normalise_times = False
    got = c.fetch([uid], ["FLAGS", "INTERNALDATE", "RFC822.SIZE"])[uid]
    # The first session to select the mailbox after the APPEND holds its \Recent.
    assert set(got[b"FLAGS"]) == {imapclient.FLAGGED, b"$Work", imapclient.RECENT}
    assert sel[b"RECENT"] == 1
    assert got[b"INTERNALDATE"] == when
    assert got[b"INTERNALDATE"].astimezone(UTC) == datetime.datetime(2023, 3, 5, 12, 15, 16,
                                                                     tzinfo=UTC)
    assert got[b"RFC822.SIZE"] == len(MULTIPART)


def test_fetch_envelope_structure_and_sections(c):
    resp = c.append("INBOX", MULTIPART)
    uid = int(resp.split(b"]")[0].split()[2])
    c.select_folder("INBOX")
    c.normalise_times = False
    got = c.fetch([uid], ["ENVELOPE", "BODYSTRUCTURE", "BODY.PEEK[HEADER.FIELDS (SUBJECT)]"])
    got = got[uid]
    env = got[b"ENVELOPE"]
    assert env.subject == b"Quarterly report"
    assert env.date == datetime.datetime(2024, 1, 2, 8, 30, tzinfo=UTC)
    assert env.message_id == b"<quarterly.1@example.org>"
    sender = env.from_[0]
    assert (sender.name, sender.mailbox, sender.host) == (b"Carol Baker", b"carol", b"example.org")
    assert str(sender) == "Carol Baker <carol@example.org>"
    assert [str(a) for a in env.to] == ["Alice <alice@example.test>"]
    assert env.cc is None and env.in_reply_to is None

    bs = got[b"BODYSTRUCTURE"]
    assert bs.is_multipart
    parts, subtype = bs[0], bs[1]
    # Type, subtype and encoding names are case-insensitive (RFC 3501 section 7.4.2).
    assert subtype.lower() == b"mixed" and len(parts) == 2
    text, attachment = parts
    assert (text[0].lower(), text[1].lower()) == (b"text", b"plain")
    assert [v.lower() for v in text[2]] == [b"charset", b"utf-8"]
    assert text[5].lower() == b"quoted-printable"
    # Sizes exclude the CRLF before each boundary: it belongs to the delimiter (RFC 2046).
    assert text[6] == len(b"Sch=C3=B6ne Gr=C3=BC=C3=9Fe") and text[7] == 1  # size, lines
    assert (attachment[0].lower(), attachment[1].lower()) == (b"application", b"octet-stream")
    assert attachment[5].lower() == b"base64" and attachment[6] == len(b"AQL/")

    assert got[b"BODY[HEADER.FIELDS (SUBJECT)]"] == b"Subject: Quarterly report\r\n\r\n"
    # This session selected the mailbox first after the APPEND: it holds the \\Recent.
    assert c.get_flags([uid]) == {uid: (imapclient.RECENT,)}, "PEEK leaves \\Seen unset"

    full = c.fetch([uid], ["BODY[]", "BINARY[1]", "BINARY[2]"])[uid]
    assert full[b"BODY[]"] == MULTIPART
    assert full[b"BINARY[1]"] == "Schöne Grüße".encode()  # transfer encoding undone
    # No NUL in the decoded bytes: IMAPClient cannot parse literal8 (~{n}, RFC 3516).
    assert full[b"BINARY[2]"] == b"\x01\x02\xff"
    assert c.get_flags([uid]) == {uid: (imapclient.SEEN, imapclient.RECENT)}, "BODY[] sets \\Seen"


def test_search_criteria_by_uid_and_sequence(c):
    base = datetime.datetime(2024, 1, 1, 12, 0, tzinfo=UTC)
    msgs = [
        simple(1, subject="Kick-off"),                                   # expunged below
        simple(2, sender="erin@example.net", subject="Budget report"),
        simple(3, subject="Lunch", body="Viele Grüße aus Köln"),
        simple(4, subject="Large one", body="x" * 5000),
        simple(5, sender="erin@example.net", subject="Weekly report"),
    ]
    for i, msg in enumerate(msgs):
        c.append("INBOX", msg, flags=[imapclient.SEEN] if i in (0, 2) else [],
                 msg_time=base + datetime.timedelta(days=i))
    c.select_folder("INBOX")
    c.delete_messages([1])
    c.expunge()
    # UIDs now 2..5 at sequence numbers 1..4.
    assert c.search() == [2, 3, 4, 5]
    assert c.search(["UNSEEN"]) == [2, 4, 5]
    assert c.search(["FROM", "erin@example.net"]) == [2, 5]
    assert c.search(["SUBJECT", "report"]) == [2, 5]
    assert c.search(["SUBJECT", "report", "NOT", "FROM", "erin"]) == []
    assert c.search(["SINCE", datetime.date(2024, 1, 4)]) == [4, 5]
    assert c.search(["BEFORE", datetime.date(2024, 1, 4)]) == [2, 3]
    assert c.search(["LARGER", 4000]) == [4]
    assert c.search(["TEXT", "Grüße"], charset="UTF-8") == [3]
    assert c.search(["OR", "SUBJECT", "Lunch", "LARGER", 4000]) == [3, 4]
    assert c.search(["UID", "4:*"]) == [4, 5]

    c.use_uid = False
    assert c.search() == [1, 2, 3, 4]
    assert c.search(["UNSEEN"]) == [1, 3, 4]
    assert c.search(["TEXT", "Grüße"], charset="UTF-8") == [2]
    assert c.fetch([2], ["UID"]) == {2: {b"UID": 3, b"SEQ": 2}}
    assert c.search(["FROM", "nobody@nowhere.test"]) == []
