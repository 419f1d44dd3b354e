"""Spam and virus filtering with real daemons (FILTER-2, FILTER-3, FILTER-6): a private spamd
scores GTUBE and a private clamd finds EICAR (filterdaemons.py), and the real server acts on
their verdicts. The server, its test DNS and the client address are those of filtering.py;
the originating address has reverse DNS, so the scanners are the only checks that fire."""

import base64

from conftest import OTHER, OTHER_PASSWORD, PASSWORD, USER
from filterdaemons import EICAR, GTUBE, STREAM_MAX_KB, VIRUS_NAME, clamd, daemon_port, need, \
    spamd  # noqa: F401 (fixtures)
from filtering import JUNK, ORIGIN_IP, filtered, message  # noqa: F401 (fixture)

SENDER = "bob@sender.test"
MIME = 'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b1"\r\n'


def eicar_body(text="See the attachment."):
    """A multipart body: `text`, then the EICAR test file as a base64 attachment."""
    attachment = base64.b64encode(EICAR.encode()).decode()
    return (f"--b1\r\nContent-Type: text/plain\r\n\r\n{text}\r\n"
            "--b1\r\nContent-Type: application/octet-stream\r\n"
            'Content-Disposition: attachment; filename="eicar.com"\r\n'
            "Content-Transfer-Encoding: base64\r\n\r\n"
            f"{attachment}\r\n--b1--\r\n")


def eicar(subject, sender=SENDER, to=USER):
    return message(subject, sender=sender, to=to, body=eicar_body(), extra=MIME)


def with_spamd(f, spamd):
    f.origin_has_reverse_dns()
    f.setting("spamassassin.enabled", "true")
    f.setting("spamassassin.address", spamd.address)


def with_clamd(f, clamd, action):
    f.origin_has_reverse_dns()
    f.setting("antivirus.clamav_enabled", "true")
    f.setting("antivirus.clamav_address", clamd.address)
    f.setting("antivirus.action", action)


def subjects(msgs):
    return [m["Subject"] for m in msgs]


# ---------------------------------------------------------------- the daemons themselves


def test_private_spamd_and_clamd_know_gtube_and_eicar(spamd, clamd):
    reply = spamd.check(message("gtube", body=GTUBE + "\r\n").encode())
    assert reply.startswith(b"SPAMD/1.1 0 EX_OK\r\n"), reply
    assert b"Spam: True ; 10" in reply and b"GTUBE" in reply, reply
    assert clamd.scan(EICAR.encode()) == f"stream: {VIRUS_NAME} FOUND\0".encode()
    assert clamd.scan(b"nothing to see") == b"stream: OK\0"


# ---------------------------------------------------------------- SpamAssassin


def test_spamd_scores_gtube_as_spam_and_heron_moves_it_to_junk_at_the_medium_level(
        filtered, spamd):
    f = filtered
    with_spamd(f, spamd)
    code, text = f.send(SENDER, [USER], message("gtube", body=GTUBE + "\r\n"))
    assert code == 250, (code, text)
    [m] = f.wait_messages(1, JUNK)
    assert f.messages("INBOX") == []
    assert m["X-Spam-Level"] == "medium"
    assert m["X-Spam-Checks"] == "spamassassin=15", m["X-Spam-Checks"]
    assert m["X-Spam-Unanswered"] is None


def test_an_ordinary_message_passes_spamd_into_the_inbox(filtered, spamd):
    f = filtered
    with_spamd(f, spamd)
    body = "Shall we meet for lunch on Friday at noon? The usual place.\r\n"
    # Dated as its Received field: a missing or later Date adds to SpamAssassin's score.
    date = "Date: Mon, 1 Jan 2024 00:00:00 +0000\r\n"
    code, text = f.send(SENDER, [USER], message("lunch", body=body, extra=date))
    assert code == 250, (code, text)
    [m] = f.wait_messages(1)
    assert m["X-Spam-Level"] == "none"
    assert m["X-Spam-Checks"] is None
    assert m["X-Spam-Unanswered"] is None
    assert f.messages(JUNK) == []


def test_daemons_that_do_not_answer_leave_the_message_unscored_and_say_so(filtered):
    f = filtered
    f.origin_has_reverse_dns()
    closed = f"127.0.0.1:{daemon_port()}"
    f.setting("spamassassin.enabled", "true")
    f.setting("spamassassin.address", closed)
    f.setting("spamassassin.max_attempts", "2")
    f.setting("antivirus.clamav_enabled", "true")
    f.setting("antivirus.clamav_address", closed)
    code, text = f.send(SENDER, [USER], message("gtube unanswered", body=GTUBE + "\r\n"))
    assert code == 250, (code, text)
    [m] = f.wait_messages(1)
    assert m["X-Spam-Level"] == "none"
    unanswered = m["X-Spam-Unanswered"]
    assert "spamassassin (" in unanswered and "after 2 attempts" in unanswered, unanswered
    assert "clamav (" in unanswered, unanswered


# ---------------------------------------------------------------- ClamAV


def test_a_virus_with_action_delete_is_accepted_and_delivered_nowhere(filtered, clamd):
    f = filtered
    with_clamd(f, clamd, "delete")
    code, text = f.send(SENDER, [USER], eicar("virus delete"))
    assert code == 250, (code, text)
    code, text = f.send(SENDER, [USER], message("clean after"))
    assert code == 250, (code, text)
    assert subjects(f.wait_messages(1)) == ["clean after"]
    assert f.messages(JUNK) == []


def test_a_virus_with_action_reject_is_refused_at_data(filtered, clamd):
    f = filtered
    with_clamd(f, clamd, "reject")
    code, text = f.send(SENDER, [USER], eicar("virus reject"))
    assert code == 554, (code, text)
    assert VIRUS_NAME in text, text
    code, text = f.send(SENDER, [USER], message("clean after"))
    assert code == 250, (code, text)
    assert subjects(f.wait_messages(1)) == ["clean after"]


def test_a_virus_with_action_inform_sender_tells_the_local_sender(filtered, clamd):
    f = filtered
    f.heron.add_user(OTHER, OTHER_PASSWORD)
    # Alice writes to Bob, both of example.test: mail within one domain is filtered too here.
    f.setting("filter.skip_same_domain", "false")
    with_clamd(f, clamd, "inform-sender")
    code, text = f.send(USER, [OTHER], eicar("virus inform", sender=USER, to=OTHER),
                        login=(USER, PASSWORD), port=f.heron.submission_port)
    assert code == 250, (code, text)
    [notice] = f.wait_messages(1)
    assert VIRUS_NAME in notice.as_string(), notice.as_string()
    assert f.messages(user=OTHER, password=OTHER_PASSWORD) == []


def test_a_message_longer_than_clamd_takes_is_delivered_unscanned(filtered, clamd):
    """clamd answers `INSTREAM size limit exceeded` and closes: no verdict, so the virus past
    the limit is not found and the message is delivered, marked as unscanned."""
    f = filtered
    with_clamd(f, clamd, "reject")
    line = "0123456789abcdef" * 4 + "\r\n"
    body = line * (STREAM_MAX_KB * 1024 * 2 // len(line)) + eicar_body()
    code, text = f.send(SENDER, [USER], message("too long", body=body, extra=MIME))
    assert code == 250, (code, text)
    [m] = f.wait_messages(1)
    assert "clamav (" in m["X-Spam-Unanswered"], m["X-Spam-Unanswered"]


def test_the_command_line_scanner_finds_the_virus(filtered, clamd):
    need("clamscan")
    f = filtered
    f.origin_has_reverse_dns()
    f.setting("antivirus.command", f"clamscan --no-summary --database={clamd.dir / 'db'} "
              "%FILEPATH")
    f.setting("antivirus.command_timeout", "60")
    f.setting("filter.check_timeout", "60")
    f.setting("antivirus.action", "reject")
    code, text = f.send(SENDER, [USER], eicar("virus command"))
    assert code == 554, (code, text)
    assert VIRUS_NAME in text, text
    code, text = f.send(SENDER, [USER], message("clean command"))
    assert code == 250, (code, text)
    [m] = f.wait_messages(1)
    assert m["X-Spam-Unanswered"] is None


# ---------------------------------------------------------------- the admin's test


def test_the_admins_test_of_a_message_asks_spamd_and_clamd(filtered, spamd, clamd):
    f = filtered
    with_spamd(f, spamd)
    with_clamd(f, clamd, "reject")
    both = message("both", body=eicar_body(GTUBE), extra=MIME)
    r = f.admin.post("/filter/test", {"message": both, "ip": ORIGIN_IP, "sender": SENDER})
    assert r.status_code == 200, r.text
    v = r.json()
    assert [(h["check"], h["weight"]) for h in v["hits"]] == [("spamassassin", 15)], v
    assert "GTUBE" in v["hits"][0]["detail"], v
    assert v["virus"] == VIRUS_NAME
    assert v["action"] == "refuse"
    assert v["unanswered"] == []
    assert f.messages("INBOX") == []


def test_the_realtime_scanner_quarantines_the_virus(filtered, clamd, tmp_path):
    """An on-access scanner: every file appearing in the watched directory is scanned by
    clamd (clamdscan --move), which moves a virus into the quarantine directory; the server
    finds its message file gone and applies the virus action."""
    import subprocess
    import threading
    import time
    need("clamdscan")
    watched, quarantine = tmp_path / "watched", tmp_path / "quarantine"
    watched.mkdir()
    quarantine.mkdir()
    stop = threading.Event()

    def watch():
        seen = set()
        for _ in range(6000):  # bounded: at most ten minutes
            if stop.is_set():
                return
            for p in sorted(watched.glob("*.eml")):
                if p.name not in seen:
                    seen.add(p.name)
                    subprocess.run(["clamdscan", f"--config-file={clamd.dir / 'clamd.conf'}",
                                    "--no-summary", f"--move={quarantine}", str(p)],
                                   capture_output=True, timeout=60)
            time.sleep(0.1)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        f = filtered
        f.origin_has_reverse_dns()
        f.setting("antivirus.realtime_directory", str(watched))
        f.setting("antivirus.quarantine_directory", str(quarantine))
        f.setting("antivirus.realtime_wait_ms", "8000")
        f.setting("filter.check_timeout", "30")
        f.setting("antivirus.action", "reject")
        code, text = f.send(SENDER, [USER], eicar("virus realtime"))
        assert code == 554, (code, text)
        assert "quarantined by the real-time scanner" in text, text
        assert len(list(quarantine.glob("*.eml"))) == 1
        code, text = f.send(SENDER, [USER], message("clean realtime"))
        assert code == 250, (code, text)
        [m] = f.wait_messages(1)
        assert m["X-Spam-Unanswered"] is None
        assert list(watched.iterdir()) == [], "the clean message's file is removed"
    finally:
        stop.set()
        watcher.join(15)
