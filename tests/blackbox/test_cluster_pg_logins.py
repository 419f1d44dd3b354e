"""Logins remembered by one node while another changes the account, on one PostgreSQL.

A node remembers a password that passed its check (`security.login_cache_seconds`), bound
to the credentials stored at the time, which it reads from the database at every login. So:

- a password changed through node 1's admin API is refused by node 2 at its very next login
  (no waiting for a notification), and the new one accepted;
- a user disabled through node 1 is refused by node 2 at once, and accepted once enabled."""

import imaplib
import poplib

import requests

from conftest import PASSWORD, USER, drop
from test_cluster_pg import cluster, setup_domain  # noqa: F401

NEW_PASSWORD = "Changed456y"


def imap_ok(node, password):
    m = imaplib.IMAP4(node.host, node.imap_port, timeout=15)
    try:
        m.login(USER, password)
    except imaplib.IMAP4.error:
        return False
    finally:
        drop(m)
    return True


def pop_ok(node, password):
    p = poplib.POP3(node.host, node.pop3_port, timeout=15)
    try:
        p.user(USER)
        p.pass_(password)
    except poplib.error_proto as e:
        assert b"IN-USE" not in e.args[0], e.args[0]
        return False
    finally:
        drop(p)
    return True


def patch_user(node, token, **fields):
    r = requests.patch(f"http://{node.host}:{node.admin_port}/api/v1/users/{USER}",
                       json=fields, headers={"Authorization": f"Bearer {token}"}, timeout=15)
    assert r.status_code == 200, r.text


def test_account_changes_through_one_node_apply_at_the_next_login_on_another(cluster):  # noqa: F811
    n1, n2 = cluster.node(1), cluster.node(2)
    setup_domain(n1)
    n1.start()
    n2.start()
    token = n1.cli("token", "create", "logins").stdout.strip()
    for _ in range(2):
        assert imap_ok(n2, PASSWORD) and pop_ok(n2, PASSWORD)
    assert not imap_ok(n2, "Wrong999z") and not pop_ok(n2, "Wrong999z")

    patch_user(n1, token, password=NEW_PASSWORD)
    assert not imap_ok(n2, PASSWORD), "node 2 took the old password"
    assert not pop_ok(n2, PASSWORD), "node 2 took the old password"
    for _ in range(2):
        assert imap_ok(n2, NEW_PASSWORD) and pop_ok(n2, NEW_PASSWORD)

    patch_user(n1, token, disabled=True)
    assert not imap_ok(n2, NEW_PASSWORD) and not pop_ok(n2, NEW_PASSWORD)
    patch_user(n1, token, disabled=False)
    assert imap_ok(n2, NEW_PASSWORD) and pop_ok(n2, NEW_PASSWORD)
