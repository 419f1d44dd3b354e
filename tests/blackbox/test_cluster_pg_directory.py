"""Domains seen by several nodes on one PostgreSQL. A node keeps the domains it looked up
(every SMTP sender and recipient asks for one) until a directory change is published; a
change made through another node, or the CLI, reaches it by the database's notifications.

- A domain disabled through node 1 is refused by node 2, which had accepted mail for it.
- A domain added through node 1 is accepted by node 2, which had refused it as unknown.

How long node 2 took to follow is printed, not asserted (timing goes in bench/)."""

import time

from conftest import USER, eventually, smtp_client
from test_cluster_pg import cluster, setup_domain  # noqa: F401


def rcpt(node, address):
    """The reply code to RCPT TO `address` on `node`'s SMTP listener."""
    s = smtp_client(node)
    try:
        s.mail("sender@remote.test")
        code, _ = s.rcpt(address)
        return code
    finally:
        s.close()


def follow(what, check, timeout=10):
    t0 = time.monotonic()
    eventually(check, timeout=timeout, what=what)
    print(f"{what}: followed after {time.monotonic() - t0:.2f} s")


def test_domain_changes_through_one_node_reach_the_other(cluster):  # noqa: F811
    n1, n2 = cluster.node(1), cluster.node(2)
    setup_domain(n1)
    n1.start()
    n2.start()
    # Node 2 looks both domains up now (and keeps what it found).
    for _ in range(3):
        assert rcpt(n2, USER) == 250
        assert rcpt(n2, "someone@later.test") >= 500

    n1.cli("domain", "set", "example.test", "--disabled", "true")
    follow("disabled domain refused by node 2", lambda: rcpt(n2, USER) >= 500)
    n1.cli("domain", "set", "example.test", "--disabled", "false")
    follow("enabled domain accepted by node 2", lambda: rcpt(n2, USER) == 250)

    n1.cli("domain", "add", "later.test")
    n1.cli("user", "add", "someone@later.test", "--password", "Later-pass-1234")
    follow("added domain accepted by node 2", lambda: rcpt(n2, "someone@later.test") == 250)
