"""`heron dns DOMAIN` and GET /api/v1/domains/{name}/dns: every record a domain should
publish, checked through the configured resolver (a dnslib server here) and marked present,
missing or different as the zone serves them."""

import re

import pytest
from dnslib import SRV, TLSA

import outbound_dns
from admin_api import logged_in_admin, wait_for_api
from outbound_dns import DnsServer

HOST_NAME = "mx.example.test"
DOMAIN = "example.test"

_plain_rdata = outbound_dns._rdata


def _rdata(rtype, value):
    """The test zone's record types, with SRV and TLSA as the DNS check asks for them."""
    if rtype == "SRV":
        prio, weight, port, target = value.split()
        return SRV(int(prio), int(weight), int(port), target)
    if rtype == "TLSA":
        usage, selector, mtype, data = value.split()
        return TLSA(int(usage), int(selector), int(mtype), bytes.fromhex(data))
    return _plain_rdata(rtype, value)


@pytest.fixture
def dns(monkeypatch):
    monkeypatch.setattr(outbound_dns, "_rdata", _rdata)
    d = DnsServer().start()
    yield d
    d.stop()


@pytest.fixture
def dns_server(heron, dns):
    heron.set("server.hostname", HOST_NAME)
    heron.set("dns.servers", dns.address)
    # Stored, so the CLI (which reads the stored settings, not the server's --port-offset)
    # sees the same listeners as the server.
    o = heron.offset
    heron.set("bind.listeners", ", ".join(
        f"{p} {e} 127.0.0.1:{port + o}" for p, e, port in (
            ("smtp", "starttls", 25), ("submission", "starttls", 587),
            ("submission", "tls", 465), ("pop3", "starttls", 110), ("pop3", "tls", 995),
            ("imap", "starttls", 143), ("imap", "tls", 993))))
    heron.add_user()
    heron.cli("dkim", "generate", DOMAIN, "--algorithm", "ed25519")
    heron.start()
    wait_for_api(heron)
    return heron


def by_key(records):
    return {(r["name"], r["type"]): r for r in records}


def publish(zone, records, skip=(), change=None):
    """Serve `records` (API form) in `zone`, leaving out `skip` types/names and replacing
    values per `change` {(name, type): value}."""
    change = change or {}
    for r in records:
        key = (r["name"], r["type"])
        if r["type"] in skip or r["name"] in skip:
            continue
        value = change.get(key, r["value"])
        name = r["name"].rstrip(".")
        if r["type"] == "MX":
            pref, host = value.split()
            zone.add(name, "MX", (int(pref), host.rstrip(".")))
        elif r["type"] == "CNAME":
            zone.add(name, "CNAME", value.rstrip("."))
        else:
            zone.add(name, r["type"], value)


def test_dns_records_checked_against_the_resolver(dns_server, dns):
    h = dns_server
    api = logged_in_admin(h)
    r = api.get(f"/domains/{DOMAIN}/dns", params={"check": "false"})
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["host"] == HOST_NAME
    assert not report["checked"]
    wanted = by_key(report["records"])
    o = h.offset
    # Every kind of record, from the listeners in force.
    assert wanted[(f"{DOMAIN}.", "MX")]["value"] == f"10 {HOST_NAME}."
    assert wanted[(f"_imaps._tcp.{DOMAIN}.", "SRV")]["value"] == f"0 1 {993 + o} {HOST_NAME}."
    assert wanted[(f"_imap._tcp.{DOMAIN}.", "SRV")]["value"] == f"0 1 {143 + o} {HOST_NAME}."
    assert wanted[(f"_pop3s._tcp.{DOMAIN}.", "SRV")]["value"] == f"0 1 {995 + o} {HOST_NAME}."
    assert wanted[(f"_pop3._tcp.{DOMAIN}.", "SRV")]["value"] == f"0 1 {110 + o} {HOST_NAME}."
    assert wanted[(f"_submissions._tcp.{DOMAIN}.", "SRV")]["value"] == f"0 1 {465 + o} {HOST_NAME}."
    assert wanted[(f"_submission._tcp.{DOMAIN}.", "SRV")]["value"] == f"0 1 {587 + o} {HOST_NAME}."
    tlsa = wanted[(f"_{25 + o}._tcp.{HOST_NAME}.", "TLSA")]["value"]
    assert re.fullmatch(r"3 1 1 [0-9a-f]{64}", tlsa), tlsa
    assert wanted[(f"autoconfig.{DOMAIN}.", "CNAME")]["value"] == f"{HOST_NAME}."
    assert wanted[(f"autodiscover.{DOMAIN}.", "CNAME")]["value"] == f"{HOST_NAME}."
    assert wanted[(f"mta-sts.{DOMAIN}.", "CNAME")]["value"] == f"{HOST_NAME}."
    assert wanted[(f"_mta-sts.{DOMAIN}.", "TXT")]["value"].startswith("v=STSv1; id=")
    assert wanted[(f"_smtp._tls.{DOMAIN}.", "TXT")]["value"].startswith("v=TLSRPTv1; rua=mailto:")
    assert wanted[(f"_dmarc.{DOMAIN}.", "TXT")]["value"].startswith("v=DMARC1;")
    assert wanted[(f"{DOMAIN}.", "TXT")]["value"].startswith("v=spf1 ")
    dkim = wanted[(f"heron._domainkey.{DOMAIN}.", "TXT")]
    assert dkim["value"].startswith("v=DKIM1;") and "k=ed25519" in dkim["value"]
    assert (HOST_NAME + ".", "A") in wanted

    # The zone serves everything but DKIM, a different SPF record and no TLS-RPT name.
    spf = (f"{DOMAIN}.", "TXT")
    publish(dns.zone, report["records"],
            skip=("_smtp._tls.example.test.", "heron._domainkey.example.test."),
            change={spf: "v=spf1 a -all"})
    dns.zone.add(DOMAIN, "TXT", "google-site-verification=abc")  # another kind: ignored

    r = api.get(f"/domains/{DOMAIN}/dns")
    assert r.status_code == 200, r.text
    checked = by_key(r.json()["records"])
    status = {k: v["status"] for k, v in checked.items()}
    assert status[(f"heron._domainkey.{DOMAIN}.", "TXT")] == "missing"
    assert status[(f"_smtp._tls.{DOMAIN}.", "TXT")] == "missing"
    assert status[spf] == "different"
    assert checked[spf]["found"] == ["v=spf1 a -all"]
    others = {k: s for k, s in status.items()
              if k not in (spf, (f"heron._domainkey.{DOMAIN}.", "TXT"),
                           (f"_smtp._tls.{DOMAIN}.", "TXT"))}
    assert set(others.values()) == {"present"}, others

    # The CLI says the same, one zone line per record with its status.
    out = h.cli("dns", DOMAIN).stdout
    lines = {l.split(" IN ")[0] + " " + l.split(" IN ")[1].split()[0]: l
             for l in out.splitlines() if " IN " in l and not l.startswith(";")}
    assert lines[f"heron._domainkey.{DOMAIN}. TXT"].endswith("; missing")
    assert "; different (published: v=spf1 a -all)" in lines[f"{DOMAIN}. TXT"]
    assert lines[f"{DOMAIN}. MX"].endswith("; present")
    assert lines[f"_imaps._tcp.{DOMAIN}. SRV"].endswith("; present")
    assert lines[f"_{25 + o}._tcp.{HOST_NAME}. TLSA"].endswith("; present")
    assert re.search(r"; \d+ present, 2 missing, 1 different, 0 not checked", out), out
    # Without the check: the records alone.
    plain = h.cli("dns", DOMAIN, "--no-check").stdout
    assert "present" not in plain and f'heron._domainkey.{DOMAIN}. IN TXT "v=DKIM1;' in plain


def test_dns_page_and_permissions(dns_server):
    h = dns_server
    api = logged_in_admin(h)
    assert api.get("/domains/nowhere.test/dns").status_code == 404
    page = api.http.get(f"http://127.0.0.1:{h.admin_port}/domains/{DOMAIN}/dns", timeout=30)
    assert page.status_code == 200, page.text
    assert "_imaps._tcp." in page.text and "heron._domainkey." in page.text
    assert "data-status" not in page.text  # no lookups unless asked
    page = api.http.get(f"http://127.0.0.1:{h.admin_port}/domains/{DOMAIN}/dns?check=1",
                        timeout=30)
    assert page.status_code == 200, page.text
    assert f'data-record="heron._domainkey.{DOMAIN}. TXT" data-status="missing"' in page.text
    doc = api.get("/openapi.json").json()
    assert "/api/v1/domains/{name}/dns" in doc["paths"]
    assert "/api/v1/system/addresses" in doc["paths"]
