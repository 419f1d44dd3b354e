"""The administrator's "test a message" (FILTER-1..6): the API runs the server's checks on a
supplied message without delivering it and answers each check's weight, the level and the
action; the spam filter page offers the form and links to the filter's settings."""

from admin_api import ADMIN_PASSWORD, admin, error_of, logged_in  # noqa: F401
from conftest import PASSWORD, USER, imap_client
from outbound_dns import DnsServer
from test_admin_pages import page_client

MESSAGE = ("From: shop@offers.test\r\nTo: alice@example.test\r\nSubject: Deals\r\n"
           "X-Mailer: Mass Mailer 9\r\n\r\nCheap things at http://cheap.offers.test/now\r\n")


def test_a_message_is_judged_without_being_delivered(admin):
    assert admin.put("/settings/filter.header_rules",
                     {"value": "X-Mailer 12 *mass mailer*"}).status_code == 200
    r = admin.post("/filter/test", {"message": MESSAGE.replace("\r\n", "\n"),
                                    "ip": "127.0.0.1", "outgoing": True})
    assert r.status_code == 200, r.text
    v = r.json()
    assert v["weight"] == 12
    assert v["level"] == "medium"
    assert v["action"] == "deliver"  # outgoing: under the outgoing threshold of 30
    assert v["hits"] == [{"check": "header:X-Mailer", "weight": 12,
                          "detail": "X-Mailer matches *mass mailer*"}]
    assert v["virus"] is None
    dns = DnsServer().start()
    try:
        assert admin.put("/settings/dns.servers", {"value": dns.address}).status_code == 200
        r = admin.post("/filter/test", {"message": MESSAGE, "ip": "192.0.2.7",
                                        "helo": "mx.offers.test", "sender": "shop@offers.test"})
        assert r.status_code == 200, r.text
        v = r.json()
    finally:
        dns.stop()
    # Incoming: the rule's 12 and reverse DNS failing (no PTR for 192.0.2.7) make medium,
    # whose default action is the Junk folder.
    assert {h["check"]: h["weight"] for h in v["hits"]} == {"header:X-Mailer": 12,
                                                             "reverse-dns": 3}, v
    assert (v["weight"], v["level"], v["action"]) == (15, "medium", "junk")
    assert "spf=none" in v["authentication_results"]
    assert "iprev=" in v["authentication_results"]
    assert v["unanswered"] == []
    # Nothing was delivered.
    m = imap_client(admin.heron)
    for folder in ("INBOX", '"Junk E-Mail"'):
        typ, data = m.select(folder, readonly=True)
        assert typ == "OK" and data == [b"0"], (folder, data)
    m.logout()


def test_bad_input_is_refused_with_the_field(admin):
    error_of(admin.post("/filter/test", {"message": MESSAGE, "ip": "nowhere"}), 422, "ip")
    error_of(admin.post("/filter/test", {"message": "  "}), 422, "message")
    big = "Subject: x\r\n\r\n" + "a" * (1024 * 1024)
    r = admin.post("/filter/test", {"message": big})
    assert r.status_code in (413, 422), r.status_code


def test_only_the_system_administrator_may_test(admin):
    user = logged_in(admin.heron, USER, PASSWORD)
    r = user.post("/filter/test", {"message": MESSAGE})
    assert r.status_code == 403


def test_the_filter_page_has_the_form_and_the_settings_links(admin):
    _, get = page_client(admin.heron, "admin", ADMIN_PASSWORD)
    r = get("/filter")
    assert r.status_code == 200
    assert 'data-api="/api/v1/filter/test"' in r.text
    assert 'href="/settings/filter"' in r.text
    assert 'href="/settings/antivirus"' in r.text
    r = get("/settings/filter")
    assert r.status_code == 200 and "filter.reject_incoming" in r.text


def test_the_filter_page_shows_a_messages_checks_in_the_browser(admin):
    from browser import run_ui
    assert admin.put("/settings/filter.header_rules",
                     {"value": "X-Mailer 12 *mass mailer*"}).status_code == 200
    dns = DnsServer().start()
    try:
        assert admin.put("/settings/dns.servers", {"value": dns.address}).status_code == 200
        out = run_ui(admin.heron, "filter-test", "filter-test", admin_password=ADMIN_PASSWORD,
                     message=MESSAGE, ip="127.0.0.1")
    finally:
        dns.stop()
    assert out["weight"] == "12" and out["level"] == "medium", out
    assert out["action"] == "junk", out
    assert ["header:X-Mailer", "12", "X-Mailer matches *mass mailer*"] in out["rows"], out
