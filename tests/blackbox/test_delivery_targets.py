"""Alias and catch-all targets are checked where they are entered, in the CLI and the API
alike: a target must be an address (or a local part of the alias's domain), and a target in a
domain hosted here must be something that receives mail, so no alias accepts mail that then
goes nowhere."""

from admin_api import admin, error_of  # noqa: F401
from conftest import USER

LOCAL, DOMAIN = USER.split("@")


def test_cli_refuses_targets_that_do_not_exist(server):
    r = server.cli("alias", "add", f"sales@{DOMAIN}", f"nobody@{DOMAIN}", check=False)
    assert r.returncode != 0
    assert f"target nobody@{DOMAIN} does not exist" in r.stderr, r.stderr
    r = server.cli("alias", "add", f"sales@{DOMAIN}", "not an address", check=False)
    assert r.returncode != 0 and "not an address" in r.stderr, r.stderr
    r = server.cli("alias", "add", f"sales@{DOMAIN}", f"sales@{DOMAIN}", check=False)
    assert r.returncode != 0 and "cannot deliver to itself" in r.stderr, r.stderr
    # Nothing was made by the refused commands.
    assert "sales@" not in server.cli("alias", "list", DOMAIN).stdout

    # A local user, a sub-address of one, postmaster and a remote address are all targets.
    server.cli("alias", "add", f"sales@{DOMAIN}", LOCAL, f"{LOCAL}+sales@{DOMAIN}",
               f"postmaster@{DOMAIN}", "someone@remote.test")
    listed = server.cli("alias", "list", DOMAIN).stdout
    assert f"sales@{DOMAIN}" in listed and "someone@remote.test" in listed, listed
    # An alias is a target once it exists.
    server.cli("alias", "add", f"team@{DOMAIN}", f"sales@{DOMAIN}")

    r = server.cli("domain", "set", DOMAIN, "--catch-all", "nobody", check=False)
    assert r.returncode != 0
    assert f"target nobody@{DOMAIN} does not exist" in r.stderr, r.stderr
    server.cli("domain", "set", DOMAIN, "--catch-all", "team")
    assert "team" in server.cli("domain", "show", DOMAIN).stdout


def test_api_refuses_targets_that_do_not_exist(admin):
    msg = error_of(admin.post("/aliases", {"address": f"sales@{DOMAIN}",
                                           "targets": [LOCAL, f"ghost@{DOMAIN}"]}),
                   422, "targets")
    assert f"ghost@{DOMAIN} does not exist" in msg, msg
    assert admin.get(f"/domains/{DOMAIN}/aliases").json() == []
    r = admin.post("/aliases", {"address": f"sales@{DOMAIN}",
                                "targets": [LOCAL, "far@remote.test"]})
    assert r.status_code == 201, r.text
    assert r.json()["targets"] == [USER, "far@remote.test"]

    msg = error_of(admin.patch(f"/domains/{DOMAIN}", {"catch_all": f"ghost@{DOMAIN}"}),
                   422, "catch_all")
    assert "does not exist" in msg, msg
    assert admin.get(f"/domains/{DOMAIN}").json()["catch_all"] is None
    r = admin.patch(f"/domains/{DOMAIN}", {"catch_all": "Sales"})
    assert r.status_code == 200, r.text
    assert admin.get(f"/domains/{DOMAIN}").json()["catch_all"] == "sales"
    # Clearing it needs no target.
    r = admin.patch(f"/domains/{DOMAIN}", {"catch_all": ""})
    assert r.status_code == 200, r.text
    assert admin.get(f"/domains/{DOMAIN}").json()["catch_all"] is None
