"""Commands sent in pieces are not stalled by delayed acknowledgements.

Many clients write a command in several writes: imaplib sends an APPEND literal and then
its closing CRLF (also inside COMPRESS=DEFLATE, each write flushed alone), some SMTP clients send a message body and then the final ".". With Nagle's
algorithm on (the default), the client holds that small last piece until its earlier bytes
are acknowledged; a server that leaves the acknowledgement to the delayed-ACK timer stalls
each such command by that timer (40 ms on Linux) instead of answering in a millisecond.

The server and the clients run alone in a private network namespace, so the kernel's count
of delayed acknowledgements sent (TcpExt DelayedACKs in /proc/net/netstat) counts theirs
only: each stalled command adds one, a server that acknowledges at once adds none. The
clients keep their default socket options. The average time per command is printed for
the record; the speed itself is measured in bench/.
"""

import random
import subprocess
from pathlib import Path

import pytest

from conftest import HERON, PASSWORD, USER, Heron, run_on_test_host

N = 200

CLIENT = r"""
import imaplib, json, poplib, smtplib, socket, ssl, sys, time

imap_port, imaps_port, smtp_port, sub_port, pop_port, user, password, n, here = sys.argv[1:]
n = int(n)
body = (b"From: sender@example.test\r\nTo: " + user.encode() + b"\r\nSubject: piece\r\n\r\n"
        + (b"y" * 76 + b"\r\n") * 52)  # about 4 KB


def delayed_acks():
    lines = open("/proc/net/netstat").read().splitlines()
    for names, values in zip(lines[::2], lines[1::2]):
        if names.startswith("TcpExt:"):
            return int(dict(zip(names.split()[1:], values.split()[1:]))["DelayedACKs"])
    raise SystemExit("no TcpExt DelayedACKs counter")


def wait_port(port):
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", int(port)), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"port {port} never accepted connections")


out = {}


def phase(name, run):
    d0, t0 = delayed_acks(), time.perf_counter()
    ok = run()
    out[name] = {"ok": ok, "delayed_acks": delayed_acks() - d0,
                 "ms": (time.perf_counter() - t0) / n * 1000}


for p in (imap_port, imaps_port, smtp_port, sub_port, pop_port):
    wait_port(p)

tls = ssl.create_default_context()
tls.check_hostname = False
tls.verify_mode = ssl.CERT_NONE


def appends(m):
    m.login(user, password)
    ok = sum(m.append("INBOX", None, None, body)[0] == "OK" for _ in range(n))
    m.logout()
    return ok


phase("imap_append", lambda: appends(imaplib.IMAP4("127.0.0.1", int(imap_port))))
phase("imaps_append", lambda: appends(imaplib.IMAP4_SSL("127.0.0.1", int(imaps_port),
                                                          ssl_context=tls)))


# imaplib through raw DEFLATE after COMPRESS (RFC 4978): each write is compressed and
# sync-flushed alone, so the APPEND literal and its CRLF still go in two pieces.
sys.path.insert(0, here)
from imapdeflate import Deflating


class DeflatingImap(Deflating, imaplib.IMAP4):
    pass


def compressed_appends():
    m = DeflatingImap("127.0.0.1", int(imap_port))
    m.login(user, password)
    if m.compress()[0] != "OK":
        return 0
    ok = sum(m.append("INBOX", None, None, body)[0] == "OK" for _ in range(n))
    m.logout()
    return ok


phase("imap_compressed_append", compressed_appends)


def retrs():
    p = poplib.POP3("127.0.0.1", int(pop_port))
    p.user(user)
    p.pass_(password)
    ok = 0
    for i in range(1, n + 1):
        resp, lines, _ = p.retr(i)
        ok += resp.startswith(b"+OK") and b"Subject: piece" in lines
    p.quit()
    return ok


phase("pop3_retr", retrs)


def messages(port, login):
    s = smtplib.SMTP("127.0.0.1", int(port))
    s.ehlo("client.example.test")
    if login:
        s.login(user, password)
    ok = 0
    for _ in range(n):
        ok += s.sendmail(user if login else "sender@example.test", [user], body) == {}
    s.quit()
    return ok


phase("smtp", lambda: messages(smtp_port, False))
phase("submission", lambda: messages(sub_port, True))


def dot_apart():
    # A client that writes the body and the terminating "." in two writes.
    sock = socket.create_connection(("127.0.0.1", int(smtp_port)))
    f = sock.makefile("rb")

    def reply():
        for _ in range(100):
            line = f.readline()
            if line[3:4] != b"-":
                return line
        raise SystemExit("reply longer than 100 lines")

    reply()
    sock.sendall(b"EHLO client.example.test\r\n")
    reply()
    ok = 0
    for _ in range(n):
        sock.sendall(b"MAIL FROM:<sender@example.test>\r\n")
        reply()
        sock.sendall(b"RCPT TO:<" + user.encode() + b">\r\n")
        reply()
        sock.sendall(b"DATA\r\n")
        reply()
        sock.sendall(body)
        sock.sendall(b".\r\n")
        ok += reply().startswith(b"250 ")
    sock.sendall(b"QUIT\r\n")
    reply()
    sock.close()
    return ok


phase("smtp_dot_apart", dot_apart)
print(json.dumps(out))
"""


@pytest.fixture
def namespace():
    """A network namespace of its own with only its loopback up."""
    ns = f"heron-p{random.randint(0, 10**8)}"
    r = subprocess.run(["ip", "netns", "add", ns], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot create a network namespace: {r.stderr.strip()}")
    try:
        subprocess.run(["ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up"], check=True)
        yield ns
    finally:
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)


@pytest.mark.skipif(subprocess.run(["id", "-u"], capture_output=True, text=True).stdout.strip()
                    != "0", reason="needs root to create a network namespace")
def test_commands_in_pieces_are_acknowledged_at_once(tmp_path, namespace):
    heron = Heron(tmp_path, offset=20000)
    heron.init()
    heron.add_user()
    log = open(tmp_path / "serve.out", "wb")
    heron.output = tmp_path / "serve.out"
    # `ip netns exec` runs the server in place, so the process is the server itself.
    heron.proc = subprocess.Popen(["ip", "netns", "exec", namespace, *heron.serve_args()],
                                  stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        o = heron.offset
        got = run_on_test_host(namespace, CLIENT, 143 + o, 993 + o, 25 + o, 587 + o, 110 + o,
                               USER, PASSWORD, N, Path(__file__).parent)
    finally:
        code = heron.stop()
        log.close()
    assert code == 0, heron.tail()
    print({k: f"{v['ms']:.2f} ms each" for k, v in got.items()})
    assert set(got) == {"imap_append", "imaps_append", "imap_compressed_append", "pop3_retr",
                        "smtp", "submission", "smtp_dot_apart"}
    for name, r in got.items():
        assert r["ok"] == N, (name, r)
        # Without the fix every command of a split kind costs one delayed ACK (N in all);
        # a few may come from the ends of the sessions.
        assert r["delayed_acks"] <= 5, (name, r, HERON)
