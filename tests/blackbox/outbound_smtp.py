"""SMTP endpoints for outbound delivery tests: a recording sink (aiosmtpd) with per-recipient
replies, STARTTLS and AUTH, and a black hole that accepts connections and never answers."""

import asyncio
import shutil
import socket
import ssl
import subprocess
import threading
from dataclasses import dataclass, field

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from conftest import eventually, header_values


@dataclass
class Delivery:
    """One transaction a sink accepted; `mail_from` is "" for the null sender."""
    mail_from: str
    rcpt_tos: list
    content: bytes
    ehlo: str
    peer: str
    tls: bool
    login: str = None
    mail_options: list = field(default_factory=list)

    def header(self, name):
        return [v.decode(errors="replace") for v in header_values(self.content, name)]

    @property
    def message_id(self):
        ids = self.header("Message-ID")
        return ids[0] if ids else None

    @property
    def subject(self):
        subjects = self.header("Subject")
        return subjects[0] if subjects else None


def _login(session):
    login = getattr(session.auth_data, "login", None) if session.authenticated else None
    return login.decode(errors="replace") if isinstance(login, bytes) else login


class _SinkHandler:
    def __init__(self, sink):
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.sink.reply_for(address)
        with self.sink.lock:
            self.sink.rcpts_seen.append(address)
            if reply is not None:
                self.sink.refused.append((address, reply))
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.sink.delay:
            await asyncio.sleep(self.sink.delay)
        reply = self.sink.data_reply
        if reply is not None:
            return reply
        sender = "" if envelope.mail_from in ("<>", None) else envelope.mail_from
        d = Delivery(mail_from=sender, rcpt_tos=list(envelope.rcpt_tos),
                     content=bytes(envelope.content), ehlo=session.host_name or "",
                     peer=session.peer[0] if session.peer else "",
                     tls=session.ssl is not None, login=_login(session),
                     mail_options=list(envelope.mail_options))
        with self.sink.lock:
            self.sink.received.append(d)
            n = len(self.sink.received)
        return f"250 2.0.0 OK queued as sink-{n}"


class Sink:
    """An SMTP server (aiosmtpd) on `ip`:`port` recording what it accepts.

    `replies` maps recipient addresses to a fixed reply line (e.g. "550 5.1.1 no such user")
    given to their RCPT instead of 250; change them while running with `reply()`.
    `data_reply` replaces the 250 after DATA. `delay` seconds pass before each DATA reply.
    `tls` (an ssl.SSLContext) offers STARTTLS; `auth` = (user, password) offers AUTH PLAIN and
    LOGIN (after STARTTLS when `tls` is given) and refuses other credentials.
    """

    def __init__(self, ip, port, replies=None, data_reply=None, delay=0.0, tls=None,
                 auth=None):
        self.ip, self.port = ip, port
        self.lock = threading.Lock()
        self.replies = {k.lower(): v for k, v in (replies or {}).items()}
        self.data_reply = data_reply
        self.delay = delay
        self.auth = auth
        self.received, self.refused, self.rcpts_seen = [], [], []
        params = dict(server_hostname=f"sink-{ip}.test", decode_data=False,
                      enable_SMTPUTF8=True, timeout=120)
        if tls is not None:
            params.update(tls_context=tls, require_starttls=False)
        if auth is not None:
            params.update(authenticator=self._authenticate, auth_required=False,
                          auth_require_tls=tls is not None)
        self.controller = Controller(_SinkHandler(self), hostname=ip, port=port,
                                     ready_timeout=10, **params)

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        user, password = self.auth
        ok = (getattr(auth_data, "login", None) == user.encode()
              and getattr(auth_data, "password", None) == password.encode())
        return AuthResult(success=ok, handled=False, auth_data=auth_data)

    def start(self):
        self.controller.start()
        return self

    def stop(self):
        try:
            self.controller.stop()
        except (AssertionError, RuntimeError):
            pass

    def reply(self, address, line):
        """Answer RCPT TO:<address> with `line` from now on (None: accept)."""
        with self.lock:
            if line is None:
                self.replies.pop(address.lower(), None)
            else:
                self.replies[address.lower()] = line

    def reply_for(self, address):
        with self.lock:
            return self.replies.get(address.lower())

    def messages(self):
        with self.lock:
            return list(self.received)

    def rcpts(self):
        """Every accepted recipient, one entry per transaction that carried it."""
        return [r.lower() for d in self.messages() for r in d.rcpt_tos]

    def with_id(self, message_id):
        return [d for d in self.messages() if d.message_id == message_id]

    def wait(self, n=1, timeout=15.0, what=None):
        """The accepted transactions, once there are at least `n`."""
        return eventually(lambda: len(self.messages()) >= n and self.messages(), timeout,
                          what=what or f"sink {self.ip}:{self.port} received {n} message(s)")


class BlackHole:
    """Accepts TCP connections on `ip`:`port` and never sends a byte; closes them all at
    `close()`."""

    def __init__(self, ip, port):
        self.ip, self.port = ip, port
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((ip, port))
        self.sock.listen(64)
        self.sock.settimeout(0.2)
        self.conns = []
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.done.is_set():
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with self.lock:
                self.conns.append(conn)

    @property
    def accepted(self):
        with self.lock:
            return len(self.conns)

    def close(self):
        self.done.set()
        self.thread.join(5)
        with self.lock:
            for c in self.conns:
                try:
                    c.close()
                except OSError:
                    pass
        self.sock.close()


def self_signed_tls(directory, cn="sink.test"):
    """A server TLS context with a fresh self-signed certificate, or None when neither the
    openssl tool nor the cryptography package can make one."""
    cert, key = directory / f"{cn}-cert.pem", directory / f"{cn}-key.pem"
    made = False
    if shutil.which("openssl"):
        r = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                            "-keyout", str(key), "-out", str(cert), "-days", "2",
                            "-subj", f"/CN={cn}"], capture_output=True, timeout=60)
        made = r.returncode == 0
    if not made:
        try:
            made = _cryptography_cert(cert, key, cn)
        except ImportError:
            return None
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    return ctx


def _cryptography_cert(cert_path, key_path, cn):
    import datetime
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=2))
            .sign(key, hashes.SHA256()))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.TraditionalOpenSSL,
                                           serialization.NoEncryption()))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return True


def sink_tls_or_skip(directory):
    ctx = self_signed_tls(directory)
    if ctx is None:
        pytest.skip("no openssl tool or cryptography package to make a certificate")
    return ctx
