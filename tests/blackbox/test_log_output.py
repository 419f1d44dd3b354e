"""What the binary writes where: a CLI listing into a closed pipe ends quietly, the server's
stderr has no colour codes when it is not a terminal, clients that send an IP address
as their TLS server name are not logged as warnings, and CLI changes reach the events log."""

import glob
import os
import re
import socket
import subprocess

from conftest import HERON, HOST, eventually


def test_listing_into_a_closed_pipe_ends_quietly(heron):
    heron.init()
    for args in (["settings", "list"], ["domain", "list"], ["--help"]):
        read_end, write_end = os.pipe()
        os.close(read_end)  # like `| head -1` that has already exited
        try:
            r = subprocess.run([HERON, "--data", str(heron.data), *args], stdout=write_end,
                               stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, timeout=60)
        finally:
            os.close(write_end)
        if args == ["domain", "list"]:
            continue  # nothing listed: nothing written
        assert r.returncode == 0, (args, r.returncode, r.stderr)
        assert b"panic" not in r.stderr and r.stderr == b"", (args, r.stderr)


def test_shell_pipe_into_head(heron):
    heron.init()
    r = subprocess.run(["bash", "-c", 'set -o pipefail; "$0" --data "$1" settings list | head -1',
                        HERON, str(heron.data)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert len(r.stdout.splitlines()) == 1 and "=" in r.stdout, r.stdout
    assert r.stderr == "", r.stderr


def test_no_colour_codes_when_stderr_is_not_a_terminal(heron):
    with socket.socket() as busy:
        busy.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        busy.bind(("127.0.0.1", heron.admin_port))
        busy.listen()
        heron.start()
        text = eventually(lambda: "ERROR" in heron.output.read_text() and heron.output.read_text(),
                          10, what="the admin listener's error on stderr")
    assert "admin API not available" in text, text
    assert "\x1b[" not in text, repr(text)


def events_log(heron):
    return "".join(open(f).read() for f in glob.glob(str(heron.data / "logs" / "events-*.log")))


def test_clients_sending_an_ip_as_server_name_are_not_warned_about(server):
    r = subprocess.run(["openssl", "s_client", "-connect", f"{HOST}:{server.pop3s_port}",
                        "-servername", HOST, "-quiet"],
                       input="QUIT\r\n", capture_output=True, text=True, timeout=30)
    assert "+OK" in r.stdout, (r.stdout, r.stderr)
    for text in (events_log(server), server.output.read_text()):
        assert "SNI" not in text, text
        assert "IP address presented as hostname" not in text, text


def test_cli_changes_are_in_the_events_log_without_passwords(heron):
    """A change made with the CLI leaves a line naming the process and the command (the
    password hidden); a command that only reads leaves none."""
    heron.cli("domain", "add", "audit.test")
    heron.cli("user", "add", "someone@audit.test", "--password", "Secret-pw-1234")
    heron.cli("domain", "list")
    heron.cli("settings", "set", "pop.banner", "audited")
    bad = heron.cli("domain", "add", "audit.test", check=False)
    assert bad.returncode != 0
    lines = [l for l in events_log(heron).splitlines() if " cli (pid " in l]
    assert any(l.endswith("heron --data " + str(heron.data) + " domain add audit.test")
               for l in lines), lines
    assert any("user add someone@audit.test --password ***" in l for l in lines), lines
    assert any("settings set pop.banner audited" in l for l in lines), lines
    assert any("domain add audit.test: failed:" in l for l in lines), lines
    assert not any("domain list" in l for l in lines), lines
    assert "Secret-pw-1234" not in events_log(heron)
    assert all(re.search(r"cli \(pid \d+, uid \d+\)", l) for l in lines), lines
