"""PROTO-8 access control on the submission ports: allowed ranges, safe IPs, this host's
own addresses. Every client here connects from 127.0.0.1, which is one of the host's own."""

import smtplib
import socket

import pytest

from conftest import HOST, eventually


def submission(heron):
    return 587 + heron.offset


def greeting_or_eof(heron):
    """The first line the submission port sends, or b'' if it drops the connection."""
    with socket.create_connection((HOST, submission(heron)), timeout=10) as s:
        s.settimeout(10)
        try:
            return s.recv(512)
        except ConnectionResetError:
            return b""


def relay_without_auth(heron):
    s = smtplib.SMTP(HOST, submission(heron), timeout=15)
    try:
        s.ehlo("script.test")
        code, text = s.mail("app@example.test")
        if code != 250:
            return code
        return s.rcpt("someone@remote.test")[0]
    finally:
        s.close()


def test_outside_allowed_range_is_dropped(server):
    assert greeting_or_eof(server).startswith(b"220")
    server.set("submission.allowed_ips", "192.0.2.0/24")
    eventually(lambda: greeting_or_eof(server) == b"", what="connection dropped")
    server.set("submission.allowed_ips", "127.0.0.0/8")
    eventually(lambda: greeting_or_eof(server).startswith(b"220"), what="greeting again")


def test_submission_needs_auth_unless_safe(server):
    assert relay_without_auth(server) == 530
    server.set("submission.safe_ips", "127.0.0.1")
    eventually(lambda: relay_without_auth(server) == 250, what="safe IP relays without AUTH")


def test_own_addresses_blocked_or_safe(server):
    server.set("submission.block_own_ips", "true")
    eventually(lambda: greeting_or_eof(server) == b"", what="own address blocked")
    server.set("submission.own_ips_safe", "true")
    eventually(lambda: relay_without_auth(server) == 250, what="own address safe overrides block")


def test_safe_ip_overrules_range(server):
    server.set("submission.allowed_ips", "192.0.2.0/24")
    server.set("submission.safe_ips", "127.0.0.1")
    eventually(lambda: relay_without_auth(server) == 250, what="safe IP outside the range")
