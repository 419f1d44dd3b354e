"""Shared fixtures and helpers for Heron's black-box tests.

Every test gets its own data directory and its own server on a random
port offset; everything talks to 127.0.0.1 only.
"""

import fcntl
import json
import os
import poplib
import random
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HERON = os.environ.get("HERON_BIN") or str(REPO / "target" / "debug" / "heron")
HOST = "127.0.0.1"
# Ports of the default listeners; the server adds --port-offset to each.
DEFAULT_PORTS = (25, 587, 465, 110, 995, 143, 993, 9998)
USER = "alice@example.test"
PASSWORD = "Secret123x"
OTHER = "bob@example.test"
OTHER_PASSWORD = "Kestrel42x"


# ---------------------------------------------------------------- timing


def eventually(check, timeout=10.0, interval=0.1, what="condition"):
    """Call `check` until it returns a truthy value; fail after `timeout`.

    AssertionError and network errors raised by `check` count as "not yet".
    """
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            result = check()
            if result:
                return result
            last = f"returned {result!r}"
        except (AssertionError, OSError, EOFError, poplib.error_proto) as e:
            last = repr(e)
        if time.monotonic() >= deadline:
            raise AssertionError(f"{what}: not true within {timeout}s (last: {last})")
        time.sleep(interval)


# ---------------------------------------------------------------- ports


def port_free(port, host=HOST):
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


# Ports handed out in the last RESERVE_SECONDS, shared by every test process on the machine
# (pytest-xdist workers): a port is free when checked but only taken when the server binds it,
# so two workers checking at once could otherwise pick the same one.
RESERVATIONS = Path(tempfile.gettempdir()) / "heron-test-port-reservations"
RESERVE_SECONDS = 60


@contextmanager
def reserved_ports():
    """Under an exclusive lock, the set of ports reserved recently; ports the block adds to
    the set are recorded as reserved now."""
    with open(RESERVATIONS, "a+") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        f.seek(0)
        now = time.time()
        held = {}
        for line in f.read().split():
            port, _, at = line.partition(":")
            try:
                if now - float(at) < RESERVE_SECONDS:
                    held[int(port)] = float(at)
            except ValueError:
                continue
        taken = set(held)
        yield taken
        for port in taken - set(held):
            held[port] = now
        f.seek(0)
        f.truncate()
        f.write("".join(f"{port}:{at}\n" for port, at in held.items()))


def pick_ports(candidate, ports_of, hosts=(HOST,), tries=500):
    """A value from `candidate()` whose ports (`ports_of(value)`) are free on every host and
    not reserved by another test process; they are reserved for this one."""
    with reserved_ports() as taken:
        for _ in range(tries):
            value = candidate()
            ports = ports_of(value)
            if not taken.intersection(ports) and all(
                    port_free(p, h) for p in ports for h in hosts):
                taken.update(ports)
                return value
    raise RuntimeError("no free ports found")


def free_offset():
    """A port offset whose default listener ports are all free and all below the kernel's
    range for outgoing connections' local ports (32768 and up), where a client connection
    may take a port between the check and the server's bind."""
    high = max(20001, ephemeral_low() - max(DEFAULT_PORTS) - 1)
    return pick_ports(lambda: random.randint(20000, high),
                      lambda n: [p + n for p in DEFAULT_PORTS])


def ephemeral_low():
    """The lowest local port the kernel gives outgoing connections."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port(low=10000, high=19999):
    """A port in [low, high] nothing listens on now (and no other test process was just
    given); the default range is below both the port offsets' ports and the kernel's range
    for outgoing connections' local ports."""
    return pick_ports(lambda: random.randint(low, high), lambda p: [p])


def drop(p):
    """Close a poplib client's connection without QUIT."""
    p.file.close()
    p.sock.close()


def client_tls():
    """A TLS context that accepts the server's self-signed certificate."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


# ---------------------------------------------------------------- raw client


class Raw:
    """A byte-level POP3 connection, for what poplib cannot send."""

    def __init__(self, port, tls=False, timeout=10.0, host=HOST):
        sock = socket.create_connection((host, port), timeout=timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if tls:
            sock = client_tls().wrap_socket(sock, server_hostname=HOST)
        self.sock = sock
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError("server closed the connection")
        self.buf += chunk

    def line(self):
        """The next reply line without its CRLF."""
        while b"\r\n" not in self.buf:
            if len(self.buf) > 1 << 20:
                raise AssertionError("reply line longer than 1 MiB")
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def cmd(self, line):
        self.send(line + b"\r\n")
        return self.line()

    def multiline(self):
        """Lines of a multi-line body up to the "." line, unstuffed."""
        lines = []
        for _ in range(10_000_000):
            line = self.line()
            if line == b".":
                return lines
            lines.append(line[1:] if line.startswith(b".") else line)
        raise AssertionError("multi-line reply never ended")

    def until_eof(self, timeout=10.0):
        """Every line left before the server closes; fails if it stays open."""
        self.sock.settimeout(timeout)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                self._fill()
            except (EOFError, ConnectionResetError):
                lines = self.buf.split(b"\r\n")
                self.buf = b""
                return [line for line in lines if line]
            except (socket.timeout, TimeoutError):
                break
        raise AssertionError(f"connection still open after {timeout}s")

    def login(self, user=USER, password=PASSWORD):
        assert self.cmd(b"USER " + user.encode()).startswith(b"+OK")
        reply = self.cmd(b"PASS " + password.encode())
        assert reply.startswith(b"+OK"), reply
        return reply

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


# ---------------------------------------------------------------- server


class Heron:
    """One data directory, its CLI and (when started) its server, listening on `host`
    (a loopback address) with its default ports moved by `offset`."""

    def __init__(self, base: Path, host=HOST, offset=None):
        self.base = base
        self.host = host
        self.data = base / "data"
        self.offset = free_offset() if offset is None else offset
        self.proc = None
        self.starts = 0

    @property
    def pop3_port(self):
        return 110 + self.offset

    @property
    def pop3s_port(self):
        return 995 + self.offset

    @property
    def admin_port(self):
        return 9998 + self.offset

    # -- CLI

    def init(self):
        """Make the data directory with `heron init` unless it exists (CLI verbs never make
        one; `heron serve` does)."""
        if not (self.data / "heron.db").exists():
            self.cli("init", init=False)

    def cli(self, *args, check=True, timeout=300, init=True, stdin=None):
        """Run `heron --data DATA ARGS...`; makes the data directory first unless `init` is
        false. `stdin` is text sent on standard input."""
        if init:
            self.init()
        cmd = [HERON, "--data", str(self.data), *map(str, args)]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                           **({"input": stdin} if stdin is not None
                              else {"stdin": subprocess.DEVNULL}))
        if check and r.returncode != 0:
            raise AssertionError(
                f"heron {' '.join(map(str, args))} exited {r.returncode}\n"
                f"stdout: {r.stdout}\nstderr: {r.stderr}")
        return r

    def add_user(self, addr=USER, password=PASSWORD):
        domain = addr.split("@", 1)[1]
        if domain not in self.cli("domain", "list").stdout:
            self.cli("domain", "add", domain)
        self.cli("user", "add", addr, "--password", password)

    def set(self, key, value):
        return self.cli("settings", "set", key, value)

    # -- server process

    def serve_args(self):
        return [HERON, "--data", str(self.data), "serve",
                "--port-offset", str(self.offset), "--listen-address", self.host,
                "--admin-listen", f"127.0.0.1:{self.admin_port}"]

    def start(self, timeout=20.0, preexec=None):
        """Start the server; `preexec` runs in the child before it starts (resource limits)."""
        self.starts += 1
        self.output = self.base / f"serve-{self.starts}.out"
        with open(self.output, "wb") as out:
            self.proc = subprocess.Popen(self.serve_args(), stdout=out,
                                         stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, preexec_fn=preexec)

        def ready():
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited {self.proc.returncode}:\n{self.tail()}")
            with socket.create_connection((self.host, self.pop3_port), timeout=1):
                return True

        try:
            eventually(ready, timeout, what="POP3 port accepts connections")
        except RuntimeError as e:
            pytest.fail(str(e))
        return self

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=15.0):
        """SIGTERM the server; return its exit code. Fails if it hangs."""
        proc, self.proc = self.proc, None
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            return proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
            pytest.fail(f"server ignored SIGTERM for {timeout}s:\n{self.tail()}")

    def tail(self, n=40):
        try:
            lines = self.output.read_text(errors="replace").splitlines()
        except OSError:
            return "(no output)"
        return "\n".join(lines[-n:])

    # -- POP3 clients

    def pop(self, tls=False, port=None):
        p = poplib.POP3(self.host, port or self.pop3_port, timeout=15)
        if tls:
            p.stls(client_tls())
        return p

    def stls(self):
        return self.pop(tls=True)

    def pops(self, port=None):
        return poplib.POP3_SSL(self.host, port or self.pop3s_port, context=client_tls(),
                               timeout=15)

    def client(self, kind):
        return {"plain": self.pop, "stls": self.stls, "pops": self.pops}[kind]()

    def login(self, kind="plain", user=USER, password=PASSWORD, wait=True):
        """A logged-in poplib client; waits (bounded) while the mailbox is in use."""
        def attempt():
            p = self.client(kind)
            try:
                p.user(user)
                p.pass_(password)
            except poplib.error_proto as e:
                drop(p)
                if wait and b"IN-USE" in e.args[0]:
                    raise AssertionError(e.args[0])
                raise
            return p
        return eventually(attempt, 10, what=f"login {user}") if wait else attempt()

    def raw(self, tls=False, port=None, timeout=10.0):
        r = Raw(port or (self.pop3s_port if tls else self.pop3_port), tls=tls, timeout=timeout,
                host=self.host)
        return r


@pytest.fixture
def heron(tmp_path):
    """A data directory with CLI access; the server is not started."""
    h = Heron(tmp_path)
    yield h
    if h.proc is not None:
        code = h.stop()
        assert code == 0, f"server exit code {code} after SIGTERM:\n{h.tail()}"


@pytest.fixture
def server(heron):
    """A running server with user alice@example.test."""
    heron.start()
    heron.add_user()
    return heron


# ---------------------------------------------------------------- messages

WORDS = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel",
         "india", "juliet", "kilo", "lima", "mike", "november", "oscar", "papa",
         "quebec", "romeo", "sierra", "tango", "uniform", "victor", "whiskey")


def make_messages(n, seed=1):
    """`n` distinct messages with LF line endings, as a mail writer keeps them.

    Some bodies have lines starting "From " (mbox quoting), "." (dot-stuffing),
    ">From " (mboxrd un-quoting keeps one ">") and non-ASCII text; some carry
    "Status: RO"; sizes vary from a few hundred bytes to about 200 KB.
    """
    rng = random.Random(seed)
    msgs = []
    for i in range(1, n + 1):
        head = [
            f"From: Sender {i} <sender{i}@example.org>",
            f"To: {USER}",
            f"Subject: Test message {i} of {n}",
            f"Date: Mon, 01 Jan 2024 {i % 24:02d}:{i % 60:02d}:00 +0000",
            f"Message-ID: <{seed}.{i}.{rng.getrandbits(32):08x}@blackbox.test>",
        ]
        if i % 7 == 3:
            head.append("Status: RO")
        if i % 11 == 5:
            head.append("X-Status: A")
        count = 3000 if i % 97 == 50 else rng.randint(1, 40)
        body = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(0, 15)))
                for _ in range(count)]
        if i % 5 == 0:
            body[rng.randrange(len(body))] = "From me, with love"
            body.insert(0, "")
            body.insert(1, "From me")
        if i % 4 == 1:
            body.insert(rng.randrange(len(body) + 1), ".dot at the start")
            body.insert(rng.randrange(len(body) + 1), ".")
            body.insert(rng.randrange(len(body) + 1), "..two dots")
        if i % 9 == 2:
            body.append(">From quoted already")
        if i % 13 == 6:
            body.append("Grüße aus Köln — ünïcödé")
        text = "\n".join(head) + "\n\n" + "\n".join(body) + "\n"
        msgs.append(text.encode())
    return msgs


def crlf(msg):
    """The bytes the server is expected to store: LF turned into CRLF."""
    return msg.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def lines_of(msg):
    """Expected RETR lines (without CRLF) of a message."""
    return crlf(msg).split(b"\r\n")[:-1]


def top_lines(msg, n):
    """Expected TOP lines: headers, the blank line, then `n` body lines."""
    lines = lines_of(msg)
    blank = lines.index(b"")
    return lines[: blank + 1 + n]


def message_id(msg):
    for line in msg.split(b"\n"):
        if line.lower().startswith(b"message-id:"):
            return line.split(b":", 1)[1].strip()
    raise ValueError("no Message-ID")


def write_mbox(path, msgs):
    """An mboxrd file: From_ lines, ">"-quoted "From " lines, blank separators."""
    with open(path, "wb") as f:
        for i, msg in enumerate(msgs):
            f.write(f"From sender{i}@example.org Mon Jan  1 00:00:00 2024\n".encode())
            for line in msg.split(b"\n")[:-1]:
                if line.lstrip(b">").startswith(b"From "):
                    line = b">" + line
                f.write(line + b"\n")
            f.write(b"\n")
    return path


@pytest.fixture
def mailbox(server, tmp_path):
    """Factory: import `n` generated messages into alice's mailbox; returns them."""
    def fill(n, seed=1, user=USER):
        msgs = make_messages(n, seed)
        path = write_mbox(tmp_path / f"import-{seed}.mbox", msgs)
        server.cli("import", user, path)
        return msgs
    return fill


# ---------------------------------------------------------------- SMTP

import smtplib  # noqa: E402


Heron.smtp_port = property(lambda self: 25 + self.offset)
Heron.submission_port = property(lambda self: 587 + self.offset)
Heron.smtps_port = property(lambda self: 465 + self.offset)


class SmtpRaw(Raw):
    """A byte-level SMTP connection, for what smtplib cannot send."""

    def reply(self):
        """The next reply as (code, text): the lines' text after the code, joined by LF."""
        texts = []
        for _ in range(1000):
            line = self.line()
            assert len(line) >= 3 and line[:3].isdigit(), f"not an SMTP reply: {line!r}"
            texts.append(line[4:])
            if len(line) == 3 or line[3:4] == b" ":
                return int(line[:3]), b"\n".join(texts)
            assert line[3:4] == b"-", f"bad reply separator: {line!r}"
        raise AssertionError("reply with more than 1000 lines")

    def cmd(self, line):
        self.send(line + b"\r\n")
        return self.reply()

    def greet(self):
        code, text = self.reply()
        assert code == 220, (code, text)
        return text

    def ehlo(self, name=b"client.test"):
        code, text = self.cmd(b"EHLO " + name)
        assert code == 250, (code, text)
        return text.split(b"\n")[1:]

    def starttls(self):
        code, text = self.cmd(b"STARTTLS")
        assert code == 220, (code, text)
        self.sock = client_tls().wrap_socket(self.sock, server_hostname=HOST)
        self.buf = b""


def smtp_raw(heron, port=None, tls=False, timeout=15.0, greet=True):
    """A raw SMTP connection (default: the MX port); reads the greeting unless `greet` is false."""
    r = SmtpRaw(port or heron.smtp_port, tls=tls, timeout=timeout, host=heron.host)
    if greet:
        r.greet()
    return r


def smtp_client(heron, port=None, starttls=False, login=None, timeout=30):
    """An smtplib client after EHLO (and STARTTLS, and AUTH with `login` = (user, password))."""
    port = port or heron.smtp_port
    if port == heron.smtps_port:
        s = smtplib.SMTP_SSL(heron.host, port, context=client_tls(), timeout=timeout)
    else:
        s = smtplib.SMTP(heron.host, port, timeout=timeout)
    s.ehlo("client.test")
    if starttls:
        s.starttls(context=client_tls())
        s.ehlo("client.test")
    if login:
        s.login(*login)
    return s


def submission(heron, user=USER, password=PASSWORD):
    """An smtplib client on the submission port, after STARTTLS and AUTH."""
    return smtp_client(heron, heron.submission_port, starttls=True, login=(user, password))


def send_until_killed(heron, make, threads, per_thread, kill_after):
    """Send `make(ident)` messages to USER from `threads` smtplib clients at once and SIGKILL
    the server once `kill_after` are acknowledged (or the senders stop); returns the
    acknowledged and attempted identifiers and the senders' errors."""
    import threading

    acked, attempted, errors = set(), set(), []
    lock = threading.Lock()

    def sender(t):
        s = None
        try:
            s = smtp_client(heron, timeout=30)
            for n in range(per_thread):
                ident = f"crash-{t}-{n}"
                with lock:
                    attempted.add(ident)
                s.sendmail("load@remote.test", [USER], make(ident))
                with lock:
                    acked.add(ident)
        except (smtplib.SMTPException, OSError) as e:
            with lock:
                errors.append(repr(e))
        finally:
            if s is not None:
                try:
                    s.close()
                except OSError:
                    pass

    workers = [threading.Thread(target=sender, args=(t,), daemon=True) for t in range(threads)]
    for th in workers:
        th.start()
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        with lock:
            if len(acked) >= kill_after:
                break
        if not any(th.is_alive() for th in workers):
            break
        time.sleep(0.05)
    heron.proc.kill()
    heron.proc.wait(30)
    for th in workers:
        th.join(60)
    assert not any(th.is_alive() for th in workers), "sender threads did not stop"
    with lock:
        return set(acked), set(attempted), list(errors)


def fetch_all(heron, user=USER, password=PASSWORD):
    """Every message in the user's mailbox over POP3, as bytes with CRLF line endings."""
    p = heron.login(user=user, password=password)
    try:
        count = p.stat()[0]
        return [b"\r\n".join(p.retr(i)[1]) + b"\r\n" for i in range(1, count + 1)]
    finally:
        p.quit()


def strip_trace(msg, received=True):
    """The message without the Return-Path line and (if `received`) the Received header
    with its folded continuation lines that the server prepends at delivery."""
    lines = msg.split(b"\r\n")
    assert lines[0].startswith(b"Return-Path: <"), lines[:3]
    i = 1
    if received:
        assert lines[i].startswith(b"Received: "), lines[:3]
        i += 1
        while i < len(lines) and lines[i][:1] in (b" ", b"\t"):
            i += 1
    return b"\r\n".join(lines[i:])


def header_values(msg, name):
    """Values (unfolded) of every header `name` in the message's header section."""
    head = msg.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    values, current = [], None
    for line in head:
        if line[:1] in (b" ", b"\t") and current is not None:
            current += b" " + line.strip()
            values[-1] = (values[-1][0], current)
            continue
        key, _, value = line.partition(b":")
        current = value.strip()
        values.append((key.strip().lower(), current))
    return [v for k, v in values if k == name.lower().encode()]


def spool_list(heron):
    """`heron spool list` parsed: a list of (first line, [recipient lines]), plus the count line."""
    out = heron.cli("spool", "list").stdout
    entries, count_line = [], None
    for line in out.splitlines():
        if line.startswith("\t"):
            assert entries, out
            entries[-1][1].append(line.strip())
        elif line.endswith("in the spool"):
            count_line = line
        elif line.strip():
            entries.append((line, []))
    assert count_line is not None, out
    assert int(count_line.split()[0]) == len(entries), out
    return entries


def vm_rss_kb(pid):
    """Resident memory of a process in KiB, from /proc."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")


@pytest.fixture
def smtp_server(server):
    """A running server with user alice@example.test whose SMTP ports accept connections."""
    for port in (server.smtp_port, server.submission_port, server.smtps_port):
        eventually(lambda: socket.create_connection((HOST, port), timeout=1).close() or True,
                   10, what=f"port {port} accepts connections")
    return server


def smtp_settle(heron):
    """Wait until the running server has applied every setting changed so far: change the
    SMTP banner to a new marker (settings are applied in order) and wait for it."""
    marker = f"settled-{random.getrandbits(48):012x}"
    heron.set("smtp_in.banner", "#HostName# " + marker)

    def shows_marker():
        r = smtp_raw(heron, greet=False, timeout=5)
        try:
            code, text = r.reply()
            return code == 220 and marker.encode() in text
        finally:
            r.close()

    eventually(shows_marker, 10, what="new SMTP banner shown")


# ---------------------------------------------------------------- test hosts

NEEDS_NETNS = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("ip") is None,
    reason="needs root and iproute2 to create a network namespace")


@pytest.fixture
def test_host():
    """A network namespace at 10.250.N.2 reaching this machine at 10.250.N.1."""
    n = random.randint(1, 250)
    tag = f"{os.getpid() % 10000}{n}"
    ns, veth = f"heron-t{tag}", f"hv{tag}"[:12]
    host_ip, ns_ip = f"10.250.{n}.1", f"10.250.{n}.2"
    steps = [
        ["ip", "netns", "add", ns],
        ["ip", "link", "add", veth + "a", "type", "veth", "peer", "name", veth + "b"],
        ["ip", "link", "set", veth + "b", "netns", ns],
        ["ip", "addr", "add", f"{host_ip}/30", "dev", veth + "a"],
        ["ip", "link", "set", veth + "a", "up"],
        ["ip", "netns", "exec", ns, "ip", "addr", "add", f"{ns_ip}/30", "dev", veth + "b"],
        ["ip", "netns", "exec", ns, "ip", "link", "set", veth + "b", "up"],
        ["ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up"],
    ]
    try:
        for s in steps:
            r = subprocess.run(s, capture_output=True, text=True)
            if r.returncode != 0:
                pytest.skip(f"cannot create a test host ({' '.join(s)}): {r.stderr.strip()}")
        yield ns, host_ip
    finally:
        subprocess.run(["ip", "link", "del", veth + "a"], capture_output=True)
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)


# ---------------------------------------------------------------- IMAP

import imaplib  # noqa: E402
import re  # noqa: E402

Heron.imap_port = property(lambda self: 143 + self.offset)
Heron.imaps_port = property(lambda self: 993 + self.offset)


@pytest.fixture
def imap_server(server):
    """A running server with user alice@example.test whose IMAP ports accept connections."""
    for port in (server.imap_port, server.imaps_port):
        eventually(lambda: socket.create_connection((HOST, port), timeout=1).close() or True,
                   10, what=f"port {port} accepts connections")
    return server


def imap_client(heron, tls=None, user=USER, password=PASSWORD, login=True):
    """An imaplib client: plain (`tls` None), "starttls" or "implicit"; logged in unless
    `login` is false."""
    if tls == "implicit":
        m = imaplib.IMAP4_SSL(heron.host, heron.imaps_port, ssl_context=client_tls(), timeout=15)
    else:
        m = imaplib.IMAP4(heron.host, heron.imap_port, timeout=15)
        if tls == "starttls":
            m.starttls(client_tls())
    if login:
        m.login(user, password)
    return m


LITERAL_AT_END = re.compile(rb"\{(\d+)\}$")


class ImapRaw(Raw):
    """A byte-level IMAP connection. `line()` returns one logical response line with any
    literals it carries inlined."""

    def line(self):
        out = super().line()
        while (m := LITERAL_AT_END.search(out)):
            n = int(m.group(1))
            while len(self.buf) < n:
                self._fill()
            out += b"\r\n" + self.buf[:n]
            self.buf = self.buf[n:]
            out += super().line()
        return out

    def greet(self):
        line = self.line()
        assert line.startswith(b"* OK"), line
        return line

    def until(self, tag):
        """Lines up to the tagged response: (untagged lines, tagged line)."""
        untagged = []
        for _ in range(1_000_000):
            line = self.line()
            if line.startswith(tag + b" "):
                return untagged, line
            untagged.append(line)
        raise AssertionError("no tagged response")

    def cmd(self, tag, text):
        """Send `tag text` and read up to its tagged response."""
        self.send(tag + b" " + text + b"\r\n")
        return self.until(tag)

    def login(self, user=USER, password=PASSWORD):
        _, done = self.cmd(b"L", b"LOGIN " + user.encode() + b" " + password.encode())
        assert done.startswith(b"L OK"), done
        return done


def imap_raw(heron, tls=False, greet=True, login=False, timeout=15.0):
    """A raw IMAP connection (implicit TLS with `tls`), greeted and optionally logged in."""
    r = ImapRaw(heron.imaps_port if tls else heron.imap_port, tls=tls, timeout=timeout,
                host=heron.host)
    if greet:
        r.greet()
    if login:
        r.login()
    return r


def imap_settle(heron):
    """Wait until the running server has applied every setting changed so far: change the
    IMAP banner to a new marker (settings are applied in order) and wait for it."""
    marker = f"settled-{random.getrandbits(48):012x}"
    heron.set("imap.banner", "#HostName# " + marker)

    def shows_marker():
        r = imap_raw(heron, greet=False, timeout=5)
        try:
            return marker.encode() in r.line()
        finally:
            r.close()

    eventually(shows_marker, 10, what="new IMAP banner shown")


def serve_on_test_host(heron, host_ip, protocol, port):
    """Start the server with one `protocol` listener (STARTTLS) on the test host's side of the
    link, besides the loopback POP3 listener the fixtures wait on; add the default user."""
    heron.set("bind.listeners",
              f"pop3 starttls 127.0.0.1:{heron.pop3_port}, {protocol} starttls {host_ip}:{port}")
    heron.start()
    heron.add_user()


def run_on_test_host(ns, script, *args):
    """Run a Python client script inside the test host; its stdout is JSON."""
    r = subprocess.run(["ip", "netns", "exec", ns, sys.executable, "-c", script, *map(str, args)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


# The PostgreSQL server of the shared-store tests (pgcluster.py): one per test session.
from pgcluster import pg_cluster, pg_url  # noqa: E402,F401
