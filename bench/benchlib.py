"""Helpers shared by the bench scripts: the error that stops a bench, progress lines, running
a command, and a private PostgreSQL cluster for `--store postgres`.

The scripts are executables without a .py suffix; each one puts its own directory first on
sys.path and imports this module.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path


class BenchError(Exception):
    """A problem that stops the whole bench (setup, build, a server that will not start)."""


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def run(cmd: list[str], timeout: float = 120, check: bool = True, **kw) -> subprocess.CompletedProcess:
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    except subprocess.TimeoutExpired as e:
        raise BenchError(f"timed out after {timeout:.0f} s: {' '.join(cmd)}") from e
    if check and p.returncode != 0:
        raise BenchError(
            f"failed (exit {p.returncode}): {' '.join(cmd)}\n{(p.stdout + p.stderr).strip()}"
        )
    return p


# --------------------------------------------------------------------------- PostgreSQL

PG_DATABASE = "heron_bench"


def proc_cpu(pid: int, children: bool = False) -> float:
    """CPU seconds (user + system) of a process, all its threads; with `children`, plus
    those of its children it has reaped."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])
    if children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / os.sysconf("SC_CLK_TCK")


def tree_cpu(pid: int) -> float:
    """CPU seconds of a process, its living children and the children it reaped: Postfix's
    master and its daemons (each one a direct child of the master)."""
    total = proc_cpu(pid, children=True)
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                total += proc_cpu(int(entry.name))
        except (OSError, ValueError, IndexError):
            continue
    return total


def pg_extra_settings() -> str:
    """More `-c name=value` server settings from $HERON_BENCH_PG_SETTINGS (space-separated
    name=value pairs), for profiling runs such as `shared_preload_libraries=pg_stat_statements`."""
    pairs = os.environ.get("HERON_BENCH_PG_SETTINGS", "").split()
    return "".join(f" -c {kv}" for kv in pairs)


class PgCluster:
    """A private PostgreSQL cluster under the scratch directory, from Debian's packages
    (installed when missing), at its defaults for durability (fsync, synchronous commit on),
    listening on a free port of 127.0.0.1. It runs as the `postgres` account."""

    def __init__(self, base: Path):
        self.dir = base / "postgres"
        self.port = 0
        self.bin: Path | None = None

    def _as_pg(self, cmd: list[str], **kw) -> subprocess.CompletedProcess:
        return run(["runuser", "-u", "postgres", "--", *cmd], **kw)

    def start(self) -> None:
        found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
        if not found:
            log("installing Debian's postgresql package")
            env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
            run(["apt-get", "install", "-y", "postgresql"], timeout=900, env=env)
            found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
        if not found:
            raise BenchError("PostgreSQL's initdb not found")
        self.bin = found[-1].parent
        self.dir.mkdir(parents=True)
        shutil.chown(self.dir, "postgres")
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self._as_pg([str(self.bin / "initdb"), "-D", str(self.dir / "data"), "-A", "trust",
                     "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8"], timeout=120)
        self._as_pg([str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-l",
                     str(self.dir / "log"), "-w", "-o",
                     f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 "
                     "-c max_connections=200" + pg_extra_settings(), "start"], timeout=120)
        log(f"postgresql: 127.0.0.1:{self.port} ({self.bin.parent.name})")

    def url(self, db: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{db}"

    def psql(self, sql: str, db: str = "postgres") -> str:
        assert self.bin is not None
        return run([str(self.bin / "psql"), "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1",
                    self.url(db), "-c", sql], timeout=120).stdout

    def recreate(self, db: str) -> None:
        """An empty database `db` (the previous one dropped)."""
        self.psql(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        self.psql(f'CREATE DATABASE "{db}"')

    def version(self) -> str:
        return self.psql("SHOW server_version").strip()

    def postmaster_pid(self) -> int | None:
        """The cluster's main process; every backend is its child."""
        try:
            return int((self.dir / "data" / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def log_tail(self, lines: int = 10) -> str:
        try:
            return "\n".join((self.dir / "log").read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        if self.bin is None:
            return
        self._as_pg([str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "fast",
                     "-w", "stop"], timeout=120, check=False)
        self.bin = None
