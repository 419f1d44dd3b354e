"""The outbound-delivery harness itself: the test DNS server answers real queries, sinks and
black holes behave as the outbound tests expect, instances run on other loopback addresses."""

import smtplib
import socket

import pytest
from dnslib import QTYPE, RCODE

from conftest import PASSWORD, client_tls, fetch_all, smtp_client, strip_trace
from outbound import (Node, dns_query, dkim_record, make_message, mailnet,  # noqa: F401
                      self_signed_tls, shared_port)


@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_dns_server_answers_from_the_zone(mailnet, tcp):
    z, port = mailnet.zone, mailnet.dns.port
    z.mx("b.test", (10, "mx.b.test"), (20, "mx2.b.test"))
    z.a("mx.b.test", "127.0.0.2")
    long_text = "v=DKIM1; k=rsa; p=" + "A" * 400
    z.txt("heron._domainkey.b.test", long_text)
    z.null_mx("nomail.test")

    r = dns_query(port, "b.test", "MX", tcp=tcp)
    assert r.header.rcode == RCODE.NOERROR
    assert sorted((rr.rdata.preference, str(rr.rdata.label)) for rr in r.rr) == [
        (10, "mx.b.test."), (20, "mx2.b.test.")]
    r = dns_query(port, "MX.B.TEST", "A", tcp=tcp)
    assert [str(rr.rdata) for rr in r.rr] == ["127.0.0.2"]
    # A known name without the type asked: NOERROR, no answer.
    r = dns_query(port, "mx.b.test", "AAAA", tcp=tcp)
    assert r.header.rcode == RCODE.NOERROR and r.rr == []
    # An empty non-terminal exists too.
    r = dns_query(port, "_domainkey.b.test", "TXT", tcp=tcp)
    assert r.header.rcode == RCODE.NOERROR and r.rr == []
    r = dns_query(port, "nowhere.test", "MX", tcp=tcp)
    assert r.header.rcode == RCODE.NXDOMAIN and r.rr == []
    r = dns_query(port, "heron._domainkey.b.test", "TXT", tcp=tcp)
    (rr,) = r.rr
    assert b"".join(rr.rdata.data).decode() == long_text
    assert z.dkim_dns(b"heron._domainkey.b.test.") == long_text.encode()
    r = dns_query(port, "nomail.test", "MX", tcp=tcp)
    (rr,) = r.rr
    assert rr.rdata.preference == 0 and str(rr.rdata.label) == "."
    assert z.asked("b.test", "MX")

    # The zone changes while the server runs.
    z.a("mx.b.test", "127.0.0.3")
    z.remove("b.test")
    assert [str(rr.rdata) for rr in dns_query(port, "mx.b.test", "A", tcp=tcp).rr] == [
        "127.0.0.3"]
    assert dns_query(port, "b.test", "MX", tcp=tcp).header.rcode == RCODE.NOERROR
    z.remove("mx.b.test")
    z.remove("heron._domainkey.b.test")
    assert dns_query(port, "b.test", "MX", tcp=tcp).header.rcode == RCODE.NXDOMAIN


def test_dns_query_with_a_plain_socket(mailnet):
    """A query built by hand and sent over a plain UDP socket gets a parsed answer."""
    from dnslib import DNSRecord
    mailnet.zone.a("host.test", "127.0.0.5")
    q = DNSRecord.question("host.test", "A")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(5)
        s.sendto(q.pack(), ("127.0.0.1", mailnet.dns.port))
        data, _ = s.recvfrom(4096)
    reply = DNSRecord.parse(data)
    assert reply.header.id == q.header.id
    assert [(QTYPE[rr.rtype], str(rr.rdata)) for rr in reply.rr] == [("A", "127.0.0.5")]


def test_sink_records_and_refuses_per_recipient(mailnet):
    sink = mailnet.sink("127.0.0.2", replies={"gone@c.test": "550 5.1.1 no such user here",
                                              "later@c.test": "450 4.2.1 try again later"})
    msg = make_message("to the sink", "alice@a.test")
    with smtplib.SMTP("127.0.0.2", mailnet.port, timeout=10) as s:
        s.ehlo("client.example")
        refused = s.sendmail("alice@a.test", ["ok@c.test", "gone@c.test", "later@c.test"], msg)
    assert refused == {"gone@c.test": (550, b"5.1.1 no such user here"),
                       "later@c.test": (450, b"4.2.1 try again later")}
    (d,) = sink.wait(1)
    assert d.mail_from == "alice@a.test" and d.rcpt_tos == ["ok@c.test"]
    assert d.content == msg and d.ehlo == "client.example" and d.peer == "127.0.0.1"
    assert not d.tls
    assert d.subject == "to the sink" and d.message_id.startswith("<")
    assert sorted(a for a, _ in sink.refused) == ["gone@c.test", "later@c.test"]

    sink.reply("gone@c.test", None)
    with smtplib.SMTP("127.0.0.2", mailnet.port, timeout=10) as s:
        assert s.sendmail("", ["gone@c.test"], msg) == {}
    assert sink.wait(2)[1].mail_from == ""
    assert sink.rcpts() == ["ok@c.test", "gone@c.test"]


def test_sink_with_starttls_and_auth(mailnet, tmp_path):
    tls = self_signed_tls(tmp_path)
    if tls is None:
        pytest.skip("no way to make a certificate")
    sink = mailnet.sink("127.0.0.3", tls=tls, auth=("relayuser", "relaypass1"))
    with smtplib.SMTP("127.0.0.3", mailnet.port, timeout=10) as s:
        s.ehlo("client.example")
        assert s.has_extn("starttls") and not s.has_extn("auth")
        s.starttls(context=client_tls())
        s.ehlo("client.example")
        with pytest.raises(smtplib.SMTPAuthenticationError):
            s.login("relayuser", "wrong")
        s.login("relayuser", "relaypass1")
        assert s.sendmail("x@a.test", ["y@c.test"], b"Subject: t\r\n\r\nx\r\n") == {}
    (d,) = sink.wait(1)
    assert d.tls and d.login == "relayuser"


def test_slow_sink_and_data_reply(mailnet):
    sink = mailnet.sink("127.0.0.2", delay=0.5, data_reply="451 4.3.0 not now")
    with smtplib.SMTP("127.0.0.2", mailnet.port, timeout=10) as s:
        with pytest.raises(smtplib.SMTPDataError) as e:
            s.sendmail("x@a.test", ["y@c.test"], b"Subject: t\r\n\r\nx\r\n")
    assert e.value.smtp_code == 451
    assert sink.messages() == []


def test_black_hole_accepts_and_stays_silent(mailnet):
    hole = mailnet.black_hole("127.0.0.4")
    with socket.create_connection(("127.0.0.4", mailnet.port), timeout=0.5) as c:
        with pytest.raises(socket.timeout):
            c.recv(1)
    assert hole.accepted == 1
    hole.close()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.4", mailnet.port), timeout=2).close()
    mailnet.holes.remove(hole)


def test_shared_port_is_free_everywhere():
    p = shared_port()
    for ip in ("127.0.0.1", "127.0.0.5"):
        with socket.socket() as s:
            s.bind((ip, p))


def test_instance_on_another_loopback_address(tmp_path):
    """An instance on 127.0.0.2 with the shared port: SMTP on P there, local delivery, and
    POP3 read on 127.0.0.2."""
    p = shared_port()
    node = Node(tmp_path / "b", host="127.0.0.2", offset=p - 25)
    node.base.mkdir()
    node.add_user("bob@b.test", PASSWORD)
    node.start()
    try:
        assert node.smtp_port == p
        msg = b"Subject: on .2\r\n\r\nhello\r\n"
        s = smtp_client(node)
        assert s.sendmail("x@remote.test", ["bob@b.test"], msg) == {}
        s.quit()
        (arrived,) = fetch_all(node, "bob@b.test", PASSWORD)
        assert strip_trace(arrived) == msg
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", p), timeout=2).close()
    finally:
        assert node.stop() == 0


def test_dkim_record_parsing():
    out = 'heron._domainkey.a.test. IN TXT "v=DKIM1; k=rsa; p=MIIB" "IjANBg"\n'
    assert dkim_record(out) == ("heron._domainkey.a.test", "v=DKIM1; k=rsa; p=MIIBIjANBg")
