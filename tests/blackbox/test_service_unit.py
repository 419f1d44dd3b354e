"""The systemd unit (dist/heron.service): systemd's own checker accepts it, it runs Heron as an
unprivileged user with only the capability to bind low ports, and systemd's security
analysis rates its exposure low."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import HERON

UNIT = Path(__file__).resolve().parents[2] / "dist" / "heron.service"


@pytest.fixture
def unit(tmp_path):
    if shutil.which("systemd-analyze") is None:
        if os.environ.get("CI"):
            pytest.fail("systemd-analyze is not installed (scripts/test.sh installs it)")
        pytest.skip("systemd-analyze is not installed")
    text = UNIT.read_text().replace("/usr/local/bin/heron", str(Path(HERON).resolve()))
    path = tmp_path / "heron.service"
    path.write_text(text)
    return path


def test_unit_verifies_and_is_hardened(unit):
    r = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0 and not r.stderr.strip(), r.stderr
    text = unit.read_text()
    assert re.search(r"^User=heron$", text, re.M)
    assert re.search(r"^AmbientCapabilities=CAP_NET_BIND_SERVICE$", text, re.M)
    assert re.search(r"^CapabilityBoundingSet=CAP_NET_BIND_SERVICE$", text, re.M)
    assert re.search(r"^NoNewPrivileges=yes$", text, re.M)
    assert re.search(r"^ProtectSystem=strict$", text, re.M)
    r = subprocess.run(["systemd-analyze", "security", "--offline=yes", str(unit)],
                       capture_output=True, text=True, timeout=60)
    m = re.search(r"Overall exposure level for heron.service: ([0-9.]+)", r.stdout)
    assert m, r.stdout[-2000:] + r.stderr
    assert float(m.group(1)) <= 2.0, r.stdout[-3000:]
