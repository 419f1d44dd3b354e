"""ACME certificates (RFC 8555) against Pebble, a test certificate authority: the server
obtains a certificate for its names by HTTP-01 (served by the admin listener) or TLS-ALPN-01
(answered by an implicit-TLS listener), presents it on every TLS listener without a restart,
shows it in the admin API, and replaces it on renewal.

Pebble resolves the names through a dnslib server of the test (every name → 127.0.0.1) and
validates on the ports the test gives it: the admin listener for HTTP-01, IMAPS for
TLS-ALPN-01. Its own HTTPS certificate is made here with openssl."""

import imaplib
import json
import os
import poplib
import shutil
import smtplib
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from admin_api import logged_in_admin, wait_for_api
from conftest import HOST, eventually, free_port
from outbound_dns import DnsServer

PEBBLE = shutil.which("pebble")
pytestmark = pytest.mark.skipif(PEBBLE is None or shutil.which("openssl") is None,
                                reason="pebble and openssl are needed (apt-get install pebble)")

NAMES = ["mx.acme.test", "mail.acme.test"]


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def pebble_https(dir_):
    """A CA and a certificate for localhost/127.0.0.1 for Pebble's own HTTPS."""
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=Test ACME CA",
            cwd=dir_)
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", "key.pem", "-out", "req.csr", "-subj", "/CN=localhost", cwd=dir_)
    (dir_ / "ext.cnf").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", "req.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", "cert.pem", "-days", "2", "-extfile", "ext.cnf", cwd=dir_)
    return dir_ / "ca.pem"


class Pebble:
    """A Pebble process validating HTTP-01 on `http_port` and TLS-ALPN-01 on `tls_port`."""

    def __init__(self, base, dns, http_port, tls_port):
        self.dir = base / "pebble"
        self.dir.mkdir()
        self.ca = pebble_https(self.dir)
        self.port, self.mgmt = free_port(), free_port()
        config = {"pebble": {
            "listenAddress": f"127.0.0.1:{self.port}",
            "managementListenAddress": f"127.0.0.1:{self.mgmt}",
            "certificate": str(self.dir / "cert.pem"),
            "privateKey": str(self.dir / "key.pem"),
            "httpPort": http_port, "tlsPort": tls_port,
            "ocspResponderURL": "", "externalAccountBindingRequired": False}}
        (self.dir / "config.json").write_text(json.dumps(config))
        env = dict(os.environ, PEBBLE_VA_NOSLEEP="1", PEBBLE_WFE_NONCEREJECT="0",
                   PEBBLE_AUTHZREUSE="0")
        self.log = open(self.dir / "pebble.log", "wb")
        self.proc = subprocess.Popen(
            [PEBBLE, "-config", str(self.dir / "config.json"), "-dnsserver", dns.address],
            cwd=self.dir, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        eventually(lambda: self.get("/roots/0", mgmt=True), 20, what="pebble answers")

    @property
    def directory(self):
        return f"https://localhost:{self.port}/dir"

    def get(self, path, mgmt=False):
        ctx = ssl.create_default_context(cafile=str(self.ca))
        port = self.mgmt if mgmt else self.port
        with urllib.request.urlopen(f"https://localhost:{port}{path}", context=ctx,
                                    timeout=5) as r:
            return r.read().decode()

    def root_file(self):
        """Pebble's issuing root, to verify the certificates it issued."""
        path = self.dir / "issuing-root.pem"
        path.write_text(self.get("/roots/0", mgmt=True))
        return path

    def tail(self):
        return (self.dir / "pebble.log").read_text(errors="replace")[-3000:]

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)
        self.log.close()


@pytest.fixture
def dns():
    d = DnsServer().start()
    for name in NAMES:
        d.zone.a(name, HOST)
    yield d
    d.stop()


def verified(root):
    ctx = ssl.create_default_context(cafile=str(root))
    ctx.check_hostname = True
    return ctx


def peer(heron, root, port, kind="tls", name=NAMES[0]):
    """The verified certificate a listener presents for `name`: (serial, issuer CN)."""
    ctx = verified(root)
    if kind == "tls":
        with socket.create_connection((HOST, port), timeout=10) as raw:
            with ctx.wrap_socket(raw, server_hostname=name) as s:
                cert = s.getpeercert()
    elif kind == "smtp":
        with smtplib.SMTP(HOST, port, timeout=10) as s:
            s.ehlo("client.test")
            s._host = name
            s.starttls(context=ctx)
            cert = s.sock.getpeercert()
    elif kind == "imap":
        c = imaplib.IMAP4(HOST, port, timeout=10)
        c.host = name
        try:
            c.starttls(ssl_context=ctx)
            cert = c.sock.getpeercert()
        finally:
            c.logout()
    elif kind == "pop3":
        p = poplib.POP3(HOST, port, timeout=10)
        p.host = name
        try:
            p.stls(context=ctx)
            cert = p.sock.getpeercert()
        finally:
            p.quit()
    issuer = dict(x[0] for x in cert["issuer"])["commonName"]
    return cert["serialNumber"], issuer


def starttls_smtp_openssl(port, root, name):
    """`openssl s_client -starttls smtp`: its verification result and issuer line."""
    r = subprocess.run(["openssl", "s_client", "-connect", f"{HOST}:{port}", "-starttls", "smtp",
                        "-servername", name, "-verify_hostname", name, "-CAfile", str(root)],
                       input="QUIT\n", capture_output=True, text=True, timeout=20)
    return r.stdout + r.stderr


def acme_server(heron, pebble, challenge):
    heron.init()
    heron.set("server.hostname", NAMES[0])
    heron.set("acme.names", NAMES[1])
    heron.set("acme.contact", "admin@acme.test")
    heron.set("acme.challenge", challenge)
    heron.set("acme.ca_file", str(pebble.ca))
    heron.set("acme.directory", pebble.directory)
    return heron.start()


def listeners(heron):
    """Every TLS port: implicit TLS, STARTTLS, and the admin listener's HTTPS."""
    o = heron.offset
    return [(465 + o, "tls"), (993 + o, "tls"), (995 + o, "tls"), (587 + o, "smtp"),
            (25 + o, "smtp"), (143 + o, "imap"), (110 + o, "pop3"), (heron.admin_port, "tls")]


def wait_for_acme(heron, pebble, serial_before=None):
    def issued():
        root = pebble.root_file()
        serial, issuer = peer(heron, root, 993 + heron.offset)
        assert serial != serial_before
        return serial, issuer, root
    try:
        return eventually(issued, 60, interval=0.5, what="an ACME certificate on IMAPS")
    except AssertionError:
        print(heron.tail(80))
        print(pebble.tail())
        raise


@pytest.mark.parametrize("challenge", ["http-01", "tls-alpn-01"])
def test_certificate_is_obtained_and_presented_everywhere(heron, dns, tmp_path, challenge):
    pebble = Pebble(tmp_path, dns, http_port=heron.admin_port, tls_port=993 + heron.offset)
    try:
        acme_server(heron, pebble, challenge)
        serial, issuer, root = wait_for_acme(heron, pebble)
        assert "Pebble Intermediate" in issuer, issuer
        for port, kind in listeners(heron):
            for name in NAMES:
                assert peer(heron, root, port, kind, name) == (serial, issuer), (port, kind)
        out = starttls_smtp_openssl(587 + heron.offset, root, NAMES[1])
        assert "Verify return code: 0 (ok)" in out, out
        assert "Pebble Intermediate" in out, out
        # The account and the pair are kept in the data directory, keys private.
        acme_dir = heron.data / "tls" / "acme"
        for f in ("account.json", "key.pem"):
            assert (acme_dir / f).stat().st_mode & 0o777 == 0o600, f
        assert (acme_dir / "cert.pem").exists()
        # The CLI shows it.
        status = heron.cli("acme", "status").stdout
        assert "Pebble Intermediate" in status and "renewal:   not due" in status, status
        # The admin API lists it.
        wait_for_api(heron)
        api = logged_in_admin(heron)
        certs = api.get("/certificates").json()
        default = next(c for c in certs if "default" in c["used_by"])
        assert default["source"] == "acme", default
        assert sorted(default["names"]) == sorted(NAMES)
        assert "Pebble Intermediate" in default["issuer"]
        assert default["cert"].endswith("tls/acme/cert.pem")
        page = api.http.get(f"http://127.0.0.1:{heron.admin_port}/bindings", timeout=10)
        assert page.status_code == 200
        assert "Pebble Intermediate" in page.text
        # Renewal: with renew_days beyond the certificate's lifetime it is due at once; the
        # new certificate replaces the old one without a restart.
        heron.set("acme.renew_days", "100000")
        new_serial, _, _ = wait_for_acme(heron, pebble, serial_before=serial)
        for port, kind in listeners(heron):
            assert peer(heron, root, port, kind)[0] == new_serial, (port, kind)
        # A renewal asked for from the command line, with nothing due.
        heron.set("acme.renew_days", "30")
        heron.cli("acme", "renew")
        third, _, _ = wait_for_acme(heron, pebble, serial_before=new_serial)
        assert third != serial
        assert heron.alive()
    finally:
        pebble.stop()


def test_http01_token_path_needs_no_login_and_knows_only_pending_tokens(heron):
    heron.start()
    wait_for_api(heron)
    r = urllib.request.Request(
        f"http://127.0.0.1:{heron.admin_port}/.well-known/acme-challenge/unknown-token")
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(r, timeout=5)
    assert e.value.code == 404


def test_failed_order_is_logged_and_self_signed_stays(heron, tmp_path):
    heron.init()
    heron.set("server.hostname", NAMES[0])
    port = free_port()
    heron.set("acme.directory", f"https://localhost:{port}/dir")
    heron.start()
    def logged():
        text = "".join(p.read_text(errors="replace")
                       for p in (heron.data / "logs").rglob("*") if p.is_file())
        assert "ACME: no certificate for mx.acme.test" in text
        return text
    text = eventually(logged, 30, what="the failure is in the event log")
    assert "next try in 60s" in text
    # The dashboard lists it as a problem.
    wait_for_api(heron)
    api = logged_in_admin(heron)
    page = api.http.get(f"http://127.0.0.1:{heron.admin_port}/", timeout=10).text
    assert "data-problems" in page and "ACME: no certificate for mx.acme.test" in page
    with socket.create_connection((HOST, 993 + heron.offset), timeout=10) as raw:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        with ctx.wrap_socket(raw) as s:
            assert s.version()


def test_hosted_domains_names_are_certified_and_follow_the_domain_list(heron, dns, tmp_path):
    """`acme.domain_labels` adds LABEL.DOMAIN for every enabled hosted domain; a domain added
    later is in the next certificate without any setting being changed."""
    for name in ("mail.hosted.test", "mta-sts.hosted.test", "mail.later.test",
                 "mta-sts.later.test", "mail.off.test", "mta-sts.off.test"):
        dns.zone.a(name, HOST)
    pebble = Pebble(tmp_path, dns, http_port=heron.admin_port, tls_port=993 + heron.offset)
    try:
        heron.init()
        heron.cli("domain", "add", "hosted.test")
        heron.cli("domain", "add", "off.test")
        heron.cli("domain", "set", "off.test", "--disabled", "true")
        heron.set("acme.domain_labels", "mail, mta-sts")
        acme_server(heron, pebble, "http-01")
        serial, issuer, root = wait_for_acme(heron, pebble)
        port = heron.admin_port  # the MTA-STS policy is served here (RFC 8461: trusted HTTPS)
        for name in NAMES + ["mail.hosted.test", "mta-sts.hosted.test"]:
            assert peer(heron, root, port, "tls", name) == (serial, issuer), name
        status = heron.cli("acme", "status").stdout
        assert "mta-sts.hosted.test" in status and "off.test" not in status, status
        with pytest.raises(ssl.SSLCertVerificationError):
            peer(heron, root, port, "tls", "mail.off.test")
        # A domain added to the running server: certified within the keeper's domain check.
        heron.cli("domain", "add", "later.test")
        new_serial, _ = eventually(lambda: peer(heron, root, port, "tls", "mta-sts.later.test"),
                                   120, interval=2, what="a certificate naming later.test")
        assert new_serial != serial
        assert peer(heron, root, port, "tls", "mail.hosted.test")[0] == new_serial
    finally:
        pebble.stop()
