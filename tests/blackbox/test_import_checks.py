"""`heron import` as an administrator sees it: files that are not mail are refused with the
reason, a Maildir++ tree lands in folders of the same names with its flags, and importing the
same mail twice adds nothing unless --duplicates is given. Results are checked over IMAP."""

import re
import shutil
from collections import Counter

import pytest

from conftest import USER, imap_client, make_messages, write_mbox

FLAGS = re.compile(rb"^(\d+) \(.*FLAGS \(([^)]*)\)")
SEQ = re.compile(rb"^(\d+) \(")


@pytest.fixture
def m(imap_server):
    c = imap_client(imap_server)
    yield c
    try:
        c.logout()
    except Exception:
        pass


def folders(m):
    typ, data = m.list('""', "*")
    assert typ == "OK", data
    return {line.rsplit(b' "/" ', 1)[1].strip(b'"').decode() for line in data}


def count(m, folder="INBOX"):
    typ, data = m.select(f'"{folder}"', readonly=True)
    assert typ == "OK", (folder, data)
    return int(data[0])


def messages(m, folder):
    """[(subject, set of flags without \\Recent)] of the messages in `folder`, in order."""
    if count(m, folder) == 0:
        return []
    typ, data = m.fetch("1:*", "(FLAGS)")
    assert typ == "OK", data
    flags = {}
    for line in data:
        mt = FLAGS.match(line)
        assert mt, line
        flags[mt[1]] = set(mt[2].decode().split()) - {"\\Recent"}
    typ, data = m.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    assert typ == "OK", data
    out = []
    for item in data:
        if not isinstance(item, tuple):
            continue
        seq = SEQ.match(item[0])[1]
        subject = item[1].decode().split(":", 1)[1].strip()
        out.append((subject, flags[seq]))
    return out


def subjects_and_flags(m, folder):
    """{subject: set of flags} of the messages in `folder`."""
    return dict(messages(m, folder))


def run_import(server, *args):
    return server.cli("import", USER, *args, check=False)


JUNK = [
    ("/etc/passwd", "no From, To, Subject, Date, Message-ID or other message header field"),
    ("/bin/ls", "binary data"),
    (None, "not a mail message: empty"),
]


@pytest.mark.parametrize("path,reason", JUNK, ids=["passwd", "binary", "empty"])
def test_import_refuses_a_file_that_is_not_mail(server, m, tmp_path, path, reason):
    if path is None:
        path = tmp_path / "empty.eml"
        path.write_bytes(b"")
    before = folders(m)
    r = run_import(server, path, "--folder", "Imported")
    assert r.returncode != 0, r.stdout
    refused = [line for line in r.stderr.splitlines() if line.startswith("refused: ")]
    assert len(refused) == 1, r.stderr
    assert str(path) in refused[0] and reason in refused[0], r.stderr
    assert "imported 0 messages" in r.stdout and "refused 1 file that is not mail" in r.stdout
    assert r.stderr.splitlines()[-1] == "error: 1 file not imported (see above)", r.stderr
    # Nothing stored, not even the target folder.
    assert folders(m) == before
    assert count(m) == 0


def test_import_maildir_skips_junk_files_and_imports_the_rest(server, m, tmp_path):
    md = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (md / sub).mkdir(parents=True)
    (md / "cur" / "1700000001.a.host:2,S").write_bytes(b"Subject: good one\n\nbody\n")
    (md / "new" / "1700000002.b.host").write_bytes(b"Subject: good two\n\nbody\n")
    passwd = md / "cur" / "1700000003.c.host:2,S"
    shutil.copyfile("/etc/passwd", passwd)
    binary = md / "cur" / "1700000004.d.host:2,"
    shutil.copyfile("/bin/ls", binary)

    r = run_import(server, md)
    assert r.returncode != 0
    refused = [line for line in r.stderr.splitlines() if line.startswith("refused: ")]
    assert len(refused) == 2, r.stderr
    assert str(passwd) in refused[0] and "message header field" in refused[0], refused
    assert str(binary) in refused[1] and "binary data" in refused[1], refused
    assert "imported 2 messages into INBOX" in r.stdout, r.stdout
    assert "refused 2 files that are not mail" in r.stdout, r.stdout
    assert subjects_and_flags(m, "INBOX") == {"good one": {"\\Seen"}, "good two": set()}


def test_import_maildir_plus_plus_tree_into_folders_with_flags(server, m, tmp_path):
    md = tmp_path / "Maildir"
    files = {
        "new/1700000001.a.host": "inbox new unseen",
        "new/1700000002.b.host:2,FS": "inbox new flagged",
        "cur/1700000003.c.host:2,RS": "inbox cur answered",
        ".Sent/cur/1700000004.d.host:2,S": "sent",
        ".Archive/cur/1700000005.e.host:2,": "archive",
        ".Archive.2024/new/1700000006.f.host:2,F": "archive 2024 new",
        ".Archive.2024/cur/1700000007.g.host:2,DS": "archive 2024 cur",
        ".Lists.heron/cur/1700000008.h.host:2,T": "lists heron",
    }
    for folder in ("", ".Sent", ".Archive", ".Archive.2024", ".Lists.heron"):
        for sub in ("cur", "new", "tmp"):
            (md / folder / sub).mkdir(parents=True, exist_ok=True)
    for name, subject in files.items():
        (md / name).write_bytes(f"From: a@example.org\nSubject: {subject}\n\nbody\n".encode())

    r = run_import(server, md)
    assert r.returncode == 0, r.stderr
    assert "imported 8 messages" in r.stdout, r.stdout

    assert {"Sent", "Archive", "Archive/2024", "Lists", "Lists/heron"} <= folders(m)
    assert subjects_and_flags(m, "INBOX") == {
        "inbox new unseen": set(),
        "inbox new flagged": {"\\Flagged", "\\Seen"},
        "inbox cur answered": {"\\Answered", "\\Seen"},
    }
    assert subjects_and_flags(m, "Sent") == {"sent": {"\\Seen"}}
    assert subjects_and_flags(m, "Archive") == {"archive": set()}
    assert subjects_and_flags(m, "Archive/2024") == {
        "archive 2024 new": {"\\Flagged"},
        "archive 2024 cur": {"\\Draft", "\\Seen"},
    }
    assert subjects_and_flags(m, "Lists") == {}
    assert subjects_and_flags(m, "Lists/heron") == {"lists heron": {"\\Deleted"}}

    # Into another target: the subfolders go below it.
    r = run_import(server, md, "--folder", "Old")
    assert r.returncode == 0, r.stderr
    assert {"Old", "Old/Sent", "Old/Archive/2024", "Old/Lists/heron"} <= folders(m)
    assert subjects_and_flags(m, "Old/Archive/2024") == subjects_and_flags(m, "Archive/2024")


def test_reimporting_an_mbox_skips_duplicates_unless_asked(server, m, tmp_path):
    msgs = make_messages(5, seed=11)
    no_id = b"From: b@example.org\nSubject: without a Message-ID\n\nsame bytes\n"
    # The first message twice: the second copy is a duplicate already within the file.
    mbox = write_mbox(tmp_path / "old.mbox", [*msgs, no_id, msgs[0]])

    r = run_import(server, mbox)
    assert r.returncode == 0, r.stderr
    assert "imported 6 messages into INBOX; skipped 1 duplicate;" in r.stdout, r.stdout
    assert count(m) == 6

    r = run_import(server, mbox)
    assert r.returncode == 0, r.stderr
    assert "imported 0 messages; skipped 7 duplicates;" in r.stdout, r.stdout
    assert count(m) == 6

    r = run_import(server, mbox, "--duplicates")
    assert r.returncode == 0, r.stderr
    assert "imported 7 messages into INBOX; skipped 0 duplicates;" in r.stdout, r.stdout
    assert count(m) == 13
    subjects = Counter(subject for subject, _ in messages(m, "INBOX"))
    assert len(subjects) == 6, subjects
    assert subjects["Test message 1 of 5"] == 3, subjects
    assert all(n == 2 for s, n in subjects.items() if s != "Test message 1 of 5"), subjects
