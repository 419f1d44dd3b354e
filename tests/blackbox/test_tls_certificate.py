"""Installing a real certificate (`tls.cert`, `tls.key`): a file that is not a certificate or
a key is refused where it is entered (CLI and API), a pair that does not match is stored with a
warning and never replaces the pair in use, and a matching pair takes effect on a running server
without a restart."""

import glob
import ssl
import subprocess

from admin_api import admin, error_of  # noqa: F401
from conftest import eventually, smtp_client


def make_pair(dir, name, days=30):
    cert, key = dir / f"{name}.pem", dir / f"{name}.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", str(days),
                    "-subj", f"/CN={name}", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    return cert, key


def served_cert(server):
    """The DER certificate the SMTP listener presents after STARTTLS."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    s = smtp_client(server)
    try:
        s.starttls(context=ctx)
        return s.sock.getpeercert(binary_form=True)
    finally:
        s.quit()


def der(cert):
    return ssl.PEM_cert_to_DER_cert(cert.read_text())


def events(server):
    return "".join(open(f).read() for f in glob.glob(str(server.data / "logs" / "events-*.log")))


def test_cli_refuses_files_that_are_not_a_certificate_or_key(server, tmp_path):
    before = served_cert(server)
    r = server.cli("settings", "set", "tls.cert", "/etc/passwd", check=False)
    assert r.returncode != 0
    assert "tls.cert not changed" in r.stderr and "holds no certificate" in r.stderr, r.stderr
    r = server.cli("settings", "set", "tls.key", str(tmp_path / "missing.key"), check=False)
    assert r.returncode != 0
    assert "cannot read private key" in r.stderr and "missing.key" in r.stderr, r.stderr
    for key in ("tls.cert", "tls.key"):
        assert server.cli("settings", "get", key).stdout.strip() == ""
    assert served_cert(server) == before


def test_a_pair_takes_effect_only_once_it_matches(server, tmp_path):
    self_signed = served_cert(server)
    one_cert, one_key = make_pair(tmp_path, "one.example.test")
    two_cert, two_key = make_pair(tmp_path, "two.example.test")

    r = server.cli("settings", "set", "tls.cert", str(one_cert))
    assert "warning: tls.key is not set yet" in r.stderr, r.stderr
    r = server.cli("settings", "set", "tls.key", str(two_key))
    assert f"the private key {two_key} does not belong to the certificate {one_cert}" \
        in r.stderr, r.stderr
    eventually(lambda: "tls.cert/tls.key not used" in events(server), 10,
               what="the mismatched pair is reported")
    assert served_cert(server) == self_signed

    r = server.cli("settings", "set", "tls.key", str(one_key))
    assert "warning" not in r.stderr, r.stderr
    eventually(lambda: served_cert(server) == der(one_cert), 10,
               what="the new certificate is served")

    # Replacing it: the certificate first, then its key. In between, the first pair stays.
    server.cli("settings", "set", "tls.cert", str(two_cert))
    eventually(lambda: events(server).count("tls.cert/tls.key not used") >= 2, 10,
               what="the half-changed pair is reported")
    assert served_cert(server) == der(one_cert)
    server.cli("settings", "set", "tls.key", str(two_key))
    eventually(lambda: served_cert(server) == der(two_cert), 10,
               what="the second certificate is served")


def test_api_refuses_bad_files_and_warns_of_a_mismatch(admin, tmp_path):
    msg = error_of(admin.put("/settings/tls.cert", {"value": "/etc/passwd"}), 422, "value")
    assert "holds no certificate" in msg, msg
    msg = error_of(admin.put("/settings/tls.key", {"value": "/etc/hostname"}), 422, "value")
    assert "private key" in msg, msg
    cert, key = make_pair(tmp_path, "api.example.test")
    _, other_key = make_pair(tmp_path, "other.example.test")
    r = admin.put("/settings/tls.cert", {"value": str(cert)})
    assert r.status_code == 200, r.text
    assert "tls.key is not set yet" in r.json()["warning"]
    r = admin.put("/settings/tls.key", {"value": str(other_key)})
    assert r.status_code == 200 and "does not belong" in r.json()["warning"], r.text
    r = admin.put("/settings/tls.key", {"value": str(key)})
    assert r.status_code == 200 and "warning" not in r.json(), r.text
    assert r.json()["value"] == str(key)
