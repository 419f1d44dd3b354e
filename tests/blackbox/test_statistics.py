"""Statistics (OPS-3) and per-domain bandwidth (OPS-7): known traffic through a real server
(mail from another server to two hosted domains, one message the filter calls spam, an admin
message, submissions relayed to an SMTP sink with one refused recipient and its bounce, POP3, IMAP and
admin logins) must show up as exactly those counts in the API for the server, each domain and
each user; a domain administrator reads only their own domain; the domain's page draws the
counts as SVG bars in Chromium."""

import imaplib
import poplib

from admin_api import Api, logged_in_admin, wait_for_api
from browser import run_ui
from conftest import PASSWORD, eventually
from outbound import ALICE, mailnet, make_message, send_mx, submit, wait_spool_empty  # noqa: F401

BOB = "bob@a.test"
CAROL = "carol@z.test"
GONE = "gone@c.test"
COUNTERS = ("messages_in", "bytes_in", "messages_out", "bytes_out", "spam", "virus", "bounces",
            "logins_imap", "logins_pop3", "logins_smtp", "logins_web")


def pop_sizes(node, user):
    """The sizes of the messages in `user`'s mailbox, as POP3 LIST gives them (one login)."""
    p = poplib.POP3(node.host, node.pop3_port, timeout=10)
    try:
        p.user(user)
        p.pass_(PASSWORD)
        _, lines, _ = p.list()
        return [int(line.split()[1]) for line in lines]
    finally:
        p.quit()


def imap_login(node, user):
    m = imaplib.IMAP4(node.host, node.imap_port, timeout=10)
    try:
        m.login(user, PASSWORD)
    finally:
        m.logout()


def counts(view):
    return {k: view["totals"][k] for k in COUNTERS}


def expect(**given):
    return {k: given.get(k, 0) for k in COUNTERS}


def test_statistics_count_known_traffic_exactly(mailnet, tmp_path):
    sink = mailnet.sink("127.0.0.2", domains=["c.test"],
                        replies={GONE: "550 5.1.1 <gone@c.test>: no such user"})
    a = mailnet.heron("a", "127.0.0.1", users=[ALICE, BOB], start=False, settings={
        "stats.flush_interval": "1",
        # Judge mail from this machine too, and call a message with X-Stats-Test spam.
        "filter.skip_networks": "",
        "filter.header_rules": "X-Stats-Test 6 *",
        "spool.retry_schedule": "1h",
    })
    a.cli("domain", "add", "z.test")
    a.add_user(CAROL, PASSWORD)
    a.start()
    wait_for_api(a)
    admin = logged_in_admin(a)  # one web login (the server's: the administrator is no user)

    # From another server: one copy each for alice and bob, one (spam) for carol.
    assert send_mx(a, "ext@remote.test", [ALICE, BOB], make_message("hello", "ext@remote.test")) == {}
    spam = make_message("offer", "ext@remote.test", extra=("X-Stats-Test: yes",))
    assert send_mx(a, "ext@remote.test", [CAROL], spam) == {}
    # Submitted by alice (two SMTP logins): two remote recipients reached, one refused (a
    # bounce into alice's mailbox), and one local copy for bob.
    submit(a, ["ok1@c.test", "ok2@c.test", GONE], make_message("out", ALICE), ALICE)
    submit(a, [BOB], make_message("local", ALICE), ALICE)
    # A message from the administrator into carol's INBOX is a delivery too.
    r = admin.post("/messages", {"to": "user", "user": CAROL, "subject": "Notice",
                                 "body": "Maintenance tonight."})
    assert r.status_code == 200 and r.json() == {"delivered": 1}, r.text
    delivered = sink.wait(1)
    wait_spool_empty(a, timeout=30)
    bytes_out = sum(len(d.content) * len(d.rcpt_tos) for d in sink.messages())
    assert sum(len(d.rcpt_tos) for d in sink.messages()) == 2, delivered

    # One POP3 login each (the sizes of what they hold), two IMAP logins for alice.
    # (The bounce is in alice's mailbox before its spool entry goes.)
    alice_sizes = pop_sizes(a, ALICE)
    bob_sizes, carol_sizes = pop_sizes(a, BOB), pop_sizes(a, CAROL)
    assert (len(alice_sizes), len(bob_sizes), len(carol_sizes)) == (2, 2, 2)
    imap_login(a, ALICE)
    imap_login(a, ALICE)

    want_alice = expect(messages_in=2, bytes_in=sum(alice_sizes), messages_out=2,
                        bytes_out=bytes_out, bounces=1, logins_smtp=2, logins_pop3=1,
                        logins_imap=2)
    want_bob = expect(messages_in=2, bytes_in=sum(bob_sizes), logins_pop3=1)
    want_carol = expect(messages_in=2, bytes_in=sum(carol_sizes), spam=1, logins_pop3=1)
    want_a = {k: want_alice[k] + want_bob[k] for k in COUNTERS}
    want_server = {k: want_a[k] + want_carol[k] for k in COUNTERS}
    want_server["logins_web"] = 1

    # Counts reach the store at the next flush (every second here).
    def server_counts():
        r = admin.get("/stats?bucket=hour")
        assert r.status_code == 200, r.text
        return counts(r.json()) == want_server and r.json()
    server = eventually(server_counts, 15, what="the server's statistics")
    assert server["scope"] == "server" and server["bucket"] == "hour"
    assert len(server["series"]) == 48
    assert sum(p["counts"]["messages_in"] for p in server["series"]) == 6
    assert server["totals"]["logins"] == 2 + 3 + 2 + 1
    by_day = admin.get("/stats").json()
    assert counts(by_day) == want_server and by_day["bucket"] == "day"

    for path, want in (("/domains/a.test/stats", want_a), ("/domains/z.test/stats", want_carol),
                       (f"/users/{ALICE}/stats", want_alice), (f"/users/{BOB}/stats", want_bob),
                       (f"/users/{CAROL}/stats", want_carol)):
        r = admin.get(path + "?bucket=hour")
        assert r.status_code == 200, (path, r.text)
        assert counts(r.json()) == want, (path, counts(r.json()), want)
    # Disk use is the domain's live usage (messages and folders), as the domain shows it.
    disk = admin.get("/domains/a.test/stats").json()["disk_used_bytes"]
    assert disk == admin.get("/domains/a.test").json()["disk_used_bytes"]
    assert disk >= sum(alice_sizes) + sum(bob_sizes)

    # OPS-7: bandwidth per domain for billing.
    bw = admin.get("/domains/a.test/bandwidth").json()
    assert (bw["bytes_in"], bw["bytes_out"]) == (want_a["bytes_in"], bytes_out), bw
    assert bw["bytes_total"] == want_a["bytes_in"] + bytes_out
    every = {b["domain"]: b for b in admin.get("/bandwidth").json()}
    assert set(every) == {"a.test", "z.test"}, every
    assert every["z.test"]["bytes_in"] == sum(carol_sizes)
    assert every["z.test"]["messages_out"] == 0

    # A bad period is refused with the reason.
    r = admin.get("/stats?from=2024-01-02&to=2024-01-01")
    assert r.status_code == 400 and "before" in r.json()["error"], r.text

    # A domain administrator: their own domain and its users, nothing else.
    r = admin.patch(f"/users/{BOB}", {"role": "domain-admin"})
    assert r.status_code == 200, r.text
    bob = Api(a)
    assert bob.login(BOB, PASSWORD).status_code == 200
    assert bob.get("/domains/a.test/stats").status_code == 200
    assert bob.get(f"/users/{ALICE}/stats").status_code == 200
    for path in ("/stats", "/domains/z.test/stats", f"/users/{CAROL}/stats",
                 "/domains/z.test/bandwidth"):
        assert bob.get(path).status_code == 403, path
    assert [b["domain"] for b in bob.get("/bandwidth").json()] == ["a.test"]
    # A plain user: none of it.
    carol = Api(a)
    assert carol.login(CAROL, PASSWORD).status_code == 200
    assert carol.get(f"/users/{CAROL}/stats").status_code == 403

    # The domain's page in a browser: from its tab, hourly bars with a height where there
    # were counts; then the user page's link to alice's statistics.
    out = run_ui(a, "stats-chart", "stats-chart", username=BOB, password=PASSWORD,
                 domain="a.test", user=ALICE)
    bars = out["domain"]
    messages_in = [b for b in bars if b["chart"] == "messages_in"]
    assert len(messages_in) == 48, len(messages_in)
    shown = [b for b in messages_in if b["value"] > 0]
    assert sum(b["value"] for b in shown) == want_a["messages_in"], shown
    assert shown and all(b["height"] > 0 for b in shown), shown
    assert all(b["height"] == 0 for b in messages_in if b["value"] == 0)
    assert any(b["chart"] == "bytes_out" and b["value"] == bytes_out and b["height"] > 0
               for b in bars), bars
    assert out["totals"]["Messages in"] == str(want_a["messages_in"]), out["totals"]
    user_logins = [b for b in out["user"] if b["chart"] == "logins" and b["value"] > 0]
    assert user_logins and all(b["height"] > 0 for b in user_logins), out["user"]


def test_store_copy_carries_the_statistics(tmp_path, pg_url):
    """Counts kept in the embedded store are there after `heron store copy` to PostgreSQL,
    and a node on PostgreSQL goes on adding to them."""
    import subprocess

    from admin_api import error_of  # noqa: F401
    from conftest import HERON, USER, Heron, smtp_client
    from test_store_postgres import PgHeron, dir_of

    def api_totals(node, token):
        r = Api(node, token=token).get(f"/users/{USER}/stats")
        assert r.status_code == 200, r.text
        return r.json()["totals"]

    def send(node):
        with smtp_client(node) as s:
            assert s.sendmail("x@remote.test", [USER], make_message("hi", "x@remote.test")) == {}

    src = Heron(dir_of(tmp_path / "src"))
    src.init()
    src.set("stats.flush_interval", "3600")
    src.start()
    src.add_user(USER, PASSWORD)
    send(src)
    send(src)
    # A clean stop writes the counts (the interval is far off).
    assert src.stop() == 0
    r = subprocess.run([HERON, "store", "copy", "--from", str(src.data), "--to", pg_url],
                       capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, f"stdout: {r.stdout}\nstderr: {r.stderr}"
    line = next(li for li in r.stdout.splitlines() if li.strip().startswith("stat_counts "))
    assert "MISMATCH" not in line, line

    dst = PgHeron(tmp_path / "dst", pg_url)
    dst.start()
    try:
        wait_for_api(dst)
        token = dst.cli("token", "create", "stats").stdout.strip()
        assert api_totals(dst, token)["messages_in"] == 2
        dst.set("stats.flush_interval", "1")
        send(dst)
        eventually(lambda: api_totals(dst, token)["messages_in"] == 3, 15,
                   what="the copied counts added to")
    finally:
        assert dst.stop() == 0, dst.tail()
