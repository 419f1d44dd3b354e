"""Heron on the shared PostgreSQL store: `heron serve --store postgres://…` with the CLI
pointed at the same database, `heron migrate`, and `heron store copy` of a data directory
holding 10,000 messages into an empty database, after which a node on PostgreSQL serves
what the old one held.

PostgreSQL is a private cluster on a free 127.0.0.1 port made from Debian's packages
(installed when missing), or the server HERON_TEST_PG names (postgres://USER@HOST:PORT/DB of
a role that may create databases); every test gets a database of its own. The 10,000-message
copy runs in CI like every other test here; it takes well under two minutes."""

import json
import os
import subprocess
import threading
import time

import pytest

from conftest import (HERON, OTHER, OTHER_PASSWORD, PASSWORD, USER, Heron, eventually,
                      imap_client, make_messages, smtp_client, submission, write_mbox)
from pgcluster import free_tcp_port

def dir_of(path):
    path.mkdir(parents=True, exist_ok=True)
    return path


class PgHeron(Heron):
    """A node whose store is the PostgreSQL database at `url`: every CLI command and the
    server get `--store URL`; the data directory holds only the node's own files."""

    def __init__(self, base, url, **kw):
        base.mkdir(parents=True, exist_ok=True)
        super().__init__(base, **kw)
        self.url = url

    def init(self):
        pass

    def cli(self, *args, **kw):
        return super().cli("--store", self.url, *args, **kw)

    def serve_args(self):
        return super().serve_args() + ["--store", self.url]


@pytest.fixture
def pg_node(tmp_path, pg_url):
    node = PgHeron(tmp_path / "node", pg_url)
    yield node
    if node.proc is not None:
        assert node.stop() == 0, node.tail()


def imap_state(node, user=USER, password=PASSWORD, folder="INBOX"):
    """(EXISTS, UIDVALIDITY, UIDNEXT, [(uid, flags)]) of a folder, read over IMAP."""
    m = imap_client(node, user=user, password=password)
    try:
        typ, data = m.select(folder)
        assert typ == "OK", data
        exists = int(data[0])
        validity = int(m.response("UIDVALIDITY")[1][0])
        uidnext = int(m.response("UIDNEXT")[1][0])
        typ, lines = m.uid("FETCH", "1:*", "(FLAGS)")
        assert typ == "OK", lines
        uids = []
        for line in lines:
            if not line:
                continue
            text = line.decode()
            uid = int(text.split("UID ", 1)[1].split()[0].rstrip(")"))
            flags = sorted(text.split("FLAGS (", 1)[1].split(")", 1)[0].split())
            uids.append((uid, flags))
        return exists, validity, uidnext, sorted(uids)
    finally:
        m.logout()


def fetch_bodies(node, uids, user=USER, password=PASSWORD):
    m = imap_client(node, user=user, password=password)
    try:
        m.select("INBOX", readonly=True)
        out = {}
        for uid in uids:
            typ, data = m.uid("FETCH", str(uid), "(BODY.PEEK[])")
            assert typ == "OK" and data and data[0], (uid, data)
            out[uid] = data[0][1]
        return out
    finally:
        m.logout()


# ---------------------------------------------------------------- serve on PostgreSQL


def test_serve_on_postgres_delivers_and_serves_imap_and_pop3(pg_node):
    node = pg_node
    node.start()
    node.cli("domain", "add", "example.test")
    node.cli("user", "add", USER, "--password", PASSWORD)
    assert "example.test" in node.cli("domain", "list").stdout
    assert "serving from postgres://" in node.output.read_text()
    assert not (node.data / "heron.db").exists(), "no embedded store beside the shared one"

    msg = b"From: x@remote.test\r\nTo: alice@example.test\r\nSubject: on postgres\r\n\r\nhi\r\n"
    s = smtp_client(node)
    try:
        assert s.sendmail("x@remote.test", [USER], msg) == {}
    finally:
        s.quit()

    def delivered():
        exists, _, _, _ = imap_state(node)
        return exists == 1
    eventually(delivered, 15, what="message in INBOX over IMAP")
    body = fetch_bodies(node, [1])[1]
    assert body.endswith(msg), body

    p = node.login()
    try:
        count, _ = p.stat()
        assert count == 1
        _, lines, _ = p.retr(1)
        assert b"Subject: on postgres" in lines
    finally:
        p.quit()


def test_unreachable_postgres_fails_at_start_without_showing_the_password(tmp_path):
    url = f"postgres://heron:Sup3rSecret@127.0.0.1:{free_tcp_port()}/heron"
    node = PgHeron(tmp_path / "node", url)
    r = subprocess.run(node.serve_args(), capture_output=True, text=True, timeout=60,
                       stdin=subprocess.DEVNULL)
    assert r.returncode != 0
    assert "Sup3rSecret" not in r.stdout + r.stderr
    assert f"postgres://heron:***@127.0.0.1:" in r.stderr, r.stderr
    assert "refused" in r.stderr.lower(), "the error says why"
    r = node.cli("domain", "list", check=False)
    assert r.returncode != 0 and "Sup3rSecret" not in r.stderr and "***" in r.stderr


# ---------------------------------------------------------------- migrate


def test_migrate_lists_pending_then_applied_migrations(tmp_path, pg_url):
    node = PgHeron(tmp_path / "node", pg_url)
    fresh = node.cli("migrate").stdout
    assert "initial schema" in fresh and "pending" in fresh, fresh
    assert "--apply" in fresh
    applied = node.cli("migrate", "--apply").stdout
    assert "initial schema" in applied and "applied 2" in applied, applied
    assert "pending" not in applied, applied
    again = node.cli("migrate").stdout
    assert "nothing to apply" in again, again

    embedded = Heron(dir_of(tmp_path / "embedded"))
    out = embedded.cli("migrate").stdout
    assert "embedded SQLite store" in out and "schema version" in out, out


# ---------------------------------------------------------------- store copy


def test_store_copy_of_10000_messages_is_served_by_a_node_on_postgres(tmp_path, pg_url):
    """The copy runs while the source server runs; afterwards a PostgreSQL node shows the same
    folders, UIDs, flags and bytes, logs in with the old passwords, delivers to the alias,
    reads back the changed setting and lists the queued message."""
    started = time.monotonic()
    src = Heron(dir_of(tmp_path / "src"))
    src.start()
    src.add_user(USER, PASSWORD)
    src.add_user(OTHER, OTHER_PASSWORD)
    src.cli("alias", "add", "team@example.test", USER)
    src.set("imap.banner", "#HostName# moved to postgres")
    src.set("spool.enabled", "false")
    msgs = make_messages(10_000, seed=7)
    src.cli("import", USER, write_mbox(tmp_path / "10k.mbox", msgs))
    # UIDs with a gap and flags that differ from the import's.
    m = imap_client(src)
    try:
        m.select("INBOX")
        assert m.uid("STORE", "1:5", "+FLAGS.SILENT", r"(\Deleted)")[0] == "OK"
        assert m.expunge()[0] == "OK"
        assert m.uid("STORE", "100:110", "+FLAGS.SILENT", r"(\Flagged $Work)")[0] == "OK"
        # Subscriptions are names of their own: one without a mailbox, one default dropped.
        assert m.subscribe("Gone/Away")[0] == "OK"
        assert m.unsubscribe("Drafts")[0] == "OK"
        subscribed = sorted(m.lsub('""', "*")[1])
    finally:
        m.logout()
    # One message waiting in the spool for a remote domain (delivery is switched off).
    s = submission(src)
    try:
        s.sendmail(USER, ["someone@unreachable.invalid"],
                   b"From: alice@example.test\r\nTo: someone@unreachable.invalid\r\n"
                   b"Subject: queued\r\n\r\nwaiting\r\n")
    finally:
        s.quit()
    queued = json.loads(src.cli("spool", "list", "--json").stdout)
    assert len(queued) == 1, queued
    # A message too large to be kept inside SQLite: its bytes are a file, several chunks on
    # PostgreSQL.
    big = (b"From: x@remote.test\r\nTo: bob@example.test\r\nSubject: big\r\n\r\n"
           + b"".join(b"%07d large body line for the file-backed blob\r\n" % i
                      for i in range(14_000)))
    assert len(big) > 600_000
    s = smtp_client(src)
    try:
        assert s.sendmail("x@remote.test", [OTHER], big) == {}
    finally:
        s.quit()
    eventually(lambda: imap_state(src, OTHER, OTHER_PASSWORD)[0] == 1, 15, what="big message")
    big_stored = fetch_bodies(src, [1], OTHER, OTHER_PASSWORD)[1]
    before = imap_state(src)
    assert before[0] == 9_995
    # Imported in order, message i has UID i; 147 and 244 are some of the large ones.
    sample = [6, 7, 100, 147, 244, 5_000, 9_999, 10_000]
    src_bodies = fetch_bodies(src, sample)
    assert len(src_bodies[147]) > 50_000

    # The copy, while the source server keeps running.
    r = subprocess.run([HERON, "store", "copy", "--from", str(src.data), "--to", pg_url],
                       capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, f"stdout: {r.stdout}\nstderr: {r.stderr}"
    assert "check passed" in r.stdout, r.stdout
    assert "9996/9996 messages copied" in r.stderr, r.stderr  # 9,995 of alice, 1 of bob
    assert "SHA-256 equal on both sides" in r.stdout
    for table in ("messages", "users", "aliases", "settings", "spool"):
        line = next(li for li in r.stdout.splitlines() if li.strip().startswith(table + " "))
        assert "MISMATCH" not in line, line
    # Into a database that is no longer empty, the copy is refused.
    again = subprocess.run([HERON, "store", "copy", "--from", str(src.data), "--to", pg_url],
                           capture_output=True, text=True, timeout=120,
                           stdin=subprocess.DEVNULL)
    assert again.returncode == 1 and "not empty" in again.stderr, again.stderr
    assert src.stop() == 0

    dst = PgHeron(tmp_path / "dst", pg_url)
    dst.start()
    try:
        after = imap_state(dst)
        assert after == before, "same EXISTS, UIDVALIDITY, UIDNEXT, UIDs and flags"
        assert fetch_bodies(dst, sample) == src_bodies
        # bob's old password works on the new node, and his large message is intact.
        assert imap_state(dst, OTHER, OTHER_PASSWORD)[0] == 1
        assert fetch_bodies(dst, [1], OTHER, OTHER_PASSWORD)[1] == big_stored
        assert dst.cli("settings", "get", "imap.banner").stdout.strip() == \
            "#HostName# moved to postgres"
        spool = json.loads(dst.cli("spool", "list", "--json").stdout)
        assert [e["id"] for e in spool] == [e["id"] for e in queued], spool
        assert "someone@unreachable.invalid" in json.dumps(spool)
        # The alias delivers on the new node.
        s = smtp_client(dst)
        try:
            assert s.sendmail("x@remote.test", ["team@example.test"],
                              b"Subject: via alias\r\n\r\nhello\r\n") == {}
        finally:
            s.quit()
        eventually(lambda: imap_state(dst)[0] == 9_996, 15, what="alias delivery")
        exists, _, uidnext, uids = imap_state(dst)
        assert uids[-1][0] == before[2], "the new message gets the old UIDNEXT"
        assert uidnext == before[2] + 1
        # New rows get ids past the copied ones (no clash with a copied domain, user,
        # folder or alias).
        dst.cli("domain", "add", "new.test")
        dst.cli("user", "add", "carol@new.test", "--password", PASSWORD)
        dst.cli("alias", "add", "crew@example.test", OTHER)
        m = imap_client(dst)
        try:
            assert sorted(m.lsub('""', "*")[1]) == subscribed
            assert b'() "/" Gone/Away' in subscribed and b'() "/" INBOX' in subscribed
            assert not any(line.endswith(b" Drafts") for line in subscribed), subscribed
            assert m.create("Moved")[0] == "OK"
        finally:
            m.logout()
        assert imap_state(dst, "carol@new.test", PASSWORD)[0] == 0
    finally:
        assert dst.stop() == 0, dst.tail()
    assert time.monotonic() - started < 120, "the 10,000-message copy test must stay fast"


def test_store_copy_refuses_a_missing_data_directory(tmp_path, pg_url):
    r = subprocess.run([HERON, "store", "copy", "--from", str(tmp_path / "nothing"), "--to",
                        pg_url], capture_output=True, text=True, timeout=60,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 1
    assert "no Heron data directory" in r.stderr, r.stderr


def test_store_copy_refuses_a_url_that_is_not_postgres(tmp_path):
    src = Heron(dir_of(tmp_path / "src"))
    src.init()
    r = subprocess.run([HERON, "store", "copy", "--from", str(src.data), "--to",
                        "mysql://u:pw@h/db"], capture_output=True, text=True, timeout=60,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 1 and "PostgreSQL URL" in r.stderr and "pw" not in r.stderr


def test_store_copy_while_mail_arrives_copies_one_consistent_snapshot(tmp_path, pg_url):
    src = Heron(dir_of(tmp_path / "src"))
    src.start()
    src.add_user(USER, PASSWORD)
    src.cli("import", USER, write_mbox(tmp_path / "some.mbox", make_messages(300, seed=3)))
    stop = threading.Event()
    sent = []

    def deliver():
        s = smtp_client(src)
        try:
            n = 0
            while not stop.is_set():
                n += 1
                s.sendmail("x@remote.test", [USER], b"Subject: during %d\r\n\r\nbody\r\n" % n)
                sent.append(n)
        finally:
            s.quit()

    t = threading.Thread(target=deliver)
    t.start()
    try:
        eventually(lambda: len(sent) >= 5, 15, what="deliveries under way")
        r = subprocess.run([HERON, "store", "copy", "--from", str(src.data), "--to", pg_url],
                           capture_output=True, text=True, timeout=300,
                           stdin=subprocess.DEVNULL)
    finally:
        stop.set()
        t.join(30)
    assert r.returncode == 0, f"stdout: {r.stdout}\nstderr: {r.stderr}"
    assert "check passed" in r.stdout, r.stdout
    copied = int(next(li for li in r.stdout.splitlines()
                      if li.strip().startswith("messages ")).split()[1])
    assert 305 <= copied <= 300 + len(sent), (copied, len(sent))
    assert src.stop() == 0

    dst = PgHeron(tmp_path / "dst", pg_url)
    dst.start()
    try:
        assert imap_state(dst)[0] == copied
    finally:
        assert dst.stop() == 0, dst.tail()


def test_cli_finds_the_store_in_the_environment_and_the_bootstrap_file(tmp_path, pg_url):
    data = tmp_path / "node"
    base = [HERON, "--data", str(data)]
    env = dict(os.environ, HERON_STORE=pg_url)
    env.pop("HERON_CONFIG", None)
    r = subprocess.run(base + ["domain", "add", "env.test"], env=env, capture_output=True,
                       text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stderr
    config = tmp_path / "heron.toml"
    config.write_text(f'store = "{pg_url}"\n')
    env = dict(os.environ, HERON_CONFIG=str(config))
    env.pop("HERON_STORE", None)
    r = subprocess.run(base + ["domain", "list"], env=env, capture_output=True, text=True,
                       timeout=60, stdin=subprocess.DEVNULL)
    assert r.returncode == 0 and "env.test" in r.stdout, r.stdout + r.stderr
    assert not (data / "heron.db").exists()
    # init makes the node's directory, not an embedded store in it.
    r = subprocess.run(base + ["init"], env=env, capture_output=True, text=True, timeout=60,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 0 and "is ready" in r.stdout, r.stdout + r.stderr
    assert data.is_dir() and not (data / "heron.db").exists()


def test_store_copy_progress_is_one_line_rewritten_on_a_terminal(tmp_path, pg_url):
    import pty
    src = Heron(dir_of(tmp_path / "src"))
    src.add_user(USER, PASSWORD)
    src.cli("import", USER, write_mbox(tmp_path / "few.mbox", make_messages(40, seed=5)))
    master, slave = pty.openpty()
    try:
        p = subprocess.Popen([HERON, "store", "copy", "--from", str(src.data), "--to", pg_url],
                             stdout=subprocess.PIPE, stderr=slave, stdin=subprocess.DEVNULL)
        os.close(slave)
        slave = None
        seen = b""
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        out, _ = p.communicate(timeout=120)
    finally:
        if slave is not None:
            os.close(slave)
        os.close(master)
    assert p.returncode == 0, (out, seen)
    assert b"\r\x1b[2K40/40 messages copied" in seen, seen
    assert b"\r\x1b[2K40/40 stored messages checked" in seen, seen
    assert seen.count(b"\n") == 1, "one line, ended once at the end"
