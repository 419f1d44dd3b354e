"""Message files nothing refers to: a message over 256 KiB is written to a file under
`blobs/` before its record commits, so a SIGKILL in between leaves the file behind. At start
the server removes such files once they are older than an hour (the store's threshold), and
never a file a message still needs."""

import os
import sqlite3
import time

from conftest import (USER, eventually, fetch_all, header_values, send_until_killed, smtp_client,
                      strip_trace)

THREADS = 4
PER_THREAD = 30
KILL_AFTER = 8
# Older than the store's one-hour threshold.
AGE = 3 * 3600


def large(ident):
    line = f"{ident} " + "lorem ipsum dolor sit amet " * 2 + "\r\n"
    body = line * (300 * 1024 // len(line) + 1)
    return (f"From: load@remote.test\r\nTo: {USER}\r\nSubject: {ident}\r\n"
            f"Message-ID: <{ident}@blackbox.test>\r\n\r\n" + body).encode()


def blob_files(data):
    """(id, size) of every file in the blob directory's hex sub-directories."""
    root = data / "blobs"
    out = []
    for sub in root.iterdir():
        if sub.is_dir() and len(sub.name) == 2:
            out += [(f.name, f.stat().st_size) for f in sub.iterdir()]
    return out


def file_records(data):
    """Ids of the blob records whose bytes live in a file."""
    db = sqlite3.connect(f"file:{data / 'heron.db'}?mode=ro", uri=True)
    try:
        return {r[0] for r in db.execute("SELECT id FROM blobs WHERE data IS NULL")}
    finally:
        db.close()


def age_everything(data):
    """Make every file in the blob directory look written AGE seconds ago."""
    then = time.time() - AGE
    for dirpath, _, files in os.walk(data / "blobs"):
        for name in files:
            os.utime(os.path.join(dirpath, name), (then, then))


def test_files_left_by_a_crash_are_removed_at_start_and_mail_stays(smtp_server):
    heron = smtp_server
    acked, attempted, _ = send_until_killed(heron, large, THREADS, PER_THREAD, KILL_AFTER)
    assert len(acked) >= KILL_AFTER, len(acked)

    # What the crash left, an hour later: plus one file planted as a crash leaves it.
    orphan_id = "5a" * 16
    (heron.data / "blobs" / orphan_id[:2]).mkdir(exist_ok=True)
    orphan = heron.data / "blobs" / orphan_id[:2] / orphan_id
    orphan.write_bytes(large("never-recorded"))
    age_everything(heron.data)
    assert orphan_id not in file_records(heron.data)

    heron.start()

    eventually(lambda: not orphan.exists(), 30, what="the unreferenced file removed")

    def only_recorded_files_left():
        records = file_records(heron.data)
        written = {name for name, size in blob_files(heron.data) if size > 0}
        assert written <= records, sorted(written - records)
        return True

    eventually(only_recorded_files_left, 30, what="every file left has a record")

    arrived = fetch_all(heron)
    found = set()
    for msg in arrived:
        (subject,) = header_values(msg, "Subject")
        ident = subject.decode()
        assert ident in attempted, ident
        assert strip_trace(msg) == large(ident), ident
        found.add(ident)
    assert acked <= found, sorted(acked - found)
    assert len(found) == len(arrived), "a message was delivered twice"


def test_old_file_without_record_removed_young_one_kept(smtp_server):
    """A file younger than the threshold may belong to a write in flight; it stays."""
    heron = smtp_server
    heron.stop()
    young_id = "6b" * 16
    (heron.data / "blobs" / "6b").mkdir(parents=True, exist_ok=True)
    young = heron.data / "blobs" / "6b" / young_id
    young.write_bytes(b"in flight")
    old_id = "7c" * 16
    (heron.data / "blobs" / "7c").mkdir(parents=True, exist_ok=True)
    old = heron.data / "blobs" / "7c" / old_id
    old.write_bytes(b"left behind")
    then = time.time() - AGE
    os.utime(old, (then, then))
    heron.start()
    eventually(lambda: not old.exists(), 30, what="the old unreferenced file removed")
    assert young.exists()
    # The server still takes and keeps large mail.
    s = smtp_client(heron)
    s.sendmail("load@remote.test", [USER], large("after"))
    s.quit()
    (msg,) = fetch_all(heron)
    assert strip_trace(msg) == large("after")
