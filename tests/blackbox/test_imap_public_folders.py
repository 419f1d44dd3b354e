"""Public folders of a domain (DOM-5): the domain administrator creates them through the
admin API and grants rights; IMAP users see them under the shared namespace
`Public Folders/` (RFC 2342) as their rights allow (RFC 4314), with exact `NO [NOPERM]`
answers beyond them; another user's APPEND reaches an IDLE session; a user of another
domain never sees them; the CLI lists and changes the same folders."""

import time
import urllib.parse

import imapclient
import pytest

from admin_api import Api, error_of, logged_in_admin, wait_for_api
from conftest import OTHER, OTHER_PASSWORD, PASSWORD, USER, imap_client, imap_raw

NEWS = b'"Public Folders/News"'
MSG = b"From: b@example.test\r\nSubject: public\r\n\r\nhello everyone\r\n"
BOSS = "boss@example.test"
BOSS_PASSWORD = "Falcon88x"
STRANGER = "carol@elsewhere.test"
STRANGER_BOSS = "chief@elsewhere.test"
BASE = "/domains/example.test/public-folders"


@pytest.fixture
def pub(imap_server):
    """alice (anyone: lr) and bob (lrswi) of example.test, carol of elsewhere.test; the
    domain administrator boss made `News` through the API, holding one message."""
    wait_for_api(imap_server)
    admin = logged_in_admin(imap_server)
    for d in ("elsewhere.test",):
        assert admin.post("/domains", {"name": d}).status_code == 201
    for address, password, role in [(BOSS, BOSS_PASSWORD, "domain-admin"),
                                    (OTHER, OTHER_PASSWORD, "user"),
                                    (STRANGER, PASSWORD, "user"),
                                    (STRANGER_BOSS, BOSS_PASSWORD, "domain-admin")]:
        r = admin.post("/users", {"address": address, "password": password, "role": role})
        assert r.status_code == 201, r.text
    boss = Api(imap_server)
    assert boss.login(BOSS, BOSS_PASSWORD).status_code == 200
    r = boss.post(BASE, {"name": "News"})
    assert r.status_code == 201, r.text
    assert r.json() == {"name": "News", "messages": 0, "bytes": 0, "rights": []}
    r = boss.put(BASE + "/News/rights/anyone", {"rights": "rl"})
    assert r.status_code == 200, r.text
    r = boss.put(BASE + "/News/rights/bob@example.test", {"rights": "lrswi"})
    assert r.json()["rights"] == [{"grantee": "anyone", "rights": "lr"},
                                  {"grantee": "bob@example.test", "rights": "lrswi"}], r.text
    b = imap_client(imap_server, user=OTHER, password=OTHER_PASSWORD)
    typ, data = b.append('"Public Folders/News"', None, None, MSG)
    assert typ == "OK", data
    b.logout()
    return imap_server, boss


def ok(r, tag, text):
    lines, done = r.cmd(tag, text)
    assert done.startswith(tag + b" OK"), (text, done)
    return lines


def answer(r, text):
    lines, done = r.cmd(b"T", text)
    return lines, done[2:]


def append(r, mailbox, msg=MSG):
    r.send(b"A APPEND " + mailbox + b" {%d+}\r\n" % len(msg) + msg + b"\r\n")
    return r.until(b"A")


def test_namespace_list_and_reading(pub):
    heron, _ = pub
    a = imap_raw(heron, login=True)
    assert ok(a, b"N", b"NAMESPACE") == [
        b'* NAMESPACE (("" "/")) (("Other Users/" "/")) (("Public Folders/" "/"))']
    lines = [x for x in ok(a, b"L", b'LIST "" "*"') if b"Public Folders" in x]
    assert lines == [b'* LIST (\\Noselect \\HasChildren) "/" "Public Folders"',
                     b'* LIST (\\HasNoChildren) "/" "Public Folders/News"'], lines
    assert ok(a, b"L", b'LIST "Public Folders/" "%"') == [
        b'* LIST (\\HasNoChildren) "/" "Public Folders/News"']
    # LIST-EXTENDED with STATUS, then LSUB after SUBSCRIBE.
    lines = ok(a, b"L", b'LIST "" "Public Folders/*" RETURN (SUBSCRIBED STATUS (MESSAGES))')
    assert lines == [b'* LIST (\\HasNoChildren) "/" "Public Folders/News"',
                     b'* STATUS "Public Folders/News" (MESSAGES 1)'], lines
    ok(a, b"S", b"SUBSCRIBE " + NEWS)
    assert ok(a, b"L", b'LSUB "" "Public*"') == [b'* LSUB () "/" "Public Folders/News"']
    assert ok(a, b"M", b"MYRIGHTS " + NEWS) == [b'* MYRIGHTS "Public Folders/News" lr']
    lines, done = answer(a, b"SELECT " + NEWS)
    assert done == b"OK [READ-ONLY] SELECT completed", done
    assert b"* 1 EXISTS" in lines
    (line,) = ok(a, b"F", b"FETCH 1 (BODY.PEEK[] FLAGS)")
    assert b"hello everyone" in line, line
    a.close()


def test_rights_are_enforced(pub):
    heron, _ = pub
    a = imap_raw(heron, login=True)
    noperm = b"NO [NOPERM] permission denied: "
    assert append(a, NEWS) == ([], b"A " + noperm + b"appending to this mailbox")
    assert answer(a, b"GETACL " + NEWS) == ([], noperm + b"administering this mailbox")
    assert answer(a, b"SETACL " + NEWS + b" alice lrswi") == (
        [], noperm + b"administering this mailbox")
    assert answer(a, b"DELETE " + NEWS) == ([], noperm + b"deleting this mailbox")
    assert answer(a, b'CREATE "Public Folders/Mine"') == (
        [], noperm + b"top-level public folders are created by the domain administrator")
    assert answer(a, b'CREATE "Public Folders"') == (
        [], noperm + b"public folders are created by the domain administrator")
    assert answer(a, b'CREATE "Public Folders/News/Sub"') == (
        [], noperm + b"creating mailboxes below this one")
    assert answer(a, b'RENAME ' + NEWS + b' "Public Folders/Old"') == (
        [], noperm + b"public folders are renamed by the domain administrator")
    assert answer(a, b'RENAME INBOX "Public Folders/Mine"') == (
        [], noperm + b"public folders are renamed by the domain administrator")
    ok(a, b"S", b"EXAMINE " + NEWS)
    assert answer(a, b"STORE 1 +FLAGS (\\Seen)") == (
        [], noperm + b'changing these flags needs the "s" right')
    assert answer(a, b"EXPUNGE") == ([], noperm + b"expunging in this mailbox")
    # Reading out of it is allowed, copying into it is not.
    lines, done = answer(a, b"COPY 1 INBOX")
    assert done.startswith(b"OK [COPYUID "), done
    ok(a, b"S", b"SELECT INBOX")
    assert answer(a, b"COPY 1 " + NEWS) == ([], noperm + b"copying into that mailbox")
    ok(a, b"U", b"UNSELECT")
    # A folder nobody granted does not exist for them; nor does the hidden owner.
    assert answer(a, b'SELECT "Public Folders/Nope"') == ([], b"NO [NONEXISTENT] no such mailbox")
    assert answer(a, b'SELECT "Public Folders"') == ([], b"NO [NONEXISTENT] no such mailbox")
    assert answer(a, b'SELECT "Other Users/#public/News"') == (
        [], b"NO [NONEXISTENT] no such mailbox")
    a.close()
    # bob's "s" and "w": \Seen is a flag of the message, shared by every reader.
    b = imap_raw(heron)
    b.login(OTHER, OTHER_PASSWORD)
    lines, done = answer(b, b"SELECT " + NEWS)
    assert done == b"OK [READ-WRITE] SELECT completed", done
    (line,) = ok(b, b"F", b"STORE 1 +FLAGS (\\Seen \\Flagged)")
    assert b"\\Seen" in line and b"\\Flagged" in line, line
    assert answer(b, b"STORE 1 +FLAGS (\\Deleted)") == (
        [], noperm + b'changing these flags needs the "t" right')
    b.close()
    a = imap_raw(heron, login=True)
    ok(a, b"S", b"EXAMINE " + NEWS)
    (line,) = ok(a, b"F", b"FETCH 1 (FLAGS)")
    assert b"\\Seen" in line, line
    a.close()


def test_idle_sees_another_users_append(pub):
    heron, _ = pub
    c = imapclient.IMAPClient(heron.host, port=heron.imap_port, ssl=False, timeout=15)
    c.login(USER, PASSWORD)
    ns = c.namespace()
    assert ns.shared == (("Public Folders/", "/"),), ns
    folders = [f[2] for f in c.list_folders("Public Folders/", "*")]
    assert folders == ["Public Folders/News"], folders
    info = c.select_folder("Public Folders/News", readonly=True)
    assert info[b"EXISTS"] == 1
    c.idle()
    b = imap_client(heron, user=OTHER, password=OTHER_PASSWORD)
    typ, data = b.append('"Public Folders/News"', None, None, MSG.replace(b"public", b"second"))
    assert typ == "OK", data
    b.logout()
    seen = []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and (2, b"EXISTS") not in seen:
        seen += c.idle_check(timeout=2)
    c.idle_done()
    assert (2, b"EXISTS") in seen, seen
    msgs = c.fetch([2], ["BODY.PEEK[HEADER.FIELDS (SUBJECT)]"])
    assert b"second" in msgs[2][b"BODY[HEADER.FIELDS (SUBJECT)]"]
    c.logout()


def test_other_domain_sees_nothing(pub):
    heron, _ = pub
    c = imap_raw(heron)
    c.login(STRANGER, PASSWORD)
    assert [x for x in ok(c, b"L", b'LIST "" "*"') if b"Public" in x] == []
    assert answer(c, b"SELECT " + NEWS) == ([], b"NO [NONEXISTENT] no such mailbox")
    assert append(c, NEWS) == ([], b"A NO [NONEXISTENT] no such mailbox")
    c.close()
    # Rights cannot go to another domain's user; its administrator manages none of these.
    heron_api = Api(heron)
    assert heron_api.login(STRANGER_BOSS, BOSS_PASSWORD).status_code == 200
    error_of(heron_api.get(BASE), 403)
    error_of(heron_api.post(BASE, {"name": "Theirs"}), 403)
    error_of(heron_api.put(BASE + "/News/rights/anyone", {"rights": "lr"}), 403)
    error_of(heron_api.delete(BASE + "/News"), 403)


def test_api_cli_and_admin_rights(pub):
    heron, boss = pub
    error_of(boss.put(BASE + "/News/rights/" + STRANGER, {"rights": "lr"}), 422, "rights")
    error_of(boss.put(BASE + "/News/rights/anyone", {"rights": "lrz"}), 422, "rights")
    error_of(boss.put(BASE + "/News/rights/nobody", {"rights": "lr"}), 404)
    error_of(boss.post(BASE, {"name": "News"}), 409, "name")
    error_of(boss.post(BASE, {"name": "a//b"}), 422, "name")
    # The hidden owner is no user: not listed, not able to log in.
    users = {u["address"] for u in boss.get("/domains/example.test/users").json()}
    assert users == {USER, OTHER, BOSS}, users
    with pytest.raises(Exception):
        imap_client(heron, user="#public@example.test", password="")
    # A nested folder through the API (its parent made too), a user with "a" administers.
    r = boss.post(BASE, {"name": "Team/Plans"})
    assert r.status_code == 201, r.text
    names = [f["name"] for f in boss.get(BASE).json()]
    assert names == ["News", "Team", "Team/Plans"], names
    r = boss.put(BASE + "/" + urllib.parse.quote("Team/Plans", safe="") + "/rights/alice",
                 {"rights": "lra"})
    assert r.status_code == 200, r.text
    a = imap_raw(heron, login=True)
    plans = b'"Public Folders/Team/Plans"'
    lines = [x for x in ok(a, b"L", b'LIST "" "Public Folders/*"')]
    assert b'* LIST (\\Noselect \\HasChildren) "/" "Public Folders/Team"' in lines, lines
    ok(a, b"S", b"SETACL " + plans + b" bob@example.test lr")
    assert ok(a, b"G", b"GETACL " + plans) == [
        b'* ACL "Public Folders/Team/Plans" alice@example.test lra bob@example.test lr']
    # The CLI sees and changes the same folders.
    out = heron.cli("public", "list", "example.test").stdout
    assert "News\t1 messages" in out and "anyone=lr bob@example.test=lrswi" in out, out
    assert "Team/Plans\t0 messages\t0 bytes\talice@example.test=lra bob@example.test=lr" in out
    heron.cli("public", "add", "example.test", "Archive")
    heron.cli("public", "grant", "example.test", "Archive", "anyone", "lr")
    assert b'* LIST (\\HasNoChildren) "/" "Public Folders/Archive"' in ok(
        a, b"L", b'LIST "" "Public Folders/*"')
    heron.cli("public", "grant", "example.test", "Archive", "anyone", "")
    assert not [x for x in ok(a, b"L", b'LIST "" "Public Folders/Archive"')]
    r = heron.cli("public", "grant", "example.test", "Archive", STRANGER, "lr", check=False)
    assert r.returncode != 0 and "own users or anyone" in r.stderr, r.stderr
    # Removing a folder takes the folders below it.
    assert boss.delete(BASE + "/Team").status_code == 204
    assert [f["name"] for f in boss.get(BASE).json()] == ["Archive", "News"]
    assert answer(a, b"SELECT " + plans) == ([], b"NO [NONEXISTENT] no such mailbox")
    error_of(boss.delete(BASE + "/Team"), 404)
    a.close()


def test_domain_page_tab(pub):
    heron, boss = pub
    r = boss.http.get(f"http://127.0.0.1:{heron.admin_port}/domains/example.test/public-folders",
                      timeout=30)
    assert r.status_code == 200, r.text
    page = r.text
    assert 'aria-current="page">Public folders</a>' in page, page
    assert '<tr data-folder="News" data-scope><td>News</td><td>1 (' in page, page
    assert "bob@example.test: <code>lrswi</code>" in page, page
    assert 'data-api="/api/v1/domains/example.test/public-folders/News/rights/{grantee}"' in page
    assert 'id="new-public-folder"' in page
    # Another domain's administrator is refused the page.
    other = Api(heron)
    assert other.login(STRANGER_BOSS, BOSS_PASSWORD).status_code == 200
    r = other.http.get(f"http://127.0.0.1:{heron.admin_port}/domains/example.test/public-folders",
                       timeout=30)
    assert r.status_code == 403, r.status_code


def test_browser_adds_and_grants_a_public_folder(pub):
    from browser import run_ui

    heron, _ = pub
    got = run_ui(heron, "public-folder", "public-folder", username=BOSS,
                 password=BOSS_PASSWORD, domain="example.test", folder="Announcements")
    assert "may not be empty" in got["name_error"], got
    assert got["rights"] == "anyone: lr", got
    a = imap_raw(heron, login=True)
    assert b'* LIST (\\HasNoChildren) "/" "Public Folders/Announcements"' in ok(
        a, b"L", b'LIST "" "Public Folders/*"')
    a.close()


def test_domain_admin_manages_public_folders_over_imap(pub):
    heron, _ = pub
    boss = imap_raw(heron)
    boss.login(BOSS, BOSS_PASSWORD)
    a = imap_raw(heron, login=True)
    try:
        # Every right on each public folder of the domain, granted or not.
        assert ok(boss, b"M", b"MYRIGHTS " + NEWS) == [
            b'* MYRIGHTS "Public Folders/News" lrswipkxteacd']
        assert ok(boss, b"G", b"GETACL " + NEWS) == [
            b'* ACL "Public Folders/News" anyone lr bob@example.test lrswi']
        ok(boss, b"C", b'CREATE "Public Folders/Board"')
        assert b'* LIST (\\HasNoChildren) "/" "Public Folders/Board"' in ok(
            boss, b"L", b'LIST "" "Public Folders/*"')
        # Nobody else sees it until granted.
        assert not ok(a, b"L", b'LIST "" "Public Folders/Board"')
        ok(boss, b"S", b'SETACL "Public Folders/Board" anyone lr')
        assert ok(a, b"L", b'LIST "" "Public Folders/Board"') == [
            b'* LIST (\\HasNoChildren) "/" "Public Folders/Board"']
        append(boss, b'"Public Folders/Board"')
        ok(boss, b"R", b'RENAME "Public Folders/Board" "Public Folders/Council/2026"')
        assert ok(a, b"L", b'LIST "" "Public Folders/Council/*"') == [
            b'* LIST (\\HasNoChildren) "/" "Public Folders/Council/2026"']
        lines = ok(a, b"E", b'EXAMINE "Public Folders/Council/2026"')
        assert b"* 1 EXISTS" in lines, lines
        ok(a, b"U", b"UNSELECT")
        assert answer(boss, b'RENAME "Public Folders/Council/2026" INBOX') == (
            [], b"NO [NOPERM] permission denied: "
                b"public folders are renamed by the domain administrator")
        ok(boss, b"D", b'DELETE "Public Folders/Council/2026"')
        assert answer(a, b'EXAMINE "Public Folders/Council/2026"') == (
            [], b"NO [NONEXISTENT] no such mailbox")
    finally:
        boss.close()
        a.close()
    # Another domain's administrator holds nothing here.
    chief = imap_raw(heron)
    chief.login(STRANGER_BOSS, BOSS_PASSWORD)
    assert answer(chief, b"MYRIGHTS " + NEWS) == ([], b"NO [NONEXISTENT] no such mailbox")
    chief.close()
