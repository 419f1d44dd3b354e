"""One client, one command after another: what a migration script, an upload of Sent copies
or a mailbox copy does. Used by bench/imap.

- `serial_append`: Python's imaplib (default socket options, as scripts use it) APPENDs
  messages one at a time on one connection and waits for each answer.
- `mbsync_copy`: `mbsync` copies a whole folder from one server to another over IMAP (an
  IMAP-to-IMAP channel), as an administrator moving an account does.

Both count what the destination holds afterwards, so a figure is only given for a complete
copy.
"""

from __future__ import annotations

import imaplib
import mailbox
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from benchlib import BenchError, run


def mbox_messages(path: Path, limit: int) -> list[bytes]:
    """The first `limit` messages of an mbox, with CRLF line ends (as IMAP carries them)."""
    out = []
    for msg in mailbox.mbox(str(path)):
        raw = msg.as_bytes(unixfrom=False)
        out.append(raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
        if len(out) >= limit:
            break
    return out


@dataclass
class SerialResult:
    server: str
    messages: int = 0
    seconds: float = 0.0
    failed: str | None = None

    @property
    def rate(self) -> float | None:
        return self.messages / self.seconds if self.seconds and not self.failed else None

    @property
    def ms_each(self) -> float | None:
        return self.seconds * 1000 / self.messages if self.messages and not self.failed else None


def count(port: int, user: str, password: str, folder: str) -> int:
    m = imaplib.IMAP4("127.0.0.1", port)
    try:
        m.login(user, password)
        typ, data = m.status(folder, "(MESSAGES)")
        if typ != "OK":
            return -1
        return int(data[0].decode().rsplit("MESSAGES", 1)[1].strip(" ()"))
    finally:
        m.logout()


def serial_append(name: str, port: int, user: str, password: str, folder: str,
                  msgs: list[bytes]) -> SerialResult:
    """APPEND every message to `folder` (created first) on one imaplib connection."""
    r = SerialResult(name)
    m = imaplib.IMAP4("127.0.0.1", port)
    try:
        m.login(user, password)
        m.create(folder)
        t0 = time.perf_counter()
        for msg in msgs:
            typ, data = m.append(folder, None, None, msg)
            if typ != "OK":
                r.failed = f"APPEND answered {typ} {data!r}"
                return r
            r.messages += 1
        r.seconds = time.perf_counter() - t0
        m.logout()
    except (OSError, imaplib.IMAP4.error) as e:
        r.failed = f"imaplib: {e}"
        return r
    held = count(port, user, password, folder)
    if held != len(msgs):
        r.failed = f"{folder} holds {held} messages after {len(msgs)} APPENDs"
    return r


@dataclass
class CopyResult:
    source: str
    target: str
    messages: int = 0
    seconds: float = 0.0
    failed: str | None = None


def mbsync_copy(scratch: Path, source: tuple[str, int], target: tuple[str, int], user: str,
                password: str, folder: str, into: str, expect: int) -> CopyResult:
    """Copy `folder` of `source` (name, port) into a new folder `into` of `target` with an
    mbsync IMAP-to-IMAP channel; timed from start to exit."""
    r = CopyResult(source[0], target[0])
    if shutil.which("mbsync") is None:
        r.failed = "mbsync not installed (Debian package isync)"
        return r
    work = scratch / f"mbsync-{source[0]}-{target[0]}"
    state = work / "state"
    state.mkdir(parents=True, exist_ok=True)
    conf = work / "mbsyncrc"
    stores = []
    for role, (name, port) in (("far", source), ("near", target)):
        stores.append(
            f"IMAPAccount {role}\nHost 127.0.0.1\nPort {port}\nUser {user}\nPass {password}\n"
            "SSLType None\nAuthMechs LOGIN\n\n"
            f"IMAPStore {role}\nAccount {role}\n\n"
        )
    conf.write_text(
        "".join(stores)
        + f"Channel copy\nFar :far:{folder}\nNear :near:{into}\nCreate Near\nSync Pull New\n"
        f"SyncState {state}/\n"
    )
    t0 = time.perf_counter()
    p = subprocess.run(["mbsync", "-c", str(conf), "-q", "copy"], capture_output=True, text=True,
                       timeout=1800)
    r.seconds = time.perf_counter() - t0
    if p.returncode != 0:
        r.failed = f"mbsync exited {p.returncode}: {(p.stdout + p.stderr).strip()[-800:]}"
        return r
    r.messages = count(target[1], user, password, into)
    if r.messages != expect:
        r.failed = f"{into} on {target[0]} holds {r.messages} messages, {expect} expected"
    return r


def ensure_mbsync() -> None:
    if shutil.which("mbsync") is None:
        try:
            run(["apt-get", "install", "-y", "isync"], timeout=900)
        except BenchError:
            pass
