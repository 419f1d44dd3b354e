"""Admin API authentication: sessions, the first-login password change, rate limiting (kept
across a restart), CSRF, bearer tokens, and the OpenAPI document."""

import json
import socket

import requests
from openapi_spec_validator import validate

from admin_api import ADMIN_PASSWORD, Api, admin, error_of, wait_for_api  # noqa: F401
from conftest import PASSWORD, USER


def test_first_login_must_change_password(server):
    wait_for_api(server)
    api = Api(server)
    r = api.login("admin", "admin")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["role"] == "system-admin" and body["username"] == "admin"
    assert body["must_change_password"] is True and len(body["csrf_token"]) >= 32
    cookie = r.headers["Set-Cookie"]
    assert cookie.startswith("heron_session=") and "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie and "Path=/" in cookie
    assert len(cookie.split(";")[0].split("=", 1)[1]) == 64  # 256 bits, hex
    # Everything but the password change and logout is refused until then.
    for method, path in [("GET", "/domains"), ("GET", "/me"), ("GET", "/settings"),
                         ("GET", "/spool"), ("POST", "/domains")]:
        r = api.request(method, path, json={"name": "x.test"})
        assert "must change" in error_of(r, 403), (method, path)
    # The policy is checked (SEC-9), naming the field.
    msg = error_of(api.post("/password", {"current": "admin", "new": "short"}), 422, "new")
    assert "at least 8" in msg, msg
    error_of(api.post("/password", {"current": "admin", "new": "admin"}), 422, "new")
    error_of(api.post("/password", {"current": "wrong", "new": ADMIN_PASSWORD}), 422, "current")
    assert api.post("/password", {"current": "admin", "new": ADMIN_PASSWORD}).status_code == 204
    r = api.get("/me")
    assert r.status_code == 200 and r.json()["must_change_password"] is False, r.text
    assert api.get("/domains").status_code == 200
    # The old password no longer works, the new one does.
    error_of(Api(server).login("admin", "admin"), 401)
    again = Api(server).login("admin", ADMIN_PASSWORD)
    assert again.status_code == 200 and again.json()["must_change_password"] is False


def test_login_logout_and_wrong_credentials(admin):
    me = admin.get("/me").json()
    assert me == {"username": "admin", "role": "system-admin", "must_change_password": False}
    # Unknown user and bad password look the same.
    a = error_of(Api(admin.heron).login("admin", "nope"), 401)
    b = error_of(Api(admin.heron).login("nobody@example.test", "nope"), 401)
    c = error_of(Api(admin.heron).login(USER, "nope"), 401)
    assert a == b == c
    assert admin.delete("/session").status_code == 204
    error_of(admin.get("/me"), 401)
    error_of(Api(admin.heron).get("/domains"), 401)
    # A made-up cookie is no session.
    forged = Api(admin.heron)
    forged.http.cookies.set("heron_session", "0" * 64)
    error_of(forged.get("/me"), 401)


def test_remember_me_cookie_lasts(admin):
    r = Api(admin.heron).login("admin", ADMIN_PASSWORD, remember=True)
    assert r.status_code == 200
    assert "Max-Age=2592000" in r.headers["Set-Cookie"], r.headers["Set-Cookie"]


def test_a_restart_keeps_the_session(admin):
    """Sessions live in the store: the same cookie and CSRF token work after a restart, and a
    logout ends the session for good."""
    heron = admin.heron
    assert heron.stop() == 0
    heron.start()
    wait_for_api(heron)
    assert admin.get("/me").json()["username"] == "admin"
    r = admin.put("/settings/pop.banner", {"value": "after a restart"})
    assert r.status_code == 200, r.text
    assert admin.delete("/session").status_code == 204
    assert heron.stop() == 0
    heron.start()
    wait_for_api(heron)
    error_of(admin.get("/me"), 401)


def test_login_rate_limit(server):
    wait_for_api(server)
    api = Api(server)
    for _ in range(5):
        error_of(api.login("admin", "wrong"), 401)
    r = api.login("admin", "admin")
    msg = error_of(r, 429)
    assert "too many" in msg and int(r.headers["Retry-After"]) > 800, (msg, r.headers)
    # Still blocked, whatever the credentials.
    error_of(api.login(USER, PASSWORD), 429)


def test_login_block_survives_a_restart(server):
    """The failures and the block are kept in the store: four failures before a restart and
    one after it block the address, and the block holds across another restart."""
    wait_for_api(server)
    for _ in range(4):
        error_of(Api(server).login("admin", "wrong"), 401)
    assert server.stop() == 0
    server.start()
    wait_for_api(server)
    error_of(Api(server).login("admin", "wrong"), 401)
    error_of(Api(server).login("admin", "admin"), 429)
    assert server.stop() == 0
    server.start()
    wait_for_api(server)
    r = Api(server).login("admin", "admin")
    msg = error_of(r, 429)
    assert "too many" in msg and int(r.headers["Retry-After"]) > 800, (msg, r.headers)


def test_csrf_token_required_for_changes(admin):
    r = admin.post("/domains", {"name": "csrf.test"}, csrf=False)
    assert "CSRF" in error_of(r, 403)
    r = admin.post("/domains", {"name": "csrf.test"}, headers={"X-CSRF-Token": "0" * 64})
    error_of(r, 403)
    error_of(admin.delete("/session", csrf=False), 403)
    assert admin.get("/domains").status_code == 200, "reads need no token"
    assert admin.post("/domains", {"name": "csrf.test"}).status_code == 201


def test_bearer_tokens(admin):
    r = admin.post("/tokens", {"name": "deploy"})
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["name"] == "deploy" and created["token"].startswith("heron_")
    listed = admin.get("/tokens").json()
    assert [t["name"] for t in listed] == ["deploy"]
    assert "token" not in listed[0] and "hash" not in listed[0]
    bearer = Api(admin.heron, token=created["token"])
    # Acts as the system administrator, without CSRF token or cookie.
    assert bearer.post("/domains", {"name": "bearer.test"}).status_code == 201
    assert bearer.get("/settings").status_code == 200
    # But cannot make more tokens.
    error_of(bearer.post("/tokens", {"name": "more"}), 403)
    error_of(admin.post("/tokens", {"name": " "}), 422, "name")
    error_of(Api(admin.heron, token="heron_" + "0" * 64).get("/domains"), 401)
    error_of(admin.get("/domains", headers={"Authorization": "Basic eDp5"}), 401)
    assert admin.delete(f"/tokens/{created['id']}").status_code == 204
    error_of(bearer.get("/domains"), 401)
    error_of(admin.delete(f"/tokens/{created['id']}"), 404)
    error_of(admin.delete("/tokens/abc"), 400)
    assert admin.get("/tokens").json() == []


def test_user_reaches_only_me_and_password(admin):
    user = Api(admin.heron)
    r = user.login(USER, PASSWORD)
    assert r.status_code == 200, r.text
    assert r.json()["role"] == "user" and r.json()["username"] == USER
    assert user.get("/me").json()["domain"] == "example.test"
    for method, path in [("GET", "/domains"), ("GET", "/domains/example.test"),
                         ("GET", "/domains/example.test/users"), ("GET", f"/users/{USER}"),
                         ("GET", "/settings"), ("GET", "/spool"), ("GET", "/tokens"),
                         ("POST", "/tokens"), ("POST", "/aliases")]:
        error_of(user.request(method, path, json={"name": "x", "address": "x@example.test",
                                                  "targets": ["alice"]}), 403)
    error_of(user.post("/password", {"current": PASSWORD, "new": "nodigits"}), 422, "new")
    assert user.post("/password", {"current": PASSWORD, "new": "Changed99x"}).status_code == 204
    assert Api(admin.heron).login(USER, "Changed99x").status_code == 200
    # A disabled account's session ends at once.
    assert admin.patch(f"/users/{USER}", {"disabled": True}).status_code == 200
    error_of(user.get("/me"), 401)


def test_malformed_requests(admin):
    r = admin.request("POST", "/domains", data=b"{not json",
                      headers={"Content-Type": "application/json"})
    error_of(r, 400)
    error_of(admin.post("/domains", {"nam": "x.test"}), 400)
    error_of(admin.post("/domains", {"name": 5}), 400)
    error_of(admin.get("/no/such/thing"), 404)
    big = {"name": "x" * (2 * 1024 * 1024)}
    assert admin.post("/domains", big).status_code == 413


def test_openapi_document_validates(admin):
    r = requests.get(admin.base + "/openapi.json", timeout=10)
    assert r.status_code == 200
    doc = r.json()
    assert doc["openapi"].startswith("3.")
    validate(json.loads(r.text))
    for p in ["/api/v1/session", "/api/v1/domains", "/api/v1/domains/{name}",
              "/api/v1/domains/{name}/users", "/api/v1/users/{address}", "/api/v1/aliases",
              "/api/v1/settings/{key}", "/api/v1/spool/{id}/priority", "/api/v1/tokens/{id}",
              "/api/v1/me", "/api/v1/password"]:
        assert p in doc["paths"], p
    # Each operation says who may call it.
    ops = [(p, m, o) for p, ms in doc["paths"].items() for m, o in ms.items()]
    assert len(ops) > 40
    for p, m, o in ops:
        assert o.get("x-heron-roles"), (m, p)
        assert "Allowed: " in o.get("description", ""), (m, p)
    roles = {(p, m): o["x-heron-roles"] for p, m, o in ops}
    assert roles[("/api/v1/settings/{key}", "put")] == "system administrator, API token"
    assert "domain administrator (own domain)" in roles[("/api/v1/domains/{name}/users", "get")]


def test_busy_admin_port_leaves_mail_running(heron):
    with socket.socket() as busy:
        busy.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        busy.bind(("127.0.0.1", heron.admin_port))
        busy.listen()
        heron.start()
        heron.add_user()
        p = heron.login()
        assert p.stat()[0] == 0
        p.quit()
        assert "admin API not available" in heron.tail(), heron.tail()
        assert str(heron.admin_port) in heron.tail(), heron.tail()
