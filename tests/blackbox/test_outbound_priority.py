"""Spool priorities: higher priority leaves first, oversize mail gets its own priority, and
mail within a gateway's priority range leaves through that gateway."""

from conftest import eventually, smtp_settle
from outbound import (ALICE, mailnet, make_message, new_entry_id, sink_tls_or_skip,  # noqa: F401
                      spool, spool_entry, spool_ids, submit, wait_spool_empty)


def held_sender(mailnet, settings=None):
    """Instance A with its spool stopped, so mail waits until the test starts it."""
    return mailnet.heron("a", "127.0.0.1", users=[ALICE], retry="1h",
                         settings={"spool.enabled": "false", **(settings or {})})


def queue(a, subjects, rcpt="carol@c.test", body="Hello.\r\n"):
    """Submit one message per subject; return their spool ids in the same order."""
    ids = []
    for subject in subjects:
        before = spool_ids(a)
        submit(a, [rcpt], make_message(subject, ALICE, body=body), ALICE)
        ids.append(new_entry_id(a, before))
    return ids


def priorities(a):
    return {str(e["id"]): e["priority"] for e in spool(a)}


def test_higher_priority_leaves_first(mailnet):
    sink = mailnet.sink("127.0.0.2", domains=["c.test"])
    a = held_sender(mailnet, {"smtp_out.delivery_workers": "1"})
    wanted = {"p3": 3, "p9": 9, "p1": 1, "p7": 7, "p5": 5, "p10": 10}
    ids = queue(a, list(wanted))
    for entry_id, p in zip(ids, wanted.values()):
        a.cli("spool", "priority", entry_id, p)
    assert priorities(a) == dict(zip(ids, wanted.values()))
    a.set("spool.enabled", "true")
    got = sink.wait(len(wanted), 30)
    assert [d.subject for d in got] == sorted(wanted, key=wanted.get, reverse=True)
    wait_spool_empty(a)


def test_ordinary_and_oversize_priorities(mailnet):
    mailnet.sink("127.0.0.2", domains=["c.test"])
    a = held_sender(mailnet, {"priority.oversize": "2", "priority.oversize_threshold": "8"})
    # About 12.8 KB against a threshold of 8 KB.
    small, big = queue(a, ["small"]) + queue(a, ["big"], body=("z" * 78 + "\r\n") * 160)
    p = priorities(a)
    assert p[small] == 5 and p[big] == 2, p

    a.set("priority.standard", "7")
    smtp_settle(a)
    (later,) = queue(a, ["after the change"])
    assert priorities(a)[later] == 7


def test_priority_outside_one_to_ten_is_refused(mailnet):
    mailnet.sink("127.0.0.2", domains=["c.test"])
    a = held_sender(mailnet)
    (entry_id,) = queue(a, ["bounded"])
    for bad in ("0", "11", "-1", "high"):
        r = a.cli("spool", "priority", entry_id, bad, check=False)
        assert r.returncode != 0, (bad, r.stdout)
    assert spool_entry(a, entry_id)["priority"] == 5
    a.cli("spool", "priority", entry_id, "10")
    assert spool_entry(a, entry_id)["priority"] == 10


def test_gateway_takes_mail_of_its_priority_range(mailnet):
    mx = mailnet.sink("127.0.0.2", domains=["c.test"])
    gateway = mailnet.sink("127.0.0.4")
    a = held_sender(mailnet, {"route.gateways": f"127.0.0.4:{mailnet.port} 1-1"})
    low, first, second = queue(a, ["low", "normal 1", "normal 2"])
    a.cli("spool", "priority", low, "1")
    a.set("spool.enabled", "true")
    eventually(lambda: len(mx.messages()) + len(gateway.messages()) >= 3, 20,
               what="three messages delivered")
    wait_spool_empty(a)
    assert [d.subject for d in gateway.messages()] == ["low"]
    assert sorted(d.subject for d in mx.messages()) == ["normal 1", "normal 2"]
    (d,) = gateway.messages()
    assert d.rcpt_tos == ["carol@c.test"] and d.mail_from == ALICE


def test_gateways_of_one_range_share_the_mail(mailnet):
    mx = mailnet.sink("127.0.0.2", domains=["c.test"])
    gw1, gw2 = mailnet.sink("127.0.0.4"), mailnet.sink("127.0.0.5")
    a = held_sender(mailnet, {"route.gateways": f"127.0.0.4:{mailnet.port} 1-5, "
                                                f"127.0.0.5:{mailnet.port} 1-5"})
    subjects = [f"shared {i}" for i in range(6)]
    queue(a, subjects)
    a.set("spool.enabled", "true")
    eventually(lambda: len(gw1.messages()) + len(gw2.messages()) >= len(subjects), 20,
               what="all messages through the gateways")
    wait_spool_empty(a)
    got = [d.subject for d in gw1.messages() + gw2.messages()]
    assert sorted(got) == sorted(subjects), got
    assert gw1.messages() and gw2.messages(), (len(gw1.messages()), len(gw2.messages()))
    assert mx.messages() == []


def test_gateway_with_credentials_authenticates(mailnet, tmp_path):
    tls = sink_tls_or_skip(tmp_path)
    mx = mailnet.sink("127.0.0.2", domains=["c.test"])
    gateway = mailnet.sink("127.0.0.4", tls=tls, auth=("relayuser", "Relaypass1"))
    a = mailnet.heron("a", "127.0.0.1", users=[ALICE], retry="1h", settings={
        "route.gateways": f"127.0.0.4:{mailnet.port} 1-10 relayuser Relaypass1"})
    submit(a, ["carol@c.test"], make_message("through the gateway", ALICE), ALICE)
    (d,) = gateway.wait(1, 20)
    assert d.login == "relayuser" and d.tls
    assert d.rcpt_tos == ["carol@c.test"]
    wait_spool_empty(a)
    assert mx.messages() == []
