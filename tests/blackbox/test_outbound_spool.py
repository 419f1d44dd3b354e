"""The spool as an administrator sees it: the service stops and starts, and entries can be
shown, deleted, forced, reset."""

from conftest import eventually, smtp_settle
from outbound import (ALICE, mailnet, make_message, message_id_of, recipient,  # noqa: F401
                      spool, spool_entry, spool_ids, submit, wait_dsns, wait_quietly,
                      wait_spool_empty)


def sender(mailnet, retry="1h", settings=None):
    return mailnet.heron("a", "127.0.0.1", users=[ALICE], retry=retry, settings=settings)


def test_stopped_spool_keeps_mail_until_started(mailnet):
    sink = mailnet.sink("127.0.0.2", domains=["c.test"])
    a = sender(mailnet, settings={"spool.enabled": "false"})
    msg = make_message("held", ALICE)
    submit(a, ["carol@c.test"], msg, ALICE)
    (entry,) = spool(a)
    assert entry["sender"] == ALICE and entry["attempts"] == 0, entry
    assert recipient(entry, "carol@c.test")["status"] == "pending"
    assert entry["size"] >= len(msg) and entry["priority"] == 5, entry
    assert entry["created_at"] and entry["next_attempt_at"], entry
    wait_quietly(3)
    assert sink.messages() == []
    (entry,) = spool(a)
    assert entry["attempts"] == 0, entry
    a.set("spool.enabled", "true")
    (d,) = sink.wait(1, 15)
    assert d.message_id == message_id_of(msg)
    wait_spool_empty(a)


def test_spool_stops_and_starts_while_running(mailnet):
    sink = mailnet.sink("127.0.0.2", domains=["c.test"])
    a = sender(mailnet)
    submit(a, ["carol@c.test"], make_message("first", ALICE), ALICE)
    sink.wait(1, 15)
    a.set("spool.enabled", "false")
    smtp_settle(a)
    wait_quietly(1.5)  # changes take effect within about a second
    second = make_message("second", ALICE)
    submit(a, ["carol@c.test"], second, ALICE)
    assert len(spool(a)) == 1
    wait_quietly(3)
    assert [d.subject for d in sink.messages()] == ["first"]
    a.set("spool.enabled", "true")
    eventually(lambda: [d.subject for d in sink.messages()] == ["first", "second"], 15,
               what="second message delivered after the restart of the spool")
    wait_spool_empty(a)


def test_spool_show_prints_the_entry_and_headers(mailnet):
    mailnet.sink("127.0.0.2", domains=["c.test"])
    a = sender(mailnet, settings={"spool.enabled": "false"})
    msg = make_message("Quarterly figures 42", ALICE)
    submit(a, ["carol@c.test"], msg, ALICE)
    (entry_id,) = spool_ids(a)
    out = a.cli("spool", "show", entry_id).stdout
    assert entry_id in out and ALICE in out and "carol@c.test" in out, out
    assert "Subject: Quarterly figures 42" in out, out
    assert message_id_of(msg) in out, out


def test_spool_delete_removes_an_entry_for_good(mailnet):
    sink = mailnet.sink("127.0.0.2", domains=["c.test"])
    a = sender(mailnet, settings={"spool.enabled": "false"})
    doomed = make_message("never sent", ALICE)
    submit(a, ["carol@c.test"], doomed, ALICE)
    (entry_id,) = spool_ids(a)
    a.cli("spool", "delete", entry_id)
    assert spool(a) == []
    a.set("spool.enabled", "true")
    # A witness sent afterwards arrives; the deleted message never does.
    witness = make_message("witness", ALICE)
    submit(a, ["carol@c.test"], witness, ALICE)
    (d,) = sink.wait(1, 15)
    assert d.message_id == message_id_of(witness)
    wait_spool_empty(a)
    assert [d.message_id for d in sink.messages()] == [message_id_of(witness)]


def test_spool_force_attempts_at_once_despite_a_long_interval(mailnet):
    sink = mailnet.sink("127.0.0.2", domains=["c.test"],
                        replies={"carol@c.test": "450 4.3.2 not now"})
    a = sender(mailnet, retry="1h")
    msg = make_message("forced", ALICE)
    submit(a, ["carol@c.test"], msg, ALICE)
    (entry,) = eventually(lambda: [e for e in spool(a) if e["attempts"] >= 1], 15,
                          what="first attempt")
    assert recipient(entry, "carol@c.test")["status"] == "pending", entry
    assert "not now" in recipient(entry, "carol@c.test")["last_reply"], entry
    sink.reply("carol@c.test", None)
    a.cli("spool", "force", str(entry["id"]))
    (d,) = sink.wait(1, 10)
    assert d.message_id == message_id_of(msg)
    wait_spool_empty(a)


def test_spool_reset_retries_failed_recipients(mailnet):
    sink = mailnet.sink("127.0.0.2", domains=["c.test"], replies={
        "gone@c.test": "550 5.1.1 gone for now", "later@c.test": "450 4.2.1 later"})
    # Two attempts, then the entry waits an hour for its last one before bouncing.
    a = sender(mailnet, retry="1s, 1h")
    msg = make_message("second chance", ALICE)
    submit(a, ["gone@c.test", "later@c.test"], msg, ALICE)

    def waiting():
        e = spool(a)
        return (len(e) == 1 and e[0]["attempts"] >= 2
                and recipient(e[0], "gone@c.test")["status"] == "failed" and e[0])

    entry = eventually(waiting, 20, what="entry with a failed and a pending recipient")
    assert recipient(entry, "later@c.test")["status"] == "pending", entry
    assert "gone for now" in recipient(entry, "gone@c.test")["last_reply"], entry
    # The failure was reported at once.
    (dsn,) = wait_dsns(a, ALICE)
    assert dsn.final_recipients == ["gone@c.test"]

    sink.reply("gone@c.test", None)
    sink.reply("later@c.test", None)
    a.cli("spool", "reset", str(entry["id"]))
    eventually(lambda: sorted(sink.rcpts()) == ["gone@c.test", "later@c.test"], 15,
               what="both recipients delivered after the reset")
    wait_spool_empty(a)
    assert all(d.message_id == message_id_of(msg) for d in sink.messages())


def test_spool_reset_sets_attempts_back_to_zero(mailnet):
    mailnet.sink("127.0.0.2", domains=["c.test"], replies={"later@c.test": "450 4.2.1 later"})
    # Room for the forced attempts before the schedule runs out.
    a = sender(mailnet, retry="1h, 1h, 1h, 1h")
    submit(a, ["later@c.test"], make_message("counting", ALICE), ALICE)
    (entry,) = eventually(lambda: [e for e in spool(a) if e["attempts"] >= 1], 15,
                          what="first attempt")
    entry_id = str(entry["id"])
    for n in (2, 3):
        a.cli("spool", "force", entry_id)
        eventually(lambda: spool_entry(a, entry_id)["attempts"] >= n, 10,
                   what=f"forced attempt {n}")
    a.cli("spool", "reset", entry_id)
    # The reset attempts at once; with the next retry an hour away, that one is all.
    eventually(lambda: spool_entry(a, entry_id)["attempts"] == 1, 10,
               what="attempts counted from zero again")
    assert recipient(spool_entry(a, entry_id), "later@c.test")["status"] == "pending"
