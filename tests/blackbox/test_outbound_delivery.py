"""Outbound delivery: mail for other domains leaves by SMTP to the domain's MX hosts, is
retried while they are away, and one stuck destination holds up nobody else."""

import re

from conftest import eventually, header_values
from outbound import (ALICE, BOB, count_id, delivery_log, inbox, mailnet,  # noqa: F401
                      make_message, message_id_of, recipient, spool, spool_ids, submit,
                      wait_spool_empty)

RETRY_LONG = ", ".join(["2s"] * 15)


def test_message_arrives_intact_at_the_mx(mailnet):
    sink = mailnet.sink("127.0.0.2", domains=["c.test"])
    a = mailnet.heron("a", "127.0.0.1", users=[ALICE])
    body = ("first line\r\n.leading dot\r\n.\r\n..two dots\r\n" + "x" * 900 + "\r\n"
            "Gr\u00fc\u00dfe\r\nlast line\r\n")
    msg = make_message("intact", ALICE, to="Carol <carol@c.test>", body=body)
    submit(a, ["carol@c.test", "dave@c.test"], msg, ALICE, mail_options=["BODY=8BITMIME"])
    eventually(lambda: sorted(sink.rcpts()) == ["carol@c.test", "dave@c.test"], 20,
               what="both recipients at the sink")
    for d in sink.messages():
        assert d.mail_from == ALICE
        # A's own Received header, then the message as submitted.
        assert d.content.startswith(b"Received: "), d.content[:200]
        assert d.content.endswith(msg), d.content[-300:]
        # Without smtp_out.ip, A introduces itself with its host name.
        assert d.ehlo == "mx.a.test"
    wait_spool_empty(a)
    assert mailnet.zone.asked("c.test", "MX")


def test_domain_without_mx_gets_mail_at_its_address(mailnet):
    sink = mailnet.sink("127.0.0.2")
    mailnet.zone.a("plain.test", "127.0.0.2")
    a = mailnet.heron("a", "127.0.0.1", users=[ALICE])
    msg = make_message("implicit MX", ALICE)
    submit(a, ["someone@plain.test"], msg, ALICE)
    (d,) = sink.wait(1, 20)
    assert d.rcpt_tos == ["someone@plain.test"] and d.message_id == message_id_of(msg)
    wait_spool_empty(a)


def test_next_mx_is_tried_when_the_first_is_down(mailnet):
    sink = mailnet.sink("127.0.0.2")
    # MX 10 points at an address where nothing listens; MX 20 is the sink.
    mailnet.mx("c.test", "127.0.0.3", pref=10, host="mx1.c.test")
    mailnet.mx("c.test", "127.0.0.2", pref=20, host="mx2.c.test")
    # One attempt only within the test: the fallback happens inside it.
    a = mailnet.heron("a", "127.0.0.1", users=[ALICE], retry="1h")
    msg = make_message("second choice", ALICE)
    submit(a, ["carol@c.test"], msg, ALICE)
    (d,) = sink.wait(1, 20)
    assert d.message_id == message_id_of(msg)
    wait_spool_empty(a)


def deliver_after_outage(mailnet, a, b, subject):
    msg = make_message(subject, ALICE, to=BOB)
    mid = message_id_of(msg)
    submit(a, [BOB], msg, ALICE)
    (entry,) = eventually(lambda: [e for e in spool(a) if e["attempts"] >= 2], 20,
                          what="A retried the delivery")
    r = recipient(entry, BOB)
    assert r["status"] == "pending", entry
    assert entry["sender"] == ALICE
    b.start()
    eventually(lambda: count_id(inbox(b, BOB), mid) >= 1, 20, what="message in B's INBOX")
    wait_spool_empty(a)
    assert count_id(inbox(b, BOB), mid) == 1


def test_destination_not_started_is_retried_then_delivered_once(mailnet):
    b = mailnet.heron("b", "127.0.0.2", users=[BOB], start=False)
    a = mailnet.heron("a", "127.0.0.1", users=[ALICE], retry=RETRY_LONG)
    deliver_after_outage(mailnet, a, b, "while B was never up")


def test_destination_stopped_is_retried_then_delivered_once(mailnet):
    b = mailnet.heron("b", "127.0.0.2", users=[BOB])
    a = mailnet.heron("a", "127.0.0.1", users=[ALICE], retry=RETRY_LONG)
    first = make_message("before the outage", ALICE, to=BOB)
    submit(a, [BOB], first, ALICE)
    eventually(lambda: count_id(inbox(b, BOB), message_id_of(first)) == 1, 20,
               what="first message in B's INBOX")
    assert b.stop() == 0
    deliver_after_outage(mailnet, a, b, "while B was down")
    assert len(inbox(b, BOB)) == 2


def test_temporary_refusal_is_retried_until_accepted(mailnet):
    sink = mailnet.sink("127.0.0.2", domains=["c.test"],
                        replies={"later@c.test": "450 4.2.1 mailbox busy, try later"})
    a = mailnet.heron("a", "127.0.0.1", users=[ALICE], retry=", ".join(["1s"] * 30))
    msg = make_message("patience", ALICE)
    submit(a, ["later@c.test"], msg, ALICE)
    (entry,) = eventually(lambda: [e for e in spool(a) if e["attempts"] >= 2], 20,
                          what="two attempts")
    r = recipient(entry, "later@c.test")
    assert r["status"] == "pending", entry
    assert "450" in r["last_reply"] and "mailbox busy, try later" in r["last_reply"], r
    assert len(sink.refused) >= 2 and sink.messages() == []
    sink.reply("later@c.test", None)
    (d,) = sink.wait(1, 20)
    assert d.message_id == message_id_of(msg) and d.rcpt_tos == ["later@c.test"]
    wait_spool_empty(a)


def test_starttls_between_instances(mailnet):
    b = mailnet.heron("b", "127.0.0.2", users=[BOB])
    a = mailnet.heron("a", "127.0.0.1", users=[ALICE])
    msg = make_message("over TLS", ALICE, to=BOB)
    submit(a, [BOB], msg, ALICE)
    (arrived,) = eventually(lambda: inbox(b, BOB), 20, what="message in B's INBOX")
    received = header_values(arrived, "Received")[0]
    assert b" with ESMTPS " in received, received


def test_starttls_can_be_switched_off(mailnet):
    b = mailnet.heron("b", "127.0.0.2", users=[BOB])
    a = mailnet.heron("a", "127.0.0.1", users=[ALICE], settings={"smtp_out.starttls": "false"})
    msg = make_message("in the clear", ALICE, to=BOB)
    submit(a, [BOB], msg, ALICE)
    (arrived,) = eventually(lambda: inbox(b, BOB), 20, what="message in B's INBOX")
    received = header_values(arrived, "Received")[0]
    assert b" with ESMTP " in received, received


def test_starttls_to_a_sink_offering_it(mailnet, tmp_path):
    from outbound import sink_tls_or_skip
    sink = mailnet.sink("127.0.0.2", domains=["c.test"], tls=sink_tls_or_skip(tmp_path))
    a = mailnet.heron("a", "127.0.0.1", users=[ALICE])
    submit(a, ["carol@c.test"], make_message("sink TLS", ALICE), ALICE)
    (d,) = sink.wait(1, 20)
    assert d.tls


def test_black_hole_does_not_delay_other_mail(mailnet):
    hole = mailnet.black_hole("127.0.0.3", domains=["hole.test"])
    sink = mailnet.sink("127.0.0.2", domains=["c.test"])
    a = mailnet.heron("a", "127.0.0.1", users=[ALICE],
                      settings={"smtp_out.command_timeout": "30"})
    submit(a, ["nobody@hole.test"], make_message("into the hole", ALICE), ALICE)
    eventually(lambda: hole.accepted >= 1, 10, what="A connected to the black hole")
    msg = make_message("beside the hole", ALICE)
    submit(a, ["carol@c.test"], msg, ALICE)
    # Well below the 30 s the stuck session may wait for a greeting.
    (d,) = sink.wait(1, timeout=10)
    assert d.message_id == message_id_of(msg)
    # The stuck delivery is still waiting, nothing else is.
    remaining = [r["address"] for e in spool(a) for r in e["recipients"]]
    assert remaining == ["nobody@hole.test"], remaining


def test_delivery_log_names_entry_recipient_and_result(mailnet):
    sink = mailnet.sink("127.0.0.2", domains=["c.test"],
                        replies={"gone@c.test": "550 5.1.1 no such mailbox"})
    a = mailnet.heron("a", "127.0.0.1", users=[ALICE], retry="1h",
                      settings={"spool.enabled": "false"})
    submit(a, ["carol@c.test", "gone@c.test"], make_message("logged", ALICE), ALICE)
    (entry_id,) = spool_ids(a)
    a.set("spool.enabled", "true")
    sink.wait(1, 20)
    wait_spool_empty(a)

    names_id = re.compile(rf"(?<![0-9A-Za-z]){re.escape(entry_id)}(?![0-9A-Za-z])")

    def lines_for(address):
        return [line for line in delivery_log(a) if names_id.search(line) and address in line]

    def logged():
        ok, gone = lines_for("carol@c.test"), lines_for("gone@c.test")
        assert any(w in line.lower() for line in ok for w in ("delivered", "250", "sent")), ok
        assert any(w in line.lower() for line in gone for w in ("550", "fail", "bounce")), gone
        return True

    eventually(logged, 10, what="delivery log lines for both recipients")
