"""Admin API operations on the running server: live connections (list, end, blacklist),
online and inactive users, services, logs (view, filter, zip), mass messages, domain
aliases, DKIM keys and listeners; each with its validation and who may use it."""

import datetime
import io
import poplib
import re
import socket
import zipfile

import pytest

from admin_api import Api, admin, error_of, logged_in  # noqa: F401
from conftest import (HOST, PASSWORD, USER, Raw, eventually, fetch_all, free_port, imap_client,
                      smtp_raw)

DA, DA_PASSWORD = "boss@a.test", "Falcon88x"
ANN, ANN_PASSWORD = "ann@a.test", "Osprey55x"
CAT, CAT_PASSWORD = "cat@a.test", "Heron44xy"
BOB, BOB_PASSWORD = "bob@b.test", "Plover66x"


def two_domains(admin):
    """a.test (domain admin boss, users ann and cat) and b.test (user bob); returns API
    clients (domain admin of a.test, plain user ann, no session)."""
    for d in ("a.test", "b.test"):
        assert admin.post("/domains", {"name": d}).status_code == 201
    for address, password, role in [(DA, DA_PASSWORD, "domain-admin"),
                                     (ANN, ANN_PASSWORD, "user"), (CAT, CAT_PASSWORD, "user"),
                                     (BOB, BOB_PASSWORD, "user")]:
        r = admin.post("/users", {"address": address, "password": password, "role": role})
        assert r.status_code == 201, r.text
    heron = admin.heron
    return logged_in(heron, DA, DA_PASSWORD), logged_in(heron, ANN, ANN_PASSWORD), Api(heron)


def refused(roles, method, path, json=None, domain_admin=403):
    """The domain admin gets `domain_admin`, a user 403, a caller without session 401.

    Each on a connection of its own: a refusal that comes before the body is read ends the
    server's side of the connection, which a pooled client connection would trip over."""
    da, user, anon = roles
    close = {"Connection": "close"}
    error_of(da.request(method, path, json=json, headers=close), domain_admin)
    error_of(user.request(method, path, json=json, headers=close), 403)
    error_of(anon.request(method, path, json=json, headers=close), 401)


def session_of(admin, protocol, port):
    """The live session of `protocol` whose client port is `port`."""
    def find():
        for c in admin.get("/connections").json():
            if c["protocol"] == protocol and c["peer_port"] == port:
                return c
        return None
    return eventually(find, 10, what=f"{protocol} session from port {port} listed")


def gone(admin, sid):
    eventually(lambda: all(c["id"] != sid for c in admin.get("/connections").json()), 10,
               what=f"session {sid} no longer listed")


class RawFrom(Raw):
    """A raw POP3 connection from a chosen local address."""

    def __init__(self, port, source, timeout=10.0):
        self.sock = socket.create_connection((HOST, port), timeout=timeout,
                                             source_address=(source, 0))
        self.buf = b""


# ---------------------------------------------------------------- connections


def test_connections_list_and_end_idle_sessions(admin):
    heron = admin.heron
    p = heron.login()
    c = session_of(admin, "pop3", p.sock.getsockname()[1])
    assert c["peer_ip"] == "127.0.0.1" and c["local"] == f"{HOST}:{heron.pop3_port}", c
    assert c["user"] == USER and c["seconds"] >= 0 and len(c["id"]) == 12, c
    started = datetime.datetime.fromisoformat(c["started"].replace("Z", "+00:00"))
    assert abs((datetime.datetime.now(datetime.timezone.utc) - started).total_seconds()) < 60
    online = admin.get("/online-users").json()
    assert {"address": USER, "protocol": "pop3", "peer_ip": "127.0.0.1",
            "since": c["started"], "session_id": c["id"]} in online, online

    # An idle POP3 session ends at once, with -ERR, and the connection closes.
    assert admin.delete(f"/connections/{c['id']}").status_code == 204
    with pytest.raises(poplib.error_proto) as e:
        p.noop()
    assert b"-ERR" in e.value.args[0], e.value.args
    with pytest.raises((poplib.error_proto, OSError, EOFError)):
        p.noop()
    gone(admin, c["id"])
    assert all(u["session_id"] != c["id"] for u in admin.get("/online-users").json())
    error_of(admin.delete(f"/connections/{c['id']}"), 404)

    # An idle IMAP session ends with BYE.
    m = eventually(lambda: imap_client(heron), 10, what="IMAP login")
    c = session_of(admin, "imap", m.sock.getsockname()[1])
    assert c["user"] == USER, c
    assert admin.delete(f"/connections/{c['id']}").status_code == 204
    with pytest.raises(m.abort):
        m.noop()
    gone(admin, c["id"])

    # An SMTP session waiting for a command gets 421 and is closed.
    s = eventually(lambda: smtp_raw(heron), 10, what="SMTP greeting")
    s.ehlo()
    c = session_of(admin, "smtp", s.sock.getsockname()[1])
    assert c["user"] is None, c
    assert admin.delete(f"/connections/{c['id']}").status_code == 204
    lines = s.until_eof()
    assert lines and lines[-1].startswith(b"421"), lines
    gone(admin, c["id"])
    error_of(admin.delete("/connections/000000000000"), 404)
    error_of(admin.post("/connections/000000000000/blacklist"), 404)


def test_blacklist_ends_the_session_and_refuses_the_address(admin):
    heron = admin.heron
    r = admin.put("/settings/security.ip_blacklist", {"value": "192.0.2.0/24 smtp"})
    assert r.status_code == 200, r.text
    first = RawFrom(heron.pop3_port, "127.0.0.2")
    second = RawFrom(heron.pop3_port, "127.0.0.2")
    for r in (first, second):
        assert r.line().startswith(b"+OK")
    first.login()
    c1 = session_of(admin, "pop3", first.sock.getsockname()[1])
    c2 = session_of(admin, "pop3", second.sock.getsockname()[1])
    assert c1["peer_ip"] == "127.0.0.2" and c1["user"] == USER, c1

    r = admin.post(f"/connections/{c1['id']}/blacklist")
    assert r.status_code == 200 and r.json() == {"ip": "127.0.0.2", "added": True}, r.text
    assert first.until_eof()[-1].startswith(b"-ERR")
    gone(admin, c1["id"])
    # The address is there once; the entry that was there stays.
    r = admin.post(f"/connections/{c2['id']}/blacklist")
    assert r.status_code == 200 and r.json() == {"ip": "127.0.0.2", "added": False}, r.text
    second.until_eof()
    value = admin.get("/settings/security.ip_blacklist").json()["value"]
    assert value == "192.0.2.0/24 smtp, 127.0.0.2", value

    def refused_from_127_0_0_2():
        r = RawFrom(heron.pop3_port, "127.0.0.2")
        try:
            return r.line().startswith(b"-ERR") and r.until_eof() == []
        finally:
            r.close()
    eventually(refused_from_127_0_0_2, 10, what="127.0.0.2 refused")
    # Other addresses still get in.
    p = heron.login()
    p.quit()


def test_connections_permissions(admin):
    roles = two_domains(admin)
    for method, path in [("GET", "/connections"), ("DELETE", "/connections/x"),
                         ("POST", "/connections/x/blacklist")]:
        refused(roles, method, path)


# ---------------------------------------------------------------- users online / inactive


def test_online_and_inactive_users(admin):
    heron = admin.heron
    da, user, anon = two_domains(admin)
    ann = heron.login(user=ANN, password=ANN_PASSWORD)
    bob = heron.login(user=BOB, password=BOB_PASSWORD)
    try:
        def online_addresses(api):
            return sorted(u["address"] for u in api.get("/online-users").json())
        eventually(lambda: online_addresses(admin) == [ANN, BOB], 10, what="both online")
        # The domain administrator sees their own domain only.
        assert online_addresses(da) == [ANN]
        (row,) = da.get("/online-users").json()
        assert row["protocol"] == "pop3" and row["peer_ip"] == "127.0.0.1", row
    finally:
        ann.quit()
        bob.quit()
    error_of(user.get("/online-users"), 403)
    error_of(anon.get("/online-users"), 401)

    # Never logged in: alice and cat; ann, bob (POP3) and boss (API) logged in just now.
    inactive = admin.get("/inactive-users").json()
    assert inactive == [{"address": CAT, "last_login": None},
                        {"address": USER, "last_login": None}], inactive
    assert da.get("/inactive-users?days=30").json() == [{"address": CAT, "last_login": None}]
    assert admin.get("/inactive-users?days=3650").json() == inactive
    for bad in ("0", "3651", "-5", "many"):
        error_of(admin.get(f"/inactive-users?days={bad}"), 422, "days")
    error_of(user.get("/inactive-users"), 403)
    error_of(anon.get("/inactive-users"), 401)
    assert admin.get("/inactive-users?days=1").json() == inactive


# ---------------------------------------------------------------- services


def pop3_accepts(heron):
    with socket.create_connection((HOST, heron.pop3_port), timeout=2) as s:
        return s.recv(100).startswith(b"+OK")


def pop3_refuses(heron):
    try:
        socket.create_connection((HOST, heron.pop3_port), timeout=2).close()
    except ConnectionRefusedError:
        return True
    return False


def test_services_stop_and_start(admin):
    heron = admin.heron
    p = heron.login()
    services = {s["name"]: s for s in admin.get("/services").json()}
    assert {"pop3", "imap", "smtp", "spool"} <= set(services), services
    assert services["pop3"] == {"name": "pop3", "setting": "pop.enabled", "running": True,
                                "switched_on": True, "node": None, "stopped_on": [],
                                "sessions": 1}, services
    assert services["smtp"]["setting"] == "smtp_in.enabled" and services["spool"]["running"]
    p.quit()

    r = admin.post("/services/pop3/stop")
    assert r.status_code == 200 and r.json()["running"] is False, r.text
    eventually(lambda: pop3_refuses(heron), 10, what="POP3 port closed")
    assert admin.get("/settings/pop.enabled").json()["value"] == "false"
    assert heron.cli("settings", "get", "pop.enabled").stdout.strip() == "false"
    assert next(s for s in admin.get("/services").json() if s["name"] == "pop3")["running"] is False

    r = admin.post("/services/pop3/start")
    assert r.status_code == 200 and r.json()["running"] is True, r.text
    eventually(lambda: pop3_accepts(heron), 10, what="POP3 port open again")
    heron.login().quit()

    error_of(admin.post("/services/gopher/start"), 404)
    error_of(admin.post("/services/gopher/stop"), 404)
    roles = two_domains(admin)
    for method, path in [("GET", "/services"), ("POST", "/services/pop3/stop"),
                         ("POST", "/services/pop3/start")]:
        refused(roles, method, path)
    assert pop3_accepts(heron)


def test_services_stopped_on_this_node(admin):
    """The one node of an embedded store: a service stopped on it alone closes its port while
    the cluster's switch stays on; started there again, it listens again."""
    heron = admin.heron
    nodes = eventually(lambda: admin.get("/nodes").json(), 10, what="this node listed")
    assert len(nodes) == 1 and nodes[0]["this_node"] and nodes[0]["stopped_services"] == []
    me = nodes[0]["id"]

    r = admin.post(f"/services/pop3/stop?node={me}")
    assert r.status_code == 200, r.text
    assert r.json() == {"name": "pop3", "setting": "pop.enabled", "running": False,
                        "switched_on": True, "node": me, "stopped_on": [me], "sessions": 0}
    eventually(lambda: pop3_refuses(heron), 10, what="POP3 port closed on this node")
    assert admin.get("/settings/pop.enabled").json()["value"] == "true"
    assert admin.get("/nodes").json()[0]["stopped_services"] == ["pop3"]
    here = {s["name"]: s for s in admin.get(f"/services?node={me}").json()}
    assert here["pop3"]["running"] is False and here["imap"]["running"] is True, here
    whole = {s["name"]: s for s in admin.get("/services").json()}
    assert whole["pop3"]["running"] is True and whole["pop3"]["stopped_on"] == [me], whole
    # The other services of the node go on.
    imap_client(heron).logout()

    for method, path in [("GET", "/services?node=elsewhere"),
                         ("POST", "/services/pop3/start?node=elsewhere"),
                         ("POST", "/services/pop3/stop?node=elsewhere")]:
        assert "elsewhere" in error_of(admin.request(method, path), 404), path
    error_of(admin.post(f"/services/gopher/stop?node={me}"), 404)
    roles = two_domains(admin)
    refused(roles, "POST", f"/services/pop3/start?node={me}")
    assert pop3_refuses(heron)

    r = admin.post(f"/services/pop3/start?node={me}")
    assert r.status_code == 200 and r.json()["running"] is True, r.text
    assert r.json()["stopped_on"] == []
    eventually(lambda: pop3_accepts(heron), 10, what="POP3 port open again")
    assert admin.get("/nodes").json()[0]["stopped_services"] == []
    heron.login().quit()


# ---------------------------------------------------------------- logs


def smtp_session(admin):
    """Run one SMTP session; return its session id (as listed while it ran)."""
    s = eventually(lambda: smtp_raw(admin.heron), 10, what="SMTP greeting")
    s.ehlo()
    sid = session_of(admin, "smtp", s.sock.getsockname()[1])["id"]
    assert s.cmd(b"QUIT")[0] == 221
    s.close()
    return sid


def test_logs_view_filter_and_download(admin):
    one, two = smtp_session(admin), smtp_session(admin)
    today = datetime.datetime.now(datetime.timezone.utc).date().isoformat()

    def lines_of(sid):
        r = admin.get("/logs", params={"type": "smtp", "session": sid})
        assert r.status_code == 200, r.text
        page = r.json()
        return page if page["total_matching"] >= 2 else None
    page = eventually(lambda: lines_of(one), 10, what="session lines logged")
    assert page["type"] == "smtp" and page["date"] == today, page
    assert page["total_matching"] == len(page["lines"])
    assert all(f"[{one}]" in line for line in page["lines"]), page
    assert not any(f"[{two}]" in line for line in page["lines"]), page
    eventually(lambda: lines_of(two), 10, what="second session logged")

    # Without a session filter both appear; text filters ignore case; pages.
    everything = admin.get("/logs", params={"type": "smtp", "date": today}).json()
    text = "\n".join(everything["lines"])
    assert f"[{one}]" in text and f"[{two}]" in text
    found = admin.get("/logs", params={"type": "smtp", "q": "CONNECT FROM"}).json()
    assert found["total_matching"] >= 2
    assert all("connect from" in line.lower() for line in found["lines"]), found
    first = admin.get("/logs", params={"type": "smtp", "limit": 1}).json()
    second = admin.get("/logs", params={"type": "smtp", "limit": 1, "offset": 1}).json()
    assert first["lines"] == everything["lines"][:1] and second["lines"] == everything["lines"][1:2]
    assert first["total_matching"] == everything["total_matching"]
    empty = admin.get("/logs", params={"type": "smtp", "date": "2001-01-01"}).json()
    assert empty == {"type": "smtp", "date": "2001-01-01", "total_matching": 0, "lines": []}

    for params, field in [({"type": "bogus"}, "type"), ({}, "type"),
                          ({"type": "../../etc/passwd"}, "type"),
                          ({"type": "smtp", "date": "2026-13-01"}, "date"),
                          ({"type": "smtp", "date": "../smtp-2026-01-01"}, "date"),
                          ({"type": "smtp", "date": "2026-1-1"}, "date"),
                          ({"type": "smtp", "limit": "0"}, "limit"),
                          ({"type": "smtp", "limit": "5001"}, "limit"),
                          ({"type": "smtp", "offset": "-1"}, "offset"),
                          ({"type": "smtp", "session": "a b"}, "session")]:
        error_of(admin.get("/logs", params=params), 422, field)
        error_of(admin.get("/logs/download", params=params), 422, field)

    types = {t["type"]: t["dates"] for t in admin.get("/logs/types").json()}
    assert set(types) == {"smtp", "pop3", "imap", "pop-retrieval", "delivery", "events"}, types
    assert today in types["smtp"] and today in types["events"], types

    r = admin.get("/logs/download", params={"type": "smtp", "session": one})
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == "application/zip"
    assert r.headers["Content-Disposition"].startswith("attachment"), r.headers
    z = zipfile.ZipFile(io.BytesIO(r.content))
    assert z.namelist() == [f"smtp-{today}.log"]
    zipped = z.read(f"smtp-{today}.log").decode().splitlines()
    assert zipped == page["lines"][:len(zipped)] and len(zipped) >= len(page["lines"])
    assert all(f"[{one}]" in line for line in zipped)

    roles = two_domains(admin)
    for path in ("/logs?type=smtp", "/logs/types", "/logs/download?type=smtp"):
        refused(roles, "GET", path)


# ---------------------------------------------------------------- messages


def imap_subjects(heron, user, password):
    m = eventually(lambda: imap_client(heron, user=user, password=password), 10,
                   what=f"IMAP login {user}")
    try:
        m.select("INBOX")
        typ, data = m.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT FROM)])")
        assert typ == "OK", data
        return b"".join(part[1] for part in data if isinstance(part, tuple))
    finally:
        m.logout()


def test_messages(admin):
    heron = admin.heron
    da, user, anon = two_domains(admin)
    msg = {"to": "domain", "domain": "a.test", "subject": "Maintenance tonight",
           "body": "The server restarts at 22:00.\nSorry for the trouble."}
    r = admin.post("/messages", msg)
    assert r.status_code == 200 and r.json() == {"delivered": 3}, r.text  # boss, ann, cat
    (got,) = fetch_all(heron, ANN, ANN_PASSWORD)
    assert b"Subject: Maintenance tonight\r\n" in got and b"postmaster@a.test" in got, got
    assert b"The server restarts at 22:00.\r\nSorry for the trouble." in got, got
    assert b"Message-ID: <" in got and b"\r\nDate: " in got, got
    seen = imap_subjects(heron, CAT, CAT_PASSWORD)
    assert b"Maintenance tonight" in seen and b"postmaster@a.test" in seen, seen
    assert fetch_all(heron, BOB, BOB_PASSWORD) == []

    r = admin.post("/messages", {"to": "user", "user": "Bob@B.test", "subject": "Hi Bob",
                                 "body": "Just you."})
    assert r.status_code == 200 and r.json() == {"delivered": 1}, r.text
    (got,) = fetch_all(heron, BOB, BOB_PASSWORD)
    assert b"Subject: Hi Bob" in got and b"To: <bob@b.test>" in got, got
    r = admin.post("/messages", {"to": "all", "subject": "Everyone", "body": "x"})
    assert r.json() == {"delivered": 5}, r.text  # alice, boss, ann, cat, bob
    assert len(fetch_all(heron)) == 1
    r = admin.post("/messages", {"to": "domain-admins", "subject": "Admins", "body": "x"})
    assert r.json() == {"delivered": 1}, r.text

    # Validation.
    base = {"subject": "s", "body": "b"}
    for body, status, field in [({"to": "everyone"}, 422, "to"),
                                ({"to": "domain"}, 422, "domain"),
                                ({"to": "domain", "domain": "not a domain"}, 422, "domain"),
                                ({"to": "user"}, 422, "user"),
                                ({"to": "user", "user": "nobody"}, 422, "user"),
                                ({"to": "all", "subject": " "}, 422, "subject"),
                                ({"to": "all", "subject": "a\r\nBcc: x@y.test"}, 422, "subject"),
                                ({"to": "all", "body": ""}, 422, "body"),
                                ({"to": "domain", "domain": "none.test"}, 404, None),
                                ({"to": "user", "user": "ghost@a.test"}, 404, None)]:
        error_of(admin.post("/messages", {**base, **body}), status, field)
    error_of(admin.post("/messages", {"to": "all"}), 400)

    # A domain administrator: their own domain's users only.
    r = da.post("/messages", {**base, "to": "domain", "domain": "a.test"})
    assert r.status_code == 200 and r.json() == {"delivered": 3}, r.text
    r = da.post("/messages", {**base, "to": "user", "user": ANN})
    assert r.status_code == 200 and r.json() == {"delivered": 1}, r.text
    for body in ({"to": "domain", "domain": "b.test"}, {"to": "user", "user": BOB},
                 {"to": "user", "user": "ghost@b.test"}, {"to": "all"},
                 {"to": "domain-admins"}):
        error_of(da.post("/messages", {**base, **body}), 403)
    error_of(user.post("/messages", {**base, "to": "user", "user": ANN}), 403)
    error_of(anon.post("/messages", {**base, "to": "all"}), 401)
    assert len(fetch_all(heron, BOB, BOB_PASSWORD)) == 2


# ---------------------------------------------------------------- domain aliases


def test_domain_aliases(admin):
    heron = admin.heron
    roles = two_domains(admin)
    r = admin.post("/domains/a.test/domain-aliases", {"alias": "Alias-A.test"})
    assert r.status_code == 201 and r.json() == {"alias": "alias-a.test", "domain": "a.test"}, r.text
    assert admin.get("/domains/a.test/domain-aliases").json() == [r.json()]
    assert admin.get("/domains/a.test").json()["domain_aliases"] == ["alias-a.test"]
    error_of(admin.post("/domains/a.test/domain-aliases", {"alias": "alias-a.test"}), 409, "alias")
    error_of(admin.post("/domains/a.test/domain-aliases", {"alias": "b.test"}), 409, "alias")
    error_of(admin.post("/domains/a.test/domain-aliases", {"alias": "not a domain"}), 422, "alias")
    error_of(admin.post("/domains/none.test/domain-aliases", {"alias": "x.test"}), 404)
    error_of(admin.get("/domains/none.test/domain-aliases"), 404)
    error_of(admin.post("/domains/a.test/domain-aliases", {}), 400)

    # Mail to the alias reaches the domain's mailbox.
    s = eventually(lambda: smtp_raw(heron), 10, what="SMTP greeting")
    s.ehlo()
    assert s.cmd(b"MAIL FROM:<someone@remote.test>")[0] == 250
    assert s.cmd(b"RCPT TO:<ann@alias-a.test>")[0] == 250
    assert s.cmd(b"DATA")[0] == 354
    assert s.cmd(b"Subject: via alias\r\n\r\nhello\r\n.")[0] == 250
    s.cmd(b"QUIT")
    (got,) = fetch_all(heron, ANN, ANN_PASSWORD)
    assert b"Subject: via alias" in got

    # Changing a domain is the system administrator's, also for its domain administrator.
    for method, path in [("GET", "/domains/a.test/domain-aliases"),
                         ("POST", "/domains/a.test/domain-aliases"),
                         ("GET", "/domains/b.test/domain-aliases"),
                         ("POST", "/domains/b.test/domain-aliases"),
                         ("DELETE", "/domain-aliases/alias-a.test"),
                         ("DELETE", "/domain-aliases/unknown.test")]:
        refused(roles, method, path, json={"alias": "c.test"})
    assert admin.delete("/domain-aliases/Alias-A.test").status_code == 204
    error_of(admin.delete("/domain-aliases/alias-a.test"), 404)
    assert admin.get("/domains/a.test/domain-aliases").json() == []


# ---------------------------------------------------------------- DKIM


def test_dkim(admin):
    heron = admin.heron
    roles = two_domains(admin)
    error_of(admin.get("/domains/a.test/dkim"), 404)
    r = admin.post("/domains/a.test/dkim", {"selector": "S1", "algorithm": "ed25519"})
    assert r.status_code == 201, r.text
    key = r.json()
    assert key["domain"] == "a.test" and key["selector"] == "s1" and key["algorithm"] == "ed25519"
    assert key["record_name"] == "s1._domainkey.a.test."
    assert key["record_value"].startswith("v=DKIM1; k=ed25519; p="), key
    assert "PRIVATE" not in r.text and "private" not in r.text, r.text
    assert admin.get("/domains/a.test/dkim").json() == key
    shown = heron.cli("dkim", "show", "a.test").stdout
    assert key["record_name"] in shown and key["record_value"] in shown, shown

    r = admin.post("/domains/A.test/dkim", {})
    assert r.status_code == 201, r.text
    rsa = r.json()
    assert rsa["selector"] == "heron" and rsa["algorithm"] == "rsa", rsa
    assert rsa["record_value"].startswith("v=DKIM1; k=rsa; p=") and rsa["record_value"] != key["record_value"]
    assert "PRIVATE" not in admin.get("/domains/a.test/dkim").text
    # A zone file takes at most 255 bytes per TXT string: the RSA record comes in pieces.
    strings = re.findall(r'"([^"]*)"', heron.cli("dkim", "show", "a.test").stdout)
    assert len(strings) > 1 and all(len(s) <= 255 for s in strings), strings
    assert "".join(strings) == rsa["record_value"]

    error_of(admin.post("/domains/a.test/dkim", {"selector": "bad selector"}), 422, "selector")
    error_of(admin.post("/domains/a.test/dkim", {"algorithm": "dsa"}), 422, "algorithm")
    error_of(admin.post("/domains/none.test/dkim", {}), 404)
    error_of(admin.get("/domains/none.test/dkim"), 404)
    for method in ("GET", "POST", "DELETE"):
        for d in ("a.test", "b.test"):
            refused(roles, method, f"/domains/{d}/dkim", json={})
    assert admin.delete("/domains/a.test/dkim").status_code == 204
    error_of(admin.get("/domains/a.test/dkim"), 404)
    error_of(admin.delete("/domains/a.test/dkim"), 404)
    assert heron.cli("dkim", "show", "a.test", check=False).returncode != 0


# ---------------------------------------------------------------- listeners


def test_listeners(admin):
    heron = admin.heron
    listeners = admin.get("/listeners").json()
    pop = {"protocol": "pop3", "encryption": "starttls", "address": f"{HOST}:{heron.pop3_port}"}
    assert pop in listeners, listeners
    assert {"protocol": "imap", "encryption": "tls",
            "address": f"{HOST}:{heron.imaps_port}"} in listeners, listeners

    port = free_port()
    new = [dict(entry, address=f"{HOST}:{port}") if entry == pop else entry for entry in listeners]
    r = admin.put("/listeners", new)
    assert r.status_code == 200 and r.json() == new, r.text
    value = admin.get("/settings/bind.listeners").json()["value"]
    assert value == ", ".join(f"{e['protocol']} {e['encryption']} {e['address']}" for e in new)

    def greets_on_new_port():
        with socket.create_connection((HOST, port), timeout=2) as s:
            return s.recv(100).startswith(b"+OK")
    eventually(greets_on_new_port, 10, what="POP3 on the new port")
    p = heron.pop(port=port)
    p.user(USER)
    p.pass_(PASSWORD)
    assert p.stat()[0] == 0
    p.quit()
    eventually(lambda: pop3_refuses(heron), 10, what="old POP3 port closed")

    ok = {"protocol": "smtp", "encryption": "none", "address": f"{HOST}:{free_port()}"}
    for body, field in [([ok, dict(ok, protocol="gopher")], "listeners[1].protocol"),
                        # Named protocols this version does not serve are refused too.
                        ([ok, dict(ok, protocol="ldap")], "listeners[1].protocol"),
                        ([dict(ok, protocol="xmpp")], "listeners[0].protocol"),
                        ([dict(ok, encryption="ssl3")], "listeners[0].encryption"),
                        ([ok, ok], "listeners[1].address"),
                        ([ok, dict(ok, address="nowhere")], "listeners[1].address"),
                        ([dict(ok, address="127.0.0.1")], "listeners[0].address"),
                        ([dict(ok, cert="/tmp/c.pem")], "listeners[0].key"),
                        ([], "listeners")]:
        error_of(admin.put("/listeners", body), 422, field)
    error_of(admin.put("/listeners", {"protocol": "pop3"}), 400)
    assert admin.get("/listeners").json() == new

    roles = two_domains(admin)
    refused(roles, "GET", "/listeners")
    refused(roles, "PUT", "/listeners", json=new)
