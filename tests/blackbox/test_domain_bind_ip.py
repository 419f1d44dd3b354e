"""BIND-4: a domain bound to an IP. Connections accepted on that IP (SMTP, POP3, IMAP) greet
with the domain's host name, the domain's mail to other servers leaves from it (an aiosmtpd
sink records the peer address and EHLO name), and the IP is set and checked through the CLI,
the API and the domain page."""

import imaplib
import poplib
import smtplib

from admin_api import ADMIN_PASSWORD, error_of, logged_in_admin, wait_for_api
from browser import run_ui
from conftest import free_port
from outbound import ALICE, make_message, mailnet, submit  # noqa: F401 (fixture)

BOUND = "127.0.0.2"


def listeners(ip_ports):
    return ", ".join(f"{p} {e} {ip}:{port}" for ip, p, e, port in ip_ports)


def test_bound_domain_greets_and_sends_from_its_ip(mailnet):
    sink = mailnet.sink("127.0.0.3", domains=["b.test"])
    mailnet._claim(BOUND, "a.test's bound address")
    a = mailnet.heron("a", "127.0.0.1", users=[ALICE], start=False)
    o, p = a.offset, mailnet.port
    a.set("bind.listeners", listeners([
        ("127.0.0.1", "smtp", "none", p), ("127.0.0.1", "submission", "starttls", 587 + o),
        ("127.0.0.1", "pop3", "none", 110 + o), ("127.0.0.1", "imap", "none", 143 + o),
        (BOUND, "smtp", "none", p), (BOUND, "pop3", "none", 110 + o),
        (BOUND, "imap", "none", 143 + o)]))
    r = a.cli("domain", "set", "a.test", "--bind-ip", BOUND)
    assert "bound to IP: 127.0.0.2" in r.stdout
    a.start()

    # Greetings on the bound address name the domain's host; elsewhere the server's.
    s = smtplib.SMTP(BOUND, p, timeout=15)
    try:
        code, ehlo = s.ehlo("client.test")
        assert code == 250 and ehlo.split(b"\n")[0].startswith(b"mail.a.test"), ehlo
    finally:
        s.quit()
    s = smtplib.SMTP("127.0.0.1", p, timeout=15)
    try:
        assert s.ehlo("client.test")[1].startswith(b"mx.a.test")
    finally:
        s.quit()
    pop = poplib.POP3(BOUND, 110 + o, timeout=15)
    assert b"mail.a.test" in pop.getwelcome()
    pop.quit()
    imap = imaplib.IMAP4(BOUND, 143 + o, timeout=15)
    assert b"mail.a.test" in imap.welcome
    imap.logout()
    imap = imaplib.IMAP4("127.0.0.1", 143 + o, timeout=15)
    assert b"mx.a.test" in imap.welcome
    imap.logout()

    # Its mail leaves from the bound address, saying EHLO with the domain's host name.
    submit(a, ["bob@b.test"], make_message("bound", ALICE, "bob@b.test"), ALICE)
    [d] = sink.wait(1)
    assert d.peer == BOUND, d.peer
    assert d.ehlo == "mail.a.test", d.ehlo


def test_bind_ip_through_the_api_and_page(server):
    wait_for_api(server)
    api = logged_in_admin(server)
    r = api.patch("/domains/example.test", {"bind_ip": "not-an-ip"})
    error_of(r, 422, "bind_ip")
    r = api.patch("/domains/example.test", {"bind_ip": "192.0.2.55"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["bind_ip"] == "192.0.2.55"
    assert any("not an address of this host" in w for w in body["warnings"]), body
    r = api.patch("/domains/example.test", {"bind_ip": "127.0.0.1"})
    assert r.status_code == 200 and "warnings" not in r.json(), r.text
    assert api.get("/domains/example.test").json()["bind_ip"] == "127.0.0.1"
    page = api.http.get(f"http://127.0.0.1:{server.admin_port}/domains/example.test",
                        timeout=30).text
    assert 'name="bind_ip" value="127.0.0.1"' in page
    addrs = api.get("/system/addresses").json()
    lo = next(a for a in addrs if a["address"] == "127.0.0.1")
    assert lo["scope"] == "loopback" and lo["domains"] == ["example.test"]
    assert any(l["protocol"] == "pop3" for l in lo["listeners"]), lo
    r = api.patch("/domains/example.test", {"bind_ip": ""})
    assert r.status_code == 200 and r.json()["bind_ip"] is None
    r = server.cli("domain", "set", "example.test", "--bind-ip", "nonsense", check=False)
    assert r.returncode != 0 and "not an IP address" in r.stderr


def test_binding_on_the_domain_page_in_a_browser(server):
    wait_for_api(server)
    api = logged_in_admin(server)
    port = free_port()
    out = run_ui(server, "domain-binding", "domain-binding", admin_password=ADMIN_PASSWORD,
                 domain="example.test", ip="127.0.0.1", port=port)
    assert out["ok"], out
    assert "not an IP address" in out["field_error"], out
    d = api.get("/domains/example.test").json()
    assert d["bind_ip"] == "127.0.0.1" and d["smtp_alt_port"] == port, d
    assert "example.test. MX" in out["records"] and "mail.example.test. A" in out["records"]
