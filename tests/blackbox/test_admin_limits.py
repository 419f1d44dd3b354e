"""The admin listener's limits: a request's headers and body have deadlines (408), idle
keep-alive connections are closed, the number of connections is capped (past it they are
closed as accepted), and a flood of idle and half-sent connections to the admin port leaves
the mail listeners and the admin API itself serving."""

import json
import resource
import socket
import time

import pytest
import requests

from admin_api import Api, wait_for_api
from conftest import HOST, USER, eventually, fetch_all, imap_client, smtp_client

FLOOD = 5000
HALF_SENT = 20
# Client ports of the flood: below the ports the fixtures pick for servers (20000 and up) and
# outside the system's ephemeral range, so that thousands of them in use at once cannot take
# a port that a server started by a test running in parallel is about to bind.
FLOOD_PORTS = range(10000, 20000)
# Short deadlines so that the test is quick; the defaults are 10 s and 20 s.
HEADER_TIMEOUT = 3
BODY_TIMEOUT = 3


def raise_own_nofile(need):
    """Let this test process hold `need` descriptors (up to its hard limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < need:
        pytest.skip(f"the open-file hard limit ({hard}) is below {need}")
    if soft != resource.RLIM_INFINITY and soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))


def connect(heron, timeout=10):
    return socket.create_connection((HOST, heron.admin_port), timeout=timeout)


def flood_connect(heron, ports):
    """A connection to the admin port from the next free client port of `ports` (an
    iterator over FLOOD_PORTS)."""
    for port in ports:
        s = socket.socket()
        try:
            s.bind((HOST, port))
        except OSError:
            s.close()
            continue
        s.settimeout(5)
        try:
            s.connect((HOST, heron.admin_port))
        except OSError:
            s.close()
            raise
        return s
    raise AssertionError("no client port left for the flood")


def closed_by_server(sock):
    """True once the server has closed `sock` (end of stream or reset), without blocking.
    Meant for connections on which the server sends nothing."""
    try:
        sock.setblocking(False)
        return sock.recv(1, socket.MSG_PEEK) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def read_until_closed(sock, timeout=30.0):
    """Everything the server sends until it closes; fails if it stays open `timeout`."""
    sock.setblocking(True)
    sock.settimeout(timeout)
    data = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return data
        except (socket.timeout, TimeoutError):
            break
        if not chunk:
            return data
        data += chunk
    raise AssertionError(f"connection still open after {timeout}s; got {data[:200]!r}")


def read_response(sock, timeout=30.0):
    """One HTTP response with a Content-Length: (status line, headers, body)."""
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"closed before the response head: {data!r}"
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (h.split(":", 1) for h in lines[1:])}
    size = int(headers["content-length"])
    while len(body) < size:
        chunk = sock.recv(65536)
        assert chunk, "closed inside the response body"
        body += chunk
    return lines[0], headers, body


def split_response(data):
    head, body = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (h.split(":", 1) for h in lines[1:])}
    return lines[0], headers, body


@pytest.fixture
def limited(heron):
    """A running server (with alice@example.test) whose admin deadlines are short."""
    heron.set("admin.header_timeout", str(HEADER_TIMEOUT))
    heron.set("admin.body_timeout", str(BODY_TIMEOUT))
    heron.start()
    heron.add_user()
    wait_for_api(heron)
    for port in (heron.smtp_port, heron.imap_port):
        eventually(lambda: socket.create_connection((HOST, port), timeout=1).close() or True,
                   10, what=f"port {port} accepts connections")
    return heron


def test_half_sent_headers_are_answered_408(limited):
    api = connect(limited)
    api.sendall(b"GET /api/v1/domains HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
    page = connect(limited)
    page.sendall(b"GET /domains HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    status, headers, body = split_response(read_until_closed(api))
    assert status.startswith("HTTP/1.1 408 "), status
    assert headers["content-type"] == "application/json" and headers["connection"] == "close"
    assert json.loads(body) == {"error": "the request took too long"}
    status, headers, body = split_response(read_until_closed(page))
    assert status.startswith("HTTP/1.1 408 "), status
    assert headers["content-type"].startswith("text/plain"), headers
    assert b"too long" in body


def test_silent_and_idle_keep_alive_connections_are_closed(limited):
    silent = connect(limited)
    # Nothing was asked, so nothing is answered: the connection is just closed.
    assert read_until_closed(silent) == b""
    keep = connect(limited)
    keep.sendall(b"GET /api/v1/openapi.json HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    status, headers, body = read_response(keep)
    assert status == "HTTP/1.1 200 OK" and json.loads(body)["openapi"].startswith("3.1")
    assert headers.get("connection") != "close"
    # The connection stays usable for a next request...
    keep.sendall(b"GET /api/v1/openapi.json HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    assert read_response(keep)[0] == "HTTP/1.1 200 OK"
    # ...but left idle it is closed without a word.
    assert read_until_closed(keep) == b""


def test_stalled_body_is_answered_408(limited):
    s = connect(limited)
    s.sendall(b"POST /api/v1/session HTTP/1.1\r\nHost: 127.0.0.1\r\n"
              b"Content-Type: application/json\r\nContent-Length: 200\r\n\r\n"
              b'{"username": "adm')
    status, headers, body = split_response(read_until_closed(s))
    assert status.startswith("HTTP/1.1 408 "), status
    assert headers["connection"] == "close"
    assert json.loads(body) == {"error": "the request took too long"}
    # A body sent in time is read as before.
    r = Api(limited).login("admin", "admin")
    assert r.status_code == 200 and r.json()["must_change_password"] is True, r.text


def test_connections_past_the_cap_are_closed_at_accept(heron):
    cap = 20
    heron.set("admin.max_connections", str(cap))
    heron.set("admin.header_timeout", "60")
    heron.start()
    wait_for_api(heron)
    held = [connect(heron) for _ in range(cap + 30)]
    try:
        def settled():
            open_now = [s for s in held if not closed_by_server(s)]
            # The readiness check's own connection may still have held a slot when the
            # first of these arrived, so one fewer may have been taken.
            assert cap - 1 <= len(open_now) <= cap, len(open_now)
            # An over-cap connection whose close is still on its way looks open: the count
            # is taken only once a second look, a moment later, agrees.
            time.sleep(0.5)
            again = [s for s in held if not closed_by_server(s)]
            assert len(again) == len(open_now), (len(open_now), len(again))
            return open_now
        open_now = eventually(settled, 30, what="connections past the cap closed")
        free = cap - len(open_now)
        # The cap holds: later connections are closed too (but for a slot left free).
        late = [connect(heron) for _ in range(5)]
        held += late
        eventually(lambda: sum(closed_by_server(s) for s in late) == len(late) - free, 30,
                   what="connections over the cap closed")
        # Slots come back when connections end: a fresh request is then served.
        for s in open_now[:5]:
            s.close()
        wait_for_api(heron)
        # Shutdown does not wait for idle connections: it closes them.
        assert heron.stop() == 0
        assert "admin API connections did not finish" not in heron.tail(), heron.tail()
    finally:
        for s in held:
            s.close()


def test_flood_of_idle_connections_leaves_mail_and_admin_served(limited):
    raise_own_nofile(FLOOD + HALF_SENT + 1000)
    half, idle, refused = [], [], 0
    ports = iter(FLOOD_PORTS)
    try:
        for _ in range(HALF_SENT):
            s = flood_connect(limited, ports)
            s.sendall(b"GET /api/v1/domains HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            half.append(s)
        deadline = time.monotonic() + 180
        for _ in range(FLOOD):
            if time.monotonic() > deadline:
                break
            try:
                idle.append(flood_connect(limited, ports))
            except OSError:
                refused += 1
        assert len(idle) + refused == FLOOD, "the flood did not finish in time"
        assert len(idle) > FLOOD // 2, f"only {len(idle)} connections opened"
        # The admin listener holds no more than its cap (default 256) of them.
        eventually(lambda: sum(not closed_by_server(s) for s in idle) <= 256, 60,
                   what="admin connections within the cap")

        # Mail is served meanwhile: SMTP takes a message, POP3 and IMAP log in.
        msg = (b"From: flood@remote.test\r\nTo: " + USER.encode() +
               b"\r\nSubject: during the flood\r\n\r\nstill delivered\r\n")
        smtp = smtp_client(limited)
        assert smtp.sendmail("flood@remote.test", [USER], msg) == {}
        smtp.quit()
        got = fetch_all(limited)
        assert len(got) == 1 and got[0].endswith(b"still delivered\r\n"), got
        imap = imap_client(limited)
        assert imap.select("INBOX")[1] == [b"1"]
        imap.logout()

        # Each half-sent request is answered 408 once its header deadline passes.
        for s in half:
            status, headers, body = split_response(read_until_closed(s, 60))
            assert status.startswith("HTTP/1.1 408 "), status
            assert json.loads(body)["error"] == "the request took too long"

        # And the admin API answers a fresh request.
        wait_for_api(limited)
        r = Api(limited).login("admin", "admin")
        assert r.status_code == 200, r.text
    finally:
        for s in half + idle:
            s.close()


def test_oversized_request_head_is_refused(limited):
    base = f"http://127.0.0.1:{limited.admin_port}/api/v1/openapi.json"
    r = requests.get(base, headers={"X-Big": "a" * 300_000}, timeout=30)
    assert r.status_code == 431, r.status_code
    # A head of ordinary size is read as before.
    assert requests.get(base, headers={"X-Big": "a" * 8_000}, timeout=30).status_code == 200


def test_an_answer_left_unread_does_not_hold_the_connection(limited):
    """A client that pipelines requests for far more than the socket buffers hold and then
    reads nothing is dropped once the server's writes have stalled for the body timeout."""
    one = len(requests.get(f"http://127.0.0.1:{limited.admin_port}/api/v1/openapi.json",
                           timeout=10).content)
    request = b"GET /api/v1/openapi.json HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    # As many as fit in the server's request buffer: megabytes of answers.
    count = 60_000 // len(request)
    assert count * one > 16 << 20, (count, one)
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(10)
    s.connect((HOST, limited.admin_port))
    s.sendall(request * count)
    time.sleep(BODY_TIMEOUT + 3)
    data = read_until_closed(s, timeout=30)
    assert len(data) < count * one, "the whole answer was kept for a client that read nothing"
    s.close()
    assert requests.get(f"http://127.0.0.1:{limited.admin_port}/api/v1/openapi.json",
                        timeout=10).status_code == 200
