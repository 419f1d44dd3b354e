"""Per-node state of several nodes on one PostgreSQL (nodes as in test_cluster_pg.py):

- IMAP stopped on node 2 alone, through node 1's admin API: node 2 no longer accepts IMAP
  connections (a session it already had goes on) while node 1 still serves; both list the
  stop; the stop outlives node 2's restart (clean or SIGKILL: the node keeps its id); started
  again on node 2, it serves again. The cluster-wide switch still stops and
  starts it on every node. An unknown node is 404.
- Failed admin logins counted on node 1 block the same client address on node 2 (the
  failures live in the store), whatever the credentials.

How long a node takes to follow a stop is printed, not asserted (timing goes in bench/)."""

import imaplib
import socket
import time

import requests

from conftest import PASSWORD, USER, eventually
from test_cluster_pg import cluster, setup_domain  # noqa: F401


def call(node, method, path, token=None, **kw):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.request(method, f"http://{node.host}:{node.admin_port}/api/v1{path}",
                            headers=headers, timeout=15, **kw)


def imap_refuses(node):
    try:
        socket.create_connection((node.host, node.imap_port), timeout=2).close()
    except ConnectionRefusedError:
        return True
    return False


def imap_serves(node):
    """A fresh IMAP connection to `node` logs in and selects INBOX."""
    m = imaplib.IMAP4(node.host, node.imap_port, timeout=10)
    try:
        m.login(USER, PASSWORD)
        typ, _ = m.select("INBOX")
        return typ == "OK"
    finally:
        try:
            m.logout()
        except (imaplib.IMAP4.error, OSError):
            pass


def own_id(node, token):
    """The id `node` has among the nodes (the one it calls this_node)."""
    r = call(node, "GET", "/nodes", token)
    assert r.status_code == 200, r.text
    return next(n["id"] for n in r.json() if n["this_node"])


def timed(what, check, timeout=10):
    start = time.monotonic()
    eventually(check, timeout, interval=0.05, what=what)
    print(f"{what}: {time.monotonic() - start:.2f}s")


def test_imap_stopped_on_one_node_alone(cluster):  # noqa: F811
    nodes = [cluster.node(i) for i in (1, 2)]
    setup_domain(nodes[0])
    for n in nodes:
        n.start()
    token = nodes[0].cli("token", "create", "ops").stdout.strip()
    eventually(lambda: len(call(nodes[0], "GET", "/nodes", token).json()) == 2, 15,
               what="two nodes listed")
    first, second = own_id(nodes[0], token), own_id(nodes[1], token)
    assert first != second
    for n in nodes:
        eventually(lambda: imap_serves(n), 10, what=f"IMAP on {n.host}")
    # A session node 2 already has is not cut by the stop.
    live = imaplib.IMAP4(nodes[1].host, nodes[1].imap_port, timeout=10)
    live.login(USER, PASSWORD)

    # Stopped on node 2 through node 1's API.
    r = call(nodes[0], "POST", f"/services/imap/stop?node={second}", token)
    assert r.status_code == 200, r.text
    v = r.json()
    assert (v["name"], v["running"], v["switched_on"], v["node"], v["stopped_on"]) == \
        ("imap", False, True, second, [second]), v
    timed("node 2 stops listening for IMAP", lambda: imap_refuses(nodes[1]))
    assert imap_serves(nodes[0]), "node 1 still serves IMAP"
    assert live.select("INBOX")[0] == "OK" and live.noop()[0] == "OK"
    live.logout()
    # Both nodes list the stop; the cluster's switch is untouched.
    for n in nodes:
        listed = {x["id"]: x for x in call(n, "GET", "/nodes", token).json()}
        assert listed[second]["stopped_services"] == ["imap"], listed
        assert listed[first]["stopped_services"] == [], listed
        on2 = {s["name"]: s for s in call(n, "GET", f"/services?node={second}", token).json()}
        assert on2["imap"]["running"] is False and on2["pop3"]["running"] is True, on2
        on1 = {s["name"]: s for s in call(n, "GET", f"/services?node={first}", token).json()}
        assert on1["imap"]["running"] is True, on1
        whole = {s["name"]: s for s in call(n, "GET", "/services", token).json()}
        assert whole["imap"]["running"] is True and whole["imap"]["stopped_on"] == [second]
    assert nodes[0].cli("settings", "get", "imap.enabled").stdout.strip() == "true"
    # Other services of node 2 go on: POP3 there still answers.
    with socket.create_connection((nodes[1].host, nodes[1].pop3_port), timeout=5) as s:
        assert s.recv(100).startswith(b"+OK")

    # The stop outlives a restart of node 2 (clean stop, then SIGKILL): the node comes back
    # under its lasting id, still without IMAP.
    nodes[1].stop()
    assert call(nodes[0], "GET", f"/services?node={second}", token).status_code == 200
    nodes[1].start()
    assert own_id(nodes[1], token) == second
    time.sleep(1)
    assert imap_refuses(nodes[1]), "IMAP came back on node 2 after a restart"
    nodes[1].kill()
    nodes[1].start()
    assert own_id(nodes[1], token) == second
    time.sleep(1)
    assert imap_refuses(nodes[1]), "IMAP came back on node 2 after a SIGKILL"
    listed = {x["id"]: x for x in call(nodes[0], "GET", "/nodes", token).json()}
    assert len(listed) == 2 and listed[second]["stopped_services"] == ["imap"], listed

    # Started again on node 2 (through node 2 itself this time).
    r = call(nodes[1], "POST", f"/services/imap/start?node={second}", token)
    assert r.status_code == 200 and r.json()["running"] is True, r.text
    timed("node 2 serves IMAP again", lambda: imap_serves(nodes[1]))
    assert all(x["stopped_services"] == [] for x in call(nodes[0], "GET", "/nodes", token).json())

    # Unknown nodes are 404, for the list as for a change.
    for method, path in [("GET", "/services?node=nope"),
                         ("POST", "/services/imap/stop?node=nope"),
                         ("POST", "/services/imap/start?node=nope")]:
        r = call(nodes[0], method, path, token)
        assert r.status_code == 404 and "nope" in r.json()["error"], (path, r.text)
    assert imap_serves(nodes[1])

    # The cluster-wide switch still stops and starts it on every node.
    r = call(nodes[1], "POST", "/services/imap/stop", token)
    assert r.status_code == 200 and r.json()["running"] is False, r.text
    for n in nodes:
        timed(f"{n.host} stops IMAP with the cluster", lambda: imap_refuses(n))
    r = call(nodes[0], "POST", "/services/imap/start", token)
    assert r.status_code == 200 and r.json()["running"] is True, r.text
    for n in nodes:
        timed(f"{n.host} serves IMAP with the cluster", lambda: imap_serves(n))


def test_failed_logins_on_one_node_block_on_another(cluster):  # noqa: F811
    nodes = [cluster.node(i) for i in (1, 2)]
    setup_domain(nodes[0])
    for n in nodes:
        n.start()

    def login(node, password):
        return call(node, "POST", "/session", json={"username": "admin", "password": password})

    for _ in range(5):
        r = login(nodes[0], "wrong")
        assert r.status_code == 401, r.text
    # The sixth attempt, on the other node, with the right password: blocked.
    r = login(nodes[1], "admin")
    assert r.status_code == 429, r.text
    assert "too many" in r.json()["error"] and int(r.headers["Retry-After"]) > 800, r.headers
    r = login(nodes[0], "admin")
    assert r.status_code == 429, r.text
    # Another address is not blocked (the nodes listen on 127.0.0.1 and 127.0.0.2; a
    # client bound to 127.0.0.3 is another address to them).
    s = requests.Session()
    s.mount("http://", SourceAddressAdapter("127.0.0.3"))
    r = s.post(f"http://{nodes[1].host}:{nodes[1].admin_port}/api/v1/session",
               json={"username": "admin", "password": "admin"}, timeout=15)
    assert r.status_code == 200, r.text


class SourceAddressAdapter(requests.adapters.HTTPAdapter):
    """Connections from a chosen local address."""

    def __init__(self, source, **kw):
        self.source = source
        super().__init__(**kw)

    def init_poolmanager(self, *args, **kw):
        kw["source_address"] = (self.source, 0)
        super().init_poolmanager(*args, **kw)
