"""A PostgreSQL server for the tests of the shared store: a private cluster on a free
127.0.0.1 port made from Debian's packages (installed when missing), or the server
HERON_TEST_PG names (postgres://USER@HOST:PORT/DB of a role that may create databases). The
fixtures `pg_cluster` (one per test session) and `pg_url` (a new empty database per test)
are registered in conftest.py."""

import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest

PG_BIN_GLOB = "/usr/lib/postgresql/*/bin"


def as_root(cmd):
    return cmd if os.geteuid() == 0 else ["sudo", "-n", *cmd]


def pg_bin():
    """The newest installed PostgreSQL's bin directory, installing Debian's package when
    there is none (None when that is not possible)."""
    def newest():
        found = sorted(glob.glob(PG_BIN_GLOB), key=lambda p: [int(x) for x in
                                                                Path(p).parent.name.split(".")
                                                                if x.isdigit()])
        return found[-1] if found else None
    if newest() is None and shutil.which("apt-get"):
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(as_root(["apt-get", "update", "-qq"]), env=env, capture_output=True)
        subprocess.run(as_root(["apt-get", "install", "-y", "-qq", "postgresql"]), env=env,
                       capture_output=True)
    return newest()


def free_tcp_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """A PostgreSQL server to make databases on: `admin` is a URL with the right to."""

    def __init__(self, admin, psql, pg_ctl=None):
        self.admin = admin
        self.psql = psql
        # pg_ctl of a private cluster (a command list taking "stop"/"start" and their
        # options), None for a server given by HERON_TEST_PG, which is never stopped.
        self.pg_ctl = pg_ctl

    def stop(self):
        """Stop the private cluster at once (connections are cut)."""
        subprocess.run(self.pg_ctl(["-m", "immediate", "-w", "stop"]), check=True,
                       capture_output=True, timeout=60)

    def start(self):
        subprocess.run(self.pg_ctl(["-w", "start"]), check=True, capture_output=True,
                       timeout=60)

    def sql(self, text, db_url=None):
        r = subprocess.run([self.psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-At",
                            db_url or self.admin, "-c", text],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, f"psql {text!r}: {r.stderr}"
        return r.stdout

    def new_database(self):
        """A fresh empty database; its URL."""
        name = f"heron_{uuid.uuid4().hex[:12]}"
        self.sql(f'CREATE DATABASE "{name}"')
        base = self.admin.rsplit("/", 1)[0]
        return f"{base}/{name}"


@pytest.fixture(scope="session")
def pg_cluster():
    given = os.environ.get("HERON_TEST_PG")
    if given:
        psql = shutil.which("psql") or (pg_bin() and os.path.join(pg_bin(), "psql"))
        if not psql:
            pytest.skip("HERON_TEST_PG is set but no psql is installed")
        yield Cluster(given, psql)
        return
    bindir = pg_bin()
    if bindir is None:
        pytest.skip("PostgreSQL is not installed and cannot be installed (no apt-get or root)")
    root = os.geteuid() == 0
    d = tempfile.mkdtemp(prefix="heron-pg-")
    if root:
        shutil.chown(d, "postgres")

    def as_pg(cmd):
        if root:
            return ["su", "postgres", "-s", "/bin/sh", "-c",
                    " ".join(f"'{c}'" for c in cmd)]
        return cmd

    port = free_tcp_port()
    subprocess.run(as_pg([f"{bindir}/initdb", "-D", f"{d}/data", "-A", "trust", "-U",
                          "postgres", "-E", "UTF8", "--locale=C.UTF-8"]),
                   check=True, capture_output=True)
    subprocess.run(as_pg([f"{bindir}/pg_ctl", "-D", f"{d}/data", "-l", f"{d}/log", "-w", "-o",
                          f"-p {port} -k {d} -c listen_addresses=127.0.0.1 "
                          "-c max_connections=300", "start"]),
                   check=True, capture_output=True)
    def pg_ctl(args):
        return as_pg([f"{bindir}/pg_ctl", "-D", f"{d}/data", "-l", f"{d}/log", "-o",
                      f"-p {port} -k {d} -c listen_addresses=127.0.0.1 "
                      "-c max_connections=300", *args])

    try:
        yield Cluster(f"postgres://postgres@127.0.0.1:{port}/postgres", f"{bindir}/psql",
                      pg_ctl)
    finally:
        subprocess.run(as_pg([f"{bindir}/pg_ctl", "-D", f"{d}/data", "-m", "fast", "-w",
                              "stop"]), capture_output=True)
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def pg_url(pg_cluster):
    """The URL of a new empty database."""
    return pg_cluster.new_database()
