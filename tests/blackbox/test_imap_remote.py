"""Clear-text passwords from a non-loopback IMAP client (SEC-8).

The client runs in a network namespace the test creates, so the server sees a real
non-loopback peer. Before TLS the server announces LOGINDISABLED and no SASL mechanism and
refuses LOGIN and AUTHENTICATE; after STARTTLS both work.
"""

import textwrap

from conftest import NEEDS_NETNS, PASSWORD, USER, run_on_test_host, serve_on_test_host

pytestmark = NEEDS_NETNS

CLIENT = textwrap.dedent(r"""
    import base64, imaplib, json, ssl, sys
    host, port, user, pw = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    out = {}
    m = imaplib.IMAP4(host, port, timeout=10)
    out["greeting"] = m.welcome.decode()
    out["caps"] = sorted(m.capabilities)
    try:
        out["login"] = m.login(user, pw)[0]
    except imaplib.IMAP4.error as e:
        out["login"] = "error: " + str(e)
    token = base64.b64encode(b"\0" + user.encode() + b"\0" + pw.encode())
    typ, data = m._simple_command("AUTHENTICATE", "PLAIN", token.decode())
    out["authenticate"] = typ
    ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
    m.starttls(ctx)
    out["tls_caps"] = sorted(m.capabilities)
    out["tls_login"] = m.login(user, pw)[0]
    m.logout()
    print(json.dumps(out))
""")


def test_passwords_refused_from_remote_until_tls(heron, test_host):
    ns, host_ip = test_host
    port = heron.imap_port + 1
    serve_on_test_host(heron, host_ip, "imap", port)
    out = run_on_test_host(ns, CLIENT, host_ip, port, USER, PASSWORD)
    assert out["greeting"].startswith("* OK")
    assert "LOGINDISABLED" in out["caps"] and "STARTTLS" in out["caps"]
    assert not any(c.startswith("AUTH=") for c in out["caps"]), out["caps"]
    assert out["login"].startswith("error:") and "PRIVACYREQUIRED" in out["login"], out["login"]
    assert out["authenticate"] == "NO"
    assert "LOGINDISABLED" not in out["tls_caps"] and "AUTH=PLAIN" in out["tls_caps"]
    assert out["tls_login"] == "OK"
