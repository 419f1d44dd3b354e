"""Per-domain and per-user spam policies (FILTER-3) and the domain's filtering switch (DOM-3):
set through the admin API, the CLI and the admin pages, and seen by each recipient over IMAP —
one message to recipients with different policies is treated by each recipient's own.

Weights come from custom header rules (X-W3, X-W6, X-W40) on mail that passes SPF and reverse
DNS, so a message weighs exactly what its test headers say."""

import re
import subprocess

from admin_api import error_of, logged_in
from conftest import HERON, PASSWORD, USER
from filtering import JUNK, ORIGIN_IP, filtered, message  # noqa: F401

SENDER = "bob@sender.test"
CAROL, CAROL_PASSWORD = "carol@other.test", "Kestrel77x"
DAVE, DAVE_PASSWORD = "dave@off.test", "Plover55x"
BOSS, BOSS_PASSWORD = "boss@other.test", "Osprey33x"


def weighed(f):
    """Mail from SENDER passes SPF and reverse DNS; X-W* headers add their weights."""
    f.origin_has_reverse_dns()
    f.zone.txt("sender.test", f"v=spf1 ip4:{ORIGIN_IP} -all")
    f.setting("filter.header_rules", "X-W3 3 *, X-W6 6 *, X-W40 40 *")


def users(f):
    for address, password, role in [(CAROL, CAROL_PASSWORD, "user"),
                                     (DAVE, DAVE_PASSWORD, "user"),
                                     (BOSS, BOSS_PASSWORD, "domain-admin")]:
        domain = address.split("@")[1]
        if f.admin.get(f"/domains/{domain}").status_code == 404:
            assert f.admin.post("/domains", {"name": domain}).status_code == 201
        r = f.admin.post("/users", {"address": address, "password": password, "role": role})
        assert r.status_code == 201, r.text


def only(msgs):
    assert len(msgs) == 1, [m["Subject"] for m in msgs]
    return msgs[0]


def test_each_recipient_gets_its_domains_and_its_own_policy(filtered):
    f = filtered
    weighed(f)
    users(f)
    r = f.admin.put("/domains/other.test/filter",
                    {"level_medium": 5, "action_medium": "subject", "text_medium": "[OTHER]"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["overrides"] == {"level_medium": "5", "action_medium": "subject",
                                 "text_medium": "[OTHER]"}
    assert body["applies"] is True
    assert body["effective"]["level_medium"] == 5 and body["effective"]["level_high"] == 20
    assert f.admin.get("/domains/other.test/filter").json() == body

    # Weight 6: low for alice (server: header flag), medium for carol (her domain: subject).
    msg = message("Offer", to=f"{USER}, {CAROL}", extra="X-W6: 1\r\n")
    assert f.send(SENDER, [USER, CAROL], msg)[0] == 250
    a = only(f.wait_messages(1))
    assert a["Subject"] == "Offer" and a["X-Spam-Flag"] == "YES" and a["X-Spam-Level"] == "low"
    c = only(f.wait_messages(1, user=CAROL, password=CAROL_PASSWORD))
    assert c["Subject"] == "[OTHER] Offer" and c["X-Spam-Level"] == "medium"
    assert c["X-Spam-Flag"] is None

    # Carol's own setting applies once the server allows users theirs.
    r = f.admin.put(f"/users/{CAROL}/filter", {"action_medium": "junk"})
    assert r.status_code == 200, r.text
    assert r.json()["applies"] is False
    assert r.json()["effective"]["action_medium"] == "subject"
    f.setting("filter.user_overrides", "true")
    view = f.admin.get(f"/users/{CAROL}/filter").json()
    assert view["applies"] is True and view["effective"]["action_medium"] == "junk"
    assert view["effective"]["level_medium"] == 5, "the domain's threshold still applies"
    assert f.send(SENDER, [CAROL], message("Second", to=CAROL, extra="X-W6: 1\r\n"))[0] == 250
    j = only(f.wait_messages(1, JUNK, user=CAROL, password=CAROL_PASSWORD))
    assert j["Subject"] == "Second" and j["X-Spam-Level"] == "medium"

    # Without domain overrides carol's domain threshold is the server's again: weight 6 is low.
    f.setting("filter.domain_overrides", "false")
    assert f.admin.get("/domains/other.test/filter").json()["applies"] is False
    assert f.send(SENDER, [CAROL], message("Third", to=CAROL, extra="X-W6: 1\r\n"))[0] == 250
    inbox = f.wait_messages(2, user=CAROL, password=CAROL_PASSWORD)
    third = [m for m in inbox if "Third" in m["Subject"]]
    assert len(third) == 1 and third[0]["Subject"] == "Third"
    assert third[0]["X-Spam-Level"] == "low" and third[0]["X-Spam-Flag"] == "YES"


def test_a_domain_with_filtering_off_gets_its_mail_unfiltered(filtered):
    f = filtered
    weighed(f)
    users(f)
    r = f.admin.put("/domains/off.test/filter", {"enabled": False})
    assert r.status_code == 200, r.text
    assert r.json()["effective"]["enabled"] is False

    # Weight 40 is over the incoming threshold, but off.test does not filter.
    assert f.send(SENDER, [DAVE], message("Heavy", to=DAVE, extra="X-W40: 1\r\n"))[0] == 250
    d = only(f.wait_messages(1, user=DAVE, password=DAVE_PASSWORD))
    assert d["X-Spam-Weight"] is None and d["Authentication-Results"] is None

    # All recipients filtered: refused at DATA.
    code, text = f.send(SENDER, [USER], message("Heavy 2", extra="X-W40: 1\r\n"))
    assert code == 550, (code, text)

    # Mixed: dave gets it, alice's copy is dropped (the message could not be refused).
    code, _ = f.send(SENDER, [DAVE, USER], message("Heavy 3", to=DAVE, extra="X-W40: 1\r\n"))
    assert code == 250
    got = f.wait_messages(2, user=DAVE, password=DAVE_PASSWORD)
    assert any(m["Subject"] == "Heavy 3" for m in got)
    assert f.send(SENDER, [USER], message("Marker", extra="X-W3: 1\r\n"))[0] == 250
    assert [m["Subject"] for m in f.wait_messages(1)] == ["Marker"]
    assert f.messages(JUNK) == []

    # Back on: filtered again.
    assert f.admin.put("/domains/off.test/filter", {}).json()["overrides"] == {}
    assert f.send(SENDER, [DAVE], message("Light", to=DAVE, extra="X-W3: 1\r\n"))[0] == 250
    light = [m for m in f.wait_messages(3, user=DAVE, password=DAVE_PASSWORD)
             if m["Subject"] == "Light"]
    assert len(light) == 1 and light[0]["X-Spam-Weight"] == "3"


def test_who_may_set_what(filtered):
    f = filtered
    users(f)
    boss = logged_in(f.heron, BOSS, BOSS_PASSWORD)
    carol = logged_in(f.heron, CAROL, CAROL_PASSWORD)

    r = boss.put("/domains/other.test/filter", {"level_low": 2, "action_low": "junk"})
    assert r.status_code == 200, r.text
    # The switch is the server administrator's.
    error_of(boss.put("/domains/other.test/filter", {"enabled": False}), 403)
    assert f.admin.put("/domains/other.test/filter",
                       {"enabled": False, "level_low": 2}).status_code == 200
    # The domain admin saving levels keeps the administrator's switch as it is.
    r = boss.put("/domains/other.test/filter", {"level_low": 3})
    assert r.status_code == 200, r.text
    assert r.json()["overrides"] == {"enabled": "false", "level_low": "3"}
    r = boss.put("/domains/other.test/filter", {"enabled": "false", "level_low": 4})
    assert r.status_code == 200, r.text
    # Not another domain, not a plain user.
    error_of(boss.put("/domains/off.test/filter", {"level_low": 2}), 403)
    error_of(carol.put("/domains/other.test/filter", {"level_low": 2}), 403)
    error_of(carol.get("/domains/other.test/filter"), 403)
    # Users' settings: only while the server allows them, for a domain admin.
    error_of(boss.put(f"/users/{CAROL}/filter", {"action_high": "delete"}), 403)
    f.setting("filter.user_overrides", "true")
    assert boss.put(f"/users/{CAROL}/filter", {"action_high": "delete"}).status_code == 200
    error_of(boss.put("/users/alice@example.test/filter", {"action_high": "delete"}), 403)
    # Without domain overrides the domain admin can no longer change them; the admin can.
    f.setting("filter.domain_overrides", "false")
    error_of(boss.put("/domains/other.test/filter", {"level_low": 2}), 403)
    assert f.admin.put("/domains/other.test/filter", {"level_low": 2}).status_code == 200

    # Bad names and values are refused, naming the field, and change nothing.
    before = f.admin.get("/domains/other.test/filter").json()["overrides"]
    error_of(f.admin.put("/domains/other.test/filter", {"action_low": "explode"}), 422,
             "action_low")
    error_of(f.admin.put("/domains/other.test/filter", {"level_low": "lots"}), 422, "level_low")
    error_of(f.admin.put("/domains/other.test/filter", {"reject_incoming": 5}), 422, "overrides")
    error_of(f.admin.put("/domains/other.test/filter", {"text_low": ["a"]}), 422, "text_low")
    error_of(f.admin.put(f"/users/{CAROL}/filter", {"enabled": False}), 422, "enabled")
    assert f.admin.get("/domains/other.test/filter").json()["overrides"] == before
    error_of(f.admin.get("/domains/nowhere.test/filter"), 404)
    error_of(f.admin.get("/users/nobody@other.test/filter"), 404)


def test_the_admin_pages_show_and_save_the_policy(filtered):
    f = filtered
    users(f)
    assert f.admin.put("/domains/other.test/filter",
                       {"level_high": 15, "text_high": "[DOM]"}).status_code == 200
    base = f"http://127.0.0.1:{f.heron.admin_port}"
    page = f.admin.http.get(f"{base}/domains/other.test/filter", timeout=15)
    assert page.status_code == 200
    html = page.text
    assert 'id="filter-policy"' in html
    assert 'data-api="/api/v1/domains/other.test/filter"' in html
    assert re.search(r'name="level_high"[^>]*value="15"', html), html
    assert re.search(r'name="text_high" value="\[DOM\]"', html), html
    assert re.search(r'name="level_low"[^>]*placeholder="5"', html), html
    assert 'href="/domains/other.test/filter"' in html
    user_page = f.admin.http.get(f"{base}/users/{CAROL}", timeout=15).text
    assert f'data-api="/api/v1/users/{CAROL}/filter"' in user_page
    # The user's form shows the domain's values as what applies without its own.
    assert re.search(r'name="text_high"[^>]*placeholder="\[DOM\]"', user_page), user_page
    assert "data-filter-inactive" in user_page, "users' own settings are off by default"
    boss = logged_in(f.heron, BOSS, BOSS_PASSWORD)
    own = boss.http.get(f"{base}/domains/other.test/filter", timeout=15).text
    assert re.search(r'<select id="enabled" name="enabled" data-omit-empty disabled>', own), own


def test_the_cli_sets_and_shows_a_policy(heron):
    heron.add_user()
    heron.cli("domain", "add", "other.test")
    out = heron.cli("filter", "set", "other.test", "level_low", "2").stdout
    assert "low: from weight 2" in out and "own level_low: 2" in out
    heron.cli("filter", "set", "other.test", "enabled", "false")
    assert "filtering: off" in heron.cli("filter", "show", "other.test").stdout
    bad = heron.cli("filter", "set", "other.test", "action_low", "explode", check=False)
    assert bad.returncode != 0 and "action_low" in bad.stderr
    bad = heron.cli("filter", "set", USER, "enabled", "false", check=False)
    assert bad.returncode != 0 and "whole domain" in bad.stderr
    heron.cli("filter", "set", USER, "action_high", "delete")
    shown = heron.cli("filter", "show", USER).stdout
    assert "own action_high: delete" in shown and "do not apply now" in shown
    heron.cli("filter", "unset", "other.test", "level_low")
    out = heron.cli("filter", "show", "other.test").stdout
    assert "own level_low" not in out and "low: from weight 5" in out
    r = subprocess.run([HERON, "--data", str(heron.data), "filter", "show", "nowhere.test"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode != 0
    assert PASSWORD not in r.stdout


def test_a_domains_policy_is_saved_from_its_page_in_the_browser(filtered):
    from admin_api import ADMIN_PASSWORD
    from browser import run_ui
    f = filtered
    users(f)
    assert f.admin.put("/domains/other.test/filter",
                       {"text_high": "[DOM]", "level_low": 2}).status_code == 200
    out = run_ui(f.heron, "filter-policy", "filter-policy", admin_password=ADMIN_PASSWORD,
                 domain="other.test")
    assert out["ok"] == "Saved.", out
    assert out["field_error"], out
    view = f.admin.get("/domains/other.test/filter").json()
    assert view["overrides"] == {"enabled": "false", "level_low": "2", "level_medium": "7",
                                 "action_medium": "subject"}, view
    assert view["effective"]["text_high"] == "[SPAM]"
