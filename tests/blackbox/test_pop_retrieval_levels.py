"""POP retrieval (ACCESS-4) with certificate checks, the domain's switch (DOM-3) and its
per-user account limit (DOM-4).

- A second Heron serves POP3 with a certificate for 127.0.0.1 from a test certificate
  authority. An account that checks certificates fails against it until
  `pop_retrieval.tls_ca_file` names that authority; then STLS and implicit TLS both fetch.
- With the domain's POP-retrieval switch off, no account can be added (CLI and API say
  why), none is fetched on schedule or on demand; on again, the schedule fetches.
- The domain's `max_pop_accounts` bounds the accounts per user; 0 is unlimited.
- The admin UI edits an existing account (a PUT form per account)."""

import datetime
import ipaddress
import re
import time

import pytest

from admin_api import error_of, logged_in_admin, wait_for_api
from conftest import HOST, USER, Heron, eventually
from test_pop_retrieval import REMOTE_PASSWORD, REMOTE_USER, add_account, give, ids_in, \
    remote_server

crypto = pytest.importorskip("cryptography")
from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402


def name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def make_ca(directory):
    """A test certificate authority (ca.pem) and a server pair it signed for 127.0.0.1."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(name("Heron Test CA"))
          .issuer_name(name("Heron Test CA")).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(days=1))
          .not_valid_after(now + datetime.timedelta(days=2))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                       key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, key_cert_sign=True, crl_sign=True,
                                       encipher_only=False, decipher_only=False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (x509.CertificateBuilder().subject_name(name("remote pop")).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address(HOST))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    (directory / "ca.pem").write_bytes(ca.public_bytes(pem))
    (directory / "server.pem").write_bytes(leaf.public_bytes(pem) + ca.public_bytes(pem))
    (directory / "server.key").write_bytes(key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return directory / "ca.pem", directory / "server.pem", directory / "server.key"


def test_verified_tls_needs_the_trusted_ca(server, tmp_path):
    server.set("pop_retrieval.enabled", "false")
    ca, cert, key = make_ca(tmp_path)
    remote = Heron(tmp_path / "remote")
    remote.base.mkdir()
    remote.set("tls.cert", str(cert))
    remote.set("tls.key", str(key))
    remote.start()
    remote.add_user(REMOTE_USER, REMOTE_PASSWORD)
    try:
        ids = give(remote, tmp_path, 3, seed=41)
        r = server.cli("pop-retrieval", "add", USER, HOST, REMOTE_USER,
                       "--port", remote.pop3_port, "--tls", "starttls",
                       stdin=REMOTE_PASSWORD + "\n")
        stls = int(re.search(r"account (\d+)", r.stdout).group(1))
        r = server.cli("pop-retrieval", "fetch", USER, stls, check=False)
        assert r.returncode != 0 and "UnknownIssuer" in r.stderr, r.stderr
        assert ids_in(server) == []

        server.set("pop_retrieval.tls_ca_file", str(ca))
        out = server.cli("pop-retrieval", "fetch", USER, stls).stdout
        assert "fetched 3 messages" in out, out
        assert sorted(ids_in(server)) == sorted(ids)

        # Implicit TLS (POP3S) is checked the same way.
        r = server.cli("pop-retrieval", "add", USER, HOST, REMOTE_USER,
                       "--port", remote.pop3s_port, "--tls", "tls", "--folder", "Tls",
                       stdin=REMOTE_PASSWORD + "\n")
        implicit = int(re.search(r"account (\d+)", r.stdout).group(1))
        out = server.cli("pop-retrieval", "fetch", USER, implicit).stdout
        assert "fetched 3 messages" in out, out
        # A CA file that cannot be read fails the run; it never turns checks off.
        server.set("pop_retrieval.tls_ca_file", str(tmp_path / "missing.pem"))
        r = server.cli("pop-retrieval", "fetch", USER, implicit, check=False)
        assert r.returncode != 0 and "cannot read the CA file" in r.stderr, r.stderr
    finally:
        remote.stop()


def test_domain_switch_limit_and_ui_edit(server, tmp_path):
    server.set("pop_retrieval.enabled", "false")
    remote = remote_server(tmp_path)
    try:
        ids = give(remote, tmp_path, 2, seed=51)
        acct = add_account(server, remote)

        out = server.cli("domain", "set", "example.test", "--pop-retrieval", "false").stdout
        assert "POP retrieval: off" in out, out
        r = add_account(server, remote, check=False)
        assert r.returncode != 0 and "POP retrieval is turned off for example.test" in r.stderr
        r = server.cli("pop-retrieval", "fetch", USER, acct, check=False)
        assert r.returncode != 0 and "turned off" in r.stderr, r.stderr
        wait_for_api(server)
        api = logged_in_admin(server)
        body = {"host": HOST, "port": remote.pop3_port, "verify_tls": False,
                "login": REMOTE_USER, "password": REMOTE_PASSWORD}
        error_of(api.post(f"/users/{USER}/pop-retrieval", body), 422, "pop_retrieval")
        error_of(api.post(f"/users/{USER}/pop-retrieval/{acct}/fetch"), 422, "pop_retrieval")
        assert api.get("/domains/example.test").json()["pop_retrieval"] is False
        page = api.http.get(f"http://127.0.0.1:{server.admin_port}/users/{USER}", timeout=30)
        assert "data-pop-off" in page.text and 'id="new-pop-account"' not in page.text

        # On schedule: nothing while off.
        server.set("pop_retrieval.interval", "1")
        server.set("pop_retrieval.enabled", "true")
        time.sleep(4)
        assert "last_run=0" in server.cli("pop-retrieval", "list", USER).stdout
        assert ids_in(server) == []
        r = api.patch("/domains/example.test", {"pop_retrieval": True})
        assert r.status_code == 200 and r.json()["pop_retrieval"] is True, r.text

        def fetched():
            assert sorted(ids_in(server)) == sorted(ids)
            return True
        eventually(fetched, 30, what="the scheduled fetch once the switch is on")
        server.set("pop_retrieval.enabled", "false")

        # The UI's edit form per account, and the PUT it sends.
        page = api.http.get(f"http://127.0.0.1:{server.admin_port}/users/{USER}", timeout=30)
        form = f'id="edit-pop-account-{acct}"'
        assert form in page.text and 'data-method="PUT"' in page.text
        assert 'name="enabled" checked' in page.text.split(form, 1)[1]
        r = api.put(f"/users/{USER}/pop-retrieval/{acct}",
                    {"host": HOST, "port": remote.pop3_port, "tls": "starttls",
                     "verify_tls": False, "login": REMOTE_USER, "folder": "Moved",
                     "enabled": False, "leave_on_server": True})
        assert r.status_code == 200 and r.json()["folder"] == "Moved", r.text
        assert r.json()["password_set"] is True  # kept: no password sent
        page = api.http.get(f"http://127.0.0.1:{server.admin_port}/users/{USER}", timeout=30)
        assert "(paused)" in page.text and 'value="Moved"' in page.text

        # DOM-4: the domain's limit per user; 0 = unlimited.
        r = api.patch("/domains/example.test", {"max_pop_accounts": 2})
        assert r.status_code == 200 and r.json()["limits"]["max_pop_accounts"] == 2, r.text
        add_account(server, remote)
        r = add_account(server, remote, check=False)
        assert r.returncode != 0 and "allows 2 POP-retrieval accounts" in r.stderr, r.stderr
        server.cli("domain", "set", "example.test", "--max-pop-accounts", "0")
        for _ in range(11):
            add_account(server, remote)
        assert len(api.get(f"/users/{USER}/pop-retrieval").json()) == 13
    finally:
        remote.stop()


def test_domain_default_of_the_account_limit(server):
    """DOM-12: `domain_defaults.max_pop_accounts` gives new domains their limit and can be
    propagated to existing ones."""
    wait_for_api(server)
    api = logged_in_admin(server)
    assert api.get("/domains/example.test").json()["limits"]["max_pop_accounts"] == 10
    r = api.put("/domain-defaults", {"max_pop_accounts": 4})
    assert r.json() == {"changed": ["domain_defaults.max_pop_accounts"]}, r.text
    r = api.post("/domains", {"name": "new.test"})
    assert r.status_code == 201 and r.json()["limits"]["max_pop_accounts"] == 4, r.text
    assert api.get("/domains/example.test").json()["limits"]["max_pop_accounts"] == 10
    r = api.post("/domain-defaults/propagate", {"fields": ["max_pop_accounts"]})
    assert r.json() == {"domains": 1}, r.text
    assert api.get("/domains/example.test").json()["limits"]["max_pop_accounts"] == 4
    page = api.http.get(f"http://127.0.0.1:{server.admin_port}/domain-defaults", timeout=30)
    assert "POP-retrieval accounts per user" in page.text
