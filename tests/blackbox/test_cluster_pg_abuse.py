"""Abuse blocks shared by the nodes of one PostgreSQL (SEC-2, SEC-7).

- A connection flood met by node 1 blocks the IP on node 2 as well, within seconds (each
  node counts in memory, the block goes through the store), and lifting it through node 2's
  API frees it on node 1.
- An account whose spam run went through node 1 is suspended on node 2 too."""

import poplib
import smtplib
import socket
import time

import requests

from conftest import PASSWORD, USER, eventually, submission
from test_cluster_pg import cluster, setup_domain  # noqa: F401

FLOODER = "127.0.0.60"


def pop_from(node, src):
    """The POP3 greeting from `node` for a client at `src`, or the refusal's text."""
    class Sourced(poplib.POP3):
        def _create_socket(self, timeout):
            return socket.create_connection((self.host, self.port), timeout,
                                            source_address=(src, 0))
    try:
        p = Sourced(node.host, node.pop3_port, timeout=15)
    except poplib.error_proto as e:
        return e.args[0].decode(errors="replace")
    welcome = p.getwelcome().decode(errors="replace")
    p.quit()
    return welcome


def refused(text):
    return "too many connections" in text.lower()


def test_a_flood_on_one_node_is_refused_by_the_other(cluster):  # noqa: F811
    n1, n2 = cluster.node(1), cluster.node(2)
    setup_domain(n1, settings={"security.dos_connections": "3", "security.dos_window": "60",
                               "security.dos_block": "600"})
    n1.start()
    n2.start()
    token = n1.cli("token", "create", "blocks").stdout.strip()
    for _ in range(3):
        assert pop_from(n1, FLOODER).startswith("+OK")
    assert refused(pop_from(n1, FLOODER))
    listed = eventually(lambda: [b for b in n2.api("/blocks", token)
                                 if b["kind"] == "dos-pop3"], 15,
                        what="node 2 lists node 1's block")
    assert [b["key"] for b in listed] == [FLOODER], listed
    # Node 2 takes the store's blocks every 2 s; its own count of this IP is 0, so a
    # refusal of the first connection comes from node 1's block.
    time.sleep(3)
    assert refused(pop_from(n2, FLOODER))
    assert pop_from(n2, "127.0.0.61").startswith("+OK")
    r = requests.delete(f"http://{n2.host}:{n2.admin_port}/api/v1/blocks/dos-pop3/{FLOODER}",
                        headers={"Authorization": f"Bearer {token}"}, timeout=15)
    assert r.status_code == 204, r.text
    eventually(lambda: pop_from(n1, FLOODER).startswith("+OK"), 15,
               what="node 1 lets the lifted IP in")


def test_a_spam_run_through_one_node_suspends_the_account_on_the_other(cluster):  # noqa: F811
    n1, n2 = cluster.node(1), cluster.node(2)
    setup_domain(n1, users=(USER, "carol@example.test"),
                 settings={"security.spammer_messages": "3", "security.spammer_suspend": "600"})
    n1.start()
    n2.start()
    body = "From: {u}\r\nTo: carol@example.test\r\nSubject: offer\r\n\r\nSame words.\r\n"
    s = submission(n1, USER, PASSWORD)
    try:
        for _ in range(3):
            s.sendmail(USER, ["carol@example.test"], body.format(u=USER))
    finally:
        s.close()
    s = submission(n2, USER, PASSWORD)
    try:
        try:
            s.sendmail(USER, ["carol@example.test"], body.format(u=USER) + "more\r\n")
            raise AssertionError("node 2 let a suspended account send")
        except smtplib.SMTPSenderRefused as e:
            assert e.smtp_code == 451 and b"suspended" in e.smtp_error, e
    finally:
        s.close()
