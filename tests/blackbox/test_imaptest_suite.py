"""Dovecot's imaptest scripted conformance suite (`test=.`, its src/tests) against Heron.

imaptest (tests/imaptest/: source, build patch, builder shared with bench/imap) runs each
test group (one file of src/tests) on fresh connections and compares every response with the
one the file expects; a group needing a capability Heron does not announce is not run by
imaptest itself. The test asserts the exact set of groups that fail, so a new failure and a
group that starts passing are both noticed: KNOWN_FAILING lists the groups Heron does not
pass yet, each with the reason.
"""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import HOST, OTHER, PASSWORD, USER

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "imaptest"))
import imaptest_build  # noqa: E402

# Groups that fail today, and why (none: every group passes, as on Dovecot). A group that
# cannot pass for a known reason is listed here with it, so the test still notices a change.
KNOWN_FAILING: set[str] = set()

SUMMARY = re.compile(r"^(\d+) test groups: (\d+) failed, (\d+) skipped due to missing capabilities$", re.M)
COUNTS = re.compile(r"^(base protocol|extensions): (\d+)/(\d+) individual commands failed$", re.M)
FAILED_GROUP = re.compile(r"^\*\*\* Test (\S+) (?:command \d+/\d+|initialization failed)", re.M)


def parse_summary(out):
    """imaptest's closing lines: (groups, failed, skipped), {kind: (failed, total)} and the
    names of the groups that failed."""
    m = SUMMARY.search(out)
    assert m, f"no summary in imaptest's output:\n{out[-3000:]}"
    counts = {k: (int(f), int(t)) for k, f, t in COUNTS.findall(out)}
    return tuple(map(int, m.groups())), counts, set(FAILED_GROUP.findall(out))


def test_parse_summary():
    out = ("*** Test copy command 16/24 (line 28)\n - failed: x\n\n"
           "*** Test id initialization failed: y\n"
           "71 test groups: 2 failed, 1 skipped due to missing capabilities\n"
           "base protocol: 13/457 individual commands failed\n"
           "extensions: 15/125 individual commands failed\n")
    assert parse_summary(out) == ((71, 2, 1), {"base protocol": (13, 457), "extensions": (15, 125)},
                                  {"copy", "id"})


@pytest.fixture
def imaptest(tmp_path):
    """An imaptest binary: the cached build of tests/imaptest's source, else a new build."""
    try:
        binary, _ = imaptest_build.cached_or_built(imaptest_build.SOURCE_DIR, tmp_path)
    except imaptest_build.ImaptestError as e:
        pytest.fail(f"no imaptest (scripts/test.sh installs its build packages): {e}")
    return binary


def test_scripted_suite(imaptest, imap_server, tmp_path):
    imap_server.add_user(OTHER, PASSWORD)  # user2 of the groups with two users
    tests = imaptest_build.suite_dir(imaptest_build.SOURCE_DIR, tmp_path / "suite")
    groups = sorted(p.name for p in tests.iterdir() if p.is_file() and not p.name.endswith(".mbox"))
    cmd = [str(imaptest), f"host={HOST}", f"port={imap_server.imap_port}", f"user={USER}",
           f"user2={OTHER}", f"pass={PASSWORD}", "test=."]
    try:
        p = subprocess.run(cmd, cwd=tests, capture_output=True, text=True, timeout=600,
                           env=imaptest_build.env(), stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"imaptest did not finish within 600 s:\n{(e.stderr or '')[-3000:]}")
    out = p.stdout + p.stderr
    (total, failed, skipped), counts, failing = parse_summary(out)
    report = (f"{total} groups, {failed} failed, {skipped} skipped; {counts}\n"
              f"failing: {sorted(failing)}\n{out[-6000:]}")
    assert total == len(groups), report
    assert set(counts) == {"base protocol", "extensions"} and counts["base protocol"][1] > 400, report
    assert failed == len(failing), report
    assert failing - KNOWN_FAILING == set(), f"new failures: {sorted(failing - KNOWN_FAILING)}\n{report}"
    assert KNOWN_FAILING - failing == set(), (
        f"now passing, remove from KNOWN_FAILING: {sorted(KNOWN_FAILING - failing)}\n{report}")
    assert imap_server.alive(), imap_server.tail()
