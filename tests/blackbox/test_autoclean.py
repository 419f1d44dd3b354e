"""Folder auto-clean (OPS-6): `autoclean.rules` applied on a schedule.

- `\\Trash age=30`: a Trash holding messages backdated 40-60 days (APPEND with an internal
  date) and recent ones keeps only the recent ones, whatever the user's Trash is called;
  INBOX's old messages stay; the removals are logged with the rule.
- `\\Junk size=1 keep=1`: past 1 MB the oldest junk goes until at most 1 MB is left.
- A bad rule is refused with a clear error."""

import imaplib
import time

from conftest import PASSWORD, USER, eventually


def append(m, folder, i, days_ago, size=200):
    date = imaplib.Time2Internaldate(time.time() - days_ago * 86400)
    body = "x" * size
    msg = (f"From: a@remote.test\r\nSubject: {folder} {i}\r\n\r\n{body}\r\n").encode()
    typ, _ = m.append(f'"{folder}"', None, date, msg)
    assert typ == "OK"


def special(m, use):
    _, lines = m.list()
    for line in lines:
        text = line.decode()
        if use in text:
            return text.rsplit(' "', 1)[-1].rstrip('"') if text.endswith('"') else text.split()[-1]
    raise AssertionError(f"no {use} folder in {lines}")


def count(m, folder):
    typ, data = m.status(f'"{folder}"', "(MESSAGES)")
    return int(data[0].decode().split("MESSAGES ")[1].rstrip(")"))


def test_old_trash_goes_and_big_junk_shrinks(server):
    m = imaplib.IMAP4(server.host, server.imap_port, timeout=30)
    m.login(USER, PASSWORD)
    trash, junk = special(m, "\\Trash"), special(m, "\\Junk")
    for i, days in enumerate([60, 45, 40, 5, 1]):
        append(m, trash, i, days)
    for i in range(2):
        append(m, "INBOX", i, 90)
    for i, days in enumerate([9, 8, 7, 6]):
        append(m, junk, i, days, size=400_000)
    assert count(m, trash) == 5 and count(m, junk) == 4

    bad = server.cli("settings", "set", "autoclean.rules", "Trash age=0", check=False)
    assert bad.returncode != 0 and "age must be a whole number above 0" in bad.stderr, bad.stderr
    server.set("autoclean.interval", "1")
    server.set("autoclean.rules", "\\Trash age=30, \\Junk size=1 keep=1")
    eventually(lambda: count(m, trash) == 2 and count(m, junk) == 2, 20,
               what="the rules ran")
    assert count(m, "INBOX") == 2
    m.select(f'"{trash}"', readonly=True)
    _, data = m.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    subjects = sorted(x[1].decode().strip() for x in data if isinstance(x, tuple))
    assert subjects == [f"Subject: {trash} 3", f"Subject: {trash} 4"], subjects
    m.select(f'"{junk}"', readonly=True)
    _, data = m.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    subjects = sorted(x[1].decode().strip() for x in data if isinstance(x, tuple))
    assert subjects == [f"Subject: {junk} 2", f"Subject: {junk} 3"], subjects
    m.logout()
    log = "\n".join(p.read_text() for p in (server.data / "logs").glob("events-*.log"))
    assert f"auto-clean: removed 3 messages" in log and "(rule \\Trash age=30)" in log, log[-2000:]
    assert "(rule \\Junk size=1 keep=1)" in log
