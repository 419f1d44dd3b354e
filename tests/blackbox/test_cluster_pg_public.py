"""Public folders on the shared PostgreSQL store: made with the CLI, a message bob appends
through node 2 reaches alice's IDLE on node 1 (the change event names the public folder,
which her session follows); and `heron store copy` carries a data directory's public
folders, their messages and rights to PostgreSQL."""

import subprocess

from conftest import HERON, OTHER, PASSWORD, USER, ImapRaw
from test_cluster_pg import cluster, setup_domain  # noqa: F401

MSG = b"From: b@example.test\r\nSubject: public\r\n\r\nhello\r\n"
NEWS = b'"Public Folders/News"'


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


def make_news(n):
    """News of example.test: anyone reads, bob also writes."""
    n.cli("public", "add", "example.test", "News")
    n.cli("public", "grant", "example.test", "News", "anyone", "lr")
    n.cli("public", "grant", "example.test", "News", OTHER, "lrswi")


def test_append_on_node_2_reaches_idle_on_node_1(cluster):  # noqa: F811
    n1, n2 = cluster.node(1), cluster.node(2)
    setup_domain(n1, users=(USER, OTHER))
    make_news(n1)
    n1.start()
    n2.start()
    reader, writer = login(n1, USER), login(n2, OTHER)
    try:
        lines = ok(reader, b"E", b"EXAMINE " + NEWS)
        assert b"* 0 EXISTS" in lines, lines
        reader.send(b"I IDLE\r\n")
        assert reader.line().startswith(b"+ ")
        append(writer, NEWS)
        assert reader.line() == b"* 1 EXISTS"
        reader.send(b"DONE\r\n")
        assert reader.until(b"I")[1].startswith(b"I OK")
        assert append_refused(reader) == (
            b"A NO [NOPERM] permission denied: appending to this mailbox")
    finally:
        reader.close()
        writer.close()


def append_refused(r):
    r.send(b"A APPEND " + NEWS + b" {%d+}\r\n" % len(MSG) + MSG + b"\r\n")
    return r.until(b"A")[1]


def test_store_copy_carries_public_folders(heron, tmp_path, pg_url):
    from test_store_postgres import PgHeron

    heron.add_user(USER, PASSWORD)
    heron.add_user(OTHER, PASSWORD)
    make_news(heron)
    heron.start()
    w = login(heron, OTHER)
    append(w, NEWS)
    w.close()
    assert heron.stop() == 0
    r = subprocess.run([HERON, "store", "copy", "--from", str(heron.data), "--to", pg_url],
                       capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, f"stdout: {r.stdout}\nstderr: {r.stderr}"
    for table in ("users", "folders", "acl"):
        line = next(li for li in r.stdout.splitlines() if li.strip().startswith(table + " "))
        assert "MISMATCH" not in line, line
    dst = PgHeron(tmp_path / "dst", pg_url)
    dst.start()
    try:
        a = login(dst, USER)
        assert ok(a, b"M", b"MYRIGHTS " + NEWS) == [b'* MYRIGHTS "Public Folders/News" lr']
        lines = ok(a, b"E", b"EXAMINE " + NEWS)
        assert b"* 1 EXISTS" in lines, lines
        a.close()
        out = dst.cli("public", "list", "example.test").stdout
        assert out.startswith("News\t1 messages") and "anyone=lr" in out, out
        users = dst.cli("user", "list", "example.test").stdout
        assert "#public" not in users, users
    finally:
        assert dst.stop() == 0
