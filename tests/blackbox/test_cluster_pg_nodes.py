"""Per-node state of several nodes on one PostgreSQL (nodes as in test_cluster_pg.py):

- Failed admin logins counted on node 1 block the same client address on node 2 (the
  failures live in the store), whatever the credentials."""

import requests

from test_cluster_pg import cluster, setup_domain  # noqa: F401


def call(node, method, path, token=None, **kw):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.request(method, f"http://{node.host}:{node.admin_port}/api/v1{path}",
                            headers=headers, timeout=15, **kw)


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
