"""SIGKILL while the spool delivers: after a restart every accepted message reaches its
destination; a few may arrive twice (at-least-once), none is lost."""

import smtplib
import threading

from conftest import PASSWORD, eventually, smtp_client
from outbound import ALICE, mailnet, spool, wait_spool_empty  # noqa: F401

MESSAGES = 1000
SESSIONS = 4
WORKERS = 20


def message(n):
    return (f"From: {ALICE}\r\nTo: load@c.test\r\nSubject: load {n}\r\n"
            f"Message-ID: <load-{n}@a.test>\r\n\r\nmessage {n}\r\n").encode()


def test_sigkill_during_delivery_loses_nothing(mailnet):
    # A little slow, so that deliveries are in flight when the server dies.
    sink = mailnet.sink("127.0.0.2", domains=["c.test"], delay=0.02)
    a = mailnet.heron("a", "127.0.0.1", users=[ALICE], retry=", ".join(["1s"] * 30), settings={
        "spool.enabled": "false", "smtp_out.delivery_workers": str(WORKERS)})

    acked, errors = [], []
    lock = threading.Lock()

    def send(k):
        s = None
        try:
            s = smtp_client(a, login=(ALICE, PASSWORD), timeout=60)
            for n in range(k, MESSAGES, SESSIONS):
                assert s.sendmail(ALICE, ["load@c.test"], message(n)) == {}
                with lock:
                    acked.append(n)
        except (smtplib.SMTPException, OSError, AssertionError) as e:
            with lock:
                errors.append(repr(e))
        finally:
            if s is not None:
                s.close()

    threads = [threading.Thread(target=send, args=(k,), daemon=True) for k in range(SESSIONS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors[:5]
    assert sorted(acked) == list(range(MESSAGES))

    a.set("spool.enabled", "true")
    sink.wait(MESSAGES // 4, 30, what="a quarter of the messages delivered")
    a.kill()
    at_kill = len(sink.messages())
    a.start()

    expected = {f"<load-{n}@a.test>" for n in range(MESSAGES)}

    def all_arrived():
        ids = {d.message_id for d in sink.messages()}
        missing = expected - ids
        assert not missing, f"{len(missing)} missing, e.g. {sorted(missing)[:5]}"
        return True

    eventually(all_arrived, 40, interval=0.5, what="every message at the sink")
    wait_spool_empty(a)
    ids = [d.message_id for d in sink.messages()]
    duplicates = len(ids) - len(set(ids))
    print(f"delivered before the kill: {at_kill}, transactions: {len(ids)}, "
          f"duplicates: {duplicates}")
    assert set(ids) == expected
    # Only deliveries in flight at the kill may repeat: at most one per worker.
    assert duplicates <= WORKERS, duplicates
    assert spool(a) == []
