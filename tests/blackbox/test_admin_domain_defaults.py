"""Domain defaults (DOM-12) over the admin API: the `domain_defaults.*` settings give new
domains their limits, and POST /api/v1/domain-defaults/propagate sets chosen fields of every
existing domain to the defaults, leaving the other fields alone."""

from admin_api import Api, admin, error_of  # noqa: F401
from conftest import PASSWORD, USER, eventually

PROPAGATE = "/domain-defaults/propagate"
BUILT_IN = {"disk_mb": 500, "max_users": 100, "max_aliases": 1000, "max_domain_aliases": 2,
            "max_message_kb": 10000, "max_recipients": 200, "max_pop_accounts": 10}


def limits(admin, name):
    r = admin.get(f"/domains/{name}")
    assert r.status_code == 200, r.text
    return r.json()["limits"]


def set_default(admin, field, value):
    r = admin.put(f"/settings/domain_defaults.{field}", {"value": value})
    assert r.status_code == 200, r.text
    return r.json()


def test_new_domains_take_the_defaults(admin):
    # Untouched defaults are the built-in DOM-4 limits.
    r = admin.post("/domains", {"name": "before.test"})
    assert r.status_code == 201, r.text
    assert r.json()["limits"] == BUILT_IN and r.json()["require_smtp_auth"] is False

    s = set_default(admin, "max_users", "7")
    assert s["value"] == "7" and s["default"] == "100" and s["set"] is True
    set_default(admin, "require_smtp_auth", "true")
    r = admin.post("/domains", {"name": "after.test"})
    assert r.status_code == 201, r.text
    assert r.json()["limits"] == dict(BUILT_IN, max_users=7), r.json()
    assert r.json()["require_smtp_auth"] is True
    d = admin.get("/domains/after.test").json()
    assert d["limits"]["max_users"] == 7 and d["require_smtp_auth"] is True
    # The CLI creates domains through the same rule.
    admin.heron.cli("domain", "add", "cli.test")
    assert limits(admin, "cli.test")["max_users"] == 7
    # Existing domains keep what they had.
    assert limits(admin, "before.test")["max_users"] == 100
    assert limits(admin, "example.test")["max_users"] == 100
    # A default must fit the domain record.
    error_of(admin.put("/settings/domain_defaults.max_users", {"value": "4294967296"}),
             422, "value")
    error_of(admin.put("/settings/domain_defaults.max_users", {"value": "many"}), 422, "value")


def test_propagate_changes_only_the_chosen_field(admin):
    for name in ("one.test", "two.test"):
        assert admin.post("/domains", {"name": name}).status_code == 201
    r = admin.patch("/domains/two.test", {"max_aliases": 5, "disk_mb": 42})
    assert r.status_code == 200, r.text
    set_default(admin, "max_users", "3")
    set_default(admin, "max_aliases", "9")
    names = [d["name"] for d in admin.get("/domains").json()]
    assert set(names) == {"example.test", "one.test", "two.test"}, names

    r = admin.post(PROPAGATE, {"fields": ["max_users"]})
    assert r.status_code == 200, r.text
    assert r.json() == {"domains": len(names)}
    for name in names:
        got = limits(admin, name)
        want = dict(BUILT_IN, max_users=3)
        if name == "two.test":
            want.update(max_aliases=5, disk_mb=42)
        assert got == want, (name, got)

    # Nothing left to change: none counted.
    assert admin.post(PROPAGATE, {"fields": ["max_users"]}).json() == {"domains": 0}
    # Duplicates count once; only two.test differs from the disk default.
    r = admin.post(PROPAGATE, {"fields": ["disk_mb", "disk_mb"]})
    assert r.json() == {"domains": 1}, r.text
    assert limits(admin, "two.test") == dict(BUILT_IN, max_users=3, max_aliases=5)

    def logged():
        lines = admin.get("/logs", params={"type": "events", "limit": 2000}).json()["lines"]
        return any("propagated domain defaults (max_users) to 3 domains" in l
                   and "admin admin" in l for l in lines)
    eventually(logged, 10, what="the propagation in the events log")


def test_bad_field_lists_are_refused_and_change_nothing(admin):
    set_default(admin, "max_users", "3")
    msg = error_of(admin.post(PROPAGATE, {"fields": []}), 422, "fields")
    assert "max_users" in msg, msg
    msg = error_of(admin.post(PROPAGATE, {"fields": ["max_users", "quota"]}), 422, "fields")
    assert "quota" in msg, msg
    error_of(admin.post(PROPAGATE, {"fields": ["MAX_USERS"]}), 422, "fields")
    error_of(admin.post(PROPAGATE, {"fields": "max_users"}), 400)
    error_of(admin.post(PROPAGATE, {}), 400)
    assert limits(admin, "example.test")["max_users"] == 100


def test_only_the_system_administrator_may_propagate(admin):
    assert admin.post("/domains", {"name": "a.test"}).status_code == 201
    assert admin.post("/users", {"address": "boss@a.test", "password": "Falcon88x",
                                 "role": "domain-admin"}).status_code == 201
    set_default(admin, "max_users", "3")
    da = Api(admin.heron)
    r = da.login("boss@a.test", "Falcon88x")
    assert r.status_code == 200 and r.json()["role"] == "domain-admin", r.text
    error_of(da.post(PROPAGATE, {"fields": ["max_users"]}), 403)
    error_of(da.put("/settings/domain_defaults.max_users", {"value": "1"}), 403)
    user = Api(admin.heron)
    assert user.login(USER, PASSWORD).status_code == 200
    error_of(user.post(PROPAGATE, {"fields": ["max_users"]}), 403)
    error_of(Api(admin.heron).post(PROPAGATE, {"fields": ["max_users"]}), 401)
    assert limits(admin, "a.test")["max_users"] == 100
    assert admin.get("/settings/domain_defaults.max_users").json()["value"] == "3"


def test_a_domain_called_propagate_stays_reachable(admin):
    # The propagate route lives outside /domains/, so it shadows no domain name.
    assert admin.post("/domains", {"name": "propagate"}).status_code == 201
    assert admin.get("/domains/propagate").json()["name"] == "propagate"
    assert admin.patch("/domains/propagate", {"max_users": 4}).status_code == 200
    assert admin.delete("/domains/propagate").status_code == 204
