"""Private SpamAssassin (spamd) and ClamAV (clamd) daemons for the filtering tests.

Each runs from a temporary directory the fixture writes, on a free port of 127.0.0.1, and
depends on nothing of the machine's own set-up:

- spamd reads the rules SpamAssassin ships (`/usr/share/spamassassin`, no `sa-update`, no
  network tests) and a site configuration made of the shipped `.pre` files (they load the
  plugins) plus a `local.cf` that turns Bayes and auto-whitelisting off; no user
  configuration. GTUBE scores 1000 with the shipped rules alone.
- clamd (streams up to STREAM_MAX_KB) loads one signature the fixture writes, the EICAR test string as a `.ndb` body
  signature named `Heron-Test-EICAR` (clamd reports it as `Heron-Test-EICAR.UNOFFICIAL`);
  no freshclam, no official database.

Both are started in their own process group and stopped with it.
"""

import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import eventually, free_port

# The GTUBE and EICAR test strings: every spam filter and virus scanner knows them.
GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"
EICAR = r"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
SIGNATURE = "Heron-Test-EICAR"
# The name clamd gives a signature from a database it does not know as official.
VIRUS_NAME = SIGNATURE + ".UNOFFICIAL"

# clamd refuses streams longer than this (its default is 25 MB).
STREAM_MAX_KB = 512

SA_RULES = Path("/usr/share/spamassassin")
SA_SITE = Path("/etc/spamassassin")


def daemon_port():
    """A free port below the port offsets the Heron fixtures use (20000 and up) and below
    the kernel's range for outgoing connections."""
    return free_port(12000, 19900)


def world_readable_dir(prefix):
    """A temporary directory a daemon that drops privileges can still read (pytest's own
    temporary directories are private to their owner)."""
    d = Path(tempfile.mkdtemp(prefix=prefix))
    d.chmod(0o755)
    return d


def exchange(port, data, timeout=10.0):
    """Send `data` to 127.0.0.1:`port`, close the sending side, return everything read."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        out = b""
        while chunk := s.recv(65536):
            out += chunk
        return out


class Daemon:
    """A daemon process in its own process group, its output in `log`."""

    name = "daemon"

    def __init__(self):
        self.dir = world_readable_dir(f"heron-{self.name}-")
        self.port = daemon_port()
        self.log = self.dir / "output.log"
        self.proc = None

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    def spawn(self, argv):
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=True)

    def wait_ready(self, timeout):
        def ready():
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited {self.proc.returncode}:\n{self.tail()}")
            return self.answers()
        try:
            eventually(ready, timeout, interval=0.3, what=f"{self.name} answers")
        except RuntimeError as e:
            self.stop()
            pytest.fail(str(e))

    def tail(self, n=30):
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return "(no output)"

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
            except ProcessLookupError:
                pass
        self.proc = None
        shutil.rmtree(self.dir, ignore_errors=True)


class Spamd(Daemon):
    name = "spamd"

    def start(self):
        site = self.dir / "site"
        site.mkdir()
        for pre in SA_SITE.glob("*.pre"):
            shutil.copy(pre, site / pre.name)
        (site / "local.cf").write_text(
            "use_bayes 0\nbayes_auto_learn 0\nuse_auto_whitelist 0\n"
            "required_score 5.0\n")
        for p in site.iterdir():
            p.chmod(0o644)
        site.chmod(0o755)
        argv = ["spamd", "--listen", self.address, "--pidfile", str(self.dir / "spamd.pid"),
                "--configpath", str(SA_RULES), "--siteconfigpath", str(site),
                "--nouser-config", "--local", "--max-children", "2", "--syslog", "stderr"]
        if os.geteuid() == 0:
            argv += ["--username", "nobody"]
        self.spawn(argv)
        self.wait_ready(90)
        return self

    def answers(self):
        return exchange(self.port, b"PING SPAMC/1.5\r\n\r\n", timeout=2).startswith(
            b"SPAMD/1.5 0 PONG")

    def check(self, message):
        """spamd's own answer to a SYMBOLS request (for the harness's checks)."""
        return exchange(self.port, b"SYMBOLS SPAMC/1.5\r\nContent-length: %d\r\n\r\n"
                        % len(message) + message)


class Clamd(Daemon):
    name = "clamd"

    def start(self):
        db = self.dir / "db"
        db.mkdir()
        (db / "heron-test.ndb").write_text(f"{SIGNATURE}:0:*:{EICAR.encode().hex()}\n")
        (self.dir / "tmp").mkdir()
        conf = self.dir / "clamd.conf"
        conf.write_text("\n".join([
            f"TCPSocket {self.port}",
            "TCPAddr 127.0.0.1",
            f"DatabaseDirectory {db}",
            f"TemporaryDirectory {self.dir / 'tmp'}",
            f"PidFile {self.dir / 'clamd.pid'}",
            "Foreground yes",
            f"StreamMaxLength {STREAM_MAX_KB}K",
            "LogVerbose no",
            "",
        ]))
        self.spawn(["clamd", "--config-file", str(conf)])
        self.wait_ready(60)
        return self

    def answers(self):
        return exchange(self.port, b"zPING\0", timeout=2) == b"PONG\0"

    def scan(self, data):
        """clamd's answer to an INSTREAM of `data` (for the harness's checks)."""
        return exchange(self.port, b"zINSTREAM\0" + struct.pack(">I", len(data)) + data
                        + struct.pack(">I", 0))


def need(*programs):
    missing = [p for p in programs if shutil.which(p) is None]
    if missing:
        pytest.skip(f"not installed: {', '.join(missing)} (scripts/test.sh installs them)")


@pytest.fixture(scope="module")
def spamd():
    """A private spamd on a free port."""
    need("spamd")
    d = Spamd()
    try:
        yield d.start()
    finally:
        d.stop()


@pytest.fixture(scope="module")
def clamd():
    """A private clamd on a free port knowing the EICAR signature only."""
    need("clamd")
    d = Clamd()
    try:
        yield d.start()
    finally:
        d.stop()

