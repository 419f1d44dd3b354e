"""IMAP under concurrent load: many sessions of one user on one mailbox doing random SELECT,
FETCH, UID FETCH, STORE, UID STORE, COPY (to a second mailbox and back), APPEND, EXPUNGE,
UID EXPUNGE and NOOP, each session checking every response against its own model of the
mailbox, built only from what the server told it (see imapmodel.py for the rules).

After the run every session issues NOOP and its model must then equal what a fresh SELECT
shows: the same messages, UIDs and flags (\\Recent aside, it is per session).

The checker itself is tested on scripted server answers, good and bad, at the end.

Size: HERON_STRESS_CLIENTS sessions (default 10) for HERON_STRESS_SECONDS (default 10);
HERON_STRESS_SEED replays a run's choices (the seed is printed). The interleaving of the
sessions is not reproducible, the commands each session picks are.
"""

import hashlib
import os
import random
import threading
import time

from conftest import HOST, PASSWORD, USER
from imapmodel import Client, Shared, norm_flags
from imapwire import Dropped, seq_text, show, uid_set

CLIENTS = int(os.environ.get("HERON_STRESS_CLIENTS", "10"))
SECONDS = float(os.environ.get("HERON_STRESS_SECONDS", "10"))
MAX_OPS = 200_000          # per client, besides the time bound
INITIAL_INBOX = 40
INITIAL_OTHER = 10
SHOWN = 20



# ---------------------------------------------------------------- random operations

KEYWORDS = (b"$A", b"$B", b"$C")
SYSTEM = (b"\\Seen", b"\\Answered", b"\\Flagged", b"\\Draft")
FETCH_ITEMS = (b"FLAGS", b"UID", b"RFC822.SIZE", b"BODY.PEEK[HEADER]", b"BODY.PEEK[]")
WORDS = (b"alpha", b"bravo", b"charlie", b"delta", b"echo", b"foxtrot", b"golf", b"hotel",
         b"india", b"juliet", b"kilo", b"lima", b"mike", b"november", b"oscar", b"papa")


def make_message(rng, tag):
    """A small message (CRLF) whose bytes name `tag`; now and then a larger one."""
    head = (b"From: Stress <stress@example.org>\r\nTo: alice@example.test\r\n"
            b"Subject: stress " + tag + b"\r\nMessage-ID: <" + tag + b"@stress.test>\r\n"
            b"Date: Mon, 01 Jan 2024 00:00:00 +0000\r\n\r\n")
    lines = 400 if rng.random() < 0.03 else rng.randint(1, 30)
    body = b"".join(b" ".join(rng.choice(WORDS) for _ in range(rng.randint(0, 12))) + b"\r\n"
                    for _ in range(lines))
    return head + body


class StressClient(Client):
    """A client doing random commands on INBOX (mostly) and a second mailbox."""

    def __init__(self, ident, shared, host, port, user, password, rng, other="Other"):
        super().__init__(ident, shared, host, port, user, password)
        self.rng = rng
        self.other = other
        self.own_keyword = b"$K%d" % ident
        self.appended = 0

    def run(self, deadline, max_ops):
        ops = ((self.op_fetch, 26), (self.op_uid_fetch, 8), (self.op_store, 22),
               (self.op_copy, 8), (self.op_append, 9), (self.op_expunge, 7),
               (self.op_uid_expunge, 5), (self.op_noop, 8), (self.op_select, 4))
        funcs = [f for f, _ in ops]
        weights = [w for _, w in ops]
        try:
            self.connect()
            self.select("INBOX")
            self.sync()
            for _ in range(max_ops):
                if time.monotonic() >= deadline:
                    break
                op = self.rng.choices(funcs, weights)[0]
                self.shared.count(op.__name__[3:])
                op()
                self.sync()
        except Dropped as e:
            self.violate("connection dropped", str(e))
            self.close()

    # -- choosing messages

    def some_seqs(self, most=6):
        n = len(self.box.slots)
        if n == 0:
            return []
        r = self.rng.random()
        if r < 0.4:
            return [self.rng.randint(1, n)]
        if r < 0.7:
            a = self.rng.randint(1, n)
            return list(range(a, min(n, a + self.rng.randint(1, most)) + 1))
        if r < 0.8:
            return list(range(1, n + 1))
        return sorted(set(self.rng.randint(1, n) for _ in range(self.rng.randint(1, most))))

    def some_flags(self):
        pool = list(SYSTEM) + list(KEYWORDS) + [self.own_keyword]
        if self.rng.random() < 0.15:
            pool.append(b"\\Deleted")
        return self.rng.sample(pool, self.rng.randint(0, 3))

    # -- operations

    def op_select(self):
        name = self.other if self.rng.random() < 0.25 else "INBOX"
        self.select(name)

    def op_noop(self):
        self.noop()

    def op_fetch(self):
        seqs = self.some_seqs()
        if seqs:
            items = self.rng.sample(FETCH_ITEMS, self.rng.randint(1, len(FETCH_ITEMS)))
            if len(seqs) > 8 and b"BODY.PEEK[]" in items:
                items.remove(b"BODY.PEEK[]")
                items = items or [b"UID"]
            self.fetch(seqs, items)

    def op_uid_fetch(self):
        uids = [self.box.slots[s - 1].uid for s in self.some_seqs()]
        uids = sorted({u for u in uids if u is not None})
        if uids:
            items = self.rng.sample(FETCH_ITEMS, self.rng.randint(1, 3))
            self.uid_fetch(uids, items)

    def op_store(self):
        seqs = self.some_seqs()
        if not seqs:
            return
        mode = self.rng.choice((b"+FLAGS", b"-FLAGS", b"FLAGS"))
        silent = self.rng.random() < 0.2
        flags = self.some_flags()
        if mode != b"FLAGS" and not flags:
            flags = [self.rng.choice(KEYWORDS)]
        by_uid = self.rng.random() < 0.25
        targets = [self.box.slots[s - 1] for s in seqs]
        if by_uid:
            if any(t.uid is None for t in targets):
                return
            what = b"UID STORE " + seq_text(sorted({t.uid for t in targets}))
        else:
            what = b"STORE " + seq_text(seqs)
        text = (what + b" " + mode + (b".SILENT" if silent else b"") + b" ("
                + b" ".join(flags) + b")")
        start = time.monotonic_ns()
        status, code, _ = self.command(text, "UID" if by_uid else "STORE")
        end = time.monotonic_ns()
        for t in targets:
            # A message whose UID this client never learned may be any of them: its window
            # counts for every UID of the mailbox.
            self.shared.store_window(self.key(t.uid), start, end, self.id)
        issued = status == b"NO" and code == b"EXPUNGEISSUED"
        if status != b"OK" and not issued:
            self.violate("tagged response not OK", f"STORE answered {status.decode()}")
            return
        if silent:
            for t in targets:
                t.flags = None
        else:
            self._check_store_echo(targets, seqs, mode, flags, by_uid, issued, start, end)
        if issued:
            self.confirm_expunge(targets, "STORE")

    def _check_store_echo(self, targets, seqs, mode, flags, by_uid, issued, start, end):
        want = norm_flags(flags) - {b"\\RECENT"}
        wrong, unanswered = [], []
        for s, t in zip(seqs, targets):
            if t in self.removed:
                continue
            got = self.fetched.get(t.uid if by_uid else s)
            if got is None or b"FLAGS" not in got:
                if not issued:
                    unanswered.append((s, t))
                continue
            have = norm_flags(got[b"FLAGS"]) - {b"\\RECENT"}
            if mode == b"+FLAGS":
                bad = want - have
            elif mode == b"-FLAGS":
                bad = want & have
            else:
                bad = have ^ want
            if bad and t.uid is not None:
                wrong.append((s, t, f"message {s} UID {t.uid}: {mode.decode()} "
                                    f"{sorted(x.decode() for x in want)} answered FLAGS "
                                    f"{sorted(x.decode() for x in have)}"))
        if not wrong and not unanswered:
            return
        cmd, lines = self.cmd, [show(p) for p in self.lines[-30:]]
        if not issued:
            # Was the message expunged by another session (RFC 2180 §4.2)? NOOP tells.
            self.noop()
        # A message expunged elsewhere has no flags to report: the STORE may leave it out
        # (and announce the expunge later); any other message must be answered.
        for s, t in unanswered:
            if t not in self.removed:
                self.shared.add({"client": self.id, "command": cmd,
                                 "kind": "STORE without FETCH FLAGS",
                                 "detail": f"no FETCH FLAGS for message {s} (UID {t.uid})",
                                 "lines": lines})
        for s, t, detail in wrong:
            # The last FETCH of the answer may carry a change another session made after this
            # STORE (and that session may then have expunged the message): only a change no
            # other session's STORE overlapped is wrong (resolve_suspects decides).
            v = {"client": self.id, "command": cmd, "kind": "STORE answer without the change",
                 "detail": detail, "lines": lines}
            with self.shared.lock:
                self.shared.suspects.append((self.key(t.uid), start, end, self.id, v))

    def op_copy(self):
        seqs = self.some_seqs(most=4)
        if not seqs:
            return
        target = self.other if self.box.name == "INBOX" else "INBOX"
        targets = [self.box.slots[s - 1] for s in seqs]
        named = {t.uid for t in targets}
        text = b"COPY " + seq_text(seqs) + b" " + target.encode()
        status, code, arg = self.command(text, "COPY")
        if status == b"NO" and code == b"EXPUNGEISSUED":
            self.confirm_expunge(targets, "COPY")
            return
        if status != b"OK":
            self.violate("tagged response not OK", f"COPY answered {status.decode()}")
            return
        # RFC 2180 §4.4: COPY may announce pending expunges; messages announced expunged in
        # its answer may be left out, any other named message must have been copied.
        gone = {s.uid for s in self.removed}
        if code != b"COPYUID":
            if not named <= gone:
                self.violate("COPY OK without COPYUID",
                             f"UIDs {sorted(u for u in named - gone if u)} still exist")
            return
        v, src, dst = arg.split(b" ")
        src, dst = uid_set(src), uid_set(dst)
        if len(src) != len(dst) or len(set(dst)) != len(dst):
            self.violate("COPYUID malformed", arg.decode())
            return
        if None not in named:
            extra = set(src) - named
            if extra:
                self.violate("COPYUID names messages not copied",
                             f"source UIDs {sorted(extra)} not among {sorted(named)}")
            missing = named - set(src) - gone
            if missing:
                self.violate("COPY OK without copying every message",
                             f"UIDs {sorted(missing)} named, not announced expunged, "
                             f"not in COPYUID {arg.decode()}")
        for a, b in zip(src, dst):
            src_key = self.key(a)
            dst_key = (target, int(v), b)
            with self.shared.lock:
                self.shared.links.append((src_key, dst_key, self.id, self.cmd))

    def op_append(self):
        target = "INBOX" if self.rng.random() < 0.8 else self.other
        self.appended += 1
        tag = b"c%d-m%d-%d" % (self.id, self.appended, self.rng.getrandbits(32))
        msg = make_message(self.rng, tag)
        flags = self.some_flags() if self.rng.random() < 0.5 else []
        text = (b"APPEND " + target.encode() + (b" (" + b" ".join(flags) + b")" if flags else b"")
                + b" {%d+}\r\n" % len(msg) + msg)
        names = " ".join(f.decode() for f in flags)
        shown = f"APPEND {target} ({names}) {{{len(msg)}+}} {tag.decode()}"
        status, code, arg = self.command(text, "APPEND", shown=shown)
        if status != b"OK":
            self.violate("tagged response not OK", f"APPEND answered {status.decode()}")
            return
        if code != b"APPENDUID":
            self.violate("APPEND without APPENDUID", "UIDPLUS is announced")
            return
        v, uid = (int(x) for x in arg.split(b" "))
        if self.box is not None and self.box.name == target and v != self.box.uidvalidity:
            self.violate("APPENDUID with another UIDVALIDITY",
                         f"{v} != {self.box.uidvalidity}")
        self.shared.learn((target, v, uid), sha=hashlib.sha256(msg).hexdigest(), size=len(msg),
                          how=f"appended by client {self.id}", client=self.id,
                          command=self.cmd, lines=self.lines)

    def _mark_deleted(self):
        seqs = self.some_seqs(most=5)
        if not seqs:
            return []
        targets = [self.box.slots[s - 1] for s in seqs]
        start = time.monotonic_ns()
        status, code, _ = self.command(b"STORE " + seq_text(seqs) + b" +FLAGS.SILENT (\\Deleted)",
                                       "STORE")
        end = time.monotonic_ns()
        for t in targets:
            t.flags = None
            # An unknown UID counts for every UID (see op_store).
            self.shared.store_window(self.key(t.uid), start, end, self.id)
        if status == b"NO" and code == b"EXPUNGEISSUED":
            self.confirm_expunge(targets, "STORE")
            return []
        if status != b"OK":
            self.violate("tagged response not OK", f"STORE answered {status.decode()}")
        return [t.uid for t in targets if t.uid is not None and t not in self.removed]

    def op_expunge(self):
        if self.rng.random() < 0.8:
            self._mark_deleted()
        status, _, _ = self.command(b"EXPUNGE", "EXPUNGE")
        if status != b"OK":
            self.violate("tagged response not OK", f"EXPUNGE answered {status.decode()}")

    def op_uid_expunge(self):
        uids = self._mark_deleted()
        if not uids:
            return
        status, _, _ = self.command(b"UID EXPUNGE " + seq_text(sorted(set(uids))), "UID")
        if status != b"OK":
            self.violate("tagged response not OK", f"UID EXPUNGE answered {status.decode()}")


# ---------------------------------------------------------------- the run


def fill(server, shared, rng):
    """Make the second mailbox and put the first messages in both."""
    c = Client(0, shared, HOST, server.imap_port, USER, PASSWORD)
    c.connect()
    status, _, _ = c.command(b"CREATE Other", "CREATE")
    assert status == b"OK", c.lines
    for name, count in (("INBOX", INITIAL_INBOX), ("Other", INITIAL_OTHER)):
        for i in range(count):
            msg = make_message(rng, b"seed-%s-%d" % (name.encode(), i))
            flags = rng.choice((b"", b"(\\Seen) ", b"($A \\Flagged) "))
            status, _, _ = c.command(
                b"APPEND " + name.encode() + b" " + flags + b"{%d+}\r\n" % len(msg) + msg,
                "APPEND", shown=f"APPEND {name} seed {i}")
            assert status == b"OK", c.lines
    c.command(b"LOGOUT", "LOGOUT")
    c.close()


def reference(server, shared):
    """UIDs and flags of each mailbox as a fresh session sees them."""
    c = Client(0, shared, HOST, server.imap_port, USER, PASSWORD)
    c.connect()
    out = {}
    for name in ("INBOX", "Other"):
        assert c.select(name), c.lines
        c.sync()
        out[name] = [(s.uid, s.flags - {b"\\RECENT"}) for s in c.box.slots]
    c.command(b"LOGOUT", "LOGOUT")
    c.close()
    return out


def differences(client, ref):
    """Where the session's model and a fresh SELECT disagree (\\Recent is per session)."""
    mine = [(s.uid, s.flags - {b"\\RECENT"} if s.flags is not None else None)
            for s in client.box.slots]
    theirs = ref[client.box.name]
    if len(mine) != len(theirs):
        return (f"{client.box.name}: the session knows {len(mine)} messages, "
                f"a fresh SELECT shows {len(theirs)}; UIDs only in the session "
                f"{sorted({u for u, _ in mine} - {u for u, _ in theirs})[:10]}, only in the "
                f"mailbox {sorted({u for u, _ in theirs} - {u for u, _ in mine})[:10]}")
    for i, (a, b) in enumerate(zip(mine, theirs)):
        if a[0] != b[0]:
            return f"{client.box.name} message {i + 1}: UID {a[0]} in the session, {b[0]} fresh"
        if a[1] != b[1]:
            return (f"{client.box.name} message {i + 1} UID {a[0]}: flags "
                    f"{sorted(x.decode() for x in a[1] or ())} in the session, "
                    f"{sorted(x.decode() for x in b[1] or ())} fresh")
    return None


def converge(clients, server, shared):
    """Once every session stopped: NOOP must bring each model to the mailbox's state."""
    ref = reference(server, shared)
    for c in clients:
        if not c.alive or c.box is None:
            continue
        why = None
        try:
            for _ in range(5):
                c.noop()
                c.sync()
                why = differences(c, ref)
                if why is None:
                    break
                time.sleep(0.2)
            if why is not None:
                c.violate("session state differs from the mailbox after NOOP", why)
            c.command(b"LOGOUT", "LOGOUT")
        except Dropped as e:
            c.violate("connection dropped", str(e))
        c.close()


def report(shared, seed):
    by_kind = {}
    for v in shared.violations:
        by_kind[v["kind"]] = by_kind.get(v["kind"], 0) + 1
    print(f"\nIMAP stress: seed {seed}, {CLIENTS} clients, {SECONDS:g} s; commands "
          + ", ".join(f"{k} {n}" for k, n in sorted(shared.counts.items())))
    print(f"{len(shared.violations)} violations"
          + "".join(f"\n  {n:6d}  {k}" for k, n in sorted(by_kind.items(), key=lambda x: -x[1])))
    # The first few of every kind, then the earliest others, SHOWN in all.
    shown, per_kind = [], {}
    for v in shared.violations:
        if per_kind.get(v["kind"], 0) < 3:
            per_kind[v["kind"]] = per_kind.get(v["kind"], 0) + 1
            shown.append(v)
    shown += [v for v in shared.violations if v not in shown][:max(0, SHOWN - len(shown))]
    for v in shown[:SHOWN]:
        print(f"\n[client {v['client']}] {v['kind']}: {v['detail']}\n  command: {v['command']}")
        for line in v["lines"][-12:]:
            print(f"    S: {line}")


def test_imap_sessions_agree_with_their_model_under_load(imap_server):
    seed = int(os.environ.get("HERON_STRESS_SEED") or random.SystemRandom().getrandbits(32))
    print(f"\nHERON_STRESS_SEED={seed}")
    shared = Shared()
    fill(imap_server, shared, random.Random(seed))

    clients = [StressClient(i, shared, HOST, imap_server.imap_port, USER, PASSWORD,
                            random.Random(f"{seed}-{i}"))
               for i in range(1, CLIENTS + 1)]
    deadline = time.monotonic() + SECONDS
    threads = [threading.Thread(target=c.run, args=(deadline, MAX_OPS), daemon=True)
               for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(SECONDS + 300)
    stuck = [c.id for c, t in zip(clients, threads) if t.is_alive()]
    assert not stuck, f"clients {stuck} still running long after the deadline"

    converge(clients, imap_server, shared)
    shared.resolve_suspects()
    shared.resolve_links()
    report(shared, seed)
    assert imap_server.alive(), imap_server.tail()
    assert sum(shared.counts.values()) > CLIENTS, "the clients ran almost no commands"
    assert not shared.violations, (
        f"{len(shared.violations)} protocol violations (seed {seed}); first: "
        f"{shared.violations[0]['kind']}: {shared.violations[0]['detail']}")


# ---------------------------------------------------------------- the checker itself


class _Silent:
    """A socket that accepts every command and has nothing more to say."""

    def sendall(self, data):
        pass

    def recv(self, n):
        return b""

    def close(self):
        pass


def _scripted(answers):
    """A checking client whose server answers are `answers` (bytes, tags c1.1, c1.2, ...)."""
    import imapwire

    shared = Shared()
    c = StressClient(1, shared, HOST, 0, USER, PASSWORD, random.Random(0))
    conn = imapwire.Conn.__new__(imapwire.Conn)
    conn.sock, conn.buf = _Silent(), answers
    c.conn = conn
    return c, shared


def _kinds(shared):
    return {v["kind"] for v in shared.violations}


SELECT_3 = (b"* FLAGS (\\Seen \\Deleted $A)\r\n"
            b"* OK [PERMANENTFLAGS (\\Seen \\Deleted $A \\*)] ok\r\n"
            b"* 3 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT 10] ok\r\n"
            b"c1.1 OK [READ-WRITE] done\r\n")


def test_checker_accepts_a_well_behaved_server():
    c, shared = _scripted(
        SELECT_3
        + b"* 1 FETCH (UID 3 FLAGS ($A))\r\n* 2 FETCH (UID 5 FLAGS ())\r\n"
          b"* 3 FETCH (UID 9 FLAGS (\\Seen))\r\nc1.2 OK done\r\n"
        + b"* 2 FETCH (UID 5 RFC822.SIZE 4 BODY[] {4}\r\nab\r\n)\r\nc1.3 OK done\r\n"
        + b"* 2 FETCH (FLAGS ($A) UID 5)\r\nc1.4 OK done\r\n"
        + b"* 1 EXPUNGE\r\n* 3 EXISTS\r\nc1.5 OK done\r\n")
    assert c.select("INBOX")
    c.sync()
    c.fetch([2], [b"RFC822.SIZE", b"BODY.PEEK[]"])
    c.command(b"STORE 2 +FLAGS ($A)", "STORE")
    c._check_store_echo([c.box.slots[1]], [2], b"+FLAGS", [b"$A"], False, False, 0, 1)
    c.noop()
    shared.resolve_suspects()
    assert shared.violations == []
    assert [s.uid for s in c.box.slots] == [5, 9, None]


def test_checker_reports_what_breaks_the_model():
    c, shared = _scripted(
        SELECT_3
        # UIDs out of order, a keyword never announced, a UID at UIDNEXT, a number past
        # EXISTS, an EXPUNGE while answering FETCH.
        + b"* 1 FETCH (UID 4 FLAGS ($A))\r\n* 2 FETCH (UID 2 FLAGS ($Z))\r\n"
          b"* 3 FETCH (UID 10 FLAGS ())\r\n* 4 FETCH (UID 11)\r\n* 3 EXPUNGE\r\nc1.2 OK done\r\n"
        # A body longer than its size, then the UID of message 1 changes.
        + b"* 1 FETCH (UID 4 RFC822.SIZE 3 BODY[] {4}\r\nab\r\n)\r\nc1.3 OK done\r\n"
        + b"* 1 FETCH (UID 6)\r\nc1.4 OK done\r\n"
        # EXPUNGE past the count, EXISTS shrinking, a FETCH refused, a BAD.
        + b"* 7 EXPUNGE\r\n* 1 EXISTS\r\nc1.5 OK done\r\n"
        + b"c1.6 NO [EXPUNGEISSUED] gone\r\n"
        + b"c1.7 BAD what\r\n")
    assert c.select("INBOX")
    c.fetch([1, 2, 3], [b"UID", b"FLAGS"])
    c.fetch([1], [b"RFC822.SIZE", b"BODY.PEEK[]"])
    c.fetch([1], [b"UID"])
    c.noop()
    c.fetch([1], [b"FLAGS"])
    c.noop()
    assert _kinds(shared) >= {
        "UIDs do not rise with message numbers",
        "keyword in FETCH not announced in FLAGS",
        "UID not below UIDNEXT of SELECT",
        "FETCH number out of range",
        "EXPUNGE while answering FETCH/STORE/SEARCH",
        "BODY[] length differs from RFC822.SIZE",
        "UID of a message number changed",
        "EXPUNGE number out of range",
        "EXISTS shrank without EXPUNGE",
        "FETCH of existing messages failed",
        "BAD to a well-formed command",
    }, _kinds(shared)


def test_checker_reports_a_store_answer_without_the_change():
    c, shared = _scripted(
        SELECT_3
        + b"* 1 FETCH (UID 3 FLAGS ())\r\n* 2 FETCH (UID 5 FLAGS ())\r\n"
          b"* 3 FETCH (UID 9 FLAGS ())\r\nc1.2 OK done\r\n"
        + b"* 2 FETCH (FLAGS () UID 5)\r\nc1.3 OK done\r\n"
        + b"c1.4 OK done\r\n")
    assert c.select("INBOX")
    c.sync()
    c.command(b"STORE 2 +FLAGS ($A)", "STORE")
    c._check_store_echo([c.box.slots[1]], [2], b"+FLAGS", [b"$A"], False, False, 0, 1)
    shared.resolve_suspects()
    assert _kinds(shared) == {"STORE answer without the change"}, shared.violations
