"""Spam and virus filtering with real daemons (FILTER-2, FILTER-3, FILTER-6): a private spamd
scores GTUBE and a private clamd finds EICAR, and the real server acts on their verdicts.

The server uses a test DNS server with an empty zone (so the SPF, DMARC and reverse DNS checks
get quick, fixed answers), filters mail from 127.0.0.1 (`filter.skip_networks` emptied) and
within one domain (`filter.skip_same_domain` off).
"""

import base64

import pytest

from conftest import OTHER, OTHER_PASSWORD, PASSWORD, USER, fetch_all, header_values, \
    imap_client, smtp_client, submission
from filterdaemons import EICAR, GTUBE, VIRUS_NAME, clamd, daemon_port, need, \
    spamd  # noqa: F401 (fixtures)
from outbound_dns import DnsServer

SENDER = "someone@remote.test"
JUNK = "Junk E-Mail"


@pytest.fixture
def dns():
    d = DnsServer().start()
    try:
        yield d
    finally:
        d.stop()


def start(heron, dns, **settings):
    """Start the server with alice and bob, filtering mail from this machine, with
    `settings` (keys with `__` for `.`)."""
    base = {
        "dns.servers": dns.address,
        "filter.skip_networks": "",
        "filter.skip_same_domain": "false",
    }
    for key, value in {**base, **{k.replace("__", "."): v for k, v in settings.items()}}.items():
        heron.set(key, value)
    heron.add_user()
    heron.add_user(OTHER, OTHER_PASSWORD)
    heron.start()
    return heron


def message(subject, body, sender=SENDER, to=USER):
    return (f"From: <{sender}>\r\nTo: <{to}>\r\nSubject: {subject}\r\n"
            f"Message-ID: <{subject.replace(' ', '-')}@remote.test>\r\n"
            f"Date: Fri, 04 Dec 2026 02:00:00 +0000\r\n\r\n{body}\r\n").encode()


def eicar_message(subject, sender=SENDER, to=USER):
    """A message with the EICAR test file as a base64 attachment."""
    attachment = base64.b64encode(EICAR.encode()).decode()
    return (f"From: <{sender}>\r\nTo: <{to}>\r\nSubject: {subject}\r\n"
            f"Message-ID: <{subject.replace(' ', '-')}@remote.test>\r\n"
            "Date: Fri, 04 Dec 2026 02:00:00 +0000\r\nMIME-Version: 1.0\r\n"
            "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
            "--b1\r\nContent-Type: text/plain\r\n\r\nSee the attachment.\r\n"
            "--b1\r\nContent-Type: application/octet-stream\r\n"
            "Content-Disposition: attachment; filename=\"eicar.com\"\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n"
            f"{attachment}\r\n--b1--\r\n").encode()


def send(heron, msg, sender=SENDER, to=USER, client=None):
    """Send `msg` and return the reply to the end of DATA as (code, text)."""
    s = client or smtp_client(heron)
    try:
        code, text = s.mail(sender)
        assert code == 250, (code, text)
        code, text = s.rcpt(to)
        assert code == 250, (code, text)
        return s.data(msg)
    finally:
        s.quit()


def folder(heron, name, user=USER, password=PASSWORD):
    """Every message of `user`'s folder `name`, headers and body."""
    m = imap_client(heron, user=user, password=password)
    try:
        typ, _ = m.select(f'"{name}"', readonly=True)
        assert typ == "OK", name
        typ, data = m.search(None, "ALL")
        out = []
        for n in data[0].split():
            typ, parts = m.fetch(n, "(BODY.PEEK[])")
            out.append(parts[0][1])
        return out
    finally:
        m.logout()


# ---------------------------------------------------------------- the daemons themselves


def test_private_spamd_and_clamd_know_gtube_and_eicar(spamd, clamd):
    reply = spamd.check(message("gtube", GTUBE))
    assert reply.startswith(b"SPAMD/1.1 0 EX_OK\r\n"), reply
    assert b"Spam: True ; 10" in reply and b"GTUBE" in reply, reply
    assert clamd.scan(EICAR.encode()) == f"stream: {VIRUS_NAME} FOUND\0".encode()
    assert clamd.scan(b"nothing to see") == b"stream: OK\0"


# ---------------------------------------------------------------- SpamAssassin


def test_spamd_scores_gtube_as_spam_and_heron_moves_it_to_junk_at_the_medium_level(
        heron, dns, spamd):
    start(heron, dns, spamassassin__enabled="true", spamassassin__address=spamd.address)
    code, text = send(heron, message("gtube", GTUBE))
    assert code == 250, (code, text)
    junk = folder(heron, JUNK)
    assert len(junk) == 1, heron.tail()
    assert folder(heron, "INBOX") == []
    assert header_values(junk[0], "X-Spam-Level") == [b"medium"]
    checks = header_values(junk[0], "X-Spam-Checks")
    assert len(checks) == 1 and b"spamassassin=15" in checks[0], checks
    assert header_values(junk[0], "X-Spam-Unanswered") == []


def test_an_ordinary_message_passes_spamd_into_the_inbox(heron, dns, spamd):
    start(heron, dns, spamassassin__enabled="true", spamassassin__address=spamd.address)
    code, text = send(heron, message("lunch", "Shall we meet for lunch on Friday at noon?"))
    assert code == 250, (code, text)
    inbox = folder(heron, "INBOX")
    assert len(inbox) == 1
    assert folder(heron, JUNK) == []
    assert b"spamassassin" not in b"".join(header_values(inbox[0], "X-Spam-Checks"))
    assert header_values(inbox[0], "X-Spam-Unanswered") == []


def test_daemons_that_do_not_answer_leave_the_message_unscored_and_say_so(heron, dns):
    closed = daemon_port()
    start(heron, dns, spamassassin__enabled="true",
          spamassassin__address=f"127.0.0.1:{closed}", spamassassin__max_attempts="2",
          antivirus__clamav_enabled="true", antivirus__clamav_address=f"127.0.0.1:{closed}")
    code, text = send(heron, message("gtube unanswered", GTUBE))
    assert code == 250, (code, text)
    inbox = folder(heron, "INBOX")
    assert len(inbox) == 1
    unanswered = b"".join(header_values(inbox[0], "X-Spam-Unanswered"))
    assert b"spamassassin (" in unanswered and b"after 2 attempts" in unanswered, unanswered
    assert b"clamav (" in unanswered, unanswered


# ---------------------------------------------------------------- ClamAV


def test_a_virus_with_action_delete_is_accepted_and_delivered_nowhere(heron, dns, clamd):
    start(heron, dns, antivirus__clamav_enabled="true", antivirus__clamav_address=clamd.address)
    code, text = send(heron, eicar_message("virus delete"))
    assert code == 250, (code, text)
    code, text = send(heron, message("clean after", "Nothing bad here."))
    assert code == 250, (code, text)
    inbox = folder(heron, "INBOX")
    assert [header_values(m, "Subject") for m in inbox] == [[b"clean after"]]
    assert folder(heron, JUNK) == []


def test_a_virus_with_action_reject_is_refused_at_data(heron, dns, clamd):
    start(heron, dns, antivirus__clamav_enabled="true", antivirus__clamav_address=clamd.address,
          antivirus__action="reject")
    code, text = send(heron, eicar_message("virus reject"))
    assert code == 554, (code, text)
    assert VIRUS_NAME.encode() in text, text
    assert folder(heron, "INBOX") == []


def test_a_virus_with_action_inform_sender_tells_the_local_sender(heron, dns, clamd):
    start(heron, dns, antivirus__clamav_enabled="true", antivirus__clamav_address=clamd.address,
          antivirus__action="inform-sender")
    code, text = send(heron, eicar_message("virus inform", sender=USER, to=OTHER),
                      sender=USER, to=OTHER, client=submission(heron))
    assert code == 250, (code, text)
    assert fetch_all(heron, OTHER, OTHER_PASSWORD) == []
    notices = fetch_all(heron)
    assert len(notices) == 1, notices
    assert VIRUS_NAME.encode() in notices[0], notices[0]


def test_the_command_line_scanner_finds_the_virus(heron, dns, clamd):
    need("clamscan")
    db = clamd.dir / "db"
    start(heron, dns, antivirus__command=f"clamscan --no-summary --database={db} %FILEPATH",
          antivirus__action="reject")
    code, text = send(heron, eicar_message("virus command"))
    assert code == 554, (code, text)
    assert VIRUS_NAME.encode() in text, text
    code, text = send(heron, message("clean command", "Nothing bad here."))
    assert code == 250, (code, text)
    assert len(folder(heron, "INBOX")) == 1

