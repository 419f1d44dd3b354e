"""Internal spammer detection (SEC-2) and mail held for senders that may not send (DOM-7).

- An account that submits `security.spammer_messages` messages with bodies of one size
  within the window is reported by mail to `security.spammer_notify` and in the event log;
  with `security.spammer_suspend` its further submissions get 451 4.7.1, the suspension is
  listed on the Blocks page and API (kind `sending`), and lifting it lets the account send.
  Messages of other sizes, and other accounts, do not count.
- Queued mail of a suspended account waits in the queue until the suspension ends.
- A sender whose hourly MB count went past its limit has its queued mail held until the
  window is over (the submission that crossed the limit was accepted)."""

import smtplib
import time

from admin_api import logged_in_admin, wait_for_api
from conftest import PASSWORD, eventually, fetch_all, submission
from outbound import (ALICE, delivery_log, make_message, mailnet, spool,  # noqa: F401
                      submit, wait_spool_empty)

BOB = "bob@example.test"
CAROL = "carol@example.test"
OPS = "ops@example.test"


def body_of(size_marker):
    return f"Cheap watches, offer {size_marker}.\r\n" * 20


def send_one(heron, user, rcpt, body):
    """Submit one message; (code, text) of the outcome."""
    s = submission(heron, user, PASSWORD)
    try:
        s.sendmail(user, [rcpt], f"From: {user}\r\nTo: {rcpt}\r\nSubject: offer\r\n\r\n{body}")
        return (250, "")
    except (smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as e:
        return (e.smtp_code, e.smtp_error.decode())
    finally:
        s.close()


def events(heron):
    return "\n".join(p.read_text(errors="replace")
                     for p in sorted((heron.data / "logs").glob("*.log")))


def test_a_run_of_same_size_messages_is_reported_and_suspended(heron):
    for k, v in {"security.spammer_messages": "5", "security.spammer_window": "600",
                 "security.spammer_notify": OPS, "security.spammer_suspend": "600"}.items():
        heron.set(k, v)
    for u in (BOB, CAROL, OPS):
        heron.add_user(u, PASSWORD)
    heron.start()
    wait_for_api(heron)
    # Messages of different sizes from one account are ordinary mail.
    for i in range(6):
        assert send_one(heron, BOB, CAROL, body_of("x" * i)) == (250, "")
    assert "Internal spammer" not in events(heron)
    # Five of one body size (the To and Message-ID differ) make a run.
    for i in range(5):
        assert send_one(heron, BOB, f"carol+{i}@example.test", body_of("AAAAAAAAAAAAAAAAAAAA")) == (250, "")
    reports = eventually(lambda: [m for m in fetch_all(heron, OPS, PASSWORD)
                                  if b"Possible spam run from bob@example.test" in m],
                         15, what="the spam-run report reaches ops")
    assert len(reports) == 1
    assert b"5 messages with a body of" in reports[0], reports[0][-600:]
    assert "Internal spammer: bob@example.test submitted 5 messages" in events(heron)
    # The account is suspended, whatever it sends; other accounts send.
    code, text = send_one(heron, BOB, CAROL, body_of("different size altogether"))
    assert code == 451 and text.startswith("4.7.1") and "suspended" in text, (code, text)
    assert send_one(heron, CAROL, BOB, body_of("AAAAAAAAAAAAAAAAAAAA")) == (250, "")

    api = logged_in_admin(heron)
    listed = [b for b in api.get("/blocks").json() if b["kind"] == "sending"]
    assert [b["key"] for b in listed] == [BOB], listed
    assert "suspended" in listed[0]["reason"] and 0 < listed[0]["seconds_left"] <= 600
    page = api.http.get(f"http://127.0.0.1:{heron.admin_port}/blocks", timeout=30).text
    assert BOB in page and "Disable user" in page
    assert BOB in heron.cli("blocks", "list").stdout
    r = api.delete(f"/blocks/sending/{BOB}")
    assert r.status_code == 204, r.text
    assert send_one(heron, BOB, CAROL, body_of("after the lift")) == (250, "")


def test_a_run_notifies_only_without_suspension(heron):
    heron.set("security.spammer_messages", "3")
    heron.set("server.postmaster", OPS)
    for u in (BOB, CAROL, OPS):
        heron.add_user(u, PASSWORD)
    heron.start()
    for _ in range(4):
        assert send_one(heron, BOB, CAROL, body_of("B")) == (250, "")
    eventually(lambda: any(b"Possible spam run" in m for m in fetch_all(heron, OPS, PASSWORD)),
               15, what="the report goes to server.postmaster")
    # One report per run and window, however long the run goes on.
    assert send_one(heron, BOB, CAROL, body_of("B")) == (250, "")
    time.sleep(1)
    assert sum(b"Possible spam run" in m for m in fetch_all(heron, OPS, PASSWORD)) == 1


def test_queued_mail_of_a_suspended_account_waits(mailnet):
    sink = mailnet.sink("127.0.0.2", domains=["c.test"])
    a = mailnet.heron("a", "127.0.0.1", users=[ALICE], settings={
        "security.spammer_messages": "3", "security.spammer_suspend": "8"})
    for i in range(3):
        submit(a, ["carol@c.test"], make_message(f"run {i}", ALICE, body=body_of("C")), ALICE)
    started = time.monotonic()
    got = sink.wait(2, 20)
    assert sorted(d.subject for d in got) == ["run 0", "run 1"], [d.subject for d in got]
    # The third, which made the run, is held for the suspension.
    eventually(lambda: any("held for" in line and "suspended" in line
                           for line in delivery_log(a)), 10, what="the hold is logged")
    assert len(sink.messages()) == 2
    got = sink.wait(3, 30)
    assert time.monotonic() - started >= 5, "held mail left before the suspension ended"
    assert "run 2" in [d.subject for d in got]
    wait_spool_empty(a)


def test_queued_mail_over_the_mb_limit_waits_for_the_next_window(mailnet):
    window = 10
    sink = mailnet.sink("127.0.0.2", domains=["c.test"])
    a = mailnet.heron("a", "127.0.0.1", users=[ALICE], settings={
        "throttle.enabled": "true", "throttle.window_seconds": str(window),
        "throttle.user_mb_per_hour": "1"})
    # Start early in a window, so both submissions fall in it.
    if window - (time.time() % window) < 7:
        time.sleep(window - (time.time() % window) + 0.2)
    big = ("x" * 76 + "\r\n") * 8000  # about 600 KB
    submit(a, ["carol@c.test"], make_message("first", ALICE, body=big), ALICE)
    # The second crosses 1 MB: accepted, then held until the window ends.
    submit(a, ["carol@c.test"], make_message("second", ALICE, body=big), ALICE)
    window_end = (time.time() // window + 1) * window
    got = sink.wait(1, 20)
    assert [d.subject for d in got] == ["first"]
    eventually(lambda: any("held for" in line and "over a sending limit" in line
                           for line in delivery_log(a)), 10, what="the hold is logged")
    assert [e for e in spool(a)], "the second message is still queued"
    assert time.time() < window_end and len(sink.messages()) == 1
    got = sink.wait(2, 30)
    assert [d.subject for d in got] == ["first", "second"]
    assert time.time() >= window_end - 0.5
    wait_spool_empty(a)
