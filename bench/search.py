"""SEARCH latency: text searches on their own, apart from the command mix. Used by bench/imap.

- `search_cells`: N clients on the shared mailbox, each logged in with the mailbox examined,
  send `UID SEARCH SUBJECT word` or `UID SEARCH BODY text` one after another for a while;
  the latency of each and the number of UIDs each answer held (every answer of a server to
  one search must hold the same number, and the servers must agree).
- `fill_search_folder` and `search_big`: one folder of N generated messages on each server
  (one generated mbox, imported with each server's own tool: `heron import`, `doveadm
  import`), then SEARCH BODY for a word one message in 997 holds and for two words many
  hold, one client, each repeated.
"""

from __future__ import annotations

import imaplib
import os
import random
import shutil
import statistics
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchlib import BenchError

# Dovecot's mail user (bench/imap's VMAIL_UID and VMAIL_GID).
VMAIL_UID = VMAIL_GID = 5000

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


def write_mbox(path: Path, n: int, seed: int) -> None:
    """`n` generated messages in an mbox (LF line ends; no body line starts with "From ")."""
    rng = random.Random(seed)
    with open(path, "wb") as f:
        for i in range(1, n + 1):
            f.write(b"From MAILER-DAEMON Mon Jan  1 10:00:00 2024\n")
            f.write(big_message(i, rng).replace(b"\r\n", b"\n"))
            f.write(b"\n")


def fill_search_folder(server, user: str, folder: str, mbox: Path, n: int) -> float:
    """Import `mbox` (`n` messages) into `folder` the way the server's own tools do: `heron
    import --folder` (the server running), `doveadm import` for Dovecot. Returns the seconds
    it took."""
    t0 = time.perf_counter()
    if hasattr(server, "doveadm"):
        # doveadm import reads the mbox as the mail user: a directory of mbox files, one per
        # folder, and an empty INBOX so the mbox driver has one.
        src = server.base / "dovecot-search-src"
        src.mkdir()
        shutil.copy(mbox, src / folder)
        (src / "empty-inbox").touch()
        for p in (src, src / folder, src / "empty-inbox"):
            os.chown(p, VMAIL_UID, VMAIL_GID)
        server.doveadm("import", "-u", user, f"mbox:{src}:INBOX={src / 'empty-inbox'}:INDEX=MEMORY",
                       "", "mailbox", folder, timeout=7200)
        shutil.rmtree(src)
        out = server.doveadm("mailbox", "status", "-u", user, "messages", folder).stdout
        held = int(out.split("=", 1)[1]) if "=" in out else -1
    else:
        out = server.cli("import", user, str(mbox), "--folder", folder, timeout=7200)
        held = n if f"imported {n} messages" in out else -1
    if held != n:
        raise BenchError(f"{server.name}: {folder} holds {held} messages after the import, {n} expected")
    return time.perf_counter() - t0


def search_big(servers, user: str, password: str, folder: str, n: int, seed: int, rounds: int,
               scratch: Path, log) -> tuple[list[Latency], list[tuple[str, float]]]:
    """Fill `folder` with `n` messages on every server, then time SEARCH BODY for the rare
    word and for a common one, `rounds` times each after one unmeasured search."""
    mbox = scratch / "search.mbox"
    log(f"generating {n} messages ({mbox.name})")
    write_mbox(mbox, n, seed)
    fills = []
    for server in servers:
        log(f"{server.name}: importing {n} messages into {folder}")
        secs = fill_search_folder(server, user, folder, mbox, n)
        fills.append((server.name, secs))
        log(f"{server.name}: imported in {secs:.1f} s")
    mbox.unlink()
    out = []
    for query in (f"BODY {RARE}", 'BODY "quebec romeo"'):
        row = []
        for server in servers:
            name, port = server.name, server.port
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
        print("folder import: " + ", ".join(f"{s} {t:.1f} s" for s, t in fills))
    for c in cells + big:
        if c.failed:
            print(f"\nFAILED {c.server} UID SEARCH {c.query} x{c.clients}: {c.failed}")
