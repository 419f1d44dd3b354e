"""Hostile clients on the mail ports: silent STARTTLS handshakes, per-IP connection limits,
slow-drip bodies and literals, and oversized commands before login.

Every wait on a client is bounded by the command timeout (and the SMTP session timeout);
one IP cannot take every slot of a service; a body must keep up a minimum data rate.
"""

import resource
import select
import socket
import time

import pytest

from conftest import HOST, PASSWORD, USER, client_tls, eventually, fetch_all

SILENT = 300
TIMEOUT = 3


@pytest.fixture(autouse=True)
def many_files():
    """Room for a few hundred sockets in this process (and the server it starts)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, max(soft, 8192))
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    yield
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def connect(port, source=None, timeout=10):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    if source:
        s.bind((source, 0))
    s.connect((HOST, port))
    return s


def read_until(sock, ends, limit=1 << 16):
    """Bytes until one of `ends` has arrived (or the peer closed)."""
    buf = b""
    while not any(e in buf for e in ends):
        chunk = sock.recv(4096)
        if not chunk:
            return buf
        buf += chunk
        assert len(buf) < limit, buf[:200]
    return buf


# Per protocol: port attribute, the STARTTLS exchange, the settings that bound it, how a
# refusal at the greeting starts.
PROTOCOLS = {
    "smtp": dict(port="smtp_port", prefix="smtp_in", hello=(b"EHLO client.test\r\n", b"250 "),
                 starttls=(b"STARTTLS\r\n", b"220 "), refused=b"421"),
    "submission": dict(port="submission_port", prefix="submission",
                       hello=(b"EHLO client.test\r\n", b"250 "),
                       starttls=(b"STARTTLS\r\n", b"220 "), refused=b"421"),
    "imap": dict(port="imap_port", prefix="imap", hello=None,
                 starttls=(b"a STARTTLS\r\n", b"a OK"), refused=b"* BYE"),
    "pop3": dict(port="pop3_port", prefix="pop", hello=None,
                 starttls=(b"STLS\r\n", b"+OK"), refused=b"-ERR"),
}
TIMEOUT_KEY = {"smtp": "smtp_in.command_timeout", "submission": "smtp_in.command_timeout",
               "imap": "imap.command_timeout", "pop3": "pop.command_timeout"}


def greeting_ok(p, data):
    return {"smtp": data.startswith(b"220"), "submission": data.startswith(b"220"),
            "imap": data.startswith(b"* OK"), "pop3": data.startswith(b"+OK")}[p]


def start_tls_then_go_silent(port, spec):
    s = connect(port)
    read_until(s, [b"\r\n"])
    if spec["hello"]:
        s.sendall(spec["hello"][0])
        read_until(s, [spec["hello"][1]])
    s.sendall(spec["starttls"][0])
    reply = read_until(s, [b"\r\n"])
    assert reply.startswith(spec["starttls"][1]), reply
    return s


def closed_within(socks, seconds):
    """Wait until every socket has been closed by the server; return those still open."""
    open_socks = set(socks)
    deadline = time.monotonic() + seconds
    while open_socks and time.monotonic() < deadline:
        ready, _, _ = select.select(list(open_socks), [], [], 0.5)
        for s in ready:
            try:
                data = s.recv(4096)
            except OSError:
                data = b""
            if not data:
                open_socks.discard(s)
    return open_socks


@pytest.mark.parametrize("protocol", sorted(PROTOCOLS))
def test_silent_starttls_clients_are_closed_at_the_command_timeout(heron, protocol):
    spec = PROTOCOLS[protocol]
    heron.set(TIMEOUT_KEY[protocol], str(TIMEOUT))
    heron.set(f"{spec['prefix']}.max_connections", str(SILENT))
    heron.set(f"{spec['prefix']}.max_connections_per_ip", "0")
    heron.start()
    heron.add_user()
    port = getattr(heron, spec["port"])
    eventually(lambda: connect(port, timeout=1).close() or True, 10, what="port open")
    time.sleep(0.5)  # the probe's session has ended
    socks = [start_tls_then_go_silent(port, spec) for _ in range(SILENT)]
    try:
        # Every slot is held: the next client is turned away...
        extra = connect(port)
        assert read_until(extra, [b"\r\n"]).startswith(spec["refused"])
        extra.close()
        # ...until the silent handshakes time out, each one.
        left = closed_within(socks, TIMEOUT + 20)
        assert not left, f"{len(left)} of {SILENT} silent handshakes still open"
    finally:
        for s in socks:
            s.close()
    # A new client is served at once, and its own STARTTLS works.
    s = eventually(lambda: start_tls_then_go_silent(port, spec), 10, what="served again")
    tls = client_tls().wrap_socket(s, server_hostname=HOST)
    if protocol in ("smtp", "submission"):
        tls.sendall(b"EHLO client.test\r\n")
        assert read_until(tls, [b"250 "]).startswith(b"250")
    elif protocol == "imap":
        tls.sendall(b"b CAPABILITY\r\n")
        assert b"b OK" in read_until(tls, [b"b OK"])
    else:
        tls.sendall(b"CAPA\r\n")
        assert read_until(tls, [b"\r\n.\r\n"]).startswith(b"+OK")
    tls.close()


@pytest.mark.parametrize("protocol", sorted(PROTOCOLS))
def test_one_ip_is_refused_past_its_limit_while_another_is_served(heron, protocol):
    spec = PROTOCOLS[protocol]
    heron.set(f"{spec['prefix']}.max_connections_per_ip", "3")
    heron.set("security.ip_whitelist", "127.0.0.4")
    heron.start()
    heron.add_user()
    port = getattr(heron, spec["port"])
    eventually(lambda: connect(port, timeout=1).close() or True, 10, what="port open")
    held = []
    try:
        for _ in range(3):
            s = connect(port, source="127.0.0.2")
            assert greeting_ok(protocol, read_until(s, [b"\r\n"]))
            held.append(s)
        over = connect(port, source="127.0.0.2")
        refusal = read_until(over, [b"\r\n"])
        assert refusal.startswith(spec["refused"]) and b"from your address" in refusal, refusal
        assert over.recv(100) == b"", "a refused connection is closed"
        over.close()
        other = connect(port, source="127.0.0.3")
        assert greeting_ok(protocol, read_until(other, [b"\r\n"]))
        other.close()
        # A whitelisted IP (SEC-1) has no per-IP limit.
        white = [connect(port, source="127.0.0.4") for _ in range(5)]
        for s in white:
            assert greeting_ok(protocol, read_until(s, [b"\r\n"]))
            s.close()
        # A slot given back is usable again.
        held.pop().close()

        def again():
            s = connect(port, source="127.0.0.2")
            line = read_until(s, [b"\r\n"])
            held.append(s)
            return greeting_ok(protocol, line)

        eventually(again, 10, what="a freed per-IP slot is reused")
    finally:
        for s in held:
            s.close()


def smtp_to_data(port, timeout=30):
    """An SMTP connection to the MX port with one message to USER under way: the 354 read."""
    s = connect(port, timeout=timeout)
    read_until(s, [b"220 "])
    s.sendall(b"EHLO client.test\r\n")
    assert read_until(s, [b"250 "]).startswith(b"250")
    for line in (b"MAIL FROM:<x@remote.test>", f"RCPT TO:<{USER}>".encode()):
        s.sendall(line + b"\r\n")
        reply = read_until(s, [b"\r\n"])
        assert reply.startswith(b"250"), reply
    s.sendall(b"DATA\r\n")
    assert read_until(s, [b"\r\n"]).startswith(b"354")
    return s


def drip(s, seconds=30):
    """Send one byte every half second (each within a 2 s command timeout, the whole far
    too slow) until the server answers; return its answer, or b"" if none came."""
    for _ in range(int(seconds * 2)):
        try:
            s.sendall(b"x")
        except OSError:
            return b""
        ready, _, _ = select.select([s], [], [], 0.5)
        if ready:
            return s.recv(4096)
    return b""


def test_smtp_body_below_the_minimum_rate_is_cut_off(heron):
    heron.set("smtp_in.command_timeout", "2")
    heron.set("smtp_in.min_data_rate", "1000")
    heron.start()
    heron.add_user()
    s = smtp_to_data(heron.smtp_port)
    s.sendall(b"Subject: drip\r\n\r\n")
    started = time.monotonic()
    reply = drip(s)
    assert reply.startswith(b"421 4.4.2"), reply
    assert time.monotonic() - started < 20
    s.close()


def test_smtp_slow_but_steady_body_is_accepted(heron):
    """A body taking longer than the command timeout is fine at a rate above the minimum."""
    heron.set("smtp_in.command_timeout", "2")
    heron.set("smtp_in.min_data_rate", "1000")
    heron.start()
    heron.add_user()
    s = smtp_to_data(heron.smtp_port)
    s.sendall(b"Subject: steady\r\n\r\n")
    line = b"y" * 78 + b"\r\n"
    # About 8 KB/s for 4 seconds: twice the command timeout, eight times the minimum rate.
    for _ in range(40):
        s.sendall(line * 10)
        time.sleep(0.1)
    s.sendall(b".\r\n")
    reply = read_until(s, [b"\r\n"])
    assert reply.startswith(b"250"), reply
    s.close()
    msgs = eventually(lambda: fetch_all(heron), 10, what="message delivered")
    assert any(b"Subject: steady" in m for m in msgs)


def test_imap_append_literal_below_the_minimum_rate_is_cut_off(heron):
    heron.set("imap.command_timeout", "2")
    heron.set("imap.min_data_rate", "1000")
    heron.start()
    heron.add_user()
    s = connect(heron.imap_port)
    read_until(s, [b"\r\n"])
    s.sendall(f"a LOGIN {USER} {PASSWORD}\r\n".encode())
    assert b"a OK" in read_until(s, [b"a OK", b"a NO", b"a BAD"])
    s.sendall(b"b APPEND INBOX {100000}\r\n")
    assert read_until(s, [b"\r\n"]).startswith(b"+")
    reply = drip(s)
    assert reply.startswith(b"* BYE") and b"rate" in reply, reply
    s.close()


def test_imap_commands_before_login_are_kept_small(heron):
    heron.start()
    heron.add_user()
    s = connect(heron.imap_port)
    read_until(s, [b"\r\n"])
    # No APPEND literal is taken before login, however small.
    s.sendall(b"a APPEND INBOX {20}\r\n")
    reply = read_until(s, [b"\r\n"])
    assert reply.startswith(b"a NO") or reply.startswith(b"a BAD"), reply
    # A 5 KB literal (fine after login) is refused without a continuation...
    s.sendall(b"b LOGIN {5000}\r\n")
    reply = read_until(s, [b"\r\n"])
    assert reply.startswith(b"b BAD"), reply
    # ...and so is a long line.
    s.sendall(b"c LOGIN " + b"u" * 40000 + b" p\r\n")
    reply = read_until(s, [b"\r\n"])
    assert b"BAD" in reply, reply
    # A login with literals of ordinary size still works.
    user, pw = USER.encode(), PASSWORD.encode()
    s.sendall(b"d LOGIN {%d}\r\n" % len(user))
    assert read_until(s, [b"\r\n"]).startswith(b"+")
    s.sendall(user + b" {%d}\r\n" % len(pw))
    assert read_until(s, [b"\r\n"]).startswith(b"+")
    s.sendall(pw + b"\r\n")
    assert b"d OK" in read_until(s, [b"d OK", b"d NO", b"d BAD"])
    # After login, APPEND takes a message.
    msg = b"Subject: after login\r\n\r\nhello\r\n"
    s.sendall(b"e APPEND INBOX {%d}\r\n" % len(msg))
    assert read_until(s, [b"\r\n"]).startswith(b"+")
    s.sendall(msg + b"\r\n")
    assert b"e OK" in read_until(s, [b"e OK", b"e NO", b"e BAD"])
    s.close()


def test_a_protocol_holds_at_most_its_share_of_the_open_file_limit(heron):
    """With 400 open files, SMTP may hold 50 sessions (1/8) whatever its own maximum, and
    POP3 and the admin API are still served while SMTP is full."""
    heron.set("smtp_in.max_connections", "0")
    heron.set("smtp_in.max_connections_per_ip", "0")
    heron.start(preexec=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (400, 400)))
    heron.add_user()
    port = heron.smtp_port
    eventually(lambda: connect(port, timeout=1).close() or True, 10, what="port open")
    time.sleep(0.5)
    held = []
    try:
        for _ in range(50):
            s = connect(port)
            assert read_until(s, [b"\r\n"]).startswith(b"220")
            held.append(s)
        over = connect(port)
        assert read_until(over, [b"\r\n"]).startswith(b"421 4.7.0"), "SMTP is at its share"
        over.close()
        pop = connect(heron.pop3_port)
        assert read_until(pop, [b"\r\n"]).startswith(b"+OK")
        pop.close()
        admin = connect(heron.admin_port)
        admin.sendall(b"GET /api/v1/openapi.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert read_until(admin, [b"\r\n"]).startswith(b"HTTP/1.1 200")
        admin.close()
    finally:
        for s in held:
            s.close()


def test_bodies_in_memory_are_bounded_and_a_refused_sender_may_retry(heron):
    """With 1 MB for bodies in memory, a second message arriving while 900 KB are held
    is refused for now (452 4.3.1), and accepted once the first is stored."""
    heron.set("smtp_in.body_memory_mb", "1")
    heron.start()
    heron.add_user()
    line = b"z" * 98 + b"\r\n"
    first = smtp_to_data(heron.smtp_port)
    first.sendall(b"Subject: first\r\n\r\n" + line * 9000)  # 900 KB, no end yet
    time.sleep(1.0)
    second = smtp_to_data(heron.smtp_port)
    second.sendall(b"Subject: second\r\n\r\n" + line * 5000 + b".\r\n")
    reply = read_until(second, [b"\r\n"])
    assert reply.startswith(b"452 4.3.1"), reply
    first.sendall(b".\r\n")
    assert read_until(first, [b"\r\n"]).startswith(b"250")
    # The refused sender retries in the same session and gets through.
    for cmd in (b"MAIL FROM:<x@remote.test>", f"RCPT TO:<{USER}>".encode()):
        second.sendall(cmd + b"\r\n")
        assert read_until(second, [b"\r\n"]).startswith(b"250")
    second.sendall(b"DATA\r\n")
    assert read_until(second, [b"\r\n"]).startswith(b"354")
    second.sendall(b"Subject: second\r\n\r\n" + line * 5000 + b".\r\n")
    assert read_until(second, [b"\r\n"]).startswith(b"250")
    first.close()
    second.close()
    subjects = [m for m in fetch_all(heron) if b"Subject: " in m]
    assert len(subjects) == 2
