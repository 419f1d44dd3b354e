"""Test harness for outbound delivery: a DNS server serving a zone the test edits while it
runs, SMTP sinks (aiosmtpd), black-hole listeners and further Heron instances, each on its
own loopback address.

Every receiving server of a test (Heron instances, sinks, black holes) listens on one shared
port P, each on its own address in 127.0.0.1..127.0.0.5; Heron instances run with port
offset P-25, so their SMTP listener is on P too. Sending instances set `smtp_out.port` = P,
and MX host names resolve through the test DNS to those addresses.
"""

import email
import email.policy
import json
import random
import re
import socket
import time
import uuid

import pytest

from conftest import (DEFAULT_PORTS, PASSWORD, Heron, ephemeral_low, eventually, fetch_all,
                      header_values, pick_ports, port_free, smtp_client, submission)
from outbound_dns import DnsServer, Zone, dns_query, normal  # noqa: F401
from outbound_smtp import (BlackHole, Delivery, Sink, self_signed_tls,  # noqa: F401
                           sink_tls_or_skip)

LOOPBACK = tuple(f"127.0.0.{i}" for i in range(1, 6))
ALICE = "alice@a.test"
BOB = "bob@b.test"


# ---------------------------------------------------------------- ports


def shared_port(ips=LOOPBACK):
    """A port P free on every address in `ips`, such that a Heron instance with port offset
    P-25 finds all its default listener ports free on each of them, all below the kernel's
    range for outgoing connections' local ports (as `free_offset`)."""
    high = max(20026, ephemeral_low() - max(DEFAULT_PORTS) + 25 - 1)
    return pick_ports(lambda: random.randint(20025, high),
                      lambda p: [q + p - 25 for q in DEFAULT_PORTS], hosts=ips)


# ---------------------------------------------------------------- Heron instances


class Node(Heron):
    """A Heron instance on its own loopback address; `start()` also waits for SMTP."""

    def start(self, timeout=20.0):
        super().start(timeout)
        for port in (self.smtp_port, self.submission_port):
            eventually(lambda: socket.create_connection((self.host, port), timeout=1).close()
                       or True, 10, what=f"{self.host}:{port} accepts connections")
        return self

    def kill(self):
        """SIGKILL the server and reap it."""
        proc, self.proc = self.proc, None
        proc.kill()
        proc.wait(30)


class Mailnet:
    """Everything one outbound test runs: the DNS server and zone, the shared port, Heron
    instances, sinks and black holes; `close()` stops them all."""

    def __init__(self, tmp_path):
        self.tmp = tmp_path
        self.port = shared_port()
        self.dns = DnsServer(avoid={q + self.port - 25 for q in DEFAULT_PORTS}).start()
        self.zone = self.dns.zone
        self.nodes, self.sinks, self.holes = [], [], []
        self.ips = {}

    def _claim(self, ip, what):
        assert ip in LOOPBACK, ip
        assert ip not in self.ips, f"{ip} already runs {self.ips[ip]}"
        self.ips[ip] = what

    def mx(self, domain, ip, pref=10, host=None):
        """Publish `domain` MX `pref` `host` (default mx.DOMAIN) with `host` A `ip`."""
        host = host or f"mx.{domain}"
        self.zone.set(domain, "MX", *[v for v in self.zone.lookup(domain, "MX")
                                      if v[1] != normal(host)], (pref, normal(host)))
        self.zone.a(host, ip)
        return host

    def heron(self, name, ip, users=(), settings=None, start=True, retry="2s, 2s, 2s",
              publish=True):
        """A Heron instance for domain NAME.test with host name mx.NAME.test on `ip`, using
        the test DNS, delivering to port P at once with `retry` as its schedule; `users`
        are created (password PASSWORD) and `settings` applied before it starts. With
        `publish`, NAME.test MX 10 mx.NAME.test A `ip` goes into the zone."""
        self._claim(ip, f"heron {name}")
        base = self.tmp / name
        base.mkdir(parents=True, exist_ok=True)
        node = Node(base, host=ip, offset=self.port - 25)
        node.name, node.domain, node.hostname = name, f"{name}.test", f"mx.{name}.test"
        self.nodes.append(node)
        node.cli("domain", "add", node.domain)
        base_settings = {
            "server.hostname": node.hostname,
            "dns.servers": self.dns.address,
            "smtp_out.dns_cache": "false",
            "smtp_out.port": str(self.port),
            "spool.delivery_delay": "0",
            "spool.retry_schedule": retry,
        }
        for key, value in {**base_settings, **(settings or {})}.items():
            node.set(key, value)
        for addr in users:
            node.add_user(addr, PASSWORD)
        if publish:
            self.mx(node.domain, ip, host=node.hostname)
        if start:
            node.start()
        return node

    def sink(self, ip, domains=(), **options):
        """A Sink on `ip`:P (see Sink for `options`); each of `domains` gets MX 10 →
        mx.DOMAIN → `ip`."""
        self._claim(ip, "sink")
        s = Sink(ip, self.port, **options).start()
        self.sinks.append(s)
        for d in domains:
            self.mx(d, ip)
        return s

    def black_hole(self, ip, domains=()):
        self._claim(ip, "black hole")
        h = BlackHole(ip, self.port)
        self.holes.append(h)
        for d in domains:
            self.mx(d, ip)
        return h

    def close(self):
        errors = []
        steps = ([h.close for h in self.holes] + [lambda n=n: self._stop(n) for n in self.nodes]
                 + [s.stop for s in self.sinks] + [self.dns.stop])
        for step in steps:
            try:
                step()
            except BaseException as e:  # keep cleaning up; report the first failure
                errors.append(e)
        if errors:
            raise errors[0]

    @staticmethod
    def _stop(node):
        if node.proc is not None:
            code = node.stop()
            assert code == 0, f"{node.name}: exit code {code} after SIGTERM:\n{node.tail()}"


@pytest.fixture
def mailnet(tmp_path):
    net = Mailnet(tmp_path)
    try:
        yield net
    finally:
        net.close()


# ---------------------------------------------------------------- messages


def make_message(subject, sender, to="undisclosed-recipients:;", body="Hello.\r\n",
                 message_id=None, extra=()):
    """A small message with CRLF line endings and a unique Message-ID."""
    domain = sender.rsplit("@", 1)[-1] or "blackbox.test"
    mid = message_id or f"<{uuid.uuid4().hex}@{domain}>"
    head = [f"From: {sender}", f"To: {to}", f"Subject: {subject}",
            "Date: Mon, 01 Jan 2024 12:00:00 +0000", f"Message-ID: {mid}", *extra]
    return ("\r\n".join(head) + "\r\n\r\n" + body).encode()


def message_id_of(msg):
    ids = header_values(msg, "Message-ID")
    return ids[0].decode() if ids else None


def submit(node, rcpts, msg, user, password=PASSWORD, rcpt_options=(), mail_options=()):
    """Send `msg` from local `user` through the submission port (STARTTLS + AUTH); every
    recipient must be accepted. Returns the reply to DATA."""
    s = submission(node, user, password)
    try:
        code, text = s.mail(user, list(mail_options))
        assert code == 250, (code, text)
        for r in rcpts:
            code, text = s.rcpt(r, list(rcpt_options))
            assert code == 250, (r, code, text)
        code, text = s.data(msg)
        assert code == 250, (code, text)
        return code, text
    finally:
        s.close()


def send_mx(node, sender, rcpts, msg, login=None):
    """Send through the MX port (optionally after AUTH); returns smtplib's refused dict."""
    s = smtp_client(node, login=login)
    try:
        return s.sendmail(sender, rcpts, msg)
    finally:
        s.close()


def count_id(msgs, message_id):
    """How many of the messages (bytes) carry this Message-ID."""
    return sum(1 for m in msgs if message_id_of(m) == message_id)


def inbox(node, user, password=PASSWORD):
    return fetch_all(node, user, password)


# ---------------------------------------------------------------- spool


def spool(node):
    """`heron spool list --json`, parsed."""
    out = node.cli("spool", "list", "--json").stdout
    entries = json.loads(out)
    assert isinstance(entries, list), out
    return entries


def spool_ids(node):
    return [str(e["id"]) for e in spool(node)]


def spool_entry(node, entry_id):
    for e in spool(node):
        if str(e["id"]) == str(entry_id):
            return e
    return None


def recipient(entry, address):
    for r in entry["recipients"]:
        if r["address"].lower() == address.lower():
            return r
    raise AssertionError(f"{address} not in spool entry {entry}")


def new_entry_id(node, before):
    """The id of the one entry not in `before` (a list of ids)."""
    new = [i for i in spool_ids(node) if i not in before]
    assert len(new) == 1, (before, new)
    return new[0]


def wait_spool_empty(node, timeout=20.0):
    eventually(lambda: spool(node) == [], timeout, what=f"{node.name}'s spool is empty")


def delivery_log(node):
    """Every delivery log line the instance wrote so far."""
    lines = []
    for path in sorted((node.data / "logs").glob("delivery-*.log")):
        lines += path.read_text(errors="replace").splitlines()
    return lines


# ---------------------------------------------------------------- DSNs


class Dsn:
    """A delivery status notification (RFC 3464) as delivered: `raw` with the trace
    headers; `human` the first text part; `fields` the per-message fields; `recipients`
    one dict per recipient block (lower-case field names, whitespace-normalised values)."""

    def __init__(self, raw):
        self.raw = raw
        self.msg = email.message_from_bytes(raw, policy=email.policy.compat32)
        self.human, self.fields, self.recipients, self.returned = "", {}, [], b""
        parts = self.msg.get_payload() if self.msg.is_multipart() else []
        for part in parts:
            ctype = part.get_content_type()
            if ctype == "message/delivery-status":
                blocks = part.get_payload()
                blocks = blocks if isinstance(blocks, list) else []
                if blocks:
                    self.fields = _fields(blocks[0])
                    self.recipients = [_fields(b) for b in blocks[1:]]
            elif ctype.startswith(("text/", "multipart/")) and ctype != "text/rfc822-headers":
                self.human = self.human or _first_text(part)
            elif ctype in ("message/rfc822", "text/rfc822-headers", "message/global",
                           "message/global-headers"):
                self.returned = part.as_bytes()

    @property
    def text(self):
        """The human-readable part with its line breaks and runs of spaces as single spaces
        (reply texts may be wrapped)."""
        return " ".join(self.human.split())

    @staticmethod
    def is_dsn(raw):
        msg = email.message_from_bytes(raw, policy=email.policy.compat32)
        return (msg.get_content_type() == "multipart/report"
                and (msg.get_param("report-type") or "").lower() == "delivery-status")

    def header(self, name):
        return [v.decode(errors="replace") for v in header_values(self.raw, name)]

    def recipient(self, address):
        """The recipient block whose Final-Recipient is `address`."""
        for r in self.recipients:
            if r.get("final-recipient", "").split(";")[-1].strip().lower() == address.lower():
                return r
        raise AssertionError(f"no block for {address} in {self.recipients}")

    @property
    def final_recipients(self):
        return sorted(r.get("final-recipient", "").split(";")[-1].strip().lower()
                      for r in self.recipients)


def _first_text(part):
    for p in part.walk():
        if p.get_content_type() == "text/plain":
            payload = p.get_payload(decode=True) or b""
            return payload.decode(p.get_content_charset() or "utf-8", "replace")
    return ""


def _fields(block):
    return {k.lower(): " ".join(str(v).split()) for k, v in block.items()}


def dsns(node, user, password=PASSWORD):
    """The DSNs in the user's INBOX."""
    return [Dsn(m) for m in inbox(node, user, password) if Dsn.is_dsn(m)]


def wait_dsns(node, user, n=1, timeout=20.0, password=PASSWORD):
    return eventually(lambda: len(dsns(node, user, password)) >= n and dsns(node, user, password),
                      timeout, what=f"{n} DSN(s) for {user}")


def assert_dsn_form(dsn, node):
    """What every DSN from `node` looks like: null envelope sender, from MAILER-DAEMON."""
    assert dsn.raw.startswith(b"Return-Path: <>\r\n"), dsn.raw[:200]
    (sender,) = dsn.header("From")
    assert f"mailer-daemon@{node.hostname}" in sender.lower(), sender


# ---------------------------------------------------------------- DKIM


def dkim_record(output):
    """(name, TXT value) from the one line `NAME. IN TXT "v=DKIM1; ..."` the CLI prints;
    several quoted strings are joined."""
    for line in output.splitlines():
        m = re.match(r"\s*(\S+)\s+(?:\d+\s+)?IN\s+TXT\s+(.*)$", line)
        if m:
            value = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(2)))
            return normal(m.group(1)), value
    raise AssertionError(f"no TXT record in {output!r}")


def wait_quietly(seconds):
    """A bounded pause for "nothing happens" checks."""
    time.sleep(seconds)
