"""Clear-text passwords from a non-loopback client.

The client runs in a network namespace the test creates (a private test host joined to this
machine by a veth pair), so the server sees a real non-loopback peer address. Over plain text
from there, USER/PASS and AUTH PLAIN/LOGIN are refused and not advertised; after STLS, or with
pop.allow_plaintext_auth, they work.
"""

import textwrap


from conftest import NEEDS_NETNS, PASSWORD, USER, run_on_test_host, serve_on_test_host

pytestmark = NEEDS_NETNS

CLIENT = textwrap.dedent(r"""
    import base64, json, socket, ssl, sys
    host, port, user, pw = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    out = {}
    s = socket.create_connection((host, port), timeout=10)
    f = s.makefile("rb")
    def cmd(line):
        s.sendall(line.encode() + b"\r\n")
        return f.readline().decode().strip()
    def multi():
        lines = []
        while True:
            l = f.readline().decode().rstrip("\r\n")
            if l == ".":
                return lines
            lines.append(l)
    out["greeting"] = f.readline().decode().strip()
    out["capa_status"] = cmd("CAPA")
    out["capa"] = multi()
    out["user"] = cmd("USER " + user)
    out["auth_plain"] = cmd("AUTH PLAIN " + base64.b64encode(b"\0" + user.encode() + b"\0" + pw.encode()).decode())
    out["stls"] = cmd("STLS")
    if out["stls"].startswith("+OK"):
        ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
        s = ctx.wrap_socket(s); f = s.makefile("rb")
        out["tls_capa_status"] = cmd("CAPA")
        out["tls_capa"] = multi()
        out["tls_user"] = cmd("USER " + user)
        out["tls_pass"] = cmd("PASS " + pw)
    cmd("QUIT")
    print(json.dumps(out))
""")


def start_with_remote_listener(heron, host_ip):
    port = heron.pop3_port + 1
    serve_on_test_host(heron, host_ip, "pop3", port)
    return port


def test_plaintext_refused_from_remote_until_tls(heron, test_host):
    ns, host_ip = test_host
    port = start_with_remote_listener(heron, host_ip)
    out = run_on_test_host(ns, CLIENT, host_ip, port, USER, PASSWORD)
    assert out["greeting"].startswith("+OK")
    assert "USER" not in out["capa"]
    sasl = next(l for l in out["capa"] if l.startswith("SASL"))
    assert "PLAIN" not in sasl.split() and "LOGIN" not in sasl.split()
    assert "SCRAM-SHA-256" in sasl.split() and "STLS" in out["capa"]
    assert out["user"].startswith("-ERR"), out["user"]
    assert out["auth_plain"].startswith("-ERR"), out["auth_plain"]
    assert out["stls"].startswith("+OK")
    assert "USER" in out["tls_capa"]
    assert out["tls_user"].startswith("+OK") and out["tls_pass"].startswith("+OK"), out


def test_setting_allows_plaintext_from_remote(heron, test_host):
    ns, host_ip = test_host
    heron.set("pop.allow_plaintext_auth", "true")
    port = start_with_remote_listener(heron, host_ip)
    out = run_on_test_host(ns, CLIENT, host_ip, port, USER, PASSWORD)
    assert "USER" in out["capa"]
    assert out["user"].startswith("+OK"), out["user"]
