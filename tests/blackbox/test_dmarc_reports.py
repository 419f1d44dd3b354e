"""DMARC aggregate reports (RFC 7489 §7.2). Sent: mail arriving from other servers for a
hosted mailbox is counted for its From domain when that domain's DMARC record asks for reports
(rua=); "send now" (POST /api/v1/dmarc/send) mails each domain its gzipped XML report through
the spool, to a sink standing in for the report address's server, and only to addresses whose
domain authorises it (§7.1). Received: a report mailed to a hosted address is delivered as
usual and its summary is listed by the admin API and page, to the domain's administrator too.

The sending test runs its own server with a test DNS server (outbound.py's Mailnet); clients
connect from 127.0.0.5, a bypass gateway, and the checks judge ORIGIN_IP, which the Received
field names (see filtering.py)."""

import gzip
import smtplib
import xml.etree.ElementTree as ET
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
import requests

from admin_api import Api, logged_in_admin, wait_for_api
from conftest import HOST, PASSWORD, USER, eventually, fetch_all
from filtering import CLIENT_IP, CLIENT_NAME, ORIGIN_IP, message
from outbound import mailnet  # noqa: F401

ALICE = "alice@a.test"
RUA = "dmarc@reports.test"


def send_from_gateway(node, sender, rcpt, msg):
    s = smtplib.SMTP(node.host, node.smtp_port, timeout=60, source_address=(CLIENT_IP, 0))
    try:
        s.ehlo(CLIENT_NAME)
        s.sendmail(sender, [rcpt], msg.encode())
    finally:
        s.quit()


def report_xml(delivery):
    """The XML of the gzipped report a sink received, parsed."""
    m = message_from_bytes(delivery.content, policy=policy.default)
    parts = [p for p in m.walk() if (p.get_filename() or "").endswith(".xml.gz")]
    assert len(parts) == 1, [p.get_content_type() for p in m.walk()]
    return m, ET.fromstring(gzip.decompress(parts[0].get_payload(decode=True)))


def text(node, path):
    found = node.find(path)
    assert found is not None, path
    return found.text


def rows_by_ip_and_spf(root):
    out = {}
    for rec in root.findall("{*}record"):
        key = (text(rec, "{*}row/{*}source_ip"), text(rec, "{*}identifiers/{*}envelope_from"))
        out[key] = rec
    return out


@pytest.fixture
def reporting(mailnet):
    net = mailnet
    node = net.heron("a", "127.0.0.1", users=[ALICE],
                     settings={"filter.bypass_gateways": CLIENT_IP,
                               "dmarc.report_org": "Heron Test"})
    sink = net.sink("127.0.0.2", domains=["reports.test"])
    z = net.zone
    z.set("10.2.0.192.in-addr.arpa", "PTR", "mx.sender.test")
    z.a("mx.sender.test", ORIGIN_IP)
    for domain in ("sender.test", "other.test"):
        z.txt(domain, f"v=spf1 ip4:{ORIGIN_IP} -all")
        z.txt(f"_dmarc.{domain}", f"v=DMARC1; p=none; rua=mailto:{RUA}")
    # reports.test takes sender.test's reports, not other.test's (RFC 7489 §7.1).
    z.txt("sender.test._report._dmarc.reports.test", "v=DMARC1")
    wait_for_api(node)
    return node, sink, logged_in_admin(node)


def test_reports_are_sent_to_authorised_addresses(reporting):
    node, sink, admin = reporting
    for i in range(3):
        send_from_gateway(node, "bob@sender.test", ALICE,
                          message(f"aligned {i}", sender="bob@sender.test", to=ALICE))
    # SPF passes for another domain than From: DMARC fails (p=none: delivered).
    send_from_gateway(node, "list@elsewhere.test", ALICE,
                      message("forwarded", sender="ceo@sender.test", to=ALICE))
    send_from_gateway(node, "x@other.test", ALICE,
                      message("other", sender="x@other.test", to=ALICE))
    def collected():
        rows = admin.get("/dmarc/collected").json()
        assert sum(r["count"] for r in rows) == 5, rows
        return rows
    rows = eventually(collected, 15, what="5 messages counted")
    by = {(r["domain"], r["envelope_from"]): r for r in rows}
    aligned = by[("sender.test", "sender.test")]
    assert aligned["count"] == 3 and aligned["source_ip"] == ORIGIN_IP, aligned
    assert aligned["spf"] == "pass" and aligned["spf_aligned"] and not aligned["dkim_aligned"]
    assert aligned["rua"] == RUA and "p=none" in aligned["policy"], aligned
    assert by[("sender.test", "elsewhere.test")]["spf_aligned"] is False

    r = admin.post("/dmarc/send")
    assert r.status_code == 200, r.text
    sent = r.json()
    assert sent["reports"] == 1 and sent["domains"] == 1 and sent["rows"] == 3, sent
    assert any("other.test" in s for s in sent["skipped"]), sent
    assert admin.get("/dmarc/collected").json() == []

    d = sink.wait(1, 30)[0]
    assert d.rcpt_tos == [RUA] and d.mail_from == "", (d.rcpt_tos, d.mail_from)
    m, root = report_xml(d)
    assert "Report Domain: sender.test" in m["Subject"], m["Subject"]
    assert text(root, "{*}report_metadata/{*}org_name") == "Heron Test"
    assert text(root, "{*}report_metadata/{*}email") == "noreply-dmarc@mx.a.test"
    assert text(root, "{*}policy_published/{*}domain") == "sender.test"
    assert text(root, "{*}policy_published/{*}p") == "none"
    rows = rows_by_ip_and_spf(root)
    assert set(rows) == {(ORIGIN_IP, "sender.test"), (ORIGIN_IP, "elsewhere.test")}, rows
    good = rows[(ORIGIN_IP, "sender.test")]
    assert text(good, "{*}row/{*}count") == "3"
    assert text(good, "{*}row/{*}policy_evaluated/{*}disposition") == "none"
    assert text(good, "{*}row/{*}policy_evaluated/{*}spf") == "pass"
    assert text(good, "{*}row/{*}policy_evaluated/{*}dkim") == "fail"
    assert text(good, "{*}identifiers/{*}header_from") == "sender.test"
    assert text(good, "{*}auth_results/{*}spf/{*}result") == "pass"
    bad = rows[(ORIGIN_IP, "elsewhere.test")]
    assert text(bad, "{*}row/{*}count") == "1"
    assert text(bad, "{*}row/{*}policy_evaluated/{*}spf") == "fail"

    # Nothing left: a second round sends nothing.
    again = admin.post("/dmarc/send").json()
    assert again["reports"] == 0 and again["rows"] == 0, again
    assert len(sink.messages()) == 1


def test_without_reports_nothing_is_counted(reporting):
    node, sink, admin = reporting
    r = admin.put("/settings/dmarc.reports", {"value": "false"})
    assert r.status_code == 200, r.text
    send_from_gateway(node, "bob@sender.test", ALICE,
                      message("quiet", sender="bob@sender.test", to=ALICE))
    eventually(lambda: len(fetch_all(node, ALICE)) == 1, 15, what="delivered")
    assert admin.get("/dmarc/collected").json() == []
    assert admin.post("/dmarc/send").json()["reports"] == 0
    assert sink.messages() == []


# ---------------------------------------------------------------- received reports

# RFC 7489 Appendix C's example report.
APPENDIX_C = """<?xml version="1.0" encoding="UTF-8" ?>
<feedback>
  <report_metadata>
    <org_name>acme.com</org_name>
    <email>noreply-dmarc-support@acme.com</email>
    <extra_contact_info>http://acme.com/dmarc/support</extra_contact_info>
    <report_id>9391651994964116463</report_id>
    <date_range>
      <begin>1335571200</begin>
      <end>1335657599</end>
    </date_range>
  </report_metadata>
  <policy_published>
    <domain>example.test</domain>
    <adkim>r</adkim>
    <aspf>r</aspf>
    <p>none</p>
    <sp>none</sp>
    <pct>100</pct>
  </policy_published>
  <record>
    <row>
      <source_ip>72.150.241.94</source_ip>
      <count>2</count>
      <policy_evaluated>
        <disposition>none</disposition>
        <dkim>fail</dkim>
        <spf>pass</spf>
      </policy_evaluated>
    </row>
    <identifiers>
      <header_from>example.test</header_from>
    </identifiers>
    <auth_results>
      <dkim>
        <domain>example.test</domain>
        <result>fail</result>
        <human_result></human_result>
      </dkim>
      <spf>
        <domain>example.test</domain>
        <result>pass</result>
      </spf>
    </auth_results>
  </record>
  <record>
    <row>
      <source_ip>2001:db8::25</source_ip>
      <count>7</count>
      <policy_evaluated>
        <disposition>none</disposition>
        <dkim>pass</dkim>
        <spf>pass</spf>
      </policy_evaluated>
    </row>
    <identifiers>
      <header_from>example.test</header_from>
    </identifiers>
    <auth_results>
      <dkim>
        <domain>example.test</domain>
        <selector>s1</selector>
        <result>pass</result>
      </dkim>
      <spf>
        <domain>example.test</domain>
        <result>pass</result>
      </spf>
    </auth_results>
  </record>
</feedback>
"""


def report_message(to=USER):
    m = EmailMessage()
    m["From"] = "noreply-dmarc-support@acme.com"
    m["To"] = to
    m["Subject"] = ("Report Domain: example.test Submitter: acme.com "
                    "Report-ID: <9391651994964116463>")
    m["Message-ID"] = "<report-9391651994964116463@acme.com>"
    m.set_content("This is an aggregate report from acme.com.\n")
    m.add_attachment(gzip.compress(APPENDIX_C.encode()), maintype="application",
                     subtype="gzip", filename="acme.com!example.test!1335571200!1335657599.xml.gz")
    return m.as_bytes(policy=policy.SMTP)


def send_report(server, to=USER):
    with smtplib.SMTP(HOST, server.smtp_port, timeout=30) as s:
        s.sendmail("noreply-dmarc-support@acme.com", [to], report_message(to))


def test_a_received_report_is_listed_with_its_rows(server):
    wait_for_api(server)
    admin = logged_in_admin(server)
    send_report(server)
    # Delivered as any message.
    got = eventually(lambda: fetch_all(server), 15, what="the report delivered")
    assert b"Report Domain: example.test" in got[0]

    def listed():
        r = admin.get("/dmarc/reports")
        assert r.status_code == 200 and len(r.json()) == 1, r.text
        return r
    r = eventually(listed, 15, what="the report listed")
    assert r.headers["x-total-count"] == "1"
    rep = r.json()[0]
    assert rep["domain"] == "example.test" and rep["org"] == "acme.com", rep
    assert rep["report_id"] == "9391651994964116463"
    assert rep["policy_domain"] == "example.test" and rep["policy"].startswith("p=none"), rep
    assert rep["begin"] == "2012-04-28T00:00:00Z" and rep["messages"] == 9 and rep["rows"] == 2

    detail = admin.get(f"/dmarc/reports/{rep['id']}")
    assert detail.status_code == 200, detail.text
    rows = {x["source_ip"]: x for x in detail.json()["rows"]}
    assert rows["72.150.241.94"]["count"] == 2
    assert (rows["72.150.241.94"]["dkim"], rows["72.150.241.94"]["spf"]) == ("fail", "pass")
    assert rows["2001:db8::25"]["count"] == 7
    assert "dkim=example.test:s1:pass" in rows["2001:db8::25"]["auth"], rows

    # The same report again is kept once.
    send_report(server)
    eventually(lambda: len(fetch_all(server)) == 2, 15, what="the copy delivered")
    assert len(admin.get("/dmarc/reports").json()) == 1
    assert admin.get("/dmarc/reports?domain=example.test").headers["x-total-count"] == "1"
    assert admin.get("/dmarc/reports/999999").status_code == 404

    # The page lists it and shows its rows.
    base = f"http://127.0.0.1:{server.admin_port}"
    page = admin.http.get(f"{base}/dmarc", timeout=30)
    assert page.status_code == 200 and "9391651994964116463" in page.text, page.text
    assert "DMARC reports" in page.text
    page = admin.http.get(f"{base}/dmarc/{rep['id']}", timeout=30)
    assert page.status_code == 200, page.text
    assert "72.150.241.94" in page.text and "2001:db8::25" in page.text

    # Another domain's administrator sees none of it.
    assert admin.post("/domains", {"name": "b.test"}).status_code == 201
    assert admin.post("/users", {"address": "boss@b.test", "password": "Falcon88x",
                                 "role": "domain-admin"}).status_code == 201
    da = Api(server)
    assert da.login("boss@b.test", "Falcon88x").status_code == 200
    r = da.get("/dmarc/reports")
    assert r.status_code == 200 and r.json() == [], r.text
    assert da.get("/dmarc/reports?domain=example.test").status_code == 403
    assert da.get(f"/dmarc/reports/{rep['id']}").status_code == 403
    assert da.post("/dmarc/send").status_code == 403
    assert da.http.get(f"{base}/dmarc/{rep['id']}", timeout=30).status_code == 403
    # Anonymous callers get nothing.
    assert requests.get(f"{base}/api/v1/dmarc/reports", timeout=30).status_code == 401
