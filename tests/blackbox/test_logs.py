"""Per-protocol daily log files: session ids, no secrets, levels, retention."""

import base64
import datetime
import re

from conftest import OTHER, OTHER_PASSWORD, PASSWORD, USER, eventually

SESSION_ID = re.compile(rb"\[([^\]\s]+)\]")


def pop3_logs(heron):
    return sorted((heron.data / "logs").glob("pop3-*.log"))


def log_bytes(heron):
    return b"".join(p.read_bytes() for p in pop3_logs(heron))


def run_sessions(heron):
    """Three sessions: a failed login, alice with USER/PASS, bob with AUTH PLAIN."""
    r = heron.raw()
    r.line()
    r.cmd(b"USER " + USER.encode())
    assert r.cmd(b"PASS Wrong1pass").startswith(b"-ERR")
    r.cmd(b"QUIT")
    p = heron.login()
    p.stat()
    p.list()
    p.quit()
    r = heron.raw()
    r.line()
    token = base64.b64encode(f"\0{OTHER}\0{OTHER_PASSWORD}".encode())
    assert r.cmd(b"AUTH PLAIN " + token).startswith(b"+OK")
    r.cmd(b"STAT")
    r.cmd(b"QUIT")
    return token


def test_detailed_log_has_session_ids_and_no_passwords(heron):
    heron.set("log.pop", "detailed")
    heron.start()
    heron.add_user()
    heron.add_user(OTHER, OTHER_PASSWORD)
    token = run_sessions(heron)

    files = eventually(lambda: pop3_logs(heron), 10, what="pop3 log file written")
    assert re.fullmatch(r"pop3-\d{4}-\d{2}-\d{2}\.log", files[0].name), files
    text = eventually(lambda: (t := log_bytes(heron)).count(b"\n") >= 6 and b"STAT" in t and t,
                      10, what="commands logged at level detailed")

    sessions = {}
    for line in text.splitlines():
        m = SESSION_ID.search(line)
        assert m and m.group(1) != b"-", f"log line without a session id: {line!r}"
        sessions.setdefault(m.group(1), []).append(line)
    alice = [sid for sid, lines in sessions.items() if any(USER.encode() in x for x in lines)]
    bob = [sid for sid, lines in sessions.items() if any(OTHER.encode() in x for x in lines)]
    assert len(alice) == 2 and len(bob) == 1, sessions
    bob_lines = b"\n".join(sessions[bob[0]])
    assert b"AUTH" in bob_lines and b"STAT" in bob_lines and b"QUIT" in bob_lines, bob_lines

    for secret in (PASSWORD, OTHER_PASSWORD, "Wrong1pass", token.decode()):
        assert secret.encode() not in text, f"{secret!r} appears in the log"


def test_level_none_writes_nothing(heron):
    heron.set("log.pop", "detailed")
    heron.start()
    heron.add_user()
    heron.add_user(OTHER, OTHER_PASSWORD)
    run_sessions(heron)
    eventually(lambda: log_bytes(heron), 10, what="something logged at level detailed")

    heron.set("log.pop", "none")

    def session_logs_nothing():
        before = log_bytes(heron)
        run_sessions(heron)
        return log_bytes(heron) == before

    eventually(session_logs_nothing, 15, interval=0.5, what="level none picked up")
    before = log_bytes(heron)
    run_sessions(heron)
    assert log_bytes(heron) == before


def test_old_log_files_are_deleted_at_start(heron):
    logs = heron.data / "logs"
    logs.mkdir(parents=True)
    today = datetime.datetime.now(datetime.timezone.utc).date()
    old = [logs / "pop3-2000-01-01.log", logs / f"smtp-{today - datetime.timedelta(days=40)}.log"]
    recent = [logs / f"pop3-{today - datetime.timedelta(days=2)}.log"]
    other = logs / "notes.txt"
    for path in (*old, *recent, other):
        path.write_text("kept?\n")

    heron.start()
    eventually(lambda: not any(p.exists() for p in old), 10, what="old logs deleted")
    assert all(p.exists() for p in recent), "a log within log.retention_days was deleted"
    assert other.exists(), "a file that is not a log was deleted"


def test_retention_setting_is_used(heron):
    logs = heron.data / "logs"
    logs.mkdir(parents=True)
    today = datetime.datetime.now(datetime.timezone.utc).date()
    five_days = logs / f"pop3-{today - datetime.timedelta(days=5)}.log"
    five_days.write_text("old\n")
    heron.set("log.retention_days", "3")
    heron.start()
    eventually(lambda: not five_days.exists(), 10, what="log older than 3 days deleted")
