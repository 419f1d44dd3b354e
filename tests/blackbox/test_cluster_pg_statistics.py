"""Statistics (OPS-3) of two nodes on one PostgreSQL: each node counts its own traffic in
memory and adds it to the shared rows, so the API of either node reports the sum; a node
stopped cleanly writes the counts it still holds, whatever `stats.flush_interval` says."""

import poplib
import time
import uuid

from conftest import PASSWORD, USER, eventually, smtp_client
from test_cluster_pg import cluster, setup_domain  # noqa: F401


def message(n):
    return (f"Subject: stats {n}\r\nFrom: sender@remote.test\r\nTo: {USER}\r\n"
            f"Message-ID: <{uuid.uuid4().hex}@remote.test>\r\n\r\nHello {n}.\r\n").encode()


def send(node, n):
    with smtp_client(node) as s:
        assert s.sendmail("sender@remote.test", [USER], message(n)) == {}


def pop_login(node):
    p = poplib.POP3(node.host, node.pop3_port, timeout=15)
    try:
        p.user(USER)
        p.pass_(PASSWORD)
        return p.stat()[0]
    finally:
        p.quit()


def totals(node, token, path):
    return node.api(path + "?bucket=hour", token)["totals"]


def test_two_nodes_add_up_and_a_clean_stop_writes_what_is_left(cluster):  # noqa: F811
    n1, n2 = cluster.node(1), cluster.node(2)
    setup_domain(n1, settings={"stats.flush_interval": "1"})
    n1.start()
    n2.start()
    token = n1.cli("token", "create", "stats").stdout.strip()

    send(n1, 1)
    send(n1, 2)
    send(n2, 3)
    assert pop_login(n1) == 3
    pop_login(n2)
    pop_login(n2)

    def added_up(node):
        def check():
            s = totals(node, token, "/stats")
            d = totals(node, token, "/domains/example.test/stats")
            u = totals(node, token, f"/users/{USER}/stats")
            for t in (s, d, u):
                assert (t["messages_in"], t["logins_pop3"]) == (3, 3), t
            assert s["bytes_in"] == d["bytes_in"] == u["bytes_in"] > 0
            return True
        return check
    eventually(added_up(n1), 15, what="node 1 reports both nodes' counts")
    eventually(added_up(n2), 15, what="node 2 reports both nodes' counts")

    # Counts written only at a clean stop: an interval far longer than the test.
    n1.cli("settings", "set", "stats.flush_interval", "3600")
    eventually(lambda: n2.api("/settings/stats.flush_interval", token)["value"] == "3600", 10,
               what="the new interval")
    # Wait out a flush already due under the old interval, then count one more message.
    time.sleep(2.5)
    send(n2, 4)
    time.sleep(2)
    assert totals(n1, token, "/stats")["messages_in"] == 3
    assert n2.stop() == 0
    assert totals(n1, token, "/stats")["messages_in"] == 4
    assert totals(n1, token, f"/users/{USER}/stats")["messages_in"] == 4
