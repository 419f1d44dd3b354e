"""The Bayesian classifier with the real server (FILTER-2): a user teaches it over IMAP
(MOVE into Junk learns spam, $NotJunk learns ham, MOVE out of Junk relearns), the admin API
shows what it learned, and mail arriving over SMTP is then judged by it: spam gets the
`bayes` weight (10, the medium level, whose action files it in Junk), ham does not.

The corpus is generated: sentences drawn from a spam vocabulary or a ham vocabulary, each
mixed half and half with words both use, by a seeded generator (the same on every run)."""

import imaplib
import random
import subprocess

from admin_api import ADMIN_PASSWORD, logged_in, logged_in_admin, wait_for_api
from conftest import HERON, HOST, PASSWORD, USER, Heron, eventually
from filtering import CLIENT_NAME, JUNK, ORIGIN_IP, ORIGIN_NAME, filtered  # noqa: F401
from test_store_postgres import PgHeron, dir_of

BOB = "bob@example.test"

SPAM = ("viagra casino lottery winner prize bitcoin investment guaranteed discount pharmacy "
        "pills credit loan urgent inheritance beneficiary unclaimed jackpot bonus exclusive "
        "limited offer cheap replica watches miracle refinance mortgage clearance").split()
HAM = ("meeting agenda project report quarterly review schedule lunch thanks attached draft "
       "comments team deadline budget minutes conference proposal feedback invoice customer "
       "release testing deployment kitchen weekend family birthday holiday garden").split()
COMMON = ("the and you your this that with for please today time have will about more "
          "information here just know new").split()


def sentence(rng, own, n):
    return " ".join(rng.choice(own) if rng.random() < 0.5 else rng.choice(COMMON)
                    for _ in range(n))


def corpus_message(rng, spam, i, to=USER):
    """Message `i` of a class; a third of them HTML."""
    own = SPAM if spam else HAM
    kind = "spam" if spam else "ham"
    body = sentence(rng, own, 40)
    ctype = "text/plain"
    if i % 3 == 0:
        ctype, body = "text/html", f"<html><body><p>{body}</p></body></html>"
    return (f"Received: from {ORIGIN_NAME} ({ORIGIN_NAME} [{ORIGIN_IP}])\r\n"
            f" by {CLIENT_NAME}; Mon, 1 Jan 2024 00:00:00 +0000\r\n"
            f"From: sender{i}@sender.test\r\nTo: {to}\r\n"
            f"Subject: {sentence(rng, own, 4)}\r\n"
            f"Message-ID: <{kind}.{i}@sender.test>\r\nContent-Type: {ctype}\r\n\r\n"
            f"{body}\r\n").encode()


def totals(f):
    """What GET /api/v1/bayes answers; `f` has an `admin` API client."""
    r = f.admin.get("/bayes")
    assert r.status_code == 200, r.text
    return r.json()


def learned(f, spam, ham):
    return eventually(lambda: (t := totals(f))["spam"] == spam and t["ham"] == ham and t,
                      60, what=f"{spam} spam and {ham} ham learned")


def uids(m):
    typ, data = m.uid("SEARCH", None, "ALL")
    assert typ == "OK"
    return data[0].split()


def teach(f, rng):
    """APPEND 200 spam and 200 ham to alice's INBOX; MOVE the spam into Junk and flag the
    ham $NotJunk; then relearn one message each way."""
    m = imaplib.IMAP4(HOST, f.heron.imap_port, timeout=60)
    try:
        m.login(USER, PASSWORD)
        for i in range(200):
            assert m.append("INBOX", None, None, corpus_message(rng, True, i))[0] == "OK"
        m.select("INBOX")
        spam = uids(m)
        for i in range(200):
            assert m.append("INBOX", None, None, corpus_message(rng, False, i))[0] == "OK"
        ham = [u for u in uids(m) if u not in spam]
        assert len(spam) == 200 and len(ham) == 200
        assert totals(f) == {"spam": 0, "ham": 0, "tokens": 0, "ready": False}

        typ, data = m.uid("MOVE", b",".join(spam).decode(), f'"{JUNK}"')
        assert typ == "OK", data
        after_spam = learned(f, 200, 0)
        assert after_spam["tokens"] > 0
        typ, data = m.uid("STORE", b",".join(ham).decode(), "+FLAGS.SILENT", "($NotJunk)")
        assert typ == "OK", data
        after_ham = learned(f, 200, 200)
        assert after_ham["tokens"] > after_spam["tokens"] and after_ham["ready"] is True

        # Into Trash teaches nothing (had it taught ham, the totals would end at 199/201);
        # out of Junk into the INBOX relearns as ham; back into Junk, spam again.
        m.select(f'"{JUNK}"')
        junk = uids(m)
        assert m.uid("MOVE", junk[0].decode(), '"Deleted Items"')[0] == "OK"
        assert m.uid("MOVE", junk[1].decode(), "INBOX")[0] == "OK"
        learned(f, 199, 201)
        m.select("INBOX")
        back = uids(m)[-1].decode()
        assert m.uid("MOVE", back, f'"{JUNK}"')[0] == "OK"
        learned(f, 200, 200)
    finally:
        m.logout()


def test_learned_from_imap_it_sorts_arriving_mail(filtered):  # noqa: F811
    f = filtered
    f.heron.add_user(BOB, PASSWORD)
    f.origin_has_reverse_dns()
    rng = random.Random(20261204)
    teach(f, rng)

    sent = {}
    for i in range(1000, 1100):
        spam = i % 2 == 0
        code, text = f.send(f"sender{i}@sender.test", [BOB],
                            corpus_message(rng, spam, i, to=BOB))
        assert code == 250, (code, text)
        sent[f"<{'spam' if spam else 'ham'}.{i}@sender.test>"] = spam
    junk = f.wait_messages(1, JUNK, BOB)
    inbox = f.wait_messages(1, "INBOX", BOB)

    def arrived():
        return (len(f.messages(JUNK, BOB)) + len(f.messages("INBOX", BOB))) == 100
    eventually(arrived, 30, what="100 messages delivered to bob")
    junk, inbox = f.messages(JUNK, BOB), f.messages("INBOX", BOB)

    right = 0
    for folder, judged_spam in ((junk, True), (inbox, False)):
        for msg in folder:
            spam = sent[msg["Message-ID"]]
            checks = msg.get("X-Spam-Checks", "")
            assert ("bayes=10" in checks) == judged_spam, (msg["Message-ID"], checks)
            right += spam == judged_spam
    assert right >= 95, f"{right} of 100 classified right"


class Node:
    """A server and its admin API client, for `totals` and `learned`."""

    def __init__(self, heron, admin):
        self.heron, self.admin = heron, admin


def append_and_move(heron, rng, n, spam):
    """APPEND `n` messages of a class to the INBOX and MOVE them all into Junk."""
    m = imaplib.IMAP4(HOST, heron.imap_port, timeout=30)
    try:
        m.login(USER, PASSWORD)
        for i in range(n):
            assert m.append("INBOX", None, None, corpus_message(rng, spam, i))[0] == "OK"
        m.select("INBOX")
        assert m.uid("MOVE", "1:*", f'"{JUNK}"')[0] == "OK"
    finally:
        m.logout()


def test_store_copy_carries_what_was_learned_and_postgres_learns_more(tmp_path, pg_url):
    rng = random.Random(7)
    src = Heron(dir_of(tmp_path / "src"))
    src.start()
    src.add_user(USER, PASSWORD)
    wait_for_api(src)
    node = Node(src, logged_in_admin(src))
    append_and_move(src, rng, 3, True)
    before = learned(node, 3, 0)
    assert src.stop() == 0

    r = subprocess.run([HERON, "store", "copy", "--from", str(src.data), "--to", pg_url],
                       capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, f"stdout: {r.stdout}\nstderr: {r.stderr}"
    for table in ("bayes_tokens", "bayes_messages", "bayes_totals"):
        line = next(li for li in r.stdout.splitlines() if li.strip().startswith(table + " "))
        assert "MISMATCH" not in line, line

    dst = PgHeron(tmp_path / "dst", pg_url)
    dst.start()
    try:
        wait_for_api(dst)
        node = Node(dst, logged_in(dst, "admin", ADMIN_PASSWORD))
        assert totals(node) == before
        # On PostgreSQL, moving more messages into Junk learns them too; relearning one of the
        # copied ones as ham moves its counts.
        append_and_move(dst, rng, 2, True)
        learned(node, 5, 0)
        m = imaplib.IMAP4(HOST, dst.imap_port, timeout=30)
        try:
            m.login(USER, PASSWORD)
            m.select(f'"{JUNK}"')
            assert m.uid("MOVE", uids(m)[0].decode(), "INBOX")[0] == "OK"
        finally:
            m.logout()
        learned(node, 4, 1)
    finally:
        assert dst.stop() == 0, dst.tail()
