"""Greylisting (SEC-3, DOM-2): mail from other servers for an unknown triplet (client /24,
sender, recipient) is deferred with 451 4.7.1 until retried after the block period; passed
triplets pass at once, across restarts; authenticated clients, whitelisted and bypassed
clients, domains and users with greylisting off, and correspondents are exempt. With two
instances, the sender's queue retries until the message is delivered."""

import smtplib
import subprocess
import time

from admin_api import admin  # noqa: F401
from conftest import HERON, PASSWORD, eventually, fetch_all, submission
from outbound import ALICE, BOB, mailnet, make_message, submit  # noqa: F401

BLOCK = 3
RCPT = "alice@example.test"


def greylisting(heron, **extra):
    settings = {"greylist.enabled": "true", "greylist.block_seconds": str(BLOCK),
                "greylist.pass_seconds": "120", **extra}
    for k, v in settings.items():
        heron.set(k, v)


def client(heron, source, login=None):
    """An smtplib client connecting from the loopback address `source`."""
    s = smtplib.SMTP(heron.host, heron.smtp_port, timeout=30,
                     source_address=(source, 0))
    s.ehlo("client.test")
    if login:
        s.login(*login)
    return s


def attempt(heron, source, sender, rcpt, login=None, data=None):
    """MAIL and RCPT from `source`; returns RCPT's (code, text); with `data`, sends it when
    RCPT was accepted and checks the 250."""
    s = client(heron, source, login)
    try:
        code, text = s.mail(sender)
        assert code == 250, (code, text)
        code, text = s.rcpt(rcpt)
        if code == 250 and data is not None:
            c, t = s.data(data)
            assert c == 250, (c, t)
        return code, text.decode()
    finally:
        s.close()


def deferred(reply):
    code, text = reply
    return code == 451 and text.startswith("4.7.1")


def smtp_log(heron):
    return "\n".join(p.read_text(errors="replace")
                     for p in sorted((heron.data / "logs").glob("smtp-*.log")))


def test_triplet_is_deferred_then_passes_and_stays_passed(heron):
    greylisting(heron)
    heron.add_user(RCPT, PASSWORD)
    heron.start()
    sender = "Zed@Far.test"
    first = time.monotonic()
    assert deferred(attempt(heron, "127.0.0.2", sender, RCPT))
    # Retried within the block period, even from another address of the /24: deferred.
    assert deferred(attempt(heron, "127.0.0.3", sender.lower(), RCPT.upper()))
    time.sleep(max(0, BLOCK + 0.5 - (time.monotonic() - first)))
    msg = make_message("greylisted once", sender, to=RCPT)
    assert attempt(heron, "127.0.0.2", sender, RCPT, data=msg)[0] == 250
    # Passed: later mail of the triplet passes at once, from anywhere in the /24.
    assert attempt(heron, "127.0.0.9", sender, RCPT)[0] == 250
    # Another /24, another sender: greylisted anew.
    assert deferred(attempt(heron, "127.0.1.2", sender, RCPT))
    assert deferred(attempt(heron, "127.0.0.2", "other@far.test", RCPT))
    msgs = fetch_all(heron, RCPT, PASSWORD)
    assert [m for m in msgs if b"greylisted once" in m]
    log = smtp_log(heron)
    assert "greylisted 127.0.0.0/24 zed@far.test alice@example.test (new triplet)" in log
    assert "(retried within the block period)" in log
    # The state is in the store: it survives a restart.
    assert heron.stop() == 0
    heron.start()
    assert attempt(heron, "127.0.0.2", sender, RCPT)[0] == 250
    assert deferred(attempt(heron, "127.0.1.2", "third@far.test", RCPT))


def test_greylisting_off_by_default(heron):
    heron.add_user(RCPT, PASSWORD)
    heron.start()
    assert attempt(heron, "127.0.0.2", "zed@far.test", RCPT)[0] == 250


def test_exemptions(heron):
    greylisting(heron, **{"security.ip_whitelist": "127.0.0.3",
                          "greylist.bypass": "127.0.0.4/32, 127.0.2.0/24"})
    heron.add_user(RCPT, PASSWORD)
    heron.add_user("dave@example.test", PASSWORD)
    heron.add_user("erin@example.test", PASSWORD)
    heron.add_user("carol@quiet.test", PASSWORD)
    heron.cli("domain", "set", "quiet.test", "--greylisting", "false")
    out = heron.cli("user", "set", "dave@example.test", "--greylisting", "false").stdout
    assert "greylisting off" in out
    assert "greylisting: off" in heron.cli("domain", "show", "quiet.test").stdout
    heron.start()
    far = "zed@far.test"
    # Authenticated clients are never greylisted, on the MX port or by submission.
    assert attempt(heron, "127.0.0.2", RCPT, "erin@example.test",
                   login=(RCPT, PASSWORD))[0] == 250
    s = submission(heron, RCPT, PASSWORD)
    try:
        assert s.mail(RCPT)[0] == 250 and s.rcpt("erin@example.test")[0] == 250
    finally:
        s.close()
    # Whitelisted IP and bypass entries.
    assert attempt(heron, "127.0.0.3", far, RCPT)[0] == 250
    assert attempt(heron, "127.0.0.4", far, RCPT)[0] == 250
    assert attempt(heron, "127.0.2.7", far, RCPT)[0] == 250
    # A domain and a user with greylisting off.
    assert attempt(heron, "127.0.0.2", far, "carol@quiet.test")[0] == 250
    assert attempt(heron, "127.0.0.2", far, "dave@example.test")[0] == 250
    # Everyone else is greylisted.
    assert deferred(attempt(heron, "127.0.0.2", far, "erin@example.test"))
    assert deferred(attempt(heron, "127.0.0.5", far, RCPT))


def test_correspondents_are_not_greylisted(heron):
    # Mail alice writes to bob@far.test is spooled for a server nobody runs.
    greylisting(heron, **{"spool.retry_schedule": "1h"})
    heron.add_user(RCPT, PASSWORD)
    heron.add_user("erin@example.test", PASSWORD)
    heron.start()
    bob = "Bob@Far.test"
    assert deferred(attempt(heron, "127.0.0.2", bob, RCPT))
    submit(heron, [bob], make_message("hello bob", RCPT, to=bob), RCPT)
    # Bob's reply to alice passes at once; bob writing to erin, who never wrote to him, not.
    assert attempt(heron, "127.0.0.2", bob.lower(), RCPT)[0] == 250
    assert deferred(attempt(heron, "127.0.0.2", bob, "erin@example.test"))


def test_the_senders_queue_retries_until_delivered(mailnet):
    a = mailnet.heron("a", "127.0.0.1", users=[ALICE], retry=", ".join(["2s"] * 10))
    b = mailnet.heron("b", "127.0.0.2", users=[BOB],
                      settings={"greylist.enabled": "true",
                                "greylist.block_seconds": str(BLOCK)})
    msg = make_message("through the grey", ALICE, to=BOB)
    submit(a, [BOB], msg, ALICE)
    eventually(lambda: any(b"through the grey" in m for m in fetch_all(b, BOB, PASSWORD)),
               40, interval=0.5, what="the message at bob's after a retry")
    assert "greylisted 127.0.0.0/24 alice@a.test bob@b.test (new triplet)" in smtp_log(b)


def test_bypassed_sender_domain_needs_spf(mailnet):
    a = mailnet.heron("a", "127.0.0.1", users=[ALICE, "zoe@a.test"],
                      retry=", ".join(["2s"] * 10))
    b = mailnet.heron("b", "127.0.0.2", users=[BOB],
                      settings={"greylist.enabled": "true", "greylist.block_seconds": "600",
                                "greylist.bypass": "a.test"})
    mailnet.zone.txt("a.test", "v=spf1 ip4:127.0.0.1 -all")
    submit(a, [BOB], make_message("spf passes", ALICE, to=BOB), ALICE)
    eventually(lambda: any(b"spf passes" in m for m in fetch_all(b, BOB, PASSWORD)),
               20, interval=0.5, what="the message at bob's at once")
    assert "greylisted" not in smtp_log(b)
    # Without SPF passing, the domain entry exempts nothing.
    mailnet.zone.txt("a.test", "v=spf1 -all")
    code, text = attempt(b, "127.0.0.1", "zoe@a.test", BOB)
    assert code == 451 and text.startswith("4.7.1"), (code, text)


def test_switches_over_the_api_reach_the_running_server(admin):
    for key, value in {"greylist.enabled": "true", "greylist.block_seconds": "600"}.items():
        assert admin.put(f"/settings/{key}", {"value": value}).status_code == 200
    assert admin.post("/users", {"address": "dave@example.test",
                                 "password": PASSWORD}).status_code == 201
    heron = admin.heron
    eventually(lambda: deferred(attempt(heron, "127.0.0.2", "zed@far.test", RCPT)), 10,
               what="greylisting on")
    assert admin.get("/domains/example.test").json()["greylisting"] is True
    assert admin.get("/users/dave@example.test").json()["greylisting"] is True
    r = admin.patch("/users/dave@example.test", {"greylisting": False})
    assert r.status_code == 200 and r.json()["greylisting"] is False, r.text
    eventually(lambda: attempt(heron, "127.0.0.2", "zed@far.test", "dave@example.test")[0]
               == 250, 10, what="dave's switch applies")
    assert deferred(attempt(heron, "127.0.0.2", "yan@far.test", RCPT))
    r = admin.patch("/domains/example.test", {"greylisting": False})
    assert r.status_code == 200 and r.json()["greylisting"] is False, r.text
    eventually(lambda: attempt(heron, "127.0.0.2", "xi@far.test", RCPT)[0] == 250, 10,
               what="the domain's switch applies")
    assert "greylisting: off" in heron.cli("domain", "show", "example.test").stdout
    page = admin.http.get(f"http://127.0.0.1:{heron.admin_port}/domains/example.test",
                          timeout=30)
    assert page.status_code == 200
    assert '<input type="checkbox" name="greylisting">' in page.text
    admin.patch("/domains/example.test", {"greylisting": True})
    page = admin.http.get(f"http://127.0.0.1:{heron.admin_port}/domains/example.test",
                          timeout=30)
    assert '<input type="checkbox" name="greylisting" checked>' in page.text


def test_store_copy_carries_the_state_to_postgres(heron, tmp_path, pg_url):
    from test_store_postgres import PgHeron

    greylisting(heron, **{"spool.retry_schedule": "1h"})
    heron.add_user(RCPT, PASSWORD)
    heron.add_user("dave@example.test", PASSWORD)
    heron.add_user("erin@example.test", PASSWORD)
    heron.cli("user", "set", "dave@example.test", "--greylisting", "false")
    heron.start()
    first = time.monotonic()
    assert deferred(attempt(heron, "127.0.0.2", "zed@far.test", RCPT))
    submit(heron, ["bob@far.test"], make_message("hi", RCPT, to="bob@far.test"), RCPT)
    time.sleep(max(0, BLOCK + 0.5 - (time.monotonic() - first)))
    assert attempt(heron, "127.0.0.2", "zed@far.test", RCPT)[0] == 250
    assert heron.stop() == 0
    r = subprocess.run([HERON, "store", "copy", "--from", str(heron.data), "--to", pg_url],
                       capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, f"stdout: {r.stdout}\nstderr: {r.stderr}"
    for table in ("greylist", "greylist_correspondents"):
        line = next(li for li in r.stdout.splitlines() if li.strip().startswith(table + " "))
        assert "MISMATCH" not in line, line
    dst = PgHeron(tmp_path / "dst", pg_url)
    dst.start()
    try:
        assert attempt(dst, "127.0.0.2", "zed@far.test", RCPT)[0] == 250
        assert attempt(dst, "127.0.0.2", "bob@far.test", RCPT)[0] == 250
        assert attempt(dst, "127.0.0.2", "yan@far.test", "dave@example.test")[0] == 250
        assert deferred(attempt(dst, "127.0.0.2", "yan@far.test", "erin@example.test"))
    finally:
        assert dst.stop() == 0


def test_forwarded_domains_only_with_their_switch(heron):
    greylisting(heron, **{"route.forwarding": "fwd.test=127.0.0.9:2525, other.test=127.0.0.9",
                          "spool.retry_schedule": "1h"})
    heron.add_user(RCPT, PASSWORD)
    heron.start()
    assert attempt(heron, "127.0.0.2", "zed@far.test", "x@fwd.test")[0] == 250
    assert heron.stop() == 0
    heron.set("greylist.forwarded_domains", "true")
    heron.start()
    assert deferred(attempt(heron, "127.0.0.2", "zed@far.test", "x@other.test"))
