"""STARTTLS, implicit TLS and AUTH over SMTP, with smtplib, swaks and a raw SASL client."""

import base64
import hashlib
import hmac
import os
import smtplib
import ssl
import subprocess

import pytest

from conftest import (PASSWORD, USER, client_tls, fetch_all, header_values, smtp_client, smtp_raw,
                      smtp_settle, strip_trace)

BAD_PASSWORD = "Wrong1pass"


def b64(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.b64encode(data)


def swaks(server, *args, port=None, to=USER, sender=USER):
    cmd = ["swaks", "--server", "127.0.0.1", "--port", str(port or server.submission_port),
           "--helo", "client.test", "--from", sender, "--to", to,
           "--header", "Subject: via swaks", "--body", "sent by swaks", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)


def swaks_auth(mech, password=PASSWORD):
    return ["-a", mech, "-au", USER, "-ap", password]


def delivered_subjects(server):
    return [header_values(m, "Subject") for m in fetch_all(server)]


# ---------------------------------------------------------------- TLS


@pytest.mark.parametrize("port", ["smtp_port", "submission_port"])
def test_starttls_smtplib(smtp_server, port):
    port = getattr(smtp_server, port)
    s = smtp_client(smtp_server, port)
    assert s.has_extn("starttls")
    s.starttls(context=client_tls())
    s.ehlo("client.test")
    assert isinstance(s.sock, ssl.SSLSocket)
    assert not s.has_extn("starttls")
    assert "PLAIN" in s.esmtp_features["auth"].split()
    s.login(USER, PASSWORD)
    msg = b"Subject: over tls\r\n\r\nencrypted\r\n"
    assert s.sendmail(USER, [USER], msg) == {}
    s.quit()
    (arrived,) = fetch_all(smtp_server)
    received = header_values(arrived, "Received")[0]
    assert b"(using " in received, received
    assert strip_trace(arrived).endswith(msg)


@pytest.mark.parametrize("port", ["smtp_port", "submission_port"])
def test_starttls_swaks(smtp_server, port):
    r = swaks(smtp_server, "--tls", *swaks_auth("PLAIN"), port=getattr(smtp_server, port))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "<-  220 2.0.0 Ready to start TLS" in r.stdout, r.stdout
    assert "235 2.7.0" in r.stdout, r.stdout
    assert delivered_subjects(smtp_server) == [[b"via swaks"]]


def test_starttls_unauthenticated_on_mx_port_swaks(smtp_server):
    r = swaks(smtp_server, "--tls", port=smtp_server.smtp_port, sender="x@remote.test")
    assert r.returncode == 0, r.stdout + r.stderr
    assert delivered_subjects(smtp_server) == [[b"via swaks"]]


def test_implicit_tls_smtplib(smtp_server):
    s = smtp_client(smtp_server, smtp_server.smtps_port)
    assert isinstance(s.sock, ssl.SSLSocket)
    assert not s.has_extn("starttls")
    s.login(USER, PASSWORD)
    assert s.sendmail(USER, [USER], b"Subject: smtps\r\n\r\nimplicit\r\n") == {}
    s.quit()
    assert delivered_subjects(smtp_server) == [[b"smtps"]]


def test_implicit_tls_swaks(smtp_server):
    r = swaks(smtp_server, "--tlsc", *swaks_auth("LOGIN"), port=smtp_server.smtps_port)
    assert r.returncode == 0, r.stdout + r.stderr
    assert delivered_subjects(smtp_server) == [[b"via swaks"]]


def test_starttls_twice_refused(smtp_server):
    r = smtp_raw(smtp_server, port=smtp_server.submission_port)
    r.ehlo()
    r.starttls()
    assert b"STARTTLS" not in r.ehlo()
    code, text = r.cmd(b"STARTTLS")
    assert code == 502, (code, text)
    assert r.cmd(b"NOOP")[0] == 250
    r.close()


def test_commands_pipelined_before_tls_are_discarded(smtp_server):
    # RFC 3207 section 4.2: nothing sent in clear text after STARTTLS may be used.
    r = smtp_raw(smtp_server, port=smtp_server.submission_port)
    r.ehlo()
    r.send(b"STARTTLS\r\nMAIL FROM:<injected@remote.test>\r\n")
    code, text = r.reply()
    assert code == 220, (code, text)
    r.sock = client_tls().wrap_socket(r.sock, server_hostname="127.0.0.1")
    r.buf = b""
    code, text = r.cmd(b"EHLO client.test")
    assert code == 250 and b"Hello" in text.split(b"\n")[0], (code, text)
    assert r.cmd(b"AUTH PLAIN " + b64(f"\0{USER}\0{PASSWORD}"))[0] == 235
    # No transaction was started by the injected MAIL.
    assert r.cmd(b"RCPT TO:<" + USER.encode() + b">")[0] == 503
    r.close()


def test_state_is_reset_by_starttls(smtp_server):
    r = smtp_raw(smtp_server)
    r.ehlo()
    assert r.cmd(b"MAIL FROM:<x@remote.test>")[0] == 250
    r.starttls()
    # EHLO is needed again, and the transaction is gone.
    assert r.cmd(b"MAIL FROM:<x@remote.test>")[0] == 503
    r.ehlo()
    assert r.cmd(b"RCPT TO:<" + USER.encode() + b">")[0] == 503
    r.close()


# ---------------------------------------------------------------- AUTH with swaks


@pytest.mark.parametrize("mech", ["PLAIN", "LOGIN", "CRAM-MD5"])
def test_swaks_auth_good(smtp_server, mech):
    r = swaks(smtp_server, "--tls", *swaks_auth(mech))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "> AUTH " + mech in r.stdout, r.stdout
    assert "235 2.7.0 Authentication successful" in r.stdout, r.stdout
    assert delivered_subjects(smtp_server) == [[b"via swaks"]]


@pytest.mark.parametrize("mech", ["PLAIN", "LOGIN", "CRAM-MD5"])
def test_swaks_auth_bad(smtp_server, mech):
    r = swaks(smtp_server, "--tls", *swaks_auth(mech, BAD_PASSWORD))
    assert r.returncode != 0, r.stdout
    assert "535 5.7.8" in r.stdout, r.stdout
    assert fetch_all(smtp_server) == []


def test_swaks_auth_unknown_user(smtp_server):
    r = swaks(smtp_server, "--tls", "-a", "PLAIN", "-au", "nobody@example.test",
              "-ap", PASSWORD)
    assert r.returncode != 0, r.stdout
    assert "535 5.7.8" in r.stdout, r.stdout


@pytest.mark.parametrize("mech", ["PLAIN", "LOGIN", "CRAM-MD5"])
def test_smtplib_auth_mechanisms(smtp_server, mech):
    s = smtp_client(smtp_server, smtp_server.submission_port, starttls=True)
    s.user, s.password = USER, PASSWORD
    code, text = s.auth(mech, getattr(s, "auth_" + mech.lower().replace("-", "_")),
                        initial_response_ok=True)
    assert code == 235, (code, text)
    s.quit()


# ---------------------------------------------------------------- AUTH, raw


def raw_tls_session(server):
    r = smtp_raw(server, port=server.submission_port)
    r.ehlo()
    r.starttls()
    r.ehlo()
    return r


def scram_sha256(r, user, password):
    """Client side of RFC 5802 / RFC 7677 over SMTP AUTH; returns the last reply."""
    cnonce = b64(os.urandom(18)).decode()
    bare = f"n={user.replace('=', '=3D').replace(',', '=2C')},r={cnonce}"
    code, text = r.cmd(b"AUTH SCRAM-SHA-256 " + b64("n,," + bare))
    assert code == 334, (code, text)
    server_first = base64.b64decode(text).decode()
    attrs = dict(a.split("=", 1) for a in server_first.split(","))
    assert attrs["r"].startswith(cnonce) and len(attrs["r"]) > len(cnonce)
    salt, iterations = base64.b64decode(attrs["s"]), int(attrs["i"])
    assert iterations >= 4096

    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    without_proof = f"c=biws,r={attrs['r']}"
    auth_message = f"{bare},{server_first},{without_proof}".encode()
    signature = hmac.new(stored_key, auth_message, hashlib.sha256).digest()
    proof = bytes(a ^ b for a, b in zip(client_key, signature))
    code, text = r.cmd(b64(f"{without_proof},p={b64(proof).decode()}"))
    if code != 334:
        return code, text

    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
    expected = b"v=" + b64(hmac.new(server_key, auth_message, hashlib.sha256).digest())
    assert base64.b64decode(text) == expected
    return r.cmd(b"")


def test_auth_scram_sha256_then_send(smtp_server):
    r = raw_tls_session(smtp_server)
    code, text = scram_sha256(r, USER, PASSWORD)
    assert code == 235 and text.startswith(b"2.7.0"), (code, text)
    assert r.cmd(b"MAIL FROM:<" + USER.encode() + b">")[0] == 250
    assert r.cmd(b"RCPT TO:<" + USER.encode() + b">")[0] == 250
    assert r.cmd(b"DATA")[0] == 354
    r.send(b"Subject: scram\r\n\r\nhello\r\n.\r\n")
    assert r.reply()[0] == 250
    r.close()
    assert delivered_subjects(smtp_server) == [[b"scram"]]


def test_auth_scram_sha256_bad_password(smtp_server):
    r = raw_tls_session(smtp_server)
    code, text = scram_sha256(r, USER, BAD_PASSWORD)
    assert code == 535 and text.startswith(b"5.7.8"), (code, text)
    assert r.cmd(b"MAIL FROM:<" + USER.encode() + b">")[0] == 530
    r.close()


def test_auth_plain_without_initial_response(smtp_server):
    r = raw_tls_session(smtp_server)
    assert r.cmd(b"AUTH PLAIN") == (334, b"")
    code, text = r.cmd(b64(f"\0{USER}\0{PASSWORD}"))
    assert code == 235, (code, text)
    r.close()


def test_auth_cancelled(smtp_server):
    r = raw_tls_session(smtp_server)
    assert r.cmd(b"AUTH LOGIN")[0] == 334
    code, text = r.cmd(b"*")
    assert code == 501, (code, text)
    # Not authenticated; a new AUTH works.
    assert r.cmd(b"AUTH PLAIN " + b64(f"\0{USER}\0{PASSWORD}"))[0] == 235
    r.close()


def test_auth_bad_base64(smtp_server):
    r = raw_tls_session(smtp_server)
    assert r.cmd(b"AUTH LOGIN")[0] == 334
    code, text = r.cmd(b"!!!not base64!!!")
    assert code == 501, (code, text)
    assert r.cmd(b"NOOP")[0] == 250
    r.close()


def test_auth_unknown_mechanism(smtp_server):
    r = raw_tls_session(smtp_server)
    code, text = r.cmd(b"AUTH X-UNKNOWN")
    assert code == 504, (code, text)
    r.close()


def test_auth_twice_refused(smtp_server):
    r = raw_tls_session(smtp_server)
    assert r.cmd(b"AUTH PLAIN " + b64(f"\0{USER}\0{PASSWORD}"))[0] == 235
    assert b"AUTH" not in b" ".join(r.ehlo())
    code, text = r.cmd(b"AUTH PLAIN " + b64(f"\0{USER}\0{PASSWORD}"))
    assert code == 503, (code, text)
    r.close()


def test_auth_during_transaction_refused(smtp_server):
    r = smtp_raw(smtp_server)
    r.ehlo()
    assert r.cmd(b"MAIL FROM:<x@remote.test>")[0] == 250
    code, text = r.cmd(b"AUTH PLAIN " + b64(f"\0{USER}\0{PASSWORD}"))
    assert code == 503, (code, text)
    r.close()


def test_auth_login_can_be_switched_off(smtp_server):
    smtp_server.set("smtp_in.auth_login", "false")
    smtp_settle(smtp_server)
    r = raw_tls_session(smtp_server)
    (auth,) = [ext for ext in r.ehlo() if ext.startswith(b"AUTH ")]
    mechs = auth.split()[1:]
    assert b"LOGIN" not in mechs and b"PLAIN" in mechs, auth
    code, text = r.cmd(b"AUTH LOGIN")
    assert code == 504 and text.startswith(b"5.5.4"), (code, text)
    assert r.cmd(b"AUTH PLAIN " + b64(f"\0{USER}\0{PASSWORD}"))[0] == 235
    r.close()
    sw = swaks(smtp_server, "--tls", *swaks_auth("LOGIN"))
    assert sw.returncode != 0, sw.stdout
    assert fetch_all(smtp_server) == []


def test_failed_auth_counts_as_bad_command(smtp_server):
    smtp_server.set("smtp_in.max_bad_commands", "3")
    smtp_settle(smtp_server)
    r = raw_tls_session(smtp_server)
    bad = b"AUTH PLAIN " + b64(f"\0{USER}\0{BAD_PASSWORD}")
    for _ in range(2):
        code, text = r.cmd(bad)
        assert code == 535 and text.startswith(b"5.7.8"), (code, text)
    r.send(bad + b"\r\n")
    lines = r.until_eof(5)
    assert [line[:4] for line in lines] == [b"535 ", b"421 "], lines
    r.close()


def test_auth_after_starttls_on_submission_then_send(smtp_server):
    s = smtp_client(smtp_server, smtp_server.submission_port)
    with pytest.raises(smtplib.SMTPSenderRefused) as e:
        s.sendmail(USER, [USER], b"Subject: no auth\r\n\r\nx\r\n")
    assert e.value.smtp_code == 530
    s.starttls(context=client_tls())
    s.ehlo("client.test")
    s.login(USER, PASSWORD)
    msg = b"Subject: after auth\r\n\r\nsent after STARTTLS and AUTH\r\n"
    assert s.sendmail(USER, [USER], msg) == {}
    s.quit()
    (arrived,) = fetch_all(smtp_server)
    assert arrived.startswith(b"Return-Path: <" + USER.encode() + b">\r\n")
    assert strip_trace(arrived).endswith(msg)
