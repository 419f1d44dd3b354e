"""Mail from a user of one instance reaches a user of another instance, DKIM-signed for the
sender's domain, introduced with the host name of the IP it leaves from."""

import dkim
import pytest

from conftest import eventually, header_values
from outbound import (ALICE, BOB, dkim_record, inbox, mailnet, make_message,  # noqa: F401
                      message_id_of, submit, wait_spool_empty)

BODY = ("Dear Bob,\r\n\r\nthe figures are attached in spirit.\r\n.a line with a leading dot\r\n"
        "\r\n-- \r\nAlice\r\n")


def pair(mailnet, a_settings=None):
    b = mailnet.heron("b", "127.0.0.2", users=[BOB])
    a = mailnet.heron("a", "127.0.0.1", users=[ALICE], settings=a_settings)
    return a, b


def publish_key(mailnet, node, *args):
    """`heron dkim generate` for the node's domain; serve the printed record."""
    out = node.cli("dkim", "generate", node.domain, *args).stdout
    name, value = dkim_record(out)
    mailnet.zone.txt(name, value)
    return out, name, value


def tags(signature):
    """A DKIM-Signature value as a dict of its tags."""
    out = {}
    for part in signature.decode().split(";"):
        if "=" in part:
            k, v = part.split("=", 1)
            out[k.strip()] = "".join(v.split())
    return out


def deliver(a, b, subject, body=BODY):
    """Submit one message from Alice to Bob; return it as it arrived in Bob's INBOX."""
    before = len(inbox(b, BOB))
    msg = make_message(subject, ALICE, to=BOB, body=body)
    submit(a, [BOB], msg, ALICE)
    mid = message_id_of(msg)
    arrived = eventually(lambda: [m for m in inbox(b, BOB)[before:] if message_id_of(m) == mid],
                         20, what=f"{subject!r} in Bob's INBOX")
    assert len(arrived) == 1, arrived
    return arrived[0]


def test_submission_reaches_other_instance_signed_and_named(mailnet):
    a, b = pair(mailnet, {"smtp_out.ip": "127.0.0.1", "bind.hostnames": "127.0.0.1=out.a.test"})
    out, name, value = publish_key(mailnet, a)
    assert out.strip().count("\n") == 0, out
    assert name == "heron._domainkey.a.test", out
    assert value.startswith("v=DKIM1;") and "k=rsa" in value and "p=" in value, value

    arrived = deliver(a, b, "signed and sealed")
    assert arrived.endswith(BODY.encode())
    (signature,) = header_values(arrived, "DKIM-Signature")
    t = tags(signature)
    assert t["d"] == "a.test" and t["s"] == "heron", t
    assert t["c"] == "relaxed/relaxed" and t["a"] == "rsa-sha256", t
    assert "from" in t["h"].lower().split(":"), t
    # Independent check against the record the test DNS serves.
    assert dkim.verify(arrived, dnsfunc=mailnet.zone.dkim_dns)
    assert not dkim.verify(arrived.replace(b"in spirit", b"in person"),
                           dnsfunc=mailnet.zone.dkim_dns)
    # B verified it too (mail-auth, through B's resolver) and said so.
    (verdict,) = header_values(arrived, "Authentication-Results")
    assert verdict.startswith(b"mx.b.test;"), verdict
    assert b"dkim=pass" in verdict and b"header.d=a.test" in verdict, verdict
    # B was greeted with the name of A's outbound IP, not A's general host name.
    received = header_values(arrived, "Received")[0]
    assert received.startswith(b"from out.a.test "), received
    assert b"[127.0.0.1]" in received and b"by mx.b.test" in received, received
    wait_spool_empty(a)


def test_dkim_show_repeats_the_record_and_delete_stops_signing(mailnet):
    a, b = pair(mailnet)
    out, name, value = publish_key(mailnet, a, "--selector", "sel2024")
    assert name == "sel2024._domainkey.a.test", out
    assert dkim_record(a.cli("dkim", "show", a.domain).stdout) == (name, value)

    arrived = deliver(a, b, "with the named selector")
    (signature,) = header_values(arrived, "DKIM-Signature")
    assert tags(signature)["s"] == "sel2024"
    assert dkim.verify(arrived, dnsfunc=mailnet.zone.dkim_dns)

    a.cli("dkim", "delete", a.domain)
    n = [0]

    def unsigned():
        n[0] += 1
        return header_values(deliver(a, b, f"after delete {n[0]}"), "DKIM-Signature") == []

    eventually(unsigned, 30, interval=0.5, what="mail leaves unsigned after dkim delete")


def test_ed25519_key_signs_verifiably(mailnet):
    pytest.importorskip("nacl", reason="dkimpy verifies Ed25519 with PyNaCl")
    a, b = pair(mailnet)
    _, name, value = publish_key(mailnet, a, "--algorithm", "ed25519")
    assert name == "heron._domainkey.a.test"
    assert "k=ed25519" in value, value
    arrived = deliver(a, b, "short keys")
    (signature,) = header_values(arrived, "DKIM-Signature")
    assert tags(signature)["a"] == "ed25519-sha256"
    assert dkim.verify(arrived, dnsfunc=mailnet.zone.dkim_dns)
    (verdict,) = header_values(arrived, "Authentication-Results")
    assert b"dkim=pass" in verdict, verdict


def test_signature_that_does_not_verify_is_reported_as_failing(mailnet):
    a, b = pair(mailnet)
    _, name, value = publish_key(mailnet, a)
    # Publish a different key under the same name: the signature no longer matches.
    a.cli("domain", "add", "elsewhere.test")
    other = a.cli("dkim", "generate", "elsewhere.test")
    mailnet.zone.txt(name, dkim_record(other.stdout)[1])
    arrived = deliver(a, b, "key swapped")
    (verdict,) = header_values(arrived, "Authentication-Results")
    assert b"dkim=fail" in verdict or b"dkim=neutral" in verdict, verdict
    assert b"dkim=pass" not in verdict, verdict


def test_mail_from_another_domain_is_not_signed_with_this_key(mailnet):
    a, b = pair(mailnet)
    a.add_user("carol@other-a.test")
    publish_key(mailnet, a)
    msg = make_message("not ours to sign", "carol@other-a.test", to=BOB)
    submit(a, [BOB], msg, "carol@other-a.test")
    mid = message_id_of(msg)
    (arrived,) = eventually(lambda: [m for m in inbox(b, BOB) if message_id_of(m) == mid], 20,
                            what="carol's message in Bob's INBOX")
    assert not any(b"d=a.test" in s.replace(b" ", b"")
                   for s in header_values(arrived, "DKIM-Signature"))
    # Unsigned mail gets no verdict header.
    assert header_values(arrived, "Authentication-Results") == []
