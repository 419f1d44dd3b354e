"""One server per data directory: a second `heron serve` refuses and names the first; the
lock goes with the process, however it ends; CLI verbs work beside the server."""

import subprocess

from conftest import Heron, USER


def second_serve(heron):
    """`heron serve` on the same data directory, other ports; returns the finished process."""
    other = Heron(heron.base)
    return subprocess.run(other.serve_args(), capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)


def test_second_server_on_the_same_directory_refuses_with_the_first_pid(server):
    r = second_serve(server)
    assert r.returncode != 0
    assert f"pid {server.proc.pid}" in r.stderr, r.stderr
    assert str(server.data) in r.stderr, r.stderr
    assert server.alive()
    # The CLI still works while the server runs.
    server.cli("domain", "add", "beside.test")
    server.cli("user", "add", "carol@beside.test", "--password", "Secret123x")
    assert "carol@beside.test" in server.cli("user", "list", "beside.test").stdout
    p = server.login(user=USER)
    p.quit()


def test_lock_is_released_when_the_server_is_killed(server):
    first = server.proc.pid
    server.proc.kill()
    server.proc.wait(10)
    server.proc = None
    server.start()
    assert server.proc.pid != first
    r = second_serve(server)
    assert r.returncode != 0 and f"pid {server.proc.pid}" in r.stderr, r.stderr
