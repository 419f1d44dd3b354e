"""A raw IMAP client that keeps a model of its selected mailbox and checks every response
against it (IMAP4rev1 semantics, RFC 3501 / RFC 9051), for the IMAP stress test.

The model is updated only from what the server says: EXISTS, EXPUNGE (renumbering), FETCH
(UID, FLAGS, RFC822.SIZE, bodies), FLAGS and PERMANENTFLAGS. Every disagreement between a
response and the model, or with the rules of the protocol, is recorded as a violation in
`Shared`, with the client, the command and the response lines.

Rules checked for every response (section numbers are RFC 9051 unless noted):
- message numbers of EXPUNGE and FETCH lie in 1..EXISTS as the client knows it (§7.4.1,
  §7.5.1, §7.5.2); EXISTS never shrinks (§7.4.1: only EXPUNGE lowers the count);
- no EXPUNGE while answering FETCH, STORE or SEARCH (§7.5.1);
- the UID of a message number never changes until an EXPUNGE renumbers, and UIDs rise with
  message numbers (§2.3.1.1); UIDs of messages present at SELECT are below its UIDNEXT;
- a keyword in FETCH FLAGS is in the latest FLAGS and PERMANENTFLAGS (or \\* there) that this
  session was sent (§7.3.5, §2.3.2); system flags are the five of §2.3.2 (and \\Recent);
- a FETCH of message numbers the client was told exist completes OK and returns every item
  asked for; a UID FETCH returns every asked-for UID that was not announced expunged;
  BODY[] is as long as RFC822.SIZE; BODY[HEADER] is a prefix of BODY[]; the bytes and size of
  (mailbox, UIDVALIDITY, UID) are the same in every session, equal to what APPEND sent and,
  through COPYUID, to the source of a COPY;
- without .SILENT, STORE answers a FETCH FLAGS for every addressed message, showing the
  change (unless another session's STORE on that UID overlapped in time: checked after the
  run, from every client's log of STORE windows);
- tagged responses are OK, except NO [EXPUNGEISSUED] to STORE and COPY (RFC 2180 §4.2, §4.4,
  RFC 5530), which must be backed by an expunge the next NOOP announces; a COPY that answers
  OK has copied every message it named (§6.4.7, COPYUID of RFC 4315);
- no BAD, no BYE, no untagged NO, the connection never drops or stalls.
"""

import hashlib
import threading

from imapwire import Conn, Dropped, Lit, Str, parse, seq_text, show, status_of

SYSTEM_FLAGS = {b"\\SEEN", b"\\ANSWERED", b"\\FLAGGED", b"\\DELETED", b"\\DRAFT", b"\\RECENT"}


# ---------------------------------------------------------------- shared state


class Shared:
    """What all clients share: the violations, message contents by (mailbox, UIDVALIDITY,
    UID), COPYUID links, and the time windows of every STORE by UID."""

    def __init__(self):
        self.lock = threading.Lock()
        self.violations = []
        self.content = {}   # key -> [sha or None, size or None, how it was learned]
        self.links = []     # (source key, copy key, client, command)
        self.stores = {}    # (mailbox, uidvalidity, uid) -> [(start, end, client)]
        self.suspects = []  # STORE echoes without the change: (key, start, end, violation)
        self.counts = {}

    def violate(self, client, command, kind, detail, lines=()):
        v = {"client": client, "command": command, "kind": kind, "detail": detail,
             "lines": [show(p) for p in list(lines)[-30:]]}
        with self.lock:
            self.violations.append(v)

    def add(self, violation):
        with self.lock:
            self.violations.append(violation)

    def count(self, what):
        with self.lock:
            self.counts[what] = self.counts.get(what, 0) + 1

    def learn(self, key, sha=None, size=None, how="", client=None, command="", lines=()):
        """Record what (mailbox, uidvalidity, uid) holds; a disagreement is a violation."""
        with self.lock:
            rec = self.content.setdefault(key, [None, None, how])
            bad = []
            if sha is not None:
                if rec[0] is None:
                    rec[0] = sha
                elif rec[0] != sha:
                    bad.append(f"bytes of {key} differ from those {rec[2]}")
            if size is not None:
                if rec[1] is None:
                    rec[1] = size
                elif rec[1] != size:
                    bad.append(f"size of {key} is {size}, was {rec[1]} ({rec[2]})")
        for b in bad:
            self.violate(client, command, "message content changed", b, lines)

    def store_window(self, key, start, end, client):
        with self.lock:
            self.stores.setdefault(key, []).append((start, end, client))

    def resolve_suspects(self):
        """STORE echoes that lacked the change are violations unless another client's STORE
        on the same message overlapped in time."""
        for key, start, end, client, v in self.suspects:
            unknown = key[:2] + (None,)  # STOREs on messages whose UID their client did not know
            windows = list(self.stores.get(key, ())) + list(self.stores.get(unknown, ()))
            others = [w for w in windows if w[2] != client and w[0] < end and w[1] > start]
            if not others:
                nearest = sorted((w for w in self.stores.get(key, ()) if w[2] != client),
                                 key=lambda w: min(abs(w[1] - start), abs(w[0] - end)))[:4]
                near = [f"client {c} {(a - start) / 1e6:+.1f}..{(b - start) / 1e6:+.1f} ms"
                        for a, b, c in sorted(nearest)]
                v["detail"] += (f"; other STOREs on this UID, relative to this one's start: "
                                f"{', '.join(near) or 'none'}; this one ended at "
                                f"+{(end - start) / 1e6:.1f} ms")
                self.violations.append(v)

    def resolve_links(self):
        for src, dst, client, command in self.links:
            a, b = self.content.get(src), self.content.get(dst)
            if a and b:
                if a[0] and b[0] and a[0] != b[0]:
                    self.violate(client, command, "COPY changed the message",
                                 f"copy {dst} has other bytes than its source {src}")
                if a[1] is not None and b[1] is not None and a[1] != b[1]:
                    self.violate(client, command, "COPY changed the message",
                                 f"copy {dst} is {b[1]} bytes, its source {src} {a[1]}")


# ---------------------------------------------------------------- the model


class Slot:
    """One message of the selected mailbox as this client knows it."""

    __slots__ = ("uid", "flags", "size", "initial")

    def __init__(self, initial=False):
        self.uid = None
        self.flags = None
        self.size = None
        self.initial = initial


class Mailbox:
    def __init__(self, name):
        self.name = name
        self.slots = []
        self.flags = None        # latest FLAGS, upper-cased
        self.permanent = None    # latest PERMANENTFLAGS, upper-cased
        self.uidvalidity = None
        self.uidnext = None
        self.counted = False


def norm_flags(values):
    return {bytes(f).upper() for f in values}


class Client:
    """One session. `run(...)` is the command loop; every response passes `_apply`."""

    def __init__(self, ident, shared, host, port, user, password, timeout=60.0):
        self.id = ident
        self.shared = shared
        self.host, self.port = host, port
        self.user, self.password = user, password
        self.timeout = timeout
        self.conn = None
        self.box = None
        self.n = 0
        self.alive = False
        self.uidvalidity_seen = {}
        self.select_lines = []
        # Per-command context, set by `command`.
        self.cmd = ""
        self.kind = ""
        self.lines = []
        self.fetched = {}    # seq (non-UID FETCH/STORE) or uid -> {item: value}
        self.removed = []    # slots removed by EXPUNGE during this command

    # -- reporting

    def violate(self, kind, detail):
        self.shared.violate(self.id, self.cmd, kind, detail, self.lines)

    # -- connection

    def connect(self):
        self.conn = Conn(self.host, self.port, self.timeout)
        self.cmd = "(greeting)"
        self.lines = [self.conn.response()]
        if not self.lines[0][0].startswith(b"* OK"):
            self.violate("bad greeting", "greeting is not * OK")
        self.alive = True
        status, _, _ = self.command(
            b"LOGIN " + self.user.encode() + b" " + self.password.encode(), "LOGIN")
        if status != b"OK":
            self.violate("tagged response not OK", "LOGIN refused")
            raise Dropped("login failed")

    def close(self):
        if self.conn is not None:
            self.conn.close()
        self.alive = False

    def command(self, text, kind, shown=None):
        """Send one command; apply every response; return (status, code, code argument)."""
        self.n += 1
        tag = b"c%d.%d" % (self.id, self.n)
        self.cmd = (shown or text.decode("utf-8", "replace"))[:200]
        self.kind = kind
        self.lines = []
        self.fetched = {}
        self.removed = []
        self.conn.send(tag + b" " + text + b"\r\n")
        for _ in range(10_000_000):
            parts = self.conn.response()
            self.lines.append(parts)
            if len(self.lines) > 400:
                del self.lines[1:-300]
            head = parts[0]
            if head.startswith(tag + b" "):
                status, code, arg = status_of(head[len(tag) + 1:])
                if status == b"BAD":
                    self.violate("BAD to a well-formed command", show(parts))
                elif status not in (b"OK", b"NO"):
                    self.violate("malformed tagged response", show(parts))
                return status, code, arg
            if head.startswith(b"* "):
                try:
                    self._apply(parts)
                except (ValueError, IndexError) as e:
                    self.violate("unparsable response", f"{e}: {show(parts)}")
            elif head.startswith(b"+"):
                continue
            else:
                self.violate("unparsable response", show(parts))
        raise Dropped("no tagged response")

    # -- untagged responses

    def _apply(self, parts):
        head = parts[0]
        word = head[2:].split(b" ", 2)
        first = word[0].upper()
        if first in (b"OK", b"NO", b"BAD", b"BYE", b"PREAUTH"):
            status, code, arg = status_of(head[2:])
            if status == b"BYE":
                if self.kind != "LOGOUT":
                    self.violate("BYE", show(parts))
            elif status in (b"NO", b"BAD"):
                self.violate(f"untagged {status.decode()}", show(parts))
            elif self.box is not None and code == b"PERMANENTFLAGS":
                self.box.permanent = norm_flags(parse([arg])[0])
            elif self.box is not None and code == b"UIDVALIDITY":
                self.box.uidvalidity = int(arg)
            elif self.box is not None and code == b"UIDNEXT":
                self.box.uidnext = int(arg)
            return
        if first == b"FLAGS":
            if self.box is not None:
                self.box.flags = norm_flags(parse(parts)[2])
            return
        if first == b"VANISHED":
            self.violate("VANISHED without QRESYNC", show(parts))
            return
        if not first.isdigit() or len(word) < 2:
            return  # CAPABILITY, LIST, SEARCH, STATUS, ...
        n, what = int(first), word[1].upper()
        if self.box is None:
            if what in (b"EXPUNGE", b"FETCH"):
                self.violate("message data outside the selected state", show(parts))
            return
        slots = self.box.slots
        if what == b"EXISTS":
            if n < len(slots):
                self.violate("EXISTS shrank without EXPUNGE",
                             f"EXISTS {n} while the client knows {len(slots)} messages")
                del slots[n:]
            # Messages counted by the first EXISTS of SELECT were there before its UIDNEXT.
            initial = self.kind == "SELECT" and not self.box.counted
            self.box.counted = True
            while len(slots) < n:
                slots.append(Slot(initial=initial))
        elif what == b"RECENT":
            pass
        elif what == b"EXPUNGE":
            if self.kind in ("FETCH", "STORE", "SEARCH"):
                self.violate("EXPUNGE while answering FETCH/STORE/SEARCH",
                             f"* {n} EXPUNGE during {self.kind}")
            if not 1 <= n <= len(slots):
                self.violate("EXPUNGE number out of range",
                             f"* {n} EXPUNGE with {len(slots)} messages known")
                return
            self.removed.append(slots.pop(n - 1))
        elif what == b"FETCH":
            self._fetch(n, parts)

    def _fetch(self, n, parts):
        slots = self.box.slots
        if not 1 <= n <= len(slots):
            self.violate("FETCH number out of range",
                         f"* {n} FETCH with {len(slots)} messages known")
            return
        data = parse(parts)
        if len(data) < 4 or not isinstance(data[3], list) or len(data[3]) % 2:
            self.violate("unparsable response", show(parts))
            return
        items = {}
        for k, v in zip(data[3][0::2], data[3][1::2]):
            items[bytes(k).upper()] = v
        slot = slots[n - 1]
        key_uid = None
        if b"UID" in items:
            uid = int(items[b"UID"])
            if slot.uid is not None and slot.uid != uid:
                self.violate("UID of a message number changed",
                             f"message {n} had UID {slot.uid}, now {uid}")
            slot.uid = uid
            key_uid = uid
            self._check_order(n - 1)
            if slot.initial and self.box.uidnext is not None and uid >= self.box.uidnext:
                self.violate("UID not below UIDNEXT of SELECT",
                             f"message {n} present at SELECT has UID {uid}, "
                             f"UIDNEXT was {self.box.uidnext}; SELECT answered "
                             + " | ".join(self.select_lines))
            slot.initial = False
        elif self.kind == "UID":
            self.violate("UID FETCH response without UID", show(parts))
        if b"FLAGS" in items:
            flags = norm_flags(items[b"FLAGS"])
            self._check_flags(n, flags)
            slot.flags = flags
        size = items.get(b"RFC822.SIZE")
        if size is not None:
            size = int(size)
            if slot.size is not None and slot.size != size:
                self.violate("RFC822.SIZE changed", f"message {n}: {slot.size} then {size}")
            slot.size = size
        body = items.get(b"BODY[]")
        header = items.get(b"BODY[HEADER]")
        for name, value in ((b"BODY[]", body), (b"BODY[HEADER]", header)):
            if value is not None and not isinstance(value, (Lit, Str)):
                self.violate("body is not a string", f"message {n} {name.decode()} = {value!r}")
        if isinstance(body, (Lit, Str)):
            if slot.size is not None and len(body) != slot.size:
                self.violate("BODY[] length differs from RFC822.SIZE",
                             f"message {n}: BODY[] {len(body)} bytes, RFC822.SIZE {slot.size}")
            if isinstance(header, (Lit, Str)) and not body.startswith(header):
                self.violate("BODY[HEADER] not a prefix of BODY[]", f"message {n}")
        if slot.uid is not None and self.box.uidvalidity is not None:
            sha = hashlib.sha256(body).hexdigest() if isinstance(body, (Lit, Str)) else None
            if sha is not None or size is not None:
                self.shared.learn((self.box.name, self.box.uidvalidity, slot.uid), sha=sha,
                                  size=size, how=f"client {self.id} fetched",
                                  client=self.id, command=self.cmd, lines=self.lines)
        merge = self.fetched.setdefault(key_uid if self.kind == "UID" else n, {})
        merge.update(items)

    def _check_order(self, i):
        slots, uid = self.box.slots, self.box.slots[i].uid
        for j in range(i - 1, -1, -1):
            if slots[j].uid is not None:
                if slots[j].uid >= uid:
                    self.violate("UIDs do not rise with message numbers",
                                 f"message {j + 1} UID {slots[j].uid}, message {i + 1} UID {uid}")
                break
        for j in range(i + 1, len(slots)):
            if slots[j].uid is not None:
                if slots[j].uid <= uid:
                    self.violate("UIDs do not rise with message numbers",
                                 f"message {i + 1} UID {uid}, message {j + 1} UID {slots[j].uid}")
                break

    def _check_flags(self, n, flags):
        box = self.box
        for f in flags:
            if f.startswith(b"\\"):
                if f not in SYSTEM_FLAGS:
                    self.violate("unknown system flag in FETCH", f"message {n}: {f!r}")
                continue
            if box.flags is None or f not in box.flags:
                self.violate("keyword in FETCH not announced in FLAGS",
                             f"message {n}: {f.decode()} not in FLAGS "
                             f"{sorted(x.decode() for x in box.flags or ())}")
            elif box.permanent is None or (f not in box.permanent
                                           and b"\\*" not in box.permanent):
                self.violate("keyword in FETCH not announced in PERMANENTFLAGS",
                             f"message {n}: {f.decode()}")

    # -- helpers for commands

    def key(self, uid):
        return (self.box.name, self.box.uidvalidity, uid)

    def select(self, name):
        self.box = Mailbox(name)
        status, code, arg = self.command(b"SELECT " + name.encode(), "SELECT")
        if status != b"OK":
            self.violate("tagged response not OK", "SELECT failed")
            self.box = None
            return False
        box = self.box
        if box.flags is None or box.permanent is None or box.uidvalidity is None:
            self.violate("SELECT without FLAGS, PERMANENTFLAGS or UIDVALIDITY",
                         f"flags {box.flags} permanent {box.permanent} "
                         f"uidvalidity {box.uidvalidity}")
        self.select_lines = [show(p, 120) for p in self.lines]
        old = self.uidvalidity_seen.setdefault(name, box.uidvalidity)
        if old != box.uidvalidity:
            self.violate("UIDVALIDITY changed", f"{name}: {old} then {box.uidvalidity}")
        return True

    def sync(self):
        """FETCH (UID FLAGS) of the messages whose UID or flags the client does not know."""
        if self.box is None:
            return
        unknown = [i + 1 for i, s in enumerate(self.box.slots)
                   if s.uid is None or s.flags is None]
        if unknown:
            self.fetch(unknown, [b"UID", b"FLAGS"])

    def fetch(self, seqs, items):
        """FETCH by message number: must complete OK with every item for every number."""
        names = [i.replace(b".PEEK", b"") for i in items]
        text = b"FETCH " + seq_text(seqs) + b" (" + b" ".join(items) + b")"
        status, code, _ = self.command(text, "FETCH")
        if status != b"OK":
            self.violate("FETCH of existing messages failed",
                         f"{status.decode()} [{(code or b'').decode()}] to FETCH of "
                         f"messages {seqs[:10]} of {len(self.box.slots)}")
            return
        for s in seqs:
            got = self.fetched.get(s, {})
            missing = [x.decode() for x in names if x not in got]
            if missing:
                self.violate("FETCH did not return what was asked",
                             f"message {s}: no {', '.join(missing)}")

    def uid_fetch(self, uids, items):
        names = [b"UID"] + [i.replace(b".PEEK", b"") for i in items]
        text = b"UID FETCH " + seq_text(sorted(uids)) + b" (" + b" ".join(items) + b")"
        status, code, _ = self.command(text, "UID")
        if status != b"OK":
            self.violate("UID FETCH of existing messages failed",
                         f"{status.decode()} [{(code or b'').decode()}]")
            return
        gone = {s.uid for s in self.removed}
        for u in uids:
            if u in gone:
                continue
            got = self.fetched.get(u, {})
            missing = [x.decode() for x in names if x not in got]
            if missing:
                self.violate("UID FETCH did not return what was asked",
                             f"UID {u}: no {', '.join(missing)}")

    def confirm_expunge(self, targets, what):
        """After NO [EXPUNGEISSUED]: a NOOP must announce the expunge of a target."""
        self.noop()
        if not any(s in self.removed for s in targets):
            self.violate("EXPUNGEISSUED without an expunge",
                         f"{what} answered EXPUNGEISSUED but the next NOOP expunged none of "
                         f"UIDs {sorted(s.uid for s in targets if s.uid)[:10]}")

    def noop(self):
        status, _, _ = self.command(b"NOOP", "NOOP")
        if status != b"OK":
            self.violate("tagged response not OK", "NOOP")
