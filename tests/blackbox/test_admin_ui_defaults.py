"""The domain defaults page (DOM-12) in a real browser (headless Chromium through
Playwright): change a default, propagate that one field, then check through the API that
every domain got it and nothing else changed."""

from admin_api import ADMIN_PASSWORD, Api, admin  # noqa: F401
from browser import run_ui
from conftest import PASSWORD, USER


def test_propagate_one_default_from_the_page(admin):
    for name in ("one.test", "two.test"):
        assert admin.post("/domains", {"name": name}).status_code == 201
    r = admin.patch("/domains/two.test", {"max_recipients": 7, "max_users": 9})
    assert r.status_code == 200, r.text
    before = {d["name"]: d for d in admin.get("/domains").json()}
    assert len(before) == 3, before

    out = run_ui(admin.heron, "propagate", "propagate", admin_password=ADMIN_PASSWORD,
                 value="33", field="max_recipients")
    assert out["saves"] == 1, out
    assert "lots" in out["bad"] or "number" in out["bad"], out
    assert out["saved"] == "Saved.", out
    # Both fields of the one form were stored by the one Save.
    assert admin.get("/settings/domain_defaults.max_users").json()["value"] == "150"
    assert "max_recipients" in out["empty_error"], out
    assert out["done"] == "Done: 3 domains changed.", out

    s = admin.get("/settings/domain_defaults.max_recipients").json()
    assert s["value"] == "33" and s["set"] is True, s
    after = {d["name"]: d for d in admin.get("/domains").json()}
    assert after.keys() == before.keys()
    for name, d in after.items():
        assert d["limits"]["max_recipients"] == 33, (name, d)
        want = dict(before[name]["limits"], max_recipients=33)
        assert d["limits"] == want, (name, d)
        assert d["require_smtp_auth"] == before[name]["require_smtp_auth"]
    assert after["two.test"]["limits"]["max_users"] == 9
    # A domain created afterwards takes the new default too.
    r = admin.post("/domains", {"name": "three.test"})
    assert r.status_code == 201 and r.json()["limits"]["max_recipients"] == 33, r.text
    assert r.json()["limits"]["max_users"] == 150, r.text


def test_only_the_system_administrator_sees_the_page(admin):
    base = f"http://127.0.0.1:{admin.heron.admin_port}"
    get = lambda api, path: api.http.get(base + path, allow_redirects=False, timeout=30)  # noqa: E731
    r = get(admin, "/domain-defaults")
    assert r.status_code == 200, r.status_code
    assert 'href="/domain-defaults"' in r.text and 'data-default="max_users"' in r.text
    assert r.text.count('data-json="checked-list"') == 8
    assert admin.post("/users", {"address": "boss@example.test", "password": "Falcon88x",
                                 "role": "domain-admin"}).status_code == 201
    for who, password, home in (("boss@example.test", "Falcon88x", "/domains/example.test"),
                                (USER, PASSWORD, "/password")):
        api = Api(admin.heron)
        assert api.login(who, password).status_code == 200
        r = get(api, "/domain-defaults")
        assert r.status_code == 403 and "Not permitted" in r.text, (who, r.status_code)
        r = get(api, home)
        assert r.status_code == 200 and 'href="/password"' in r.text, (who, r.status_code)
        assert 'href="/domain-defaults"' not in r.text, who


def test_api_changes_several_defaults_or_none(admin):
    from admin_api import error_of
    msg = error_of(admin.put("/domain-defaults", {"max_users": 7, "disk_mb": "plenty"}),
                   422, "disk_mb")
    assert "plenty" in msg or "number" in msg, msg
    assert admin.get("/settings/domain_defaults.max_users").json()["set"] is False
    error_of(admin.put("/domain-defaults", {"quota": 1}), 400)
    r = admin.put("/domain-defaults", {"max_users": 7, "require_smtp_auth": True,
                                       "max_recipients": 200})
    assert r.status_code == 200, r.text
    # max_recipients is already 200: only what changed is listed.
    assert r.json() == {"changed": ["domain_defaults.max_users",
                                    "domain_defaults.require_smtp_auth"]}, r.text
    r = admin.post("/domains", {"name": "fresh.test"})
    assert r.json()["limits"]["max_users"] == 7 and r.json()["require_smtp_auth"] is True
