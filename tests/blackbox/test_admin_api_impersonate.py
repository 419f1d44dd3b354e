"""DOM-13 impersonation over the admin API: the system administrator acts as a user or domain
administrator, sees what they see, every change is logged as "admin as ADDRESS", and the way
back resumes the administrator's own session."""

from admin_api import Api, admin, error_of  # noqa: F401
from conftest import PASSWORD, USER, eventually


def test_admin_acts_as_a_user_and_returns(admin):
    own_csrf = admin.csrf
    r = admin.post("/impersonate", {"username": USER.upper()})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["username"] == USER and body["role"] == "user"
    admin.csrf = body["csrf_token"]
    me = admin.get("/me").json()
    assert me["username"] == USER and me["role"] == "user", me
    assert me["impersonated_by"] == "admin", me
    # Only what the user may do.
    error_of(admin.get("/domains"), 403)
    error_of(admin.post("/impersonate", {"username": USER}), 403)
    # A change made meanwhile is the user's, logged with who really made it.
    assert admin.post("/password", {"current": PASSWORD, "new": "Acted99x"}).status_code == 204
    assert admin.delete("/impersonate").status_code == 204
    admin.csrf = own_csrf
    me = admin.get("/me").json()
    assert me["username"] == "admin" and "impersonated_by" not in me, me
    assert admin.get("/domains").status_code == 200
    error_of(admin.delete("/impersonate"), 409)

    def logged():
        lines = admin.get("/logs", params={"type": "events", "q": "admin as"}).json()["lines"]
        return any(f"admin as {USER}" in l and "changed own password" in l for l in lines) \
            and any(f"impersonates {USER}" in l for l in admin.get(
                "/logs", params={"type": "events", "q": "impersonates"}).json()["lines"])
    eventually(logged, 10, what="the impersonation and its change in the events log")


def test_who_may_impersonate_whom(admin):
    admin.heron.add_user("boss@example.test", "Chief-pass-77")
    assert admin.patch("/users/boss@example.test", {"role": "domain-admin"}).status_code == 200
    boss = Api(admin.heron)
    assert boss.login("boss@example.test", "Chief-pass-77").status_code == 200
    error_of(boss.post("/impersonate", {"username": USER}), 403)
    token = admin.post("/tokens", {"name": "t"}).json()["token"]
    error_of(Api(admin.heron, token=token).post("/impersonate", {"username": USER}), 403)
    error_of(admin.post("/impersonate", {"username": "nobody@example.test"}), 404)
    error_of(admin.post("/impersonate", {"username": "not an address"}), 422, "username")
    assert admin.post("/impersonate", {"name": USER}).status_code in (400, 422)
    assert admin.patch(f"/users/{USER}", {"disabled": True}).status_code == 200
    error_of(admin.post("/impersonate", {"username": USER}), 404)
    # A domain administrator can be impersonated and sees their own domain only.
    r = admin.post("/impersonate", {"username": "boss@example.test"})
    assert r.status_code == 200 and r.json()["role"] == "domain-admin", r.text
    assert admin.get("/domains/example.test/users").status_code == 200
    error_of(admin.get("/settings"), 403)
