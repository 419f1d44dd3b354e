"""Mail client setup served by the admin listener: Thunderbird autoconfig, Outlook
autodiscover (POX) and a user's Apple .mobileconfig profile, each checked against the
documented form with a real XML/plist parser, with ports and TLS modes from the listeners."""

import plistlib
import xml.etree.ElementTree as ET

import pytest
import requests

from admin_api import Api, logged_in, logged_in_admin, wait_for_api
from conftest import OTHER, OTHER_PASSWORD, PASSWORD, USER

HOST_NAME = "mx.example.test"
AD_REQUEST_NS = "http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"
AD_RESPONSE_NS = "http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006"
AD_OUTLOOK_NS = "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"


@pytest.fixture
def setup_server(heron):
    heron.set("server.hostname", HOST_NAME)
    heron.start()
    heron.add_user()
    heron.add_user(OTHER, OTHER_PASSWORD)
    wait_for_api(heron)
    return heron


def base(h):
    return f"http://127.0.0.1:{h.admin_port}"


def servers(provider, tag):
    out = []
    for s in provider.findall(tag):
        out.append({
            "type": s.get("type"),
            "hostname": s.findtext("hostname"),
            "port": int(s.findtext("port")),
            "socket": s.findtext("socketType"),
            "username": s.findtext("username"),
            "auth": s.findtext("authentication"),
        })
    return out


def test_autoconfig_lists_the_listeners(setup_server):
    h = setup_server
    o = h.offset
    r = requests.get(base(h) + "/.well-known/autoconfig/mail/config-v1.1.xml",
                     params={"emailaddress": USER}, timeout=10)
    assert r.status_code == 200, r.text
    assert "xml" in r.headers["content-type"]
    root = ET.fromstring(r.content)
    assert root.tag == "clientConfig" and root.get("version") == "1.1"
    provider = root.find("emailProvider")
    assert provider.get("id") == "example.test"
    assert provider.findtext("domain") == "example.test"
    incoming = servers(provider, "incomingServer")
    outgoing = servers(provider, "outgoingServer")
    assert {(s["type"], s["port"], s["socket"]) for s in incoming} == {
        ("imap", 993 + o, "SSL"), ("imap", 143 + o, "STARTTLS"),
        ("pop3", 995 + o, "SSL"), ("pop3", 110 + o, "STARTTLS")}
    assert {(s["type"], s["port"], s["socket"]) for s in outgoing} == {
        ("smtp", 465 + o, "SSL"), ("smtp", 587 + o, "STARTTLS")}
    # Implicit TLS first (RFC 8314).
    assert incoming[0]["socket"] == "SSL" and outgoing[0]["socket"] == "SSL"
    for s in incoming + outgoing:
        assert s["hostname"] == HOST_NAME
        assert s["username"] == "%EMAILADDRESS%"
        assert s["auth"] == "password-cleartext"


def test_autoconfig_host_form_and_unknown_domains(setup_server):
    h = setup_server
    r = requests.get(base(h) + "/mail/config-v1.1.xml",
                     headers={"Host": "autoconfig.example.test"}, timeout=10)
    assert r.status_code == 200, r.text
    assert ET.fromstring(r.content).find("emailProvider").get("id") == "example.test"
    r = requests.get(base(h) + "/.well-known/autoconfig/mail/config-v1.1.xml",
                     params={"emailaddress": "x@elsewhere.test"}, timeout=10)
    assert r.status_code == 404
    r = requests.get(base(h) + "/mail/config-v1.1.xml", timeout=10)
    assert r.status_code == 404


def autodiscover_request(address):
    return (f'<?xml version="1.0" encoding="utf-8"?>\n'
            f'<Autodiscover xmlns="{AD_REQUEST_NS}"><Request>'
            f'<EMailAddress>{address}</EMailAddress>'
            f'<AcceptableResponseSchema>{AD_OUTLOOK_NS}</AcceptableResponseSchema>'
            f'</Request></Autodiscover>').encode()


@pytest.mark.parametrize("path", ["/autodiscover/autodiscover.xml",
                                  "/Autodiscover/Autodiscover.xml"])
def test_autodiscover_pox(setup_server, path):
    h = setup_server
    o = h.offset
    r = requests.post(base(h) + path, data=autodiscover_request(USER),
                      headers={"Content-Type": "text/xml"}, timeout=10)
    assert r.status_code == 200, r.text
    root = ET.fromstring(r.content)
    assert root.tag == f"{{{AD_RESPONSE_NS}}}Autodiscover"
    resp = root.find(f"{{{AD_OUTLOOK_NS}}}Response")
    assert resp is not None
    q = lambda tag: f"{{{AD_OUTLOOK_NS}}}{tag}"  # noqa: E731
    account = resp.find(q("Account"))
    assert account.findtext(q("AccountType")) == "email"
    assert account.findtext(q("Action")) == "settings"
    protos = {p.findtext(q("Type")): p for p in account.findall(q("Protocol"))}
    assert set(protos) == {"IMAP", "POP3", "SMTP"}
    want = {"IMAP": 993 + o, "POP3": 995 + o, "SMTP": 465 + o}
    for t, p in protos.items():
        assert p.findtext(q("Server")) == HOST_NAME
        assert int(p.findtext(q("Port"))) == want[t]
        assert p.findtext(q("LoginName")) == USER
        assert p.findtext(q("SSL")) == "on"
        assert p.findtext(q("Encryption")) == "SSL"


def test_autodiscover_refuses_bad_requests(setup_server):
    h = setup_server
    url = base(h) + "/autodiscover/autodiscover.xml"
    r = requests.post(url, data=autodiscover_request("x@elsewhere.test"), timeout=10)
    assert r.status_code == 404
    root = ET.fromstring(r.content)
    assert root.find(f"{{{AD_RESPONSE_NS}}}Response/{{{AD_RESPONSE_NS}}}Error/"
                     f"{{{AD_RESPONSE_NS}}}ErrorCode").text == "600"
    r = requests.post(url, data=b"<Autodiscover/>", timeout=10)
    assert r.status_code == 400
    big = autodiscover_request(USER) + b"<!--" + b"x" * 40_000 + b"-->"
    r = requests.post(url, data=big, timeout=10)
    assert r.status_code == 413
    r = requests.get(url, timeout=10)
    assert r.status_code == 405


def check_profile(content, address, port):
    p = plistlib.loads(content)
    assert p["PayloadType"] == "Configuration"
    assert p["PayloadVersion"] == 1
    assert len(p["PayloadUUID"]) == 36
    [mail] = p["PayloadContent"]
    assert mail["PayloadType"] == "com.apple.mail.managed"
    assert mail["EmailAccountType"] == "EmailTypeIMAP"
    assert mail["EmailAddress"] == address
    assert mail["IncomingMailServerHostName"] == HOST_NAME
    assert mail["IncomingMailServerPortNumber"] == port
    assert mail["IncomingMailServerUseSSL"] is True
    assert mail["IncomingMailServerUsername"] == address
    assert mail["OutgoingMailServerHostName"] == HOST_NAME
    assert mail["OutgoingPasswordSameAsIncomingPassword"] is True
    assert "IncomingPassword" not in mail
    return p


def test_mobileconfig_for_the_user_and_admins(setup_server):
    h = setup_server
    o = h.offset
    anon = Api(h)
    assert anon.get(f"/users/{USER}/mobileconfig").status_code == 401
    alice = logged_in(h, USER, PASSWORD)
    r = alice.get(f"/users/{USER}/mobileconfig")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/x-apple-aspen-config"
    assert "attachment" in r.headers["content-disposition"]
    first = check_profile(r.content, USER, 993 + o)
    # Stable identifiers: installing it again replaces the account.
    again = plistlib.loads(alice.get(f"/users/{USER}/mobileconfig").content)
    assert again["PayloadUUID"] == first["PayloadUUID"]
    # Another user's profile is not hers to fetch.
    assert alice.get(f"/users/{OTHER}/mobileconfig").status_code == 403
    admin = logged_in_admin(h)
    r = admin.get(f"/users/{OTHER}/mobileconfig")
    assert r.status_code == 200, r.text
    check_profile(r.content, OTHER, 993 + o)
    assert admin.get("/users/nobody@example.test/mobileconfig").status_code == 404
    # The pages link to it: the user's own start page and the user's page for admins.
    site = f"http://127.0.0.1:{h.admin_port}"
    home = alice.http.get(site + "/", timeout=30).text
    assert f'href="/api/v1/users/{USER}/mobileconfig"' in home
    assert f"<strong>{HOST_NAME}</strong>" in home
    page = admin.http.get(site + f"/users/{OTHER}", timeout=30).text
    assert f'href="/api/v1/users/{OTHER}/mobileconfig"' in page
