"""Recovery from the machine: `heron admin passwd` resets the administrator's password,
`heron token` makes, lists and revokes admin API tokens, and passwords are read from a
terminal prompt or standard input (`--password -`), not only from the command line."""

import os
import pty
import termios
import time

import requests

from admin_api import Api, logged_in_admin, wait_for_api
from conftest import HERON, eventually, OTHER, OTHER_PASSWORD, USER


def api_login(heron, username, password):
    return Api(heron).login(username, password)


def test_admin_passwd_from_stdin_resets_a_lost_password(server):
    wait_for_api(server)
    r = server.cli("admin", "passwd", "--password", "-", stdin="Lost4Found9x\n")
    assert "admin" in r.stdout, r.stdout
    assert api_login(server, "admin", "admin").status_code == 401
    r = api_login(server, "admin", "Lost4Found9x")
    assert r.status_code == 200, r.text
    assert r.json()["must_change_password"] is False, r.json()
    # Set again (the password was lost a second time): the old one stops working.
    server.cli("admin", "passwd", "--password", "-", stdin="Second7Chance\r\n")
    assert api_login(server, "admin", "Lost4Found9x").status_code == 401
    assert api_login(server, "admin", "Second7Chance").status_code == 200


def test_admin_passwd_refuses_weak_passwords_and_missing_terminal(heron):
    r = heron.cli("admin", "passwd", "--password", "-", stdin="x\n", check=False)
    assert r.returncode != 0 and r.stderr.strip(), r.stderr
    r = heron.cli("admin", "passwd", "--password", "-", stdin="admin\n", check=False)
    assert r.returncode != 0 and r.stderr.strip(), r.stderr
    r = heron.cli("admin", "passwd", check=False)
    assert r.returncode != 0 and "--password -" in r.stderr, r.stderr


def run_with_terminal(args, answers, timeout=60):
    """Run heron on a pseudo-terminal, typing each answer after a prompt; (status, output)."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(HERON, [HERON, *map(str, args)])
    out, pending = b"", list(answers)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            chunk = os.read(fd, 1024)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
        if pending and out.rstrip().endswith(b":"):
            # Type only once the prompt has turned the terminal's echo off.
            eventually(lambda: not termios.tcgetattr(fd)[3] & termios.ECHO, 10,
                       interval=0.01, what="echo turned off for the password")
            os.write(fd, pending.pop(0).encode() + b"\n")
            out += b"\n"
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), out.decode(errors="replace")


def test_passwords_are_asked_for_on_a_terminal_without_echo(server):
    wait_for_api(server)
    code, out = run_with_terminal(["--data", server.data, "admin", "passwd"],
                                  ["Typed5Secret", "Typed5Secret"])
    assert code == 0, out
    assert "Typed5Secret" not in out, out  # not echoed
    assert api_login(server, "admin", "Typed5Secret").status_code == 200

    code, out = run_with_terminal(["--data", server.data, "admin", "passwd"],
                                  ["Typed5Secret", "Other5Secret"])
    assert code != 0 and "differ" in out, out
    assert api_login(server, "admin", "Typed5Secret").status_code == 200

    code, out = run_with_terminal(["--data", server.data, "user", "add", OTHER],
                                  [OTHER_PASSWORD, OTHER_PASSWORD])
    assert code == 0, out
    server.login(user=OTHER, password=OTHER_PASSWORD).quit()


def test_user_passwords_from_stdin(server):
    server.cli("user", "add", OTHER, "--password", "-", stdin=OTHER_PASSWORD + "\n")
    server.login(user=OTHER, password=OTHER_PASSWORD).quit()
    server.cli("user", "passwd", USER, "--password", "-", stdin="Changed8Secret\n")
    server.login(user=USER, password="Changed8Secret").quit()


def test_tokens_create_list_revoke(server):
    wait_for_api(server)
    base = f"http://127.0.0.1:{server.admin_port}/api/v1"
    r = server.cli("token", "create", "deploy script")
    secret = r.stdout.strip()
    assert secret.startswith("heron_") and len(secret.split()) == 1, r.stdout

    def domains(token):
        return requests.get(base + "/domains", timeout=10,
                            headers={"Authorization": f"Bearer {token}"})

    r = domains(secret)
    assert r.status_code == 200, r.text
    assert "example.test" in r.text

    listed = server.cli("token", "list").stdout.splitlines()
    assert len(listed) == 1 and listed[0].endswith("\tdeploy script"), listed
    assert secret not in server.cli("token", "list").stdout
    token_id = listed[0].split("\t")[0]

    # A token made through the API shows in the CLI's list, and the other way round.
    made = logged_in_admin(server).post("/tokens", {"name": "from api"})
    assert made.status_code == 201, made.text
    assert any(line.endswith("\tfrom api") for line in
               server.cli("token", "list").stdout.splitlines())

    server.cli("token", "revoke", token_id)
    assert domains(secret).status_code == 401
    assert domains(made.json()["token"]).status_code == 200
    r = server.cli("token", "revoke", token_id, check=False)
    assert r.returncode != 0 and token_id in r.stderr, r.stderr
    r = server.cli("token", "create", "  ", check=False)
    assert r.returncode != 0 and "name" in r.stderr, r.stderr
