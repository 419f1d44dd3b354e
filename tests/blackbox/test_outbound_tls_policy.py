"""Outbound TLS policy: MTA-STS (RFC 8461) and TLS reporting (RFC 8460), and the MTA-STS
policy Heron serves for its own domains.

A test certificate authority (trusted through `smtp_out.tls_ca_file`) signs the certificates
of the policy's HTTPS server (mta-sts.c.test, on its own loopback address and port, named by
`smtp_out.mta_sts_port`) and of a good MX; a bad MX shows a self-signed certificate. The test
DNS server publishes `_mta-sts.c.test` and `_smtp._tls.c.test`."""

import datetime
import gzip
import http.server
import json
import ssl
import threading
from email import message_from_bytes, policy

import pytest
import requests

from admin_api import logged_in_admin, wait_for_api
from conftest import eventually, free_port
from outbound import ALICE, make_message, mailnet, submit  # noqa: F401

crypto = pytest.importorskip("cryptography")
from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402

CAROL = "carol@c.test"
RUA = "tls@reports.test"
POLICY_IP = "127.0.0.3"


class Ca:
    """A certificate authority that signs server certificates for given names."""

    def __init__(self, directory):
        self.dir = directory
        self.key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Heron Test CA")])
        now = datetime.datetime.now(datetime.timezone.utc)
        self.cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                     .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
                     .not_valid_before(now - datetime.timedelta(days=1))
                     .not_valid_after(now + datetime.timedelta(days=30))
                     .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                     .add_extension(x509.KeyUsage(True, False, False, False, False, True, True,
                                                  False, False), critical=True)
                     .sign(self.key, hashes.SHA256()))
        self.path = directory / "ca.pem"
        self.path.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))

    def server_context(self, name, chain=False):
        """A server context for `name`; with `chain`, the server shows the CA too."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        cert = (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
                .issuer_name(self.cert.subject).public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(days=1))
                .not_valid_after(now + datetime.timedelta(days=10))
                .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .sign(self.key, hashes.SHA256()))
        cert_path, key_path = self.dir / f"{name}.pem", self.dir / f"{name}.key"
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        chain_path = self.dir / f"{name}.chain.pem"
        chain_path.write_bytes(cert_path.read_bytes() + self.path.read_bytes())
        key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                               serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(chain_path if chain else cert_path, key_path)
        return ctx


class PolicyServer:
    """An HTTPS server answering /.well-known/mta-sts.txt with `text`."""

    def __init__(self, ctx, ip, text):
        self.text = text
        self.fetches = 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                outer.fetches += 1
                if self.path != "/.well-known/mta-sts.txt":
                    self.send_error(404)
                    return
                body = outer.text.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.port = free_port()
        self.httpd = http.server.ThreadingHTTPServer((ip, self.port), Handler)
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def enforce_policy(mx="mx.c.test"):
    return f"version: STSv1\r\nmode: enforce\r\nmx: {mx}\r\nmax_age: 86400\r\n"


@pytest.fixture
def sts(mailnet, tmp_path):
    """A CA, the policy server of c.test (enforce, mx.c.test), c.test's TLS-RPT record and a
    sink for the reports; yields a function starting Heron a.test trusting the CA."""
    ca = Ca(tmp_path)
    z = mailnet.zone
    server = PolicyServer(ca.server_context("mta-sts.c.test"), POLICY_IP, enforce_policy())
    z.a("mta-sts.c.test", POLICY_IP)
    z.txt("_mta-sts.c.test", "v=STSv1; id=20260101T000000;")
    z.txt("_smtp._tls.c.test", f"v=TLSRPTv1; rua=mailto:{RUA}")
    reports = mailnet.sink("127.0.0.4", domains=["reports.test"])

    def start():
        node = mailnet.heron("a", "127.0.0.1", users=[ALICE], settings={
            "smtp_out.tls_ca_file": str(ca.path),
            "smtp_out.mta_sts_port": str(server.port),
        })
        wait_for_api(node)
        return node

    try:
        yield ca, server, reports, start
    finally:
        server.stop()


def report_json(delivery):
    m = message_from_bytes(delivery.content, policy=policy.default)
    parts = [p for p in m.walk() if (p.get_filename() or "").endswith(".json.gz")]
    assert len(parts) == 1, [p.get_content_type() for p in m.walk()]
    assert parts[0].get_content_type() == "application/tlsrpt+gzip"
    return m, json.loads(gzip.decompress(parts[0].get_payload(decode=True)))


def test_enforce_defers_an_untrusted_mx_and_reports_it(mailnet, sts, tmp_path):
    ca, server, reports, start = sts
    # A certificate for the right name, from an authority Heron does not trust.
    other = tmp_path / "other-ca"
    other.mkdir()
    bad = mailnet.sink("127.0.0.2", domains=["c.test"],
                       tls=Ca(other).server_context("mx.c.test"))
    node = start()
    submit(node, [CAROL], make_message("enforced", ALICE, to=CAROL), ALICE)
    admin = logged_in_admin(node)

    def failure_counted():
        rows = admin.get("/tlsrpt/results").json()
        return [r for r in rows if r["result"] != "success"] or None
    rows = eventually(failure_counted, 30, what="the TLS failure is counted")
    assert rows[0]["domain"] == "c.test" and rows[0]["mx_host"] == "mx.c.test", rows
    assert rows[0]["result"] == "certificate-not-trusted", rows
    assert server.fetches >= 1
    # Never in plain text: the sink saw no transaction at all.
    assert bad.messages() == [] and bad.rcpts_seen == []
    spool = node.cli("spool", "list", check=False).stdout
    assert CAROL in spool or "c.test" in spool, spool

    r = admin.post("/tlsrpt/send")
    assert r.status_code == 200, r.text
    assert r.json()["domains"] == 1, r.json()
    d = reports.wait(1, 30)[0]
    assert d.rcpt_tos == [RUA] and d.mail_from == "", (d.rcpt_tos, d.mail_from)
    m, report = report_json(d)
    assert m["TLS-Report-Domain"] == "c.test"
    assert "Report Domain: c.test" in m["Subject"]
    (pol,) = report["policies"]
    assert pol["policy"]["policy-type"] == "sts"
    assert pol["policy"]["policy-domain"] == "c.test"
    assert "mode: enforce" in pol["policy"]["policy-string"]
    assert pol["policy"]["mx-host"] == ["mx.c.test"]
    assert pol["summary"]["total-failure-session-count"] >= 1
    assert pol["summary"]["total-successful-session-count"] == 0
    detail = pol["failure-details"][0]
    assert detail["result-type"] == "certificate-not-trusted", detail
    assert detail["receiving-mx-hostname"] == "mx.c.test"
    assert detail["receiving-ip"] == "127.0.0.2"
    assert bad.messages() == []


def test_enforce_delivers_over_verified_tls(mailnet, sts):
    ca, server, reports, start = sts
    good = mailnet.sink("127.0.0.2", domains=["c.test"], tls=ca.server_context("mx.c.test"))
    node = start()
    submit(node, [CAROL], make_message("verified", ALICE, to=CAROL), ALICE)
    d = good.wait(1, 30)[0]
    assert d.tls and d.rcpt_tos == [CAROL]
    admin = logged_in_admin(node)
    rows = eventually(lambda: admin.get("/tlsrpt/results").json() or None, 10,
                      what="the success is counted")
    assert [r["result"] for r in rows] == ["success"], rows


def test_enforce_refuses_an_mx_outside_the_policy(mailnet, sts):
    ca, server, reports, start = sts
    server.text = enforce_policy(mx="mail.c.test")
    sink = mailnet.sink("127.0.0.2", domains=["c.test"], tls=ca.server_context("mx.c.test"))
    node = start()
    submit(node, [CAROL], make_message("wrong mx", ALICE, to=CAROL), ALICE)
    admin = logged_in_admin(node)
    rows = eventually(lambda: admin.get("/tlsrpt/results").json() or None, 30,
                      what="the refusal is counted")
    assert rows[0]["result"] == "validation-failure", rows
    assert sink.rcpts_seen == []


def test_hosted_domains_policy_is_served(mailnet):
    node = mailnet.heron("a", "127.0.0.1", settings={"mta_sts.max_age": "3600"})
    wait_for_api(node)
    url = f"http://127.0.0.1:{node.admin_port}/.well-known/mta-sts.txt"
    r = requests.get(url, headers={"Host": "mta-sts.a.test"}, timeout=10)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("text/plain")
    lines = r.text.split("\r\n")
    assert lines[:2] == ["version: STSv1", "mode: testing"], lines
    assert "mx: mx.a.test" in lines and "max_age: 3600" in lines, lines
    assert requests.get(url, headers={"Host": "mta-sts.other.test"},
                        timeout=10).status_code == 404
    assert requests.get(url, timeout=10).status_code == 404


def spki_sha256(ctx_cert_path):
    cert = x509.load_pem_x509_certificate(ctx_cert_path.read_bytes())
    spki = cert.public_key().public_bytes(serialization.Encoding.DER,
                                          serialization.PublicFormat.SubjectPublicKeyInfo)
    digest = hashes.Hash(hashes.SHA256())
    digest.update(spki)
    return digest.finalize()


@pytest.fixture
def dane(mailnet, tmp_path):
    """c.test with an authenticated MX answer (AD bit) and a sink with a certificate from an
    authority Heron does not know; yields (sink, tlsa name, start)."""
    ca = Ca(tmp_path)
    sink = mailnet.sink("127.0.0.2", domains=["c.test"],
                        tls=ca.server_context("mx.c.test", chain=True))
    name = f"_{mailnet.port}._tcp.mx.c.test"
    mailnet.zone.authenticate("c.test", name)

    def start():
        return mailnet.heron("a", "127.0.0.1", users=[ALICE], settings={"smtp_out.dane": "true"})

    return sink, name, tmp_path / "mx.c.test.pem", ca, start


def test_dane_ee_match_delivers(mailnet, dane):
    sink, name, cert_path, ca, start = dane
    mailnet.zone.tlsa(name, (3, 1, 1, spki_sha256(cert_path)))
    node = start()
    submit(node, [CAROL], make_message("dane ok", ALICE, to=CAROL), ALICE)
    d = sink.wait(1, 30)[0]
    assert d.tls and d.rcpt_tos == [CAROL]
    assert mailnet.zone.asked(name, "TLSA")


def test_dane_ta_match_delivers(mailnet, dane):
    sink, name, cert_path, ca, start = dane
    ca_der = ca.cert.public_bytes(serialization.Encoding.DER)
    digest = hashes.Hash(hashes.SHA256())
    digest.update(ca_der)
    mailnet.zone.tlsa(name, (2, 0, 1, digest.finalize()))
    # DANE-TA needs the anchor in the chain the server shows (the fixture's sink does).
    node = start()
    submit(node, [CAROL], make_message("dane ta", ALICE, to=CAROL), ALICE)
    d = sink.wait(1, 30)[0]
    assert d.tls


def test_dane_mismatch_defers_and_never_sends_plain(mailnet, dane):
    sink, name, cert_path, ca, start = dane
    mailnet.zone.tlsa(name, (3, 1, 1, b"\x00" * 32))
    node = start()
    submit(node, [CAROL], make_message("dane bad", ALICE, to=CAROL), ALICE)
    wait_for_api(node)
    admin = logged_in_admin(node)
    rows = eventually(lambda: admin.get("/tlsrpt/results").json() or None, 30,
                      what="the DANE failure is counted")
    assert rows[0]["policy_type"] == "tlsa" and rows[0]["result"] == "validation-failure", rows
    assert sink.messages() == [] and sink.rcpts_seen == []


def test_dane_ignored_without_authenticated_mx(mailnet, dane):
    sink, name, cert_path, ca, start = dane
    mailnet.zone.secure.clear()
    mailnet.zone.tlsa(name, (3, 1, 1, b"\x00" * 32))
    node = start()
    submit(node, [CAROL], make_message("no dnssec", ALICE, to=CAROL), ALICE)
    d = sink.wait(1, 30)[0]
    assert d.tls  # opportunistic, any certificate
    assert not mailnet.zone.asked(name, "TLSA")


# ---------------------------------------------------------------- REQUIRETLS (RFC 8689)


def test_requiretls_is_offered_and_taken_only_over_tls(mailnet):
    import smtplib
    node = mailnet.heron("c", "127.0.0.2", users=[CAROL])
    s = smtplib.SMTP(node.host, node.smtp_port, timeout=30)
    try:
        s.ehlo("client.test")
        assert not s.has_extn("requiretls")
        code, _ = s.docmd("MAIL FROM:<x@client.test> REQUIRETLS")
        assert code == 530, code
        s.starttls(context=ssl._create_unverified_context())
        s.ehlo("client.test")
        assert s.has_extn("requiretls")
        code, text = s.docmd("MAIL FROM:<x@client.test> REQUIRETLS")
        assert code == 250, (code, text)
    finally:
        s.close()


def test_requiretls_goes_over_verified_tls_to_a_server_offering_it(mailnet, sts, tmp_path):
    from conftest import fetch_all
    ca, server, reports, start = sts
    ca.server_context("mx.c.test")  # writes mx.c.test.pem / .key
    mailnet.heron("c", "127.0.0.2", users=[CAROL], settings={
        "tls.cert": str(tmp_path / "mx.c.test.pem"),
        "tls.key": str(tmp_path / "mx.c.test.key"),
    })
    node = start()
    submit(node, [CAROL], make_message("needs tls", ALICE, to=CAROL), ALICE,
           mail_options=["REQUIRETLS"])
    c = mailnet.nodes[0]
    got = eventually(lambda: fetch_all(c, CAROL) or None, 30, what="carol got it")
    assert b"needs tls" in got[0]


def test_requiretls_without_a_policy_bounces_with_5_7_30(mailnet, tmp_path):
    from conftest import fetch_all
    sink = mailnet.sink("127.0.0.2", domains=["d.test"], tls=Ca(tmp_path).server_context("mx.d.test"))
    node = mailnet.heron("a", "127.0.0.1", users=[ALICE])
    submit(node, ["dan@d.test"], make_message("no policy", ALICE, to="dan@d.test"), ALICE,
           mail_options=["REQUIRETLS"])
    bounce = eventually(lambda: [m for m in fetch_all(node, ALICE) if b"5.7.30" in m] or None,
                        30, what="the bounce with 5.7.30")
    assert b"REQUIRETLS" in bounce[0]
    assert sink.rcpts_seen == []


def test_tls_required_no_relaxes_an_enforce_policy(mailnet, sts, tmp_path):
    ca, server, reports, start = sts
    other = tmp_path / "other-ca"
    other.mkdir()
    bad = mailnet.sink("127.0.0.2", domains=["c.test"],
                       tls=Ca(other).server_context("mx.c.test"))
    node = start()
    msg = make_message("relaxed", ALICE, to=CAROL, extra=["TLS-Required: No"])
    submit(node, [CAROL], msg, ALICE)
    d = bad.wait(1, 30)[0]
    assert d.tls and d.subject == "relaxed"


def test_testing_mode_delivers_and_reports(mailnet, sts, tmp_path):
    ca, server, reports, start = sts
    server.text = server.text.replace("mode: enforce", "mode: testing")
    other = tmp_path / "other-ca"
    other.mkdir()
    bad = mailnet.sink("127.0.0.2", domains=["c.test"],
                       tls=Ca(other).server_context("mx.c.test"))
    node = start()
    submit(node, [CAROL], make_message("testing mode", ALICE, to=CAROL), ALICE)
    assert bad.wait(1, 30)[0].subject == "testing mode"
    admin = logged_in_admin(node)
    rows = eventually(lambda: admin.get("/tlsrpt/results").json() or None, 10,
                      what="the failure is counted")
    assert rows[0]["result"] == "certificate-not-trusted", rows


def test_policy_is_cached_until_its_id_changes(mailnet, sts):
    ca, server, reports, start = sts
    good = mailnet.sink("127.0.0.2", domains=["c.test"], tls=ca.server_context("mx.c.test"))
    node = start()
    for i in range(2):
        submit(node, [CAROL], make_message(f"cached {i}", ALICE, to=CAROL), ALICE)
        good.wait(i + 1, 30)
    assert server.fetches == 1
    mailnet.zone.txt("_mta-sts.c.test", "v=STSv1; id=20260102T000000;")
    submit(node, [CAROL], make_message("new id", ALICE, to=CAROL), ALICE)
    good.wait(3, 30)
    assert server.fetches == 2
