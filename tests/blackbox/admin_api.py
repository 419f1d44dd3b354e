"""Helpers for the admin HTTP API tests: a small `requests` client that keeps the session
cookie and sends the CSRF token, and a fixture with the administrator logged in (default
password already changed)."""

import pytest
import requests

from conftest import eventually

ADMIN_PASSWORD = "Heron2Keeper"


class Api:
    """One client of the admin API; `csrf` is sent on state-changing requests when set."""

    def __init__(self, heron, token=None):
        self.heron = heron
        self.base = f"http://127.0.0.1:{heron.admin_port}/api/v1"
        self.http = requests.Session()
        self.csrf = None
        self.token = token

    def request(self, method, path, json=None, csrf=True, headers=None, **kw):
        h = dict(headers or {})
        if csrf and self.csrf and method in ("POST", "PUT", "PATCH", "DELETE"):
            h.setdefault("X-CSRF-Token", self.csrf)
        if self.token:
            h.setdefault("Authorization", f"Bearer {self.token}")
        return self.http.request(method, self.base + path, json=json, headers=h, timeout=30, **kw)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, json=None, **kw):
        return self.request("POST", path, json=json, **kw)

    def put(self, path, json=None, **kw):
        return self.request("PUT", path, json=json, **kw)

    def patch(self, path, json=None, **kw):
        return self.request("PATCH", path, json=json, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def login(self, username, password, remember=False):
        r = self.post("/session", {"username": username, "password": password,
                                   "remember": remember}, csrf=False)
        if r.status_code == 200:
            self.csrf = r.json()["csrf_token"]
        return r


def wait_for_api(heron):
    """Wait until the admin listener answers."""
    def up():
        return requests.get(f"http://127.0.0.1:{heron.admin_port}/api/v1/openapi.json",
                            timeout=2).status_code == 200
    eventually(up, 15, what="admin API answers")


def error_of(r, status, field=None):
    """Assert an error answer's status, JSON shape and field; return its message."""
    assert r.status_code == status, (r.status_code, r.text)
    body = r.json()
    assert isinstance(body.get("error"), str) and body["error"], body
    assert body.get("field") == field, body
    return body["error"]


def logged_in(heron, username, password):
    """An Api logged in as `username`."""
    api = Api(heron)
    r = api.login(username, password)
    assert r.status_code == 200, r.text
    return api


def logged_in_admin(heron):
    """An Api logged in as the system administrator after the first-login password change."""
    api = Api(heron)
    r = api.login("admin", "admin")
    assert r.status_code == 200, r.text
    r = api.post("/password", {"current": "admin", "new": ADMIN_PASSWORD})
    assert r.status_code == 204, r.text
    return api


@pytest.fixture
def admin(server):
    """A running server (with alice@example.test) and the administrator logged in."""
    wait_for_api(server)
    return logged_in_admin(server)
