"""The README followed as a new administrator would: its run command (in an empty directory,
with the port options it documents moved to free ports), what the server prints at start,
then its admin-UI paragraph (address, first login, forced change) in Chromium, which must end
on a logged-in dashboard with no step missing."""

import json
import re
import shlex
import signal
import subprocess
import time

from browser import SCRIPT, SHOTS
from conftest import HERON, REPO, free_offset, free_port

README = (REPO / "README.md").read_text()


def section(title):
    """The text of a `## title` section."""
    m = re.search(r"^## " + re.escape(title) + r"\n(.*?)(?=^## |\Z)", README, re.S | re.M)
    assert m, f"README has no section {title!r}"
    return m.group(1)


def test_readme_run_command_then_admin_ui_reach_the_dashboard(tmp_path):
    run = section("Run the server")
    command = re.findall(r"```sh\n(.*?)\n```", run, re.S)[0]
    argv = shlex.split(command)
    assert argv[:2] == ["heron", "serve"], argv
    # The README's own options, moved to free ports and to loopback.
    offset, admin_port = free_offset(), free_port()
    assert "--port-offset" in argv and "--listen-address 127.0.0.1" in run
    assert "--admin-listen ADDR:PORT" in run
    argv[argv.index("--port-offset") + 1] = str(offset)
    argv += ["--listen-address", "127.0.0.1", "--admin-listen", f"127.0.0.1:{admin_port}"]

    p = subprocess.Popen([HERON, *argv[1:]], cwd=tmp_path, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
    try:
        printed = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = p.stdout.readline()
            if not line:
                break
            printed.append(line.rstrip("\n"))
            if line.startswith("first login:"):
                break
        text = "\n".join(printed)
        # What the README says the start prints is there: the listeners with the documented
        # ports plus the offset, the admin UI's address and the first login.
        for proto, port, tls in (("smtp", 25, "STARTTLS"), ("submission", 587, "STARTTLS"),
                                 ("submission", 465, "TLS"), ("imap", 143, "STARTTLS"),
                                 ("imap", 993, "TLS"), ("pop3", 110, "STARTTLS"),
                                 ("pop3", 995, "TLS")):
            assert re.search(rf"^  {proto} +127\.0\.0\.1:{port + offset} +{tls}$", text, re.M), \
                text
        assert (tmp_path / "heron-data").is_dir(), "the README says ./heron-data is made"
        url = re.search(r"^admin UI: (http://\S+/) ", text, re.M).group(1)
        assert url == f"http://127.0.0.1:{admin_port}/", text
        login = re.search(r"^first login: user (\S+), password (\S+);", text, re.M)
        assert login, text

        # The README's admin-UI paragraph names the same first login and the forced change.
        ui = re.search(r"\*\*Admin UI\*\*:(.*?)\n\n", run, re.S).group(1)
        user, password = re.search(r"Log in as `(\S+)` / `(\S+)`", ui).groups()
        assert (user, password) == login.groups(), (ui, login.groups())
        assert "must choose a new password" in ui

        args = {"shot_name": "readme", "weak": "short", "password": "Readme-Followed-42",
                "username": user, "initial": password}
        r = subprocess.run(["node", str(SCRIPT), "first-login", url.rstrip("/"), str(SHOTS),
                            json.dumps(args)], capture_output=True, text=True, timeout=120,
                           stdin=subprocess.DEVNULL)
        assert r.returncode == 0, r.stderr + r.stdout
        out = json.loads(r.stdout.strip().splitlines()[-1])
        assert out["weak_error"], out
    finally:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
