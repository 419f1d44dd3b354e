"""SEARCH latency: text searches on their own, apart from the command mix. Used by bench/imap.

- `search_cells`: N clients on the shared mailbox, each logged in with the mailbox examined,
  send `UID SEARCH SUBJECT word` or `UID SEARCH BODY text` one after another for a while;
  the latency of each and the number of UIDs each answer held (every answer of a server to
  one search must hold the same number, and the servers must agree).
- `fill_search_folder` and `search_big`: one folder of N generated messages on each server
  (pipelined APPENDs with non-synchronising literals), then SEARCH BODY for a word one
  message in 997 holds and for two words many hold, one client, each repeated.
"""

from __future__ import annotations

import imaplib
import random
import socket
import statistics
import threading
import time
from dataclasses import dataclass, field

from benchlib import BenchError

# Words of the big folder's bodies, and the rare word one message in RARE_EVERY holds.
FILLER = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india",
          "juliet", "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo")
RARE = "xylophone"
RARE_EVERY = 997


@dataclass
class Latency:
    """What one server answered to one search, by how many clients."""
    server: str
    query: str
    clients: int
    times_ms: list[float] = field(default_factory=list)
    found: set[int] = field(default_factory=set)
    failed: str | None = None

    @property
    def mean(self) -> float | None:
        return statistics.fmean(self.times_ms) if self.times_ms else None

    @property
    def p99(self) -> float | None:
        if not self.times_ms:
            return None
        s = sorted(self.times_ms)
        return s[min(len(s) - 1, int(len(s) * 0.99))]


def uid_search(m: imaplib.IMAP4, query: str) -> int:
    """Run `UID SEARCH query`; the number of UIDs found."""
    typ, data = m.uid("SEARCH", *query.split(" ", 1))
    if typ != "OK":
        raise BenchError(f"UID SEARCH {query} answered {typ} {data!r}")
    return len(data[0].split()) if data and data[0] else 0


def search_cell(name: str, port: int, user: str, password: str, folder: str, query: str,
                clients: int, seconds: float) -> Latency:
    """`clients` connections each sending `UID SEARCH query` back to back for `seconds`."""
    out = Latency(name, query, clients)
    lock = threading.Lock()
    start = threading.Barrier(clients)

    def client() -> None:
        try:
            m = imaplib.IMAP4("127.0.0.1", port, timeout=600)
            m.login(user, password)
            m.select(folder, readonly=True)
            start.wait(120)
            end = time.perf_counter() + seconds
            while time.perf_counter() < end:
                t0 = time.perf_counter()
                n = uid_search(m, query)
                ms = (time.perf_counter() - t0) * 1000
                with lock:
                    out.times_ms.append(ms)
                    out.found.add(n)
            m.logout()
        except (OSError, imaplib.IMAP4.error, BenchError, threading.BrokenBarrierError) as e:
            with lock:
                out.failed = out.failed or f"{type(e).__name__}: {e}"

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 900)
    if len(out.found) > 1 and not out.failed:
        out.failed = f"answers of different sizes: {sorted(out.found)}"
    return out


def search_cells(servers, user: str, password: str, folder: str, queries: list[str],
                 clients: list[int], seconds: float, log) -> list[Latency]:
    """Every query at every client count on every server (`servers`: name and port)."""
    cells = []
    for n in clients:
        for q in queries:
            row = []
            for name, port in servers:
                log(f"{name}: UID SEARCH {q}, {n} clients for {seconds:g} s")
                c = search_cell(name, port, user, password, folder, q, n, seconds)
                log(f"{name}: " + (f"FAILED: {c.failed}" if c.failed else
                                   f"{len(c.times_ms)} searches, mean {c.mean:.1f} ms, p99 {c.p99:.1f} ms, "
                                   f"{sorted(c.found)} found"))
                row.append(c)
            agree(row)
            cells.extend(row)
    return cells


def agree(row: list[Latency]) -> None:
    """Mark the row failed when the servers found different numbers of messages."""
    sizes = {next(iter(c.found)) for c in row if c.found and not c.failed}
    if len(sizes) > 1:
        for c in row:
            c.failed = c.failed or f"servers disagree: {[(x.server, sorted(x.found)) for x in row]}"


def big_message(i: int, rng: random.Random) -> bytes:
    words = [rng.choice(FILLER) for _ in range(rng.randint(60, 160))]
    if i % RARE_EVERY == 0:
        words.insert(rng.randint(0, len(words)), RARE)
    body = "\r\n".join(" ".join(words[k:k + 12]) for k in range(0, len(words), 12))
    return (f"From: Sender {i % 500} <sender{i % 500}@search.example>\r\n"
            f"To: u@bench.test\r\nSubject: Search fill {i} {rng.choice(FILLER)}\r\n"
            f"Message-ID: <search.{i}@bench.test>\r\nDate: Mon, 01 Jan 2024 10:00:00 +0000\r\n"
            "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
            f"{body}\r\n").encode()


def expected_rare(n: int) -> int:
    return n // RARE_EVERY


def fill_search_folder(name: str, port: int, user: str, password: str, folder: str, n: int,
                       seed: int, log) -> float:
    """Create `folder` and APPEND `n` generated messages, 500 pipelined at a time (LITERAL+);
    returns the seconds it took."""
    rng = random.Random(seed)
    sock = socket.create_connection(("127.0.0.1", port), timeout=600)
    buf = b""

    def line() -> bytes:
        nonlocal buf
        while b"\r\n" not in buf:
            chunk = sock.recv(1 << 16)
            if not chunk:
                raise BenchError(f"{name} closed the connection while filling {folder}")
            buf += chunk
        out, buf = buf.split(b"\r\n", 1)
        return out

    def tagged(tag: bytes) -> bytes:
        while True:
            ln = line()
            if ln.startswith(tag + b" "):
                return ln

    t0 = time.perf_counter()
    line()
    sock.sendall(b"l LOGIN %s %s\r\nc CREATE %s\r\n" % (user.encode(), password.encode(), folder.encode()))
    if b"OK" not in tagged(b"l"):
        raise BenchError(f"{name}: LOGIN failed")
    tagged(b"c")
    done = 0
    while done < n:
        k = min(500, n - done)
        parts = []
        for j in range(done + 1, done + k + 1):
            msg = big_message(j, rng)
            parts.append(b"a%d APPEND %s {%d+}\r\n%s\r\n" % (j, folder.encode(), len(msg), msg))
        sock.sendall(b"".join(parts))
        for j in range(done + 1, done + k + 1):
            reply = tagged(b"a%d" % j)
            if not reply.startswith(b"a%d OK" % j):
                raise BenchError(f"{name}: APPEND {j} answered {reply[:200]!r}")
        done += k
        if done % 20000 == 0:
            log(f"{name}: {done} of {n} messages in {folder}")
    sock.sendall(b"z LOGOUT\r\n")
    sock.close()
    return time.perf_counter() - t0


def search_big(servers, user: str, password: str, folder: str, n: int, seed: int, rounds: int,
               log) -> tuple[list[Latency], list[tuple[str, float]]]:
    """Fill `folder` with `n` messages on every server, then time SEARCH BODY for the rare
    word and for a common one, `rounds` times each after one unmeasured search."""
    fills = []
    for name, port in servers:
        log(f"{name}: APPENDing {n} messages to {folder}")
        secs = fill_search_folder(name, port, user, password, folder, n, seed, log)
        fills.append((name, secs))
        log(f"{name}: filled in {secs:.1f} s")
    out = []
    for query in (f"BODY {RARE}", 'BODY "quebec romeo"'):
        row = []
        for name, port in servers:
            c = Latency(name, query, 1)
            try:
                m = imaplib.IMAP4("127.0.0.1", port, timeout=900)
                m.login(user, password)
                m.select(folder, readonly=True)
                uid_search(m, query)
                for _ in range(rounds):
                    t0 = time.perf_counter()
                    c.found.add(uid_search(m, query))
                    c.times_ms.append((time.perf_counter() - t0) * 1000)
                m.logout()
            except (OSError, imaplib.IMAP4.error, BenchError) as e:
                c.failed = f"{type(e).__name__}: {e}"
            if query.endswith(RARE) and c.found and c.found != {expected_rare(n)}:
                c.failed = c.failed or f"found {sorted(c.found)}, {expected_rare(n)} expected"
            log(f"{name}: UID SEARCH {query} on {n} messages: " +
                (f"FAILED: {c.failed}" if c.failed else f"mean {c.mean:.1f} ms, p99 {c.p99:.1f} ms"))
            row.append(c)
        agree(row)
        out.extend(row)
    return out, fills


def report(cells: list[Latency], big: list[Latency], fills: list[tuple[str, float]], n: int,
           table) -> None:
    """Print the tables (`table`: bench/imap's column printer)."""
    if cells:
        print("\nSEARCH alone: clients on the shared mailbox, UID SEARCH back to back (ms: mean / p99; found: UIDs)")
        rows = [[str(c.clients), c.server, c.query,
                 "FAILED" if c.failed else f"{c.mean:.2f} / {c.p99:.2f}",
                 str(len(c.times_ms)), ",".join(map(str, sorted(c.found)))] for c in cells]
        table(["clients", "server", "search", "ms", "searches", "found"], rows)
    if big:
        print(f"\nSEARCH BODY on one folder of {n} generated messages, one client "
              f"(ms: mean / p99 after one unmeasured search)")
        rows = [[c.server, c.query, "FAILED" if c.failed else f"{c.mean:.2f} / {c.p99:.2f}",
                 ",".join(map(str, sorted(c.found)))] for c in big]
        table(["server", "search", "ms", "found"], rows)
        print("fill (pipelined APPEND): " + ", ".join(f"{s} {t:.1f} s" for s, t in fills))
    for c in cells + big:
        if c.failed:
            print(f"\nFAILED {c.server} UID SEARCH {c.query} x{c.clients}: {c.failed}")
