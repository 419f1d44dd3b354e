"""Runs one scenario of tests/browser/ui.mjs (Playwright driving Debian's Chromium) against a
running server and returns what it reports. Screenshots go to target/test-output/screenshots,
and their paths are printed, so a person can look at what the browser showed."""

import json
import os
import subprocess

from conftest import REPO

SCRIPT = REPO / "tests" / "browser" / "ui.mjs"
SHOTS = REPO / "target" / "test-output" / "screenshots"


def run_ui(heron, scenario, shot_name, timeout=90, scheme="http", **args):
    """Run `scenario` in a browser against `heron`'s admin listener (over `scheme`; https
    accepts the self-signed certificate); return its JSON result. A failed expectation in the
    browser fails the test with the scenario's message."""
    args.setdefault("shot_name", shot_name)
    base = f"{scheme}://127.0.0.1:{heron.admin_port}"
    env = dict(os.environ)
    r = subprocess.run(["node", str(SCRIPT), scenario, base, str(SHOTS), json.dumps(args)],
                       capture_output=True, text=True, timeout=timeout, env=env,
                       stdin=subprocess.DEVNULL)
    print(r.stderr)
    if r.returncode != 0:
        raise AssertionError(f"browser scenario {scenario} failed:\n{r.stderr}\n{r.stdout}")
    return json.loads(r.stdout.strip().splitlines()[-1])
