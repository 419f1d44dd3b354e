"""Delivery status notifications: the sender learns which recipient failed and why, at once
for permanent refusals, after the retries for temporary ones; never for a bounce itself."""

import pytest

from outbound import (ALICE, assert_dsn_form, dsns, mailnet, make_message,  # noqa: F401
                      message_id_of, recipient, send_mx, spool, submit, wait_dsns,
                      wait_quietly, wait_spool_empty)
from conftest import eventually

GONE = "gone@c.test"
GONE_REPLY = "550 5.1.1 <gone@c.test>: mailbox unavailable here"
GONE_TEXT = "mailbox unavailable here"
# A second refused address: a witness message to it shows which DSNs were sent.
WITNESS = "witness@c.test"


def sender_node(mailnet, retry="1h", settings=None):
    return mailnet.heron("a", "127.0.0.1", users=[ALICE], retry=retry, settings=settings)


def refusing_sink(mailnet, **replies):
    return mailnet.sink("127.0.0.2", domains=["c.test"],
                        replies={GONE: GONE_REPLY, WITNESS: "550 5.1.1 no witness here",
                                 **replies})


def witness_dsn_only(a):
    """Send a failing witness message; wait for its DSN and check it is the only DSN."""
    submit(a, [WITNESS], make_message("witness", ALICE), ALICE)
    (dsn,) = wait_dsns(a, ALICE, timeout=20)
    assert dsn.final_recipients == [WITNESS], dsn.recipients
    wait_spool_empty(a)
    assert len(dsns(a, ALICE)) == 1


def test_unknown_domain_bounces_after_the_dns_error_attempts(mailnet):
    # Two attempts fit in the test (the second after 1 s); a third would wait an hour.
    a = sender_node(mailnet, retry="1s, 1h", settings={"spool.dns_error_attempts": "2"})
    msg = make_message("to nowhere", ALICE, to="x@nowhere.test")
    submit(a, ["x@nowhere.test"], msg, ALICE)
    (dsn,) = wait_dsns(a, ALICE, timeout=30)
    assert_dsn_form(dsn, a)
    assert dsn.final_recipients == ["x@nowhere.test"], dsn.recipients
    r = dsn.recipient("x@nowhere.test")
    assert r["action"] == "failed" and r["status"].startswith("5."), r
    assert "x@nowhere.test" in dsn.text, dsn.text
    wait_spool_empty(a, timeout=5)
    # The domain was really looked up, once per attempt (the DNS cache is off).
    mx_queries = [q for q in mailnet.zone.queries if q == ("nowhere.test", "MX")]
    assert len(mx_queries) >= 2, mailnet.zone.queries


def test_null_mx_domain_bounces_at_once(mailnet):
    mailnet.zone.null_mx("nomail.test")
    a = sender_node(mailnet, retry="1h")
    submit(a, ["x@nomail.test"], make_message("to a null MX", ALICE), ALICE)
    (dsn,) = wait_dsns(a, ALICE, timeout=20)
    assert_dsn_form(dsn, a)
    r = dsn.recipient("x@nomail.test")
    assert r["action"] == "failed" and r["status"].startswith("5."), r
    wait_spool_empty(a, timeout=5)


def test_permanent_refusal_bounces_at_once_and_spares_the_other_recipient(mailnet):
    sink = refusing_sink(mailnet)
    a = sender_node(mailnet, retry="1h")
    msg = make_message("half of it", ALICE)
    submit(a, [GONE, "ok@c.test"], msg, ALICE)
    (dsn,) = wait_dsns(a, ALICE, timeout=20)
    assert_dsn_form(dsn, a)
    assert dsn.final_recipients == [GONE], dsn.recipients
    r = dsn.recipient(GONE)
    assert r["action"] == "failed" and r["status"] == "5.1.1", r
    assert "550" in r["diagnostic-code"] and GONE_TEXT in r["diagnostic-code"], r
    assert r["diagnostic-code"].lower().startswith("smtp;"), r
    assert GONE in dsn.text and GONE_TEXT in dsn.text, dsn.text
    assert b"ok@c.test" not in dsn.raw
    # The accepted recipient got the message, once.
    (d,) = sink.wait(1)
    assert d.rcpt_tos == ["ok@c.test"] and d.message_id == message_id_of(msg)
    wait_spool_empty(a)
    assert sink.rcpts() == ["ok@c.test"]
    assert [addr for addr, _ in sink.refused] == [GONE]


def test_bounce_after_the_last_retry(mailnet):
    sink = mailnet.sink("127.0.0.2", domains=["c.test"],
                        replies={"full@c.test": "452 4.2.2 mailbox full, come back later"})
    a = sender_node(mailnet, retry="1s, 1s")
    submit(a, ["full@c.test"], make_message("full up", ALICE), ALICE)
    (dsn,) = wait_dsns(a, ALICE, timeout=30)
    assert_dsn_form(dsn, a)
    r = dsn.recipient("full@c.test")
    assert r["action"] == "failed", r
    assert "mailbox full, come back later" in r["diagnostic-code"], r
    assert "full@c.test" in dsn.text
    wait_spool_empty(a, timeout=5)
    # The first attempt, then one after each of the two intervals.
    assert [addr for addr, _ in sink.refused] == ["full@c.test"] * 3


def test_failed_null_sender_message_is_dropped_without_dsn(mailnet):
    sink = refusing_sink(mailnet)
    a = sender_node(mailnet, settings={"security.ip_whitelist": "127.0.0.1"})
    # A double bounce would go to the postmaster: make that visible too.
    a.cli("alias", "add", "postmaster@a.test", ALICE)
    bounce = make_message("a bounce itself", ALICE)
    assert send_mx(a, "", [GONE], bounce) == {}
    eventually(lambda: sink.refused, 20, what="the delivery was attempted")
    wait_spool_empty(a)
    # A witness with a sender: its DSN arrives, and is the only one.
    witness_dsn_only(a)
    assert sink.messages() == []


def test_no_dsn_when_bounces_are_disabled(mailnet):
    sink = refusing_sink(mailnet)
    a = sender_node(mailnet, settings={"security.bounces": "disabled"})
    submit(a, [GONE], make_message("into the void", ALICE), ALICE)
    eventually(lambda: sink.refused, 20, what="the delivery was attempted")
    wait_spool_empty(a)
    wait_quietly(3)
    assert dsns(a, ALICE) == []
    assert spool(a) == []


def test_notify_never_suppresses_the_failure_dsn(mailnet):
    sink = refusing_sink(mailnet)
    a = sender_node(mailnet)
    submit(a, [GONE], make_message("say nothing", ALICE), ALICE, rcpt_options=["NOTIFY=NEVER"])
    eventually(lambda: sink.refused, 20, what="the delivery was attempted")
    wait_spool_empty(a)
    witness_dsn_only(a)


def test_notify_success_gets_a_success_dsn(mailnet):
    sink = mailnet.sink("127.0.0.2", domains=["c.test"])
    a = sender_node(mailnet)
    msg = make_message("did it arrive?", ALICE)
    submit(a, ["ok@c.test"], msg, ALICE, rcpt_options=["NOTIFY=SUCCESS"])
    sink.wait(1, 20)
    (dsn,) = wait_dsns(a, ALICE, timeout=20)
    assert_dsn_form(dsn, a)
    r = dsn.recipient("ok@c.test")
    # The sink does not offer DSN, so "relayed" is as right as "delivered" (RFC 3461 §5.2.2).
    assert r["action"] in ("delivered", "relayed") and r["status"].startswith("2."), r
    assert "ok@c.test" in dsn.text
    wait_spool_empty(a)


def test_no_success_dsn_without_notify_success(mailnet):
    sink = refusing_sink(mailnet)
    a = sender_node(mailnet)
    submit(a, ["ok@c.test"], make_message("quietly", ALICE), ALICE,
           rcpt_options=["NOTIFY=FAILURE"])
    sink.wait(1, 20)
    wait_spool_empty(a)
    # A failing witness afterwards: its DSN is the only one.
    witness_dsn_only(a)


@pytest.mark.parametrize("notify", ["DELAY", "DELAY,FAILURE"])
def test_notify_delay_gets_a_delay_dsn(mailnet, notify):
    mailnet.sink("127.0.0.2", domains=["c.test"],
                 replies={"later@c.test": "451 4.3.0 greylisted, please retry"})
    a = sender_node(mailnet, retry=", ".join(["2s"] * 20))
    submit(a, ["later@c.test"], make_message("running late", ALICE), ALICE,
           rcpt_options=[f"NOTIFY={notify}"])
    (dsn,) = wait_dsns(a, ALICE, timeout=30)
    assert_dsn_form(dsn, a)
    r = dsn.recipient("later@c.test")
    assert r["action"] == "delayed" and r["status"].startswith("4."), r
    assert "greylisted, please retry" in r.get("diagnostic-code", ""), r
    # The message is still being retried.
    (entry,) = spool(a)
    assert recipient(entry, "later@c.test")["status"] == "pending"
