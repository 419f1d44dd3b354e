"""The admin web interface in a real browser (headless Chromium through Playwright): each test
does in the pages what an administrator would, then checks the effect on the live server with
ordinary clients (SMTP greeting, POP3 port, spool, session, log). Screenshots of each step
land in target/test-output/screenshots."""

import poplib
import re
import smtplib
import socket

import pytest

from admin_api import ADMIN_PASSWORD, Api, logged_in_admin, wait_for_api
from browser import run_ui
from conftest import HOST, PASSWORD, USER, eventually, free_port, smtp_raw
from test_admin_api_resources import spooled


@pytest.fixture
def admin(server):
    wait_for_api(server)
    return logged_in_admin(server)


def test_first_login_must_set_a_new_password(server):
    wait_for_api(server)
    new = "Fresh-Heron-93"
    out = run_ui(server, "first-login", "first-login", weak="short", password=new)
    assert "at least 8 characters" in out["weak_error"], out
    assert Api(server).login("admin", "admin").status_code == 401
    me = Api(server)
    assert me.login("admin", new).status_code == 200
    assert me.get("/me").json()["must_change_password"] is False


def test_create_domain_and_user_with_policy_error_at_the_field(admin):
    out = run_ui(admin.heron, "domain-user", "domain-user", admin_password=ADMIN_PASSWORD,
                 domain="shop.test", local="carol", weak="carol", good="Sunny-day-42")
    assert "must be at least 8 characters" in out["field_error"], out
    assert "user name" in out["field_error"], out
    assert out["aria_invalid"] == "true"
    users = admin.get("/domains/shop.test/users").json()
    assert [u["address"] for u in users] == ["carol@shop.test"]
    p = poplib.POP3(HOST, admin.heron.pop3_port, timeout=10)
    p.user("carol@shop.test")
    assert p.pass_("Sunny-day-42").startswith(b"+OK")
    p.quit()


def test_banner_set_in_the_page_greets_smtp_clients(admin):
    banner = "page-set banner 4417"
    out = run_ui(admin.heron, "setting", "smtp-banner", admin_password=ADMIN_PASSWORD,
                 group="smtp_in", key="smtp_in.banner", value=banner)
    assert out["saved"] == "Saved."
    # The setting is named in words; the key is only beside it.
    assert out["label"].startswith("Banner"), out

    def greeting():
        s = smtp_raw(admin.heron, greet=False)
        try:
            code, text = s.reply()
            return code == 220 and banner in str(text)
        finally:
            s.close()
    eventually(greeting, 10, what="the SMTP greeting to show the banner set in the page")


def port_closed(port):
    """Whether nothing listens on `port` of the test host."""
    try:
        socket.create_connection((HOST, port), timeout=1).close()
        return False
    except OSError:
        return True


def pop3_greets(port, login=False):
    """Whether a POP3 server greets on `port` (and, with `login`, lets alice in)."""
    try:
        p = poplib.POP3(HOST, port, timeout=5)
    except OSError:
        return False
    ok = p.getwelcome().startswith(b"+OK")
    if login:
        p.user(USER)
        ok = ok and p.pass_(PASSWORD).startswith(b"+OK")
    p.quit()
    return ok


def test_pop3_moved_to_another_port_in_bindings(admin):
    h = admin.heron
    new = free_port()
    old = f"pop3 starttls {h.host}:{h.pop3_port}"
    to = f"pop3 starttls {h.host}:{new}"
    run_ui(h, "move-listener", "move-pop3", admin_password=ADMIN_PASSWORD,
           **{"from": old, "to": to, "to_address": f"{h.host}:{new}"})

    eventually(lambda: pop3_greets(new, login=True), 10, what="POP3 on the new port")
    eventually(lambda: port_closed(h.pop3_port), 10, what="the old POP3 port to close")
    listeners = admin.get("/listeners").json()
    assert any(l["protocol"] == "pop3" and l["address"] == f"{h.host}:{new}" for l in listeners)


def test_bad_listener_address_is_shown_at_its_field(admin):
    out = run_ui(admin.heron, "bad-listener", "bad-listener", admin_password=ADMIN_PASSWORD,
                 address="not-an-address")
    assert out["field_error"], out
    assert "not-an-address" not in admin.get("/settings/bind.listeners").json()["value"]


def test_delete_a_spool_message(admin):
    entry = spooled(admin)
    out = run_ui(admin.heron, "spool-delete", "spool-delete", admin_password=ADMIN_PASSWORD,
                 id=entry["id"])
    assert out["rows_left"] == 0
    assert admin.get("/spool").json() == []
    assert admin.get(f"/spool/{entry['id']}").status_code == 404


def test_end_a_live_pop3_session_from_online_users(admin):
    p = poplib.POP3(HOST, admin.heron.pop3_port, timeout=10)
    p.user(USER)
    assert p.pass_(PASSWORD).startswith(b"+OK")
    eventually(lambda: any(o["address"] == USER for o in admin.get("/online-users").json()),
               10, what="the POP3 session to be listed online")
    run_ui(admin.heron, "end-session", "end-session", admin_password=ADMIN_PASSWORD, user=USER)

    def closed():
        try:
            p.noop()
            return False
        except (poplib.error_proto, OSError, EOFError):
            return True
    eventually(closed, 10, what="the POP3 session to be closed by the server")
    assert not any(o["address"] == USER for o in admin.get("/online-users").json())


def smtp_session_ids(admin, n):
    """Run `n` SMTP sessions; return their session ids from the SMTP log."""
    before = set(re.findall(r"\[([0-9a-f]{12})\]", "\n".join(
        admin.get("/logs", params={"type": "smtp", "limit": 5000}).json()["lines"])))
    for i in range(n):
        s = smtplib.SMTP(HOST, 25 + admin.heron.offset, timeout=10)
        s.ehlo(f"client{i}.test")
        s.quit()

    def found():
        lines = admin.get("/logs", params={"type": "smtp", "limit": 5000}).json()["lines"]
        ids = [i for i in dict.fromkeys(re.findall(r"\[([0-9a-f]{12})\]", "\n".join(lines)))
               if i not in before]
        return ids if len(ids) >= n else None
    return eventually(found, 10, what="the SMTP sessions in the log")


def test_log_filtered_by_one_session(admin):
    first, second = smtp_session_ids(admin, 2)[:2]
    out = run_ui(admin.heron, "log-session", "log-session", admin_password=ADMIN_PASSWORD,
                 type="smtp", session=first)
    assert out["lines"], out
    assert all(f"[{first}]" in line for line in out["lines"]), out
    assert not any(second in line for line in out["lines"]), out
    assert any("connect from" in line for line in out["lines"]), out
    assert out["links"] and all(re.fullmatch(r"\[[0-9a-f]+\]", t) for t in out["links"]), out
    assert f"[{first}]" in out["links"] and f"[{second}]" in out["links"], out


def test_stop_and_start_pop3_from_services(admin):
    h = admin.heron
    run_ui(h, "service", "service-stop-pop3", admin_password=ADMIN_PASSWORD,
           name="pop3", action="Stop")

    eventually(lambda: port_closed(h.pop3_port), 10, what="POP3 to stop listening")
    run_ui(h, "service", "service-start-pop3", admin_password=ADMIN_PASSWORD,
           name="pop3", action="Start")

    eventually(lambda: pop3_greets(h.pop3_port), 10, what="POP3 to listen again")


def test_stop_and_start_pop3_on_this_node_from_services(admin):
    """The per-node table of the services page: POP3 stopped on the one node closes its port
    while the cluster's switch stays on; the dashboard's Nodes table shows the stop."""
    h = admin.heron
    me = eventually(lambda: admin.get("/nodes").json()[0]["id"], 10, what="node listed")
    out = run_ui(h, "node-service", "node-service-stop-pop3", admin_password=ADMIN_PASSWORD,
                 node=me, name="pop3", action="Stop")
    assert out == {"cluster": "running", "dashboard": "pop3"}, out
    eventually(lambda: port_closed(h.pop3_port), 10, what="POP3 to stop listening")
    assert admin.get("/settings/pop.enabled").json()["value"] == "true"
    out = run_ui(h, "node-service", "node-service-start-pop3", admin_password=ADMIN_PASSWORD,
                 node=me, name="pop3", action="Start")
    assert out["dashboard"] == "–", out
    eventually(lambda: pop3_greets(h.pop3_port), 10, what="POP3 to listen again")


def test_theme_switch_is_remembered(admin):
    out = run_ui(admin.heron, "theme", "theme", admin_password=ADMIN_PASSWORD)
    assert out["before"] == "auto", out
    assert out["after"] in ("dark", "light") and out["kept"] == out["after"], out
    if out["kept"] == "dark":
        assert out["background"] == "rgb(18, 21, 27)", out
    else:
        assert out["background"] == "rgb(246, 247, 249)", out


def test_act_as_a_user_and_come_back(admin):
    out = run_ui(admin.heron, "impersonate", "impersonate", admin_password=ADMIN_PASSWORD,
                 user=USER)
    assert f"admin is acting as {USER}" in out["banner"], out
    assert out["nav"] == ["Home", "Password"], out
    assert admin.get("/me").json()["username"] == "admin"


def test_mass_message_to_a_domain_reaches_each_mailbox(admin):
    admin.heron.add_user("bob@example.test", "Kestrel42x")
    out = run_ui(admin.heron, "mass-message", "mass-message", admin_password=ADMIN_PASSWORD,
                 domain="example.test", subject="Maintenance tonight 5512",
                 body="The server restarts at 22:00.")
    assert out["done"] == "Delivered to 2 mailboxes.", out
    for user, password in ((USER, PASSWORD), ("bob@example.test", "Kestrel42x")):
        p = poplib.POP3(HOST, admin.heron.pop3_port, timeout=10)
        p.user(user)
        p.pass_(password)
        count, _ = p.stat()
        assert count == 1, user
        text = b"\n".join(p.retr(1)[1]).decode()
        p.quit()
        assert "Subject: Maintenance tonight 5512" in text, text
        assert "The server restarts at 22:00." in text


def test_domain_alias_and_dkim_key_from_the_domain_page(admin):
    out = run_ui(admin.heron, "domain-extras", "domain-extras", admin_password=ADMIN_PASSWORD,
                 domain="example.test", alias="example.net")
    assert out["record"].startswith("v=DKIM1; k=ed25519; p="), out
    d = admin.get("/domains/example.test").json()
    assert d["domain_aliases"] == ["example.net"], d
    assert admin.get("/domains/example.test/dkim").json()["algorithm"] == "ed25519"


def test_ip_blacklisted_on_the_security_page_is_refused(admin):
    out = run_ui(admin.heron, "setting", "ip-blacklist", admin_password=ADMIN_PASSWORD,
                 group="security", key="security.ip_blacklist", value="127.0.0.2")
    assert out["saved"] == "Saved."

    def refused_from_blacklisted():
        s = socket.create_connection((HOST, admin.heron.pop3_port), timeout=5,
                                     source_address=("127.0.0.2", 0))
        try:
            greeting = s.makefile("rb").readline()
        finally:
            s.close()
        return greeting.startswith(b"-ERR")
    eventually(refused_from_blacklisted, 10, what="POP3 to refuse 127.0.0.2")
    p = poplib.POP3(HOST, admin.heron.pop3_port, timeout=10)
    assert p.getwelcome().startswith(b"+OK")
    p.quit()


def test_new_api_token_is_listed_at_once_and_its_secret_shown_once(admin):
    out = run_ui(admin.heron, "new-token", "new-token", admin_password=ADMIN_PASSWORD,
                 name="nightly backup")
    assert out["box_before"] is False, out
    assert out["names"] == ["nightly backup"], out
    assert out["name_field"] == "", out
    bearer = Api(admin.heron, token=out["secret"])
    assert bearer.get("/domains").status_code == 200
    assert [t["name"] for t in admin.get("/tokens").json()] == ["nightly backup"]
