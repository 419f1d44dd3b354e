"""fetchmail, a real POP3 client, downloads everything over each transport."""

import os
import shutil
import subprocess

import pytest

from conftest import PASSWORD, USER, message_id

pytestmark = pytest.mark.skipif(shutil.which("fetchmail") is None,
                                reason="fetchmail is not installed (scripts/test.sh installs it)")

COUNT = 30

# (name, which port, authentication, transport options, keep the mail on the
# server); "any" lets fetchmail pick the strongest mechanism the server lists.
RUNS = [
    ("plain-keep", "pop3", "password", "sslproto ''", True),
    ("stls-any-auth", "pop3", "any", "sslproto 'auto' no sslcertck", False),
    ("ssl", "pop3s", "password", "ssl no sslcertck", False),
]


def fetch(tmp_path, port, auth, transport, keep):
    out = tmp_path / "delivered.txt"
    home = tmp_path / "fetchmail-home"
    home.mkdir()
    rc = home / "fetchmailrc"
    rc.write_text(
        f"set no syslog\n"
        f"poll 127.0.0.1 service {port} protocol POP3 auth {auth}\n"
        f"  user \"{USER}\" with password \"{PASSWORD}\"\n"
        f"  {transport}\n"
        f"  mda \"/bin/sh -c 'cat >> {out}'\"\n"
        f"  {'keep' if keep else 'nokeep'}\n")
    rc.chmod(0o600)
    args = ["fetchmail", "-f", str(rc), "--nosyslog", "--norewrite", "-v"]
    if keep:
        args.append("--keep")
    env = dict(os.environ, HOME=str(home), FETCHMAILHOME=str(home))
    r = subprocess.run(args, capture_output=True, text=True, timeout=120, env=env,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 0, f"fetchmail exited {r.returncode}\n{r.stdout}\n{r.stderr}"
    return out.read_bytes(), r


@pytest.mark.parametrize("name,which,auth,transport,keep", RUNS, ids=[r[0] for r in RUNS])
def test_fetchmail(server, mailbox, tmp_path, name, which, auth, transport, keep):
    msgs = mailbox(COUNT)
    port = server.pop3_port if which == "pop3" else server.pop3s_port
    delivered, run = fetch(tmp_path, port, auth, transport, keep)

    missing = [message_id(m) for m in msgs if message_id(m) not in delivered]
    assert not missing, f"{len(missing)} messages not delivered, e.g. {missing[:3]}\n{run.stderr}"
    assert delivered.count(b"\nSubject: Test message ") == COUNT
    # Body lines starting with "." came through unstuffed.
    assert b"\n.dot at the start\n" in delivered.replace(b"\r\n", b"\n")

    p = server.login()
    count, _ = p.stat()
    p.quit()
    assert count == (COUNT if keep else 0)
