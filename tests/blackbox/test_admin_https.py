"""The admin listener over HTTPS: one port for HTTPS and plain HTTP (plain only for loopback
clients, others redirected), Secure cookies and HSTS, TLS 1.2+ with the server's order of
ECDHE+AEAD suites, and certificates uploaded as PEM through the API (used at once by the
admin port and the mail listeners, listed with names, issuer and end of validity)."""

import os
import socket
import ssl
import stat
import subprocess
from datetime import datetime, timezone

import pytest
import requests

from admin_api import ADMIN_PASSWORD, Api, admin, error_of, logged_in, wait_for_api  # noqa: F401
from browser import run_ui
from conftest import HOST, eventually

pytestmark = pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")


def https(heron, path="/api/v1/openapi.json", **kw):
    return requests.get(f"https://{HOST}:{heron.admin_port}{path}", verify=False, timeout=10,
                        allow_redirects=False, **kw)


def peer(port, ctx=None, hostname=None):
    """Handshake with `port`: (version, cipher, the server's certificate DER)."""
    if ctx is None:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection((HOST, port), timeout=10) as s:
        with ctx.wrap_socket(s, server_hostname=hostname or HOST) as t:
            return t.version(), t.cipher()[0], t.getpeercert(binary_form=True)


def x509(der, *args):
    pem = ssl.DER_cert_to_PEM_cert(der)
    return subprocess.run(["openssl", "x509", "-noout", *args], input=pem, text=True,
                          capture_output=True, check=True).stdout


def days_valid(der):
    out = x509(der, "-startdate", "-enddate")
    dates = dict(line.split("=", 1) for line in out.strip().splitlines())
    parse = lambda s: datetime.strptime(s, "%b %d %H:%M:%S %Y %Z")
    return (parse(dates["notAfter"]) - parse(dates["notBefore"])).days


def test_one_port_speaks_https_and_plain_http(admin):
    heron = admin.heron
    r = https(heron)
    assert r.status_code == 200, r.text
    assert "Strict-Transport-Security" not in r.headers  # self-signed: no HSTS
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    # curl, too, over HTTPS and plain HTTP on the same port.
    out = subprocess.run(["curl", "-ksS", "-o", "/dev/null", "-w", "%{http_code} %{scheme}",
                          f"https://{HOST}:{heron.admin_port}/login"],
                         capture_output=True, text=True, timeout=30)
    assert out.stdout.strip().lower() == "200 https", out
    plain = requests.get(f"http://{HOST}:{heron.admin_port}/login", timeout=10)
    assert plain.status_code == 200
    # The session cookie is Secure over HTTPS only.
    tls_api = Api(heron)
    tls_api.base = f"https://{HOST}:{heron.admin_port}/api/v1"
    tls_api.http.verify = False
    tls_api.request = lambda *a, **kw: Api.request(tls_api, *a, verify=False, **kw)
    r = tls_api.login("admin", ADMIN_PASSWORD)
    assert r.status_code == 200, r.text
    assert "; Secure" in r.headers["Set-Cookie"], r.headers
    assert tls_api.get("/me").status_code == 200
    r = Api(heron).login("admin", ADMIN_PASSWORD)
    assert "Secure" not in r.headers["Set-Cookie"], r.headers


def test_tls_versions_and_suites_are_the_servers(server):
    wait_for_api(server)
    for port in (server.admin_port, 993 + server.offset):
        version, _, der = peer(port)
        assert version == "TLSv1.3"
        assert days_valid(der) <= 398
        # TLS 1.2 client preferring AES-128: the server's order picks AES-256.
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        ctx.set_ciphers("ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                        "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES256-GCM-SHA384:"
                        "ECDHE-RSA-AES256-GCM-SHA384")
        version, cipher, _ = peer(port, ctx)
        assert version == "TLSv1.2"
        assert "AES256-GCM" in cipher, cipher
        # CBC suites and old versions are not offered.
        ctx.set_ciphers("ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:AES128-SHA")
        with pytest.raises(ssl.SSLError):
            peer(port, ctx)
        out = subprocess.run(["openssl", "s_client", "-connect", f"{HOST}:{port}", "-tls1_1",
                              "-cipher", "ALL:@SECLEVEL=0"], input="", capture_output=True,
                             text=True, timeout=30)
        assert "Cipher is (NONE)" in out.stdout or out.returncode != 0, out.stdout


def test_plain_http_from_elsewhere_is_redirected(admin):
    heron = admin.heron
    # Loopback clients are treated as any other once plain HTTP on loopback is off.
    assert admin.put("/settings/admin.plain_http_loopback", {"value": "false"}).status_code == 200
    url = f"http://{HOST}:{heron.admin_port}/domains?page=2"

    def redirected():
        r = requests.get(url, timeout=10, allow_redirects=False)
        return r if r.status_code == 308 else None
    r = eventually(redirected, 10, what="plain HTTP redirected")
    assert r.headers["Location"] == f"https://{HOST}:{heron.admin_port}/domains?page=2"
    # No handler runs for a plain request: a login is redirected, not answered.
    r = requests.post(f"http://{HOST}:{heron.admin_port}/api/v1/session",
                      json={"username": "admin", "password": "x"}, timeout=10,
                      allow_redirects=False)
    assert r.status_code == 308 and "Set-Cookie" not in r.headers
    assert r.headers["Location"].startswith("https://")
    assert https(heron).status_code == 200


def make_ca(d):
    """A CA and an issuing function: leaf(name) -> (cert PEM with chain, key PEM)."""
    def run(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=d)
    run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", "ca.key", "-out", "ca.crt", "-days", "30", "-subj", "/CN=Heron Test CA")

    def leaf(name, days=20):
        run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}")
        (d / f"{name}.ext").write_text(f"subjectAltName=DNS:{name},DNS:localhost,IP:127.0.0.1\n")
        run("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", f"{name}.crt", "-days", str(days), "-extfile", f"{name}.ext")
        chain = (d / f"{name}.crt").read_text() + (d / "ca.crt").read_text()
        return chain, (d / f"{name}.key").read_text()
    return d / "ca.crt", leaf


def trusting(ca):
    ctx = ssl.create_default_context(cafile=str(ca))
    return ctx


def test_uploaded_certificates_are_used_and_listed(admin, tmp_path):
    heron = admin.heron
    ca, leaf = make_ca(tmp_path)
    chain, key = leaf("mail.example.test")
    r = admin.post("/certificates", {"cert": chain, "key": key})
    assert r.status_code == 200, r.text
    stored = r.json()
    assert stored["names"] == ["mail.example.test", "localhost", "127.0.0.1"]
    assert "Heron Test CA" in stored["issuer"] and not stored["self_issued"]
    assert stored["used_by"] == ["default"]
    assert stat.S_IMODE(os.stat(stored["key"]).st_mode) == 0o600
    assert str(heron.data) in stored["key"]

    # The admin port and the mail listeners present it (new connections), and HSTS is sent.
    def trusted(port):
        return peer(port, trusting(ca), hostname="localhost")
    for port in (heron.admin_port, 993 + heron.offset, 465 + heron.offset):
        eventually(lambda: trusted(port), 10, what=f"port {port} presents the upload")
    r = requests.get(f"https://localhost:{heron.admin_port}/login", verify=str(ca), timeout=10)
    assert r.headers.get("Strict-Transport-Security") == "max-age=31536000", r.headers

    # A listener of its own: POP3S gets another certificate; the rest keep the default.
    other_chain, other_key = leaf("pop.example.test")
    pop3s = f"{HOST}:{995 + heron.offset}"
    r = admin.post("/certificates", {"cert": other_chain, "key": other_key, "listener": pop3s})
    assert r.status_code == 200, r.text
    assert r.json()["used_by"] == [f"pop3 tls {pop3s}"]

    def pop_names():
        return "pop.example.test" in x509(trusted(995 + heron.offset)[2], "-subject")
    eventually(pop_names, 10, what="POP3S presents its own certificate")
    assert "mail.example.test" in x509(trusted(993 + heron.offset)[2], "-subject")

    listed = admin.get("/certificates").json()
    assert listed[0]["used_by"][0] == "default" and listed[0]["source"] == "settings"
    assert listed[0]["names"][0] == "mail.example.test"
    own = [c for c in listed if c["source"] == "listener"]
    assert len(own) == 1 and own[0]["used_by"] == [f"pop3 tls {pop3s}"]
    assert own[0]["names"][0] == "pop.example.test"
    until = datetime.fromisoformat(own[0]["not_after"].replace("Z", "+00:00"))
    assert 0 < (until - datetime.now(timezone.utc)).days <= 20

    # The bindings page shows them, with the upload form.
    page = admin.http.get(f"http://{HOST}:{heron.admin_port}/bindings", timeout=10).text
    assert "pop.example.test" in page and "Heron Test CA" in page
    assert 'id="certificate-form"' in page


def test_uploads_that_do_not_load_are_refused(admin, tmp_path):
    _, leaf = make_ca(tmp_path)
    chain, _ = leaf("a.example.test")
    _, other_key = leaf("b.example.test")
    assert "does not belong" in error_of(
        admin.post("/certificates", {"cert": chain, "key": other_key}), 400, "key")
    error_of(admin.post("/certificates", {"cert": "not PEM", "key": other_key}), 400, "cert")
    error_of(admin.post("/certificates", {"cert": chain, "key": "nope"}), 400, "key")
    error_of(admin.post("/certificates", {"cert": chain, "key": other_key,
                                          "listener": "127.0.0.1:1"}), 422, "listener")
    assert not (admin.heron.data / "tls" / "uploaded").exists()
    # Only the system administrator.
    assert Api(admin.heron).get("/certificates").status_code == 401
    admin.heron.add_user("chief@example.test", "Boss-pass-77")
    assert admin.patch("/users/chief@example.test", {"role": "domain-admin"}).status_code == 200
    chief = logged_in(admin.heron, "chief@example.test", "Boss-pass-77")
    assert chief.get("/certificates").status_code == 403
    assert chief.post("/certificates", {"cert": chain, "key": other_key}).status_code == 403


def test_certificate_uploaded_in_the_browser_over_https(admin, tmp_path):
    """Bindings page in Chromium over HTTPS: choose the files, upload for IMAPS, see it
    listed; IMAPS then presents it."""
    heron = admin.heron
    ca, leaf = make_ca(tmp_path)
    chain, key = leaf("imap.example.test")
    (tmp_path / "chain.pem").write_text(chain)
    imaps = f"{HOST}:{993 + heron.offset}"
    out = run_ui(heron, "upload-certificate", "upload-certificate", scheme="https",
                 admin_password=ADMIN_PASSWORD, listener=imaps, name="imap.example.test",
                 cert_file=str(tmp_path / "chain.pem"),
                 key_file=str(tmp_path / "imap.example.test.key"))
    assert f"imap tls {imaps}" in out["row"] and "Heron Test CA" in out["row"], out
    eventually(lambda: "imap.example.test" in x509(
        peer(993 + heron.offset, trusting(ca), hostname="localhost")[2], "-subject"),
        10, what="IMAPS presents the uploaded certificate")


def test_a_long_lived_self_signed_certificate_is_made_again(heron):
    """A data directory whose self-signed certificate was made for ten years (older
    versions): the server makes a new one, valid at most 398 days, at start."""
    heron.init()
    tls = heron.data / "tls"
    tls.mkdir(exist_ok=True)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", str(tls / "self-signed.key"),
                    "-out", str(tls / "self-signed.crt"), "-days", "3650",
                    "-subj", "/CN=old.example.test"], check=True, capture_output=True)
    heron.start()
    wait_for_api(heron)
    for port in (heron.admin_port, heron.pop3s_port):
        _, _, der = peer(port)
        assert days_valid(der) <= 398
        assert "old.example.test" not in x509(der, "-subject")


def test_a_listener_certificate_near_its_end_is_on_the_dashboard(admin, tmp_path):
    heron = admin.heron
    _, leaf = make_ca(tmp_path)
    chain, key = leaf("soon.example.test", days=5)
    imaps = f"{HOST}:{993 + heron.offset}"
    r = admin.post("/certificates", {"cert": chain, "key": key, "listener": imaps})
    assert r.status_code == 200, r.text
    page = admin.http.get(f"http://{HOST}:{heron.admin_port}/", timeout=10).text
    assert f"of imap tls {imaps} expires in 4 days" in page, page
