"""Shared pieces of the spam-filtering tests: a server whose resolver is a test DNS server,
clients that connect from a chosen loopback address (127.0.0.1 is not filtered by default),
and reading what arrived in a folder over IMAP.

The client address is declared a bypass gateway (FILTER-5) and every test message carries a
Received field naming ORIGIN_IP, a documentation address the IP-based checks then judge: the
resolver answers reverse lookups of loopback addresses itself (RFC 6761), so only an address
outside 127.0.0.0/8 can have its reverse DNS served by the test zone."""

import email
import email.policy
import imaplib
import smtplib

import pytest

from admin_api import logged_in_admin, wait_for_api
from conftest import HOST, PASSWORD, USER, client_tls, eventually
from outbound_dns import DnsServer

# The address filtered clients connect from, and its reverse DNS name.
CLIENT_IP = "127.0.0.5"
CLIENT_NAME = "gw.sender.test"
ORIGIN_IP = "192.0.2.10"
ORIGIN_NAME = "mx.sender.test"
ORIGIN_REVERSED = "10.2.0.192"
JUNK = "Junk E-Mail"


class Filtered:
    """A running server, its admin API, and the DNS zone its resolver reads."""

    def __init__(self, heron, admin, dns):
        self.heron, self.admin, self.dns = heron, admin, dns
        self.zone = dns.zone

    def setting(self, key, value):
        r = self.admin.put(f"/settings/{key}", {"value": str(value)})
        assert r.status_code == 200, r.text

    def origin_has_reverse_dns(self):
        """PTR for ORIGIN_IP and the A record back: reverse DNS passes."""
        self.zone.set(f"{ORIGIN_REVERSED}.in-addr.arpa", "PTR", ORIGIN_NAME)
        self.zone.a(ORIGIN_NAME, ORIGIN_IP)

    def send(self, sender, rcpts, msg, source=CLIENT_IP, login=None, port=None):
        """Send over SMTP from `source`; the reply to DATA as (code, text)."""
        port = port or self.heron.smtp_port
        s = smtplib.SMTP(HOST, port, timeout=60, source_address=(source, 0))
        try:
            s.ehlo(CLIENT_NAME)
            if login:
                s.starttls(context=client_tls())
                s.ehlo(CLIENT_NAME)
                s.login(*login)
            code, text = s.mail(sender)
            assert code == 250, (code, text)
            for r in rcpts:
                code, text = s.rcpt(r)
                assert code == 250, (code, text)
            code, text = s.data(msg if isinstance(msg, bytes) else msg.encode())
            return code, text.decode(errors="replace")
        finally:
            try:
                s.quit()
            except smtplib.SMTPException:
                pass

    def messages(self, folder="INBOX", user=USER, password=PASSWORD):
        """The messages in `folder`, parsed."""
        m = imaplib.IMAP4(HOST, self.heron.imap_port, timeout=15)
        try:
            m.login(user, password)
            typ, _ = m.select(f'"{folder}"', readonly=True)
            assert typ == "OK", folder
            typ, found = m.search(None, "ALL")
            if not found or not found[0].split():
                return []
            typ, data = m.fetch("1:*", "(BODY.PEEK[])")
            out = []
            for part in data:
                if isinstance(part, tuple):
                    out.append(email.message_from_bytes(part[1], policy=email.policy.default))
            return out
        finally:
            m.logout()

    def wait_messages(self, n, folder="INBOX", user=USER, password=PASSWORD):
        eventually(lambda: len(self.messages(folder, user, password)) >= n, 15,
                   what=f"{n} message(s) in {folder} of {user}")
        return self.messages(folder, user, password)


def message(subject, sender="bob@sender.test", to=USER, body="Hello there.\r\n", extra="",
            origin=ORIGIN_IP):
    """A message as the gateway hands it over: its Received field names `origin`."""
    return (f"Received: from {ORIGIN_NAME} ({ORIGIN_NAME} [{origin}])\r\n"
            f" by {CLIENT_NAME}; Mon, 1 Jan 2024 00:00:00 +0000\r\n"
            f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\n"
            f"Message-ID: <{abs(hash((subject, sender, body)))}@sender.test>\r\n"
            f"{extra}\r\n{body}")


@pytest.fixture
def filtered(server):
    """A running server with alice@example.test whose resolver is a test DNS server."""
    dns = DnsServer().start()
    wait_for_api(server)
    admin = logged_in_admin(server)
    f = Filtered(server, admin, dns)
    f.setting("dns.servers", dns.address)
    # Every lookup reaches the zone, so a test's changes apply to its next message.
    f.setting("smtp_out.dns_cache", "false")
    f.setting("filter.bypass_gateways", CLIENT_IP)
    yield f
    dns.stop()
