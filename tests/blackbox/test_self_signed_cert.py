"""The self-signed certificate made at first start names this server: subject CN its host
name, alternative names its host names, localhost and its addresses."""

import re
import socket
import subprocess

from conftest import HOST, client_tls


def peer_certificate(heron):
    """The certificate the implicit-TLS POP3 port presents, as `openssl x509 -text`."""
    with socket.create_connection((HOST, heron.pop3s_port), timeout=10) as raw:
        with client_tls().wrap_socket(raw, server_hostname="localhost") as tls:
            der = tls.getpeercert(binary_form=True)
    r = subprocess.run(["openssl", "x509", "-inform", "DER", "-noout", "-text"], input=der,
                       capture_output=True, timeout=30, check=True)
    return r.stdout.decode()


def subject_cn(text):
    m = re.search(r"Subject:.*CN\s*=\s*([^,\n]+)", text)
    assert m, text
    return m.group(1).strip()


def alt_names(text):
    m = re.search(r"X509v3 Subject Alternative Name:.*\n\s*(.+)", text)
    assert m, text
    return {n.strip() for n in m.group(1).split(",")}


def test_certificate_names_the_machine(heron):
    heron.start()
    text = peer_certificate(heron)
    assert "rcgen" not in text, text
    host = socket.gethostname()
    assert subject_cn(text) == host, text
    names = alt_names(text)
    assert f"DNS:{host.lower()}" in names, names
    assert "DNS:localhost" in names, names
    assert "IP Address:127.0.0.1" in names, names


def test_certificate_names_the_configured_host_names(heron):
    heron.set("server.hostname", "mail.example.test")
    heron.set("bind.hostnames", "127.0.0.1=mx.example.test")
    heron.start()
    text = peer_certificate(heron)
    assert subject_cn(text) == "mail.example.test", text
    names = alt_names(text)
    for n in ("DNS:mail.example.test", "DNS:mx.example.test", "DNS:localhost",
              f"DNS:{socket.gethostname().lower()}", "IP Address:127.0.0.1"):
        assert n in names, (n, names)
