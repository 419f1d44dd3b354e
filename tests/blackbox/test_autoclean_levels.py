"""Folder auto-clean at domain and user level (OPS-6), with override permissions.

- A domain rule `\\Trash age=30` (no server rules) empties a user's Trash of messages
  backdated past 30 days; recent ones stay; the removal is logged with the rule.
- A user's rule for Trash is ignored while the domain does not let users override, and
  replaces the domain's once it does.
- `autoclean.domain_override` off locks everything to the server's rules (none here), so the
  domain's rule stops applying until it is on again.
- The API refuses bad rules on the field; the admin UI shows the fields."""

import imaplib
import time

from admin_api import error_of, logged_in, logged_in_admin, wait_for_api
from conftest import PASSWORD, USER, eventually
from test_autoclean import append, count, special

BOB = "bob@example.test"
BOB_PASSWORD = "Zq7secretWord"


def imap(server, user=USER, password=PASSWORD):
    m = imaplib.IMAP4(server.host, server.imap_port, timeout=30)
    m.login(user, password)
    return m


def stays(check, seconds=4):
    """`check` holds for `seconds` (several auto-clean runs at a 1 s interval)."""
    end = time.time() + seconds
    while time.time() < end:
        assert check()
        time.sleep(0.3)


def events(server):
    return "\n".join(p.read_text() for p in (server.data / "logs").glob("events-*.log"))


def test_domain_rule_cleans_and_user_rule_needs_permission(server):
    server.add_user(BOB, BOB_PASSWORD)
    server.set("autoclean.interval", "1")
    a = imap(server)
    trash = special(a, "\\Trash")
    for i, days in enumerate([60, 20, 5, 1]):
        append(a, trash, i, days)
    b = imap(server, BOB, BOB_PASSWORD)
    bob_trash = special(b, "\\Trash")
    for i, days in enumerate([50, 2]):
        append(b, bob_trash, i, days)

    # alice's own rule, not allowed yet: the domain's rule alone applies.
    server.cli("user", "set", USER, "--autoclean-rules", "\\Trash age=3")
    out = server.cli("domain", "set", "example.test", "--autoclean-rules", "\\Trash age=30",
                     "--autoclean-user-override", "false").stdout
    assert "auto-clean rules: \\Trash age=30 (users may override: false)" in out, out
    eventually(lambda: count(a, trash) == 3 and count(b, bob_trash) == 1, 60,
               what="the domain rule ran")
    stays(lambda: count(a, trash) == 3)
    assert "(rule \\Trash age=30) [domain level]" in events(server)

    # Allowed: alice's rule replaces the domain's for her Trash; bob keeps the domain's.
    server.cli("domain", "set", "example.test", "--autoclean-user-override", "true")
    eventually(lambda: count(a, trash) == 1, 60, what="the user rule ran")
    a.select(f'"{trash}"', readonly=True)
    _, data = a.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    subjects = [x[1].decode().strip() for x in data if isinstance(x, tuple)]
    assert subjects == [f"Subject: {trash} 3"], subjects
    assert "(rule \\Trash age=3) [user level]" in events(server)
    assert count(b, bob_trash) == 1

    # A user's `off` keeps the domain's rule away from that folder (while allowed).
    server.cli("user", "set", BOB, "--autoclean-rules", "\\Trash off")
    append(b, bob_trash, 9, 90)
    stays(lambda: count(b, bob_trash) == 2)

    # The server locks domains (and users) out: only its rules (none) apply.
    server.cli("user", "set", BOB, "--autoclean-rules", "")
    server.set("autoclean.domain_override", "false")
    time.sleep(1.5)
    stays(lambda: count(b, bob_trash) == 2)
    server.set("autoclean.domain_override", "true")
    eventually(lambda: count(b, bob_trash) == 1, 60, what="the domain rule again")
    a.logout()
    b.logout()


def test_api_and_ui_fields(server):
    wait_for_api(server)
    # A user sets its own rules (only those) while allowed.
    me = logged_in(server, USER, PASSWORD)
    r = me.patch(f"/users/{USER}", {"autoclean_rules": "\\Junk age=3"})
    assert r.status_code == 200 and r.json()["autoclean_rules"] == "\\Junk age=3", r.text
    assert me.patch(f"/users/{USER}", {"autoclean_rules": "", "quota_mb": 9}).status_code == 403
    api = logged_in_admin(server)
    r = api.patch("/domains/example.test", {"autoclean_rules": "Trash age=0"})
    assert "age must be a whole number above 0" in error_of(r, 422, "autoclean_rules")
    r = api.patch("/domains/example.test", {"autoclean_rules": " \\Junk age=7 ,Old off",
                                            "autoclean_user_override": False})
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["autoclean_rules"] == "\\Junk age=7, Old off" and not d["autoclean_user_override"]
    r = api.patch(f"/users/{USER}", {"autoclean_rules": "INBOX size=5"})
    error_of(r, 422, "autoclean_rules")
    r = api.patch(f"/users/{USER}", {"autoclean_rules": "INBOX age=365"})
    assert r.status_code == 200 and r.json()["autoclean_rules"] == "INBOX age=365", r.text
    assert api.get(f"/users/{USER}").json()["autoclean_rules"] == "INBOX age=365"
    r = me.patch(f"/users/{USER}", {"autoclean_rules": ""})
    assert "does not let its users" in error_of(r, 403), r.text

    base = f"http://127.0.0.1:{server.admin_port}"
    page = api.http.get(f"{base}/domains/example.test", timeout=30).text
    assert 'name="autoclean_rules"' in page and "\\Junk age=7, Old off" in page
    assert 'name="autoclean_user_override"' in page
    page = api.http.get(f"{base}/users/{USER}", timeout=30).text
    assert 'name="autoclean_rules"' in page and "INBOX age=365" in page
    assert "not applied" in page  # the domain does not let users override


def test_store_copy_carries_the_levels(tmp_path, pg_url):
    """`heron store copy` to PostgreSQL keeps a domain's and a user's rules and switches."""
    import subprocess

    from conftest import HERON, Heron

    src = Heron(tmp_path / "src")
    src.base.mkdir()
    src.add_user()
    src.cli("domain", "set", "example.test", "--autoclean-rules", "\\Trash age=30",
            "--autoclean-user-override", "false", "--pop-retrieval", "false",
            "--max-pop-accounts", "3")
    src.cli("user", "set", USER, "--autoclean-rules", "\\Junk age=2")
    r = subprocess.run([HERON, "store", "copy", "--from", str(src.data), "--to", pg_url],
                       capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stderr
    node = [HERON, "--data", str(tmp_path / "node"), "--store", pg_url]
    out = subprocess.run(node + ["domain", "show", "example.test"], capture_output=True,
                         text=True, timeout=60, stdin=subprocess.DEVNULL).stdout
    assert "POP retrieval: off (at most 3 accounts per user" in out, out
    assert "auto-clean rules: \\Trash age=30 (users may override: false)" in out, out
    out = subprocess.run(node + ["user", "set", USER], capture_output=True, text=True,
                         timeout=60, stdin=subprocess.DEVNULL).stdout
    assert "auto-clean rules \\Junk age=2" in out, out
