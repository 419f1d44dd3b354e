"""A folder shared between two users, each on another node of one PostgreSQL store: the
grantee's IDLE on node 2 reports the mail its owner appends on node 1 (the change event
crosses nodes through LISTEN/NOTIFY and names the owner's folder, which the grantee's
session follows)."""

from conftest import OTHER, PASSWORD, USER, ImapRaw
from test_cluster_pg import cluster, setup_domain  # noqa: F401

MSG = b"From: a@example.test\r\nSubject: shared\r\n\r\nhello\r\n"


def login(node, user):
    r = ImapRaw(node.imap_port, host=node.host, timeout=30)
    r.greet()
    r.login(user, PASSWORD)
    return r


def ok(r, tag, text):
    lines, done = r.cmd(tag, text)
    assert done.startswith(tag + b" OK"), (text, done)
    return lines


def append(r, mailbox):
    r.send(b"A APPEND " + mailbox + b" {%d+}\r\n" % len(MSG) + MSG + b"\r\n")
    _, done = r.until(b"A")
    assert done.startswith(b"A OK [APPENDUID "), done


def test_idle_on_node_2_sees_the_owners_append_on_node_1(cluster):  # noqa: F811
    n1, n2 = cluster.node(1), cluster.node(2)
    setup_domain(n1, users=(USER, OTHER))
    n1.start()
    n2.start()
    owner, grantee = login(n1, USER), login(n2, OTHER)
    try:
        ok(owner, b"C", b"CREATE Team")
        ok(owner, b"S", b"SETACL Team bob@example.test lr")
        append(owner, b"Team")
        lines = ok(grantee, b"E", b'EXAMINE "Other Users/alice/Team"')
        assert b"* 1 EXISTS" in lines, lines
        grantee.send(b"I IDLE\r\n")
        assert grantee.line().startswith(b"+ ")
        append(owner, b"Team")
        assert grantee.line() == b"* 2 EXISTS"
        grantee.send(b"DONE\r\n")
        assert grantee.until(b"I")[1].startswith(b"I OK")
    finally:
        owner.close()
        grantee.close()
