"""Several nodes on one PostgreSQL: each node is a `heron serve --store postgres://…` on its
own loopback address with its own data directory, all on one database.

- Mail sent over SMTP to node 1 is read over IMAP on node 2 and POP3 on node 3, and an IDLE
  session on node 2 hears of it; every node lists the three nodes alive; a setting changed
  through node 1 applies on node 3; an admin login made on node 1 changes the password through node 2 and reads its
  account on node 3.
- Two nodes APPEND to one mailbox at once: UIDs unique and increasing, nothing lost, and the
  IDLE sessions on both nodes hear of every message.
- A POP3 maildrop open on one node is "in use" on the others.
- Messages queued for a remote sink across three nodes with one node SIGKILLed in the middle:
  every message arrives; duplicates at most the deliveries the killed node had in flight.
- PostgreSQL stopped for a few seconds under SMTP load: 4xx while it is away, mail again once
  it is back, every acknowledged message stored.

The latency of IDLE across nodes is printed, not asserted (timing goes in bench/)."""

import imaplib
import poplib
import re
import smtplib
import threading
import time

import imapclient
import pytest
import requests

from conftest import PASSWORD, USER, eventually, smtp_client
from outbound import Mailnet, Node, wait_spool_empty

BODY = "Subject: {subject}\r\nFrom: sender@remote.test\r\nTo: {to}\r\nMessage-ID: <{mid}>\r\n\r\n{text}\r\n"


class PgNode(Node):
    """A node of the cluster: its store is the shared database; its admin API listens on its
    own address (every node has the same port offset)."""

    def __init__(self, base, url, host, offset):
        base.mkdir(parents=True, exist_ok=True)
        super().__init__(base, host=host, offset=offset)
        self.url = url

    def init(self):
        pass

    def cli(self, *args, **kw):
        return super().cli("--store", self.url, *args, **kw)

    def serve_args(self):
        args = super().serve_args()
        at = args.index("--admin-listen")
        args[at + 1] = f"{self.host}:{self.admin_port}"
        return args + ["--store", self.url]

    def api(self, path, token):
        r = requests.get(f"http://{self.host}:{self.admin_port}/api/v1{path}",
                         headers={"Authorization": f"Bearer {token}"}, timeout=15)
        assert r.status_code == 200, r.text
        return r.json()

    def imapclient(self, user=USER, password=PASSWORD):
        c = imapclient.IMAPClient(self.host, port=self.imap_port, ssl=False, timeout=30)
        c.login(user, password)
        return c


@pytest.fixture
def cluster(tmp_path, pg_url):
    """A Mailnet (test DNS, sinks) whose Heron nodes share the PostgreSQL database `pg_url`;
    `cluster.node(i)` makes node i (1..3) on 127.0.0.i, not started."""
    net = Mailnet(tmp_path)

    def node(i, settings=None):
        ip = f"127.0.0.{i}"
        net._claim(ip, f"node {i}")
        n = PgNode(tmp_path / f"node{i}", pg_url, ip, net.port - 25)
        n.name = f"node{i}"
        net.nodes.append(n)
        return n

    net.node = node
    try:
        yield net
    finally:
        net.close()


def setup_domain(n, users=(USER,), settings=None):
    """Through node `n`'s CLI (the settings are shared by every node)."""
    n.cli("domain", "add", "example.test")
    for u in users:
        n.cli("user", "add", u, "--password", PASSWORD)
    for key, value in (settings or {}).items():
        n.cli("settings", "set", key, value)


def message(i, to=USER, subject=None):
    return BODY.format(subject=subject or f"note {i}", to=to, mid=f"m{i}@remote.test",
                       text=f"message {i}").encode()


def idle_until(c, wanted, timeout):
    """Idle on `c` until an EXISTS of at least `wanted` arrives; the EXISTS numbers seen."""
    seen = []
    deadline = time.monotonic() + timeout
    c.idle()
    try:
        while time.monotonic() < deadline:
            for item in c.idle_check(timeout=max(0.1, deadline - time.monotonic())):
                if len(item) > 1 and item[1] == b"EXISTS":
                    seen.append(item[0])
            if seen and max(seen) >= wanted:
                break
    finally:
        c.idle_done()
    return seen


def test_mail_to_one_node_is_read_on_the_others(cluster):
    nodes = [cluster.node(i) for i in (1, 2, 3)]
    setup_domain(nodes[0])
    for n in nodes:
        n.start()
    token = nodes[0].cli("token", "create", "cluster").stdout.strip()

    def three_alive():
        listed = nodes[1].api("/nodes", token)
        assert len(listed) == 3 and all(x["alive"] for x in listed), listed
        assert sum(x["this_node"] for x in listed) == 1, listed
        return True
    eventually(three_alive, 15, what="three nodes alive")

    # A login made on node 1 is known on node 2 (sessions live in the store).
    r = requests.post(f"http://{nodes[0].host}:{nodes[0].admin_port}/api/v1/session",
                      json={"username": "admin", "password": "admin"}, timeout=15)
    assert r.status_code == 200, r.text
    cookie = r.headers["Set-Cookie"].split(";", 1)[0]
    changed = requests.post(
        f"http://{nodes[1].host}:{nodes[1].admin_port}/api/v1/password",
        json={"current": "admin", "new": "Cluster4Keeper"},
        headers={"Cookie": cookie, "X-CSRF-Token": r.json()["csrf_token"]}, timeout=15)
    assert changed.status_code == 204, changed.text
    me = requests.get(f"http://{nodes[2].host}:{nodes[2].admin_port}/api/v1/me",
                      headers={"Cookie": cookie}, timeout=15)
    assert me.status_code == 200 and me.json()["username"] == "admin", me.text

    # A setting changed through node 1 applies on node 3.
    nodes[0].cli("settings", "set", "pop.banner", "Shared cluster banner")

    def banner_on_node_3():
        p = poplib.POP3(nodes[2].host, nodes[2].pop3_port, timeout=15)
        try:
            assert b"Shared cluster banner" in p.getwelcome(), p.getwelcome()
            return True
        finally:
            p.quit()
    eventually(banner_on_node_3, 15, what="node 3 greets with the banner set on node 1")

    watcher = nodes[1].imapclient()
    watcher.select_folder("INBOX")
    sent_at = {}

    def send():
        time.sleep(0.5)
        with smtp_client(nodes[0]) as s:
            sent_at["t"] = time.monotonic()
            s.sendmail("sender@remote.test", [USER], message(1))

    t = threading.Thread(target=send)
    t.start()
    seen = idle_until(watcher, 1, 20)
    heard_at = time.monotonic()
    t.join(30)
    watcher.logout()
    assert seen and max(seen) == 1, seen
    print(f"IDLE on node 2 heard of the delivery to node 1 after "
          f"{heard_at - sent_at['t']:.3f} s")

    m = imaplib.IMAP4(nodes[1].host, nodes[1].imap_port, timeout=30)
    m.login(USER, PASSWORD)
    m.select("INBOX", readonly=True)
    typ, data = m.fetch("1", "(BODY.PEEK[TEXT])")
    assert typ == "OK" and b"message 1" in data[0][1], data
    m.logout()

    p = poplib.POP3(nodes[2].host, nodes[2].pop3_port, timeout=30)
    p.user(USER)
    p.pass_(PASSWORD)
    count, _ = p.stat()
    assert count == 1
    assert b"message 1" in b"\r\n".join(p.retr(1)[1])
    # The maildrop is open on node 3: node 1 refuses it as in use.
    q = poplib.POP3(nodes[0].host, nodes[0].pop3_port, timeout=30)
    q.user(USER)
    with pytest.raises(poplib.error_proto, match="IN-USE"):
        q.pass_(PASSWORD)
    q.quit()
    p.quit()

    def free_again():
        r = poplib.POP3(nodes[0].host, nodes[0].pop3_port, timeout=30)
        try:
            r.user(USER)
            r.pass_(PASSWORD)
            return True
        finally:
            r.quit()
    eventually(free_again, 10, what="maildrop free once node 3's session ended")


def test_two_nodes_append_to_one_mailbox(cluster):
    a, b = cluster.node(1), cluster.node(2)
    setup_domain(a)
    a.start()
    b.start()
    per_node = 500
    watchers = [a.imapclient(), b.imapclient()]
    for w in watchers:
        w.select_folder("INBOX")
    uids = {a.name: [], b.name: []}
    errors = []

    def append(node):
        try:
            m = imaplib.IMAP4(node.host, node.imap_port, timeout=60)
            m.login(USER, PASSWORD)
            for i in range(per_node):
                typ, data = m.append("INBOX", None, None,
                                     message(i, subject=f"{node.name} {i}"))
                assert typ == "OK", data
                code = re.search(rb"APPENDUID \d+ (\d+)", data[0])
                assert code, data
                uids[node.name].append(int(code.group(1)))
            m.logout()
        except Exception as e:  # reported below
            errors.append(f"{node.name}: {e!r}")

    heard = [[], []]

    def watch(k):
        heard[k] = idle_until(watchers[k], 2 * per_node, 180)

    started = time.monotonic()
    threads = [threading.Thread(target=append, args=(n,)) for n in (a, b)]
    threads += [threading.Thread(target=watch, args=(k,)) for k in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(200)
    print(f"{2 * per_node} APPENDs from two nodes heard by both IDLE sessions in "
          f"{time.monotonic() - started:.1f} s")
    assert not errors, errors
    for name, got in uids.items():
        assert got == sorted(got) and len(set(got)) == per_node, f"{name}: not increasing"
    every = uids[a.name] + uids[b.name]
    assert len(set(every)) == 2 * per_node, "a UID was handed out twice"
    for w, h in zip(watchers, heard):
        assert h and max(h) == 2 * per_node, h[-5:]
        w.logout()
    m = imaplib.IMAP4(b.host, b.imap_port, timeout=30)
    m.login(USER, PASSWORD)
    typ, data = m.select("INBOX", readonly=True)
    assert int(data[0]) == 2 * per_node
    typ, data = m.uid("SEARCH", "ALL")
    assert sorted(int(x) for x in data[0].split()) == sorted(every)
    m.logout()


QUEUED = 2000
WORKERS = 10


def test_a_killed_nodes_deliveries_are_taken_over(cluster):
    sink = cluster.sink("127.0.0.4", domains=["c.test"], delay=0.01)
    nodes = [cluster.node(i) for i in (1, 2, 3)]
    setup_domain(nodes[0], settings={
        "dns.servers": cluster.dns.address,
        "smtp_out.dns_cache": "false",
        "smtp_out.port": str(cluster.port),
        "spool.delivery_delay": "0",
        "spool.retry_schedule": ", ".join(["1s"] * 30),
        "spool.enabled": "false",
        "smtp_out.delivery_workers": str(WORKERS),
    })
    for n in nodes:
        n.start()

    errors = []

    def send(k):
        node = nodes[k % 3]
        try:
            with smtp_client(node, login=(USER, PASSWORD), timeout=60) as s:
                for i in range(k, QUEUED, 6):
                    body = (f"From: {USER}\r\nTo: r@c.test\r\nSubject: {i}\r\n"
                            f"Message-ID: <q{i}@example.test>\r\n\r\nqueued {i}\r\n")
                    assert s.sendmail(USER, ["r@c.test"], body) == {}
        except (smtplib.SMTPException, OSError, AssertionError) as e:
            errors.append(repr(e))

    threads = [threading.Thread(target=send, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert not errors, errors[:5]

    nodes[0].cli("settings", "set", "spool.enabled", "true")
    sink.wait(QUEUED // 4, 120, what="a quarter delivered")
    nodes[1].kill()
    at_kill = len(sink.messages())
    expected = {f"<q{i}@example.test>" for i in range(QUEUED)}

    def all_arrived():
        ids = {d.message_id for d in sink.messages()}
        missing = expected - ids
        assert not missing, f"{len(missing)} missing, e.g. {sorted(missing)[:5]}"
        return True

    # The killed node's leases are free once it has been silent for 30 s.
    eventually(all_arrived, 240, interval=1, what="every message at the sink")
    wait_spool_empty(nodes[0], timeout=60)
    ids = [d.message_id for d in sink.messages()]
    duplicates = len(ids) - len(set(ids))
    print(f"delivered before the kill: {at_kill}, transactions: {len(ids)}, "
          f"duplicates: {duplicates}")
    assert set(ids) == expected
    # Only the deliveries the killed node had in flight may repeat.
    assert duplicates <= WORKERS, duplicates


def test_postgres_restarted_under_load(cluster, pg_cluster):
    """PostgreSQL stopped for a few seconds under SMTP load: the node answers 4xx while the
    store is away (never 250 for a message not committed), takes mail again once it is back,
    and every message it acknowledged is in the mailbox."""
    if pg_cluster.pg_ctl is None:
        pytest.skip("the server HERON_TEST_PG names is never stopped by the tests")
    node = cluster.node(1)
    setup_domain(node)
    node.start()
    acked, refused, unexpected = [], [], []
    stop = threading.Event()
    lock = threading.Lock()

    def send(k):
        for i in range(k, 100_000, 3):
            if stop.is_set():
                return
            try:
                with smtp_client(node, timeout=30) as s:
                    s.sendmail("sender@remote.test", [USER], message(i, subject=f"load {i}"))
                with lock:
                    acked.append((i, time.monotonic()))
            except smtplib.SMTPResponseException as e:
                with lock:
                    (refused if 400 <= e.smtp_code < 500 else unexpected).append(
                        (i, e.smtp_code, e.smtp_error))
                time.sleep(0.05)
            except smtplib.SMTPRecipientsRefused as e:
                codes = [c for c, _ in e.recipients.values()]
                with lock:
                    (refused if all(400 <= c < 500 for c in codes) else unexpected).append(
                        (i, codes))
                time.sleep(0.05)
            except (smtplib.SMTPServerDisconnected, OSError) as e:
                with lock:
                    refused.append((i, repr(e)))
                time.sleep(0.05)

    threads = [threading.Thread(target=send, args=(k,)) for k in range(3)]
    for t in threads:
        t.start()
    eventually(lambda: len(acked) >= 20, 60, what="mail flowing before the stop")
    pg_cluster.stop()
    down_at = time.monotonic()
    time.sleep(4)
    pg_cluster.start()
    up_at = time.monotonic()
    eventually(lambda: any(t > up_at for _, t in acked), 60,
               what="mail accepted again after the restart")
    stop.set()
    for t in threads:
        t.join(60)
    assert not unexpected, unexpected[:5]
    assert refused, "no message was tried while the store was away"
    print(f"acknowledged {len(acked)}, refused with 4xx or cut {len(refused)} "
          f"(store away for {up_at - down_at:.1f} s)")
    m = imaplib.IMAP4(node.host, node.imap_port, timeout=60)
    m.login(USER, PASSWORD)
    m.select("INBOX", readonly=True)
    typ, parts = m.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    assert typ == "OK", parts
    stored = {p[1].decode().split("load ", 1)[1].strip()
              for p in parts if isinstance(p, tuple)}
    m.logout()
    missing = {str(i) for i, _ in acked} - stored
    assert not missing, f"acknowledged but not stored: {sorted(missing)[:10]}"
