"""ARC (RFC 8617) when Heron passes a message on: mail from another server to a hosted alias
that forwards to a remote address leaves sealed with the forwarding domain's DKIM key — an
ARC-Seal, ARC-Message-Signature and ARC-Authentication-Results set with i=1 recording this
server's authentication results — and an independent verifier (dkimpy) validates the chain
against the record the test DNS serves."""

import smtplib

import dkim

from conftest import header_values
from outbound import dkim_record, mailnet  # noqa: F401

ORIGIN = "192.0.2.10"
MESSAGE = (f"Received: from mx.sender.test (mx.sender.test [{ORIGIN}])\r\n"
           " by gw.a.test; Mon, 1 Jan 2024 00:00:00 +0000\r\n"
           "From: Bob <bob@sender.test>\r\nTo: fwd@a.test\r\nSubject: forwarded on\r\n"
           "Message-ID: <arc-1@sender.test>\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\n"
           "\r\nThis message travels through a forward.\r\n")


def test_forwarded_mail_is_sealed_with_arc(mailnet):
    sink = mailnet.sink("127.0.0.3", domains=["remote.test"])
    a = mailnet.heron("a", "127.0.0.1", settings={"filter.bypass_gateways": "127.0.0.5"})
    out = a.cli("dkim", "generate", a.domain).stdout
    name, value = dkim_record(out)
    mailnet.zone.txt(name, value)
    mailnet.zone.txt("sender.test", f"v=spf1 ip4:{ORIGIN} -all")
    a.cli("alias", "add", "fwd@a.test", "dest@remote.test")
    s = smtplib.SMTP(a.host, a.smtp_port, timeout=30, source_address=("127.0.0.5", 0))
    s.ehlo("gw.sender.test")
    s.sendmail("bob@sender.test", ["fwd@a.test"], MESSAGE.encode())
    s.quit()
    (d,) = sink.wait(1, timeout=20)
    arrived = d.content
    (seal,) = header_values(arrived, "ARC-Seal")
    (ams,) = header_values(arrived, "ARC-Message-Signature")
    (aar,) = header_values(arrived, "ARC-Authentication-Results")
    assert b"i=1" in seal and b"cv=none" in seal and b"d=a.test" in seal, seal
    assert b"i=1" in ams and b"d=a.test" in ams, ams
    assert aar.startswith(b" i=1;") or aar.startswith(b"i=1;"), aar
    assert b"spf=pass" in aar, aar
    # The ARC set sits above the header fields this server added.
    first = arrived.split(b"\r\n", 1)[0]
    assert first.lower().startswith(b"arc-"), first
    cv, results, why = dkim.arc_verify(arrived, dnsfunc=mailnet.zone.dkim_dns)
    assert cv == dkim.CV_Pass, (cv, results, why)
    # A changed body breaks the seal.
    cv, _, _ = dkim.arc_verify(arrived.replace(b"travels", b"wanders"),
                               dnsfunc=mailnet.zone.dkim_dns)
    assert cv != dkim.CV_Pass
