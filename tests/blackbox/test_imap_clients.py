"""Real IMAP clients against the server.

mbsync (isync) keeps a local Maildir and the server in step both ways over a large
mailbox, and talks STARTTLS and implicit TLS with the server's certificate; neomutt,
driven through a pseudo-terminal, reads, flags and moves messages.
"""

import fcntl
import os
import pty
import re
import select
import shutil
import signal
import struct
import subprocess
import termios
import time

import pytest

from conftest import HOST, PASSWORD, USER, crlf, imap_client, make_messages, message_id, write_mbox

needs_mbsync = pytest.mark.skipif(shutil.which("mbsync") is None,
                                  reason="mbsync is not installed (scripts/test.sh installs isync)")
needs_neomutt = pytest.mark.skipif(shutil.which("neomutt") is None,
                                   reason="neomutt is not installed (scripts/test.sh installs it)")

# Maildir info letters and the IMAP system flags they stand for.
MAILDIR_FLAGS = {"D": "\\Draft", "F": "\\Flagged", "R": "\\Answered", "S": "\\Seen", "T": "\\Deleted"}
SYSTEM_FLAGS = set(MAILDIR_FLAGS.values())


def import_messages(heron, tmp_path, n, seed=1, folder=None):
    msgs = make_messages(n, seed)
    path = write_mbox(tmp_path / f"import-{seed}.mbox", msgs)
    args = ["import", USER, path] + (["--folder", folder] if folder else [])
    heron.cli(*args)
    return msgs


def normalise(msg):
    """LF line endings and without the X-TUID header mbsync adds to what it copies."""
    msg = msg.replace(b"\r\n", b"\n")
    head, sep, body = msg.partition(b"\n\n")
    head = b"\n".join(line for line in head.split(b"\n") if not line.startswith(b"X-TUID: "))
    return head + sep + body


def expected_flags(i):
    """The flags `heron import` takes from the Status/X-Status headers of message i."""
    flags = set()
    if i % 7 == 3:
        flags.add("\\Seen")
    if i % 11 == 5:
        flags.add("\\Answered")
    return flags


# ---------------------------------------------------------------- mbsync


def isync_version():
    r = subprocess.run(["mbsync", "-v"], capture_output=True, text=True, timeout=30,
                       stdin=subprocess.DEVNULL)
    m = re.search(r"(\d+)\.(\d+)", r.stdout + r.stderr)
    return (int(m.group(1)), int(m.group(2))) if m else (1, 4)


def mbsync_config(path, port, maildir, tls="None", cert=None, far="", near="", sync="All",
                  create="Both", expunge="Both"):
    """An mbsyncrc with one channel "heron" between the server and `maildir`."""
    # isync 1.5 renamed SSLType to TLSType.
    tls_key = "TLSType" if isync_version() >= (1, 5) else "SSLType"
    account = [
        "IMAPAccount heron",
        f"Host {HOST}",
        f"Port {port}",
        f"User {USER}",
        f"Pass {PASSWORD}",
        f"{tls_key} {tls}",
    ]
    if cert:
        account += ["SystemCertificates no", f"CertificateFile {cert}"]
    channel = [
        "Channel heron",
        f"Far :remote:{far}",
        f"Near :local:{near}",
        f"Sync {sync}",
        f"Create {create}",
        f"Expunge {expunge}",
        "SyncState *",
    ]
    if not far:
        channel.append("Patterns *")
    text = "\n".join(account + [
        "",
        "IMAPStore remote",
        "Account heron",
        "",
        "MaildirStore local",
        f"Path {maildir}/",
        f"Inbox {maildir}/INBOX",
        "SubFolders Verbatim",
        "",
    ] + channel) + "\n"
    path.write_text(text)
    path.chmod(0o600)
    maildir.mkdir(exist_ok=True)
    return path


def mbsync(rc, timeout=300):
    """Run `mbsync -a` with network tracing; fail unless it exits 0. Returns the run."""
    r = subprocess.run(["mbsync", "-Dn", "-c", str(rc), "-a"], capture_output=True,
                       timeout=timeout, stdin=subprocess.DEVNULL)
    out = r.stdout.decode(errors="replace")
    err = r.stderr.decode(errors="replace")
    assert r.returncode == 0, (f"mbsync exited {r.returncode}\nstderr:\n{err[-3000:]}\n"
                               f"trace (end):\n{out[-3000:]}")
    r.trace = out
    return r


def sent_commands(trace):
    """The IMAP commands mbsync sent, without their tags, from its -Dn trace."""
    return [m.group(1) for m in re.finditer(r">>> \d+ ([^\r\n]*)", trace)]


def maildir_state(box):
    """Message-ID -> (path, flags as IMAP names) of every message file in a Maildir folder."""
    state = {}
    for sub in ("cur", "new"):
        for path in sorted((box / sub).iterdir()):
            data = normalise(path.read_bytes())
            mid = message_id(data)
            assert mid not in state, f"two local files for {mid!r}: {state[mid][0]}, {path}"
            info = path.name.split(":2,", 1)[1] if ":2," in path.name else ""
            state[mid] = (path, {MAILDIR_FLAGS[c] for c in info if c in MAILDIR_FLAGS})
    return state


def local_files(box):
    return sorted(str(p.relative_to(box)) for sub in ("cur", "new") for p in (box / sub).iterdir())


def server_state(heron, box="INBOX"):
    """Message-ID -> (UID, system flags) of every message in a server mailbox; with the
    mailbox's UIDNEXT and HIGHESTMODSEQ."""
    m = imap_client(heron)
    try:
        typ, data = m.select(f'"{box}"', readonly=True)
        assert typ == "OK", (box, data)
        count = int(data[0])
        uidnext = m.untagged_responses.get("UIDNEXT", [None])[0]
        modseq = m.untagged_responses.get("HIGHESTMODSEQ", [None])[0]
        state = {}
        if count:
            typ, data = m.fetch("1:*", "(UID FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
            assert typ == "OK", data
            for item in data:
                if not isinstance(item, tuple):
                    continue
                uid = int(re.search(rb"UID (\d+)", item[0]).group(1))
                flags = re.search(rb"FLAGS \(([^)]*)\)", item[0]).group(1).decode().split()
                mid = item[1].split(b":", 1)[1].strip()
                assert mid not in state, f"two messages with Message-ID {mid!r} in {box}"
                state[mid] = (uid, set(flags) & SYSTEM_FLAGS)
        assert len(state) == count, f"{box}: {count} messages, FETCH returned {len(state)}"
        return state, uidnext, modseq
    finally:
        m.logout()


def server_body(heron, box, mid):
    m = imap_client(heron)
    try:
        m.select(f'"{box}"', readonly=True)
        typ, data = m.uid("SEARCH", "HEADER", "Message-ID", mid.decode())
        assert typ == "OK" and len(data[0].split()) == 1, (mid, data)
        typ, data = m.uid("FETCH", data[0].decode(), "(BODY.PEEK[])")
        assert typ == "OK", data
        return data[0][1]
    finally:
        m.logout()


def set_local_flags(path, flags):
    """Rename a Maildir message file to carry exactly `flags` (IMAP names), moving it to cur/."""
    letters = "".join(sorted(c for c, f in MAILDIR_FLAGS.items() if f in flags))
    base = path.name.split(":2,", 1)[0]
    new = path.parent.parent / "cur" / f"{base}:2,{letters}"
    path.rename(new)
    return new


@needs_mbsync
def test_mbsync_two_way_sync_of_2000_messages(imap_server, tmp_path):
    heron = imap_server
    n = 2000
    msgs = import_messages(heron, tmp_path, n)
    by_mid = {message_id(msg): (i, msg) for i, msg in enumerate(msgs, 1)}
    maildir = tmp_path / "Mail"
    rc = mbsync_config(tmp_path / "mbsyncrc", heron.imap_port, maildir)
    inbox = maildir / "INBOX"

    # 1. First run: everything comes down, byte for byte, with its flags.
    mbsync(rc)
    local = maildir_state(inbox)
    assert len(local_files(inbox)) == n
    assert set(local) == set(by_mid)
    for mid, (path, flags) in local.items():
        i, msg = by_mid[mid]
        assert normalise(path.read_bytes()) == msg, f"message {i} differs locally ({path.name})"
        assert flags == expected_flags(i), f"message {i}: local flags {flags}"
    # The server's other folders were created locally.
    names = {p.name for p in maildir.iterdir() if p.is_dir()}
    assert {"INBOX", "Drafts", "Sent Items"} <= names, names

    # 2. Changes on both sides.
    mid_of = {i: message_id(msg) for i, msg in enumerate(msgs, 1)}
    plain = [i for i in range(1, n + 1) if not expected_flags(i)]
    seen = [i for i in range(1, n + 1) if expected_flags(i) == {"\\Seen"}]
    local_flagged, local_seen, local_both = plain[10:13], plain[13:16], plain[16:17]
    local_flag_seen = seen[5:6]             # already \Seen, gets \Flagged too
    local_deleted = plain[20:24]
    server_flagged, server_seen = plain[30:33], plain[33:36]
    server_unseen = seen[10:11]             # \Seen removed on the server
    server_deleted = plain[40:44]

    for i in local_flagged + local_flag_seen:
        path, flags = local[mid_of[i]]
        set_local_flags(path, flags | {"\\Flagged"})
    for i in local_seen:
        path, flags = local[mid_of[i]]
        set_local_flags(path, flags | {"\\Seen"})
    for i in local_both:
        path, flags = local[mid_of[i]]
        set_local_flags(path, flags | {"\\Seen", "\\Flagged"})
    for i in local_deleted:
        local[mid_of[i]][0].unlink()
    new_mid = b"<written.locally.1@blackbox.test>"
    new_msg = (b"From: Alice <alice@example.test>\nTo: bob@example.test\n"
               b"Subject: Written locally\nDate: Tue, 02 Jan 2024 09:00:00 +0000\n"
               b"Message-ID: " + new_mid + b"\n\nA draft kept in the local Maildir.\n"
               b".a line with a dot\nFrom the end\n")
    (inbox / "new" / "1704186000.blackbox1.localhost").write_bytes(new_msg)

    before, _, _ = server_state(heron)
    uid_of = {mid: uid for mid, (uid, _) in before.items()}
    m = imap_client(heron)
    try:
        assert m.select("INBOX")[0] == "OK"

        def store(items, op, flag):
            uids = ",".join(str(uid_of[mid_of[i]]) for i in items)
            typ, data = m.uid("STORE", uids, op, f"({flag})")
            assert typ == "OK", data

        store(server_flagged, "+FLAGS", "\\Flagged")
        store(server_seen, "+FLAGS", "\\Seen")
        store(server_unseen, "-FLAGS", "\\Seen")
        store(server_deleted, "+FLAGS", "\\Deleted")
        typ, data = m.expunge()
        assert typ == "OK" and len([d for d in data if d]) == len(server_deleted), data
    finally:
        m.logout()

    run = mbsync(rc)
    assert any(c.startswith("APPEND ") for c in sent_commands(run.trace)), \
        "the locally written message was not uploaded with APPEND"
    local = maildir_state(inbox)
    server, _, _ = server_state(heron)
    gone = {mid_of[i] for i in local_deleted + server_deleted}
    expected = (set(by_mid) - gone) | {new_mid}
    assert set(server) == expected, (
        f"server: missing {sorted(expected - set(server))[:5]}, "
        f"unexpected {sorted(set(server) - expected)[:5]}")
    assert set(local) == expected, (
        f"local: missing {sorted(expected - set(local))[:5]}, "
        f"unexpected {sorted(set(local) - expected)[:5]}")
    assert len(local_files(inbox)) == len(server) == n - len(gone) + 1
    # Every message carries the same flags on both sides ...
    differ = [(mid, local[mid][1], server[mid][1]) for mid in expected
              if local[mid][1] != server[mid][1]]
    assert not differ, f"{len(differ)} messages with different flags, e.g. {differ[:5]}"
    # ... and those are the ones each side changed.
    for i in local_flagged:
        assert server[mid_of[i]][1] == {"\\Flagged"}, (i, server[mid_of[i]])
    for i in local_seen:
        assert server[mid_of[i]][1] == {"\\Seen"}, (i, server[mid_of[i]])
    for i in local_both + local_flag_seen:
        assert server[mid_of[i]][1] == {"\\Seen", "\\Flagged"}, (i, server[mid_of[i]])
    for i in server_flagged:
        assert local[mid_of[i]][1] == {"\\Flagged"}, (i, local[mid_of[i]][0].name)
    for i in server_seen:
        assert local[mid_of[i]][1] == {"\\Seen"}, (i, local[mid_of[i]][0].name)
    for i in server_unseen:
        assert local[mid_of[i]][1] == set(), (i, local[mid_of[i]][0].name)
    untouched = set(plain[:10]) | set(seen[:5]) | set(range(1800, n + 1))
    for i in untouched:
        assert server[mid_of[i]][1] == expected_flags(i), (i, server[mid_of[i]])
        assert server[mid_of[i]][0] == uid_of[mid_of[i]], (i, "UID changed")
    # The uploaded message arrived intact, under a new UID.
    assert normalise(server_body(heron, "INBOX", new_mid)) == new_msg
    assert server[new_mid][0] > max(uid_of.values())

    # 3. Nothing changed since: a third run transfers and changes nothing.
    files_before = local_files(inbox)
    server_before = server_state(heron)
    run = mbsync(rc)
    commands = sent_commands(run.trace)
    assert any(c.startswith('SELECT "INBOX"') for c in commands), commands
    writes = [c for c in commands
              if re.match(r"(UID )?(APPEND|STORE|EXPUNGE|COPY|MOVE)\b", c) or "BODY" in c]
    assert not writes, f"third run still transferred or changed messages: {writes[:10]}"
    assert local_files(inbox) == files_before
    assert server_state(heron) == server_before


@needs_mbsync
@pytest.mark.parametrize("tls", ["STARTTLS", "IMAPS"])
def test_mbsync_over_tls(imap_server, tmp_path, tls):
    heron = imap_server
    msgs = import_messages(heron, tmp_path, 20, seed=7)
    port = heron.imap_port if tls == "STARTTLS" else heron.imaps_port
    cert = heron.data / "tls" / "self-signed.crt"
    assert cert.is_file()
    maildir = tmp_path / "Mail"
    rc = mbsync_config(tmp_path / "mbsyncrc", port, maildir, tls=tls, cert=cert,
                       far="INBOX", near="INBOX", sync="Pull", create="Near", expunge="None")
    run = mbsync(rc)
    assert "Connection is now encrypted" in run.trace, run.trace[-2000:]
    commands = sent_commands(run.trace)
    if tls == "STARTTLS":
        assert commands[0] == "STARTTLS", commands[:3]
    local = maildir_state(maildir / "INBOX")
    assert len(local) == 20
    for i, msg in enumerate(msgs, 1):
        path, flags = local[message_id(msg)]
        assert normalise(path.read_bytes()) == msg, f"message {i} differs ({path.name})"
        assert flags == expected_flags(i), (i, path.name)

    # Trusting only the system's certificate authorities, mbsync refuses the connection:
    # it really checked the certificate the server presented.
    other = tmp_path / "Other"
    rc = mbsync_config(tmp_path / "mbsyncrc-untrusted", port, other, tls=tls,
                       far="INBOX", near="INBOX", sync="Pull", create="Near", expunge="None")
    r = subprocess.run(["mbsync", "-c", str(rc), "-a"], capture_output=True, text=True,
                       timeout=120, stdin=subprocess.DEVNULL)
    assert r.returncode != 0 and "certificate" in (r.stdout + r.stderr).lower(), \
        (r.returncode, r.stdout, r.stderr)
    assert not (other / "INBOX").exists() or not local_files(other / "INBOX")


# ---------------------------------------------------------------- neomutt


def run_in_terminal(args, env, timeout=90, rows=40, cols=120):
    """Run `args` on a pseudo-terminal until it exits; returns (exit code, screen bytes)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    proc = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, env=env,
                            start_new_session=True)
    os.close(slave)
    out = b""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:     # EIO: the terminal's last user is gone
                    chunk = b""
                if not chunk:
                    break
                out += chunk
            elif proc.poll() is not None:
                break
        try:
            return proc.wait(5), out
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
            text = re.sub(rb"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\x1b[=>]", b" ", out)
            pytest.fail(f"{args[0]} still running after {timeout}s; screen (end):\n"
                        f"{text[-2000:].decode(errors='replace')}")
    finally:
        os.close(master)


@needs_neomutt
def test_neomutt_reads_flags_and_moves(imap_server, tmp_path):
    heron = imap_server
    msgs = import_messages(heron, tmp_path, 5, seed=3)
    home = tmp_path / "home"
    home.mkdir()
    log = tmp_path / "neomutt.log"
    # Message 3 starts \Seen, message 5 \Answered (from Status/X-Status).
    actions = (
        # Read message 4, back to the index.
        "<search>~s message.4.of<enter><display-message><exit>"
        # Flag message 1.
        "<tag-pattern>~s message.1.of<enter><tag-prefix><flag-message><untag-pattern>.<enter>"
        # Move messages 2 and 5 to a new folder.
        "<tag-pattern>~s message.[25].of<enter><tag-prefix><save-message>=Archive<enter>"
        "<untag-pattern>.<enter>"
        # Quit; $delete expunges what was moved away.
        "<quit>"
    )
    muttrc = home / "muttrc"
    muttrc.write_text("\n".join([
        f'set folder="imap://{USER.replace("@", "%40")}@{HOST}:{heron.imap_port}/"',
        'set spoolfile="+INBOX"',
        f'set imap_user="{USER}"',
        f'set imap_pass="{PASSWORD}"',
        "set ssl_starttls=no",
        "set ssl_force_tls=no",
        "unset header_cache",
        "unset message_cachedir",
        'set record=""',
        f'set postponed="{home}/postponed"',
        "set confirmcreate=no",
        "set confirmappend=no",
        "set move=no",
        "set delete=yes",
        "set quit=yes",
        "set mark_old=no",
        "set wait_key=no",
        "set sleep_time=0",
        f'push "{actions}"',
    ]) + "\n")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home),
           "TERM": "xterm", "LANG": "C.UTF-8"}
    code, screen = run_in_terminal(["neomutt", "-n", "-F", str(muttrc), "-d", "2",
                                    "-l", str(log)], env)
    logs = sorted(tmp_path.glob("neomutt.log*"))
    trace = "\n".join(p.read_text(errors="replace") for p in logs)
    assert code == 0, f"neomutt exited {code}\n{trace[-3000:]}"
    errors = [line for line in trace.splitlines() if "<E>" in line]
    assert not errors, "neomutt reported errors:\n" + "\n".join(errors)

    mids = [message_id(msg) for msg in msgs]
    inbox, _, _ = server_state(heron, "INBOX")
    archive, _, _ = server_state(heron, "Archive")
    assert set(inbox) == {mids[0], mids[2], mids[3]}, sorted(inbox)
    assert set(archive) == {mids[1], mids[4]}, sorted(archive)
    assert inbox[mids[0]][1] == {"\\Flagged"}
    assert inbox[mids[2]][1] == {"\\Seen"}
    assert inbox[mids[3]][1] == {"\\Seen"}         # read in the pager
    assert archive[mids[1]][1] == set()
    assert archive[mids[4]][1] == {"\\Answered"}    # flags travel with the copy
    assert server_body(heron, "Archive", mids[1]) == crlf(msgs[1])
    assert server_body(heron, "Archive", mids[4]) == crlf(msgs[4])
