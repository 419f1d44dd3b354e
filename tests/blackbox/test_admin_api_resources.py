"""Admin API resources: domains, users, aliases, settings and the spool, with the CLI's
validation; domain administrators confined to their domain; changes reach live services."""

import re

from admin_api import Api, admin, error_of  # noqa: F401
from conftest import PASSWORD, USER, eventually, smtp_raw, submission


def test_domains(admin):
    r = admin.post("/domains", {"name": "New.Test"})
    assert r.status_code == 201, r.text
    assert r.json()["name"] == "new.test" and r.json()["limits"]["max_users"] == 100
    assert "already exists" in error_of(admin.post("/domains", {"name": "new.test"}), 409, "name")
    error_of(admin.post("/domains", {"name": "not a domain"}), 422, "name")
    names = [d["name"] for d in admin.get("/domains").json()]
    assert "new.test" in names and "example.test" in names
    r = admin.patch("/domains/new.test", {"disabled": True, "catch_all": "Postmaster",
                                          "max_users": 3, "require_smtp_auth": True})
    assert r.status_code == 200, r.text
    d = admin.get("/domains/new.test").json()
    assert d["disabled"] is True and d["catch_all"] == "postmaster"
    assert d["require_smtp_auth"] is True and d["limits"]["max_users"] == 3
    assert d["domain_aliases"] == [] and d["disk_used_bytes"] == 0
    # The CLI sees the same record.
    show = admin.heron.cli("domain", "show", "new.test").stdout
    assert "disabled: true" in show and "users 3" in show, show
    error_of(admin.patch("/domains/new.test", {"max_users": -1}), 400)
    error_of(admin.get("/domains/none.test"), 404)
    assert admin.delete("/domains/new.test").status_code == 204
    error_of(admin.delete("/domains/new.test"), 404)


def test_users(admin):
    r = admin.post("/users", {"address": "Carol@Example.Test", "password": "Pelican77x",
                              "quota_mb": 5, "display_name": "Carol"})
    assert r.status_code == 201, r.text
    u = r.json()
    assert u["address"] == "carol@example.test" and u["quota_mb"] == 5 and u["role"] == "user"
    assert "password" not in u and "credentials" not in u
    error_of(admin.post("/users", {"address": "carol@example.test", "password": "Pelican77x"}),
             409, "address")
    msg = error_of(admin.post("/users", {"address": "dave@example.test", "password": "weak"}),
                   422, "password")
    assert "at least 8" in msg, msg
    error_of(admin.post("/users", {"address": "no-at-sign", "password": "Pelican77x"}),
             422, "address")
    error_of(admin.post("/users", {"address": "x@none.test", "password": "Pelican77x"}), 404)
    error_of(admin.post("/users", {"address": "e@example.test", "password": "Pelican77x",
                                   "role": "king"}), 422, "role")
    listed = {u["address"] for u in admin.get("/domains/example.test/users").json()}
    assert listed == {USER, "carol@example.test"}
    r = admin.patch("/users/carol@example.test", {"quota_mb": 7, "role": "domain-admin",
                                                  "password": "Newpass42"})
    assert r.status_code == 200 and r.json()["quota_mb"] == 7, r.text
    assert r.json()["role"] == "domain-admin"
    error_of(admin.patch("/users/carol@example.test", {"password": "carol1234"}), 422, "password")
    assert Api(admin.heron).login("carol@example.test", "Newpass42").status_code == 200
    assert admin.get("/users/carol@example.test").json()["display_name"] == "Carol"
    assert admin.delete("/users/carol@example.test").status_code == 204
    error_of(admin.get("/users/carol@example.test"), 404)
    error_of(admin.delete("/users/carol@example.test"), 404)


def test_aliases(admin):
    r = admin.post("/aliases", {"address": "sales@example.test", "targets": ["alice"]})
    assert r.status_code == 201, r.text
    assert r.json() == {"address": "sales@example.test", "targets": [USER]}
    error_of(admin.post("/aliases", {"address": "sales@example.test", "targets": ["alice"]}),
             409, "address")
    error_of(admin.post("/aliases", {"address": "alice@example.test", "targets": ["x"]}),
             409, "address")
    error_of(admin.post("/aliases", {"address": "s2@example.test", "targets": []}), 422, "targets")
    error_of(admin.post("/aliases", {"address": "s2@example.test", "targets": ["a b@@"]}),
             422, "targets")
    listed = admin.get("/domains/example.test/aliases").json()
    assert listed == [{"address": "sales@example.test", "targets": [USER]}]
    assert admin.delete("/aliases/sales@example.test").status_code == 204
    error_of(admin.delete("/aliases/sales@example.test"), 404)


def test_settings(admin):
    settings = admin.get("/settings").json()
    banner = next(s for s in settings if s["key"] == "smtp_in.banner")
    assert banner["kind"] and banner["doc"] and banner["default"] == banner["value"]
    assert banner["set"] is False
    key = "security.password_min_length"
    cli = admin.heron.cli("settings", "set", key, "lots", check=False)
    assert cli.returncode != 0
    r = admin.put(f"/settings/{key}", {"value": "lots"})
    reason = error_of(r, 422, "value")
    assert reason in cli.stderr, (reason, cli.stderr)
    error_of(admin.put("/settings/no.such.key", {"value": "1"}), 404)
    error_of(admin.get("/settings/no.such.key"), 404)
    r = admin.put(f"/settings/{key}", {"value": "12"})
    assert r.status_code == 200 and r.json()["value"] == "12" and r.json()["set"] is True
    assert admin.heron.cli("settings", "get", key).stdout.strip() == "12"
    r = admin.delete(f"/settings/{key}")
    assert r.status_code == 200 and r.json()["value"] == "8" and r.json()["set"] is False


def test_setting_reaches_live_smtp_service(admin):
    r = admin.put("/settings/smtp_in.banner", {"value": "api-changed banner 7731"})
    assert r.status_code == 200, r.text

    def greeting():
        s = smtp_raw(admin.heron, greet=False)
        try:
            code, text = s.reply()
            return code == 220 and "api-changed banner 7731" in str(text)
        finally:
            s.close()
    eventually(greeting, 10, what="SMTP greeting shows the banner set over the API")


def spooled(admin):
    """One message held in the spool (delivery stopped)."""
    assert admin.put("/settings/spool.enabled", {"value": "false"}).status_code == 200
    s = submission(admin.heron, USER, PASSWORD)
    s.sendmail(USER, ["carol@remote.test"],
               b"From: alice@example.test\r\nSubject: held 42\r\n\r\nbody\r\n")
    s.quit()
    (entry,) = admin.get("/spool").json()
    return entry


def test_spool(admin):
    e = spooled(admin)
    assert e["sender"] == USER and e["priority"] == 5 and e["attempts"] == 0
    assert [r["address"] for r in e["recipients"]] == ["carol@remote.test"]
    one = admin.get(f"/spool/{e['id']}").json()
    assert re.search(r"Subject: held 42", one["headers"]), one
    r = admin.put(f"/spool/{e['id']}/priority", {"priority": 9})
    assert r.status_code == 200 and r.json()["priority"] == 9, r.text
    error_of(admin.put(f"/spool/{e['id']}/priority", {"priority": 11}), 422, "priority")
    error_of(admin.put(f"/spool/{e['id']}/priority", {"priority": 0}), 422, "priority")
    assert admin.post(f"/spool/{e['id']}/force").status_code == 200
    assert admin.post(f"/spool/{e['id']}/reset").json()["attempts"] == 0
    error_of(admin.get("/spool/999999"), 404)
    error_of(admin.get("/spool/abc"), 400)
    error_of(admin.post("/spool/999999/force"), 404)
    assert admin.delete(f"/spool/{e['id']}").status_code == 204
    assert admin.get("/spool").json() == []
    error_of(admin.delete(f"/spool/{e['id']}"), 404)


def test_domain_admin_is_confined_to_their_domain(admin):
    for d in ("a.test", "b.test"):
        assert admin.post("/domains", {"name": d}).status_code == 201
    assert admin.post("/users", {"address": "boss@a.test", "password": "Falcon88x",
                                 "role": "domain-admin"}).status_code == 201
    assert admin.post("/users", {"address": "bob@b.test", "password": "Plover66x"}).status_code == 201
    da = Api(admin.heron)
    r = da.login("boss@a.test", "Falcon88x")
    assert r.status_code == 200 and r.json()["role"] == "domain-admin", r.text
    # Their own domain's accounts.
    assert da.get("/domains/a.test").status_code == 200
    r = da.post("/users", {"address": "ann@a.test", "password": "Osprey55x"})
    assert r.status_code == 201, r.text
    assert da.patch("/users/ann@a.test", {"quota_mb": 3}).status_code == 200
    assert da.post("/aliases", {"address": "info@a.test", "targets": ["ann"]}).status_code == 201
    assert {u["address"] for u in da.get("/domains/a.test/users").json()} == {"boss@a.test",
                                                                            "ann@a.test"}
    assert da.get("/domains/a.test/aliases").status_code == 200
    # Not roles, not the domain's own settings.
    error_of(da.patch("/users/ann@a.test", {"role": "domain-admin"}), 403)
    error_of(da.patch("/domains/a.test", {"max_users": 1000}), 403)
    # Nothing of b.test, existing or not, and nothing server-wide.
    for method, path in [("GET", "/domains/b.test"), ("GET", "/domains/b.test/users"),
                         ("GET", "/domains/b.test/aliases"), ("GET", "/users/bob@b.test"),
                         ("PATCH", "/users/bob@b.test"), ("DELETE", "/users/bob@b.test"),
                         ("GET", "/users/ghost@b.test"), ("POST", "/users"),
                         ("POST", "/aliases"), ("DELETE", "/aliases/x@b.test"),
                         ("DELETE", "/domains/b.test"), ("GET", "/domains"),
                         ("POST", "/domains"), ("GET", "/settings"),
                         ("PUT", "/settings/smtp_in.banner"), ("GET", "/spool"),
                         ("DELETE", "/spool/1"), ("GET", "/tokens"), ("POST", "/tokens")]:
        body = {"address": "eve@b.test", "password": "Evelyn123x", "targets": ["bob"],
                "name": "b.test", "value": "x", "disabled": True}
        error_of(da.request(method, path, json=body), 403)
    assert admin.get("/users/bob@b.test").json()["disabled"] is False


def test_lists_page_and_search(admin):
    for name in ("zz.test", "aa.test", "mm.test"):
        assert admin.post("/domains", {"name": name}).status_code == 201
    r = admin.get("/domains", params={"limit": 2, "offset": 1})
    assert r.status_code == 200 and r.headers["X-Total-Count"] == "4", r.headers
    assert [d["name"] for d in r.json()] == ["example.test", "mm.test"]
    r = admin.get("/domains", params={"q": "MM"})
    assert [d["name"] for d in r.json()] == ["mm.test"] and r.headers["X-Total-Count"] == "1"
    for i in range(3):
        admin.heron.add_user(f"page{i}@example.test", "Kestrel42x")
    r = admin.get("/domains/example.test/users", params={"q": "page", "limit": 2})
    assert [u["address"] for u in r.json()] == ["page0@example.test", "page1@example.test"]
    assert r.headers["X-Total-Count"] == "3"
    r = admin.get("/domains/example.test/users")
    assert len(r.json()) == 4 and r.headers["X-Total-Count"] == "4"
    error_of(admin.get("/domains", params={"limit": "lots"}), 422, "limit")
    error_of(admin.get("/domains/example.test/users", params={"offset": "-3"}), 422, "offset")
    error_of(admin.get("/domains", params={"limit": 10001}), 422, "limit")
