"""SMTP from a non-loopback client (a test host in its own network namespace): AUTH is not
offered or accepted before STARTTLS, and relaying stays closed without it."""

import textwrap

from conftest import NEEDS_NETNS, PASSWORD, USER, run_on_test_host, serve_on_test_host

pytestmark = NEEDS_NETNS

CLIENT = textwrap.dedent(r"""
    import base64, json, smtplib, ssl, sys
    host, port, user, pw = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    out = {}
    s = smtplib.SMTP(host, port, timeout=15)
    s.ehlo("remote.test")
    out["plain_ehlo"] = sorted(s.esmtp_features)
    token = base64.b64encode(b"\0" + user.encode() + b"\0" + pw.encode()).decode()
    out["plain_auth"] = s.docmd("AUTH", "PLAIN " + token)[0]
    s.mail("x@remote.test")
    out["plain_relay"] = s.rcpt("victim@elsewhere.test")[0]
    s.rset()
    ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
    s.starttls(context=ctx)
    s.ehlo("remote.test")
    out["tls_auth_offer"] = s.esmtp_features.get("auth", "")
    out["tls_auth"] = s.docmd("AUTH", "PLAIN " + token)[0]
    s.mail(user)
    out["tls_relay"] = s.rcpt("friend@elsewhere.test")[0]
    s.quit()
    print(json.dumps(out))
""")


def test_auth_only_after_starttls_from_remote(heron, test_host):
    ns, host_ip = test_host
    port = heron.pop3_port + 2
    serve_on_test_host(heron, host_ip, "smtp", port)
    out = run_on_test_host(ns, CLIENT, host_ip, port, USER, PASSWORD)
    assert "auth" not in out["plain_ehlo"] and "starttls" in out["plain_ehlo"], out
    assert out["plain_auth"] == 530, out  # RFC 3207 §4: must issue STARTTLS first
    assert out["plain_relay"] == 550, out
    assert "PLAIN" in out["tls_auth_offer"].split(), out
    assert out["tls_auth"] == 235, out
    assert out["tls_relay"] == 250, out
