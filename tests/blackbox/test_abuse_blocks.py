"""Abuse blocks (SEC-2, SEC-7): failed logins per client IP and per account, and bad SMTP
sessions (harvesting) per IP, block in the store; the blocks are listed and lifted through
the admin API, the admin UI's Blocks page and `heron blocks`.

- Wrong IMAP passwords from one IP up to `security.auth_ip_failures` block that IP on IMAP,
  POP3 and SMTP AUTH alike: the right password is refused with the very answer a wrong one
  gets, while other IPs still log in. The block shows in the API and on the Blocks page;
  lifting it lets the right password in.
- The same guessing spread over many IPs (127.0.0.x), one try each, blocks the account
  (`security.auth_account_failures`) for every IP.
- Sessions naming unknown recipients and delivering nothing block the IP from SMTP
  (`security.harvest_bad_sessions`): it is refused at connect with 554, other IPs are not.
- `heron blocks list` shows a block, `heron blocks remove KIND KEY` lifts it.
- More than `security.dos_connections` connections from one IP are refused at accept; the
  block is listed (kind dos-PROTOCOL) and lifting it lets the IP in again.
- A second block of the same IP within a day lasts twice as long."""

import base64
import imaplib
import poplib
import smtplib

import socket

import pytest

from admin_api import logged_in_admin, wait_for_api
from conftest import PASSWORD, USER, drop, eventually

WRONG = "Wrong999z"


@pytest.fixture
def srv(imap_server):
    return imap_server


def _imap_login(m, user, password):
    try:
        m.login(user, password)
        return "OK"
    except imaplib.IMAP4.error as e:
        return str(e)
    finally:
        drop(m)


class SourcedImap(imaplib.IMAP4):
    """imaplib bound to a loopback source address."""

    def __init__(self, host, port, src):
        self.src = src
        super().__init__(host, port, timeout=15)

    def _create_socket(self, timeout):
        return socket.create_connection((self.host, self.port), timeout,
                                        source_address=(self.src, 0))


def imap_from(heron, src, password, user=USER):
    return _imap_login(SourcedImap(heron.host, heron.imap_port, src), user, password)


def imap_plain_from(heron, src, password):
    """The answer to IMAP AUTHENTICATE PLAIN from `src`."""
    m = SourcedImap(heron.host, heron.imap_port, src)
    try:
        m.authenticate("PLAIN", lambda _: f"\0{USER}\0{password}".encode())
        return "OK"
    except imaplib.IMAP4.error as e:
        return str(e)
    finally:
        drop(m)


class SourcedPop(poplib.POP3):
    def __init__(self, host, port, src):
        self.src = src
        super().__init__(host, port, timeout=15)

    def _create_socket(self, timeout):
        return socket.create_connection((self.host, self.port), timeout,
                                        source_address=(self.src, 0))


def pop_from(heron, src, password):
    p = SourcedPop(heron.host, heron.pop3_port, src)
    try:
        p.user(USER)
        p.pass_(password)
        return "OK"
    except poplib.error_proto as e:
        return e.args[0].decode()
    finally:
        drop(p)


def smtp_from(heron, src, password):
    """(code, text) of SMTP AUTH PLAIN on the MX port from `src` (loopback offers AUTH)."""
    s = smtplib.SMTP(heron.host, heron.smtp_port, timeout=15, source_address=(src, 0))
    try:
        s.ehlo("client.test")
        token = base64.b64encode(f"\0{USER}\0{password}".encode()).decode()
        code, text = s.docmd("AUTH", "PLAIN " + token)
        return code, text.decode()
    finally:
        try:
            s.quit()
        except smtplib.SMTPException:
            pass


def configure(heron, **values):
    """The administrator's API client, after setting `security.KEY` to each of `values`
    through it (the server applies them at once, unlike a CLI change it polls for)."""
    wait_for_api(heron)
    api = logged_in_admin(heron)
    for key, value in values.items():
        r = api.put(f"/settings/security.{key}", {"value": str(value)})
        assert r.status_code in (200, 204), r.text
    return api


def blocks_of(api):
    r = api.get("/blocks")
    assert r.status_code == 200, r.text
    return r.json()


def test_failed_logins_block_the_ip_on_every_protocol(srv):
    api = configure(srv, auth_ip_failures=3, auth_account_failures=0)
    bad = "127.0.0.7"
    wrong_imap = imap_from(srv, bad, WRONG)
    wrong_pop = pop_from(srv, bad, WRONG)
    wrong_smtp = smtp_from(srv, bad, WRONG)
    assert "AUTHENTICATIONFAILED" in wrong_imap and wrong_smtp[0] == 535, (wrong_imap, wrong_smtp)
    # Three failures (one per protocol) blocked the IP: the right password gets the same
    # answers as a wrong one, on every protocol.
    assert imap_from(srv, bad, PASSWORD) == wrong_imap
    assert imap_plain_from(srv, bad, PASSWORD) == imap_plain_from(srv, bad, WRONG) != "OK"
    assert pop_from(srv, bad, PASSWORD) == wrong_pop
    assert smtp_from(srv, bad, PASSWORD) == wrong_smtp
    # Other IPs are not blocked.
    assert imap_from(srv, "127.0.0.8", PASSWORD) == "OK"
    listed = [b for b in blocks_of(api) if b["kind"] == "auth-ip"]
    assert [b["key"] for b in listed] == [bad], listed
    assert listed[0]["seconds_left"] > 0 and listed[0]["end"].endswith("Z")
    page = api.http.get(f"http://127.0.0.1:{srv.admin_port}/blocks", timeout=30)
    assert page.status_code == 200 and bad in page.text and "auth-ip" in page.text, page.text
    assert "Blacklist IP" in page.text and 'href="/blocks"' in page.text
    r = api.delete(f"/blocks/auth-ip/{bad}")
    assert r.status_code == 204, r.text
    assert api.delete(f"/blocks/auth-ip/{bad}").status_code == 404
    assert imap_from(srv, bad, PASSWORD) == "OK"
    assert imap_plain_from(srv, bad, PASSWORD) == "OK"
    assert pop_from(srv, bad, PASSWORD) == "OK"
    assert smtp_from(srv, bad, PASSWORD)[0] == 235


def test_guessing_from_many_ips_blocks_the_account(srv):
    api = configure(srv, auth_ip_failures=0, auth_account_failures=4)
    answers = [imap_from(srv, f"127.0.0.{20 + i}", WRONG) for i in range(4)]
    assert all("AUTHENTICATIONFAILED" in a for a in answers), answers
    # Blocked for every IP, the right password too, with the same answer.
    assert imap_from(srv, "127.0.0.40", PASSWORD) == answers[0]
    assert pop_from(srv, "127.0.0.41", PASSWORD) != "OK"
    assert smtp_from(srv, "127.0.0.42", PASSWORD)[0] == 535
    out = srv.cli("blocks", "list").stdout
    assert "auth-account" in out and USER in out, out
    page = api.http.get(f"http://127.0.0.1:{srv.admin_port}/blocks", timeout=30).text
    assert f'data-api="/api/v1/users/{USER}"' in page and "Disable user" in page, page
    srv.cli("blocks", "remove", "auth-account", USER)
    assert USER not in srv.cli("blocks", "list").stdout
    assert imap_from(srv, "127.0.0.40", PASSWORD) == "OK"
    r = srv.cli("blocks", "remove", "auth-account", USER, check=False)
    assert r.returncode != 0


def test_harvesting_blocks_the_ip_from_smtp(srv):
    api = configure(srv, harvest_bad_sessions=3)
    harvester = "127.0.0.50"
    for i in range(3):
        s = smtplib.SMTP(srv.host, srv.smtp_port, timeout=15, source_address=(harvester, 0))
        s.ehlo("harvest.test")
        s.mail("probe@harvest.test")
        code, _ = s.rcpt(f"nobody{i}@example.test")
        assert code == 550, code
        s.quit()
    # The session is counted as it closes, just after its QUIT is answered.
    def refused():
        try:
            smtplib.SMTP(srv.host, srv.smtp_port, timeout=15,
                         source_address=(harvester, 0)).quit()
        except smtplib.SMTPConnectError as e:
            return e.smtp_code
        raise AssertionError("still greeted")
    assert eventually(refused, 10, what="harvester refused") == 554
    # Another IP still delivers.
    s = smtplib.SMTP(srv.host, srv.smtp_port, timeout=15, source_address=("127.0.0.51", 0))
    s.ehlo("ok.test")
    assert s.sendmail("a@ok.test", [USER], b"Subject: hi\r\n\r\nhello\r\n") == {}
    s.quit()
    out = srv.cli("blocks", "list").stdout
    assert "harvest" in out and harvester in out, out
    # The Blocks page's "Blacklist IP": the IP joins security.ip_blacklist, the block goes.
    r = api.post(f"/blocks/harvest/{harvester}/blacklist")
    assert r.status_code == 200 and r.json() == {"ip": harvester, "added": True}, r.text
    assert harvester in api.get("/settings/security.ip_blacklist").json()["value"]
    assert harvester not in srv.cli("blocks", "list").stdout
    with pytest.raises(smtplib.SMTPConnectError) as e:
        smtplib.SMTP(srv.host, srv.smtp_port, timeout=15, source_address=(harvester, 0))
    assert "not allowed" in e.value.smtp_error.decode(), e.value


def test_connection_flood_is_refused_at_accept(srv):
    api = configure(srv, dos_connections=3, dos_window=60, dos_block=600)
    flooder = "127.0.0.60"
    for _ in range(3):
        p = SourcedPop(srv.host, srv.pop3_port, flooder)
        assert p.getwelcome().startswith(b"+OK")
        p.quit()
    with pytest.raises(poplib.error_proto) as e:
        SourcedPop(srv.host, srv.pop3_port, flooder)
    assert b"too many connections" in e.value.args[0].lower(), e.value
    # Other protocols and other IPs are not refused.
    assert imap_from(srv, flooder, PASSWORD) == "OK"
    assert pop_from(srv, "127.0.0.61", PASSWORD) == "OK"
    # The block is recorded in the store: listed by the API and the CLI, and lifting it
    # there lets the IP in again.
    listed = eventually(lambda: [b for b in blocks_of(api) if b["kind"] == "dos-pop3"], 10,
                        what="the DoS block is listed")
    assert [b["key"] for b in listed] == [flooder], listed
    assert "flood" in listed[0]["reason"] and 0 < listed[0]["seconds_left"] <= 600
    assert flooder in srv.cli("blocks", "list").stdout
    r = api.delete(f"/blocks/dos-pop3/{flooder}")
    assert r.status_code == 204, r.text
    eventually(lambda: pop_from(srv, flooder, PASSWORD) == "OK", 10,
               what="the lifted IP connects again")


def rss_kb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_a_long_flood_costs_no_memory(srv):
    """Thousands of refused connections: each is closed at accept, so the server's memory
    stays flat (a generous bound: the allocator may keep some of what a refusal used)."""
    configure(srv, dos_connections=3, dos_window=600, dos_block=600)
    flooder = "127.0.0.62"
    refused = 0
    for i in range(3000):  # bounded
        with socket.create_connection((srv.host, srv.pop3_port), 10,
                                      source_address=(flooder, 0)) as c:
            c.settimeout(10)
            line = c.recv(200)
            if i == 100:
                before = rss_kb(srv.proc.pid)
            if b"too many connections" in line.lower():
                refused += 1
    after = rss_kb(srv.proc.pid)
    assert refused >= 2990, refused
    assert after - before < 20 * 1024, (before, after)
    assert pop_from(srv, "127.0.0.63", PASSWORD) == "OK"


def test_repeat_offenders_are_blocked_longer(srv):
    api = configure(srv, auth_ip_failures=1, auth_ip_block=2, auth_account_failures=0)
    ip = "127.0.0.70"

    def left():
        return [b["seconds_left"] for b in blocks_of(api) if b["key"] == ip]

    assert "AUTHENTICATIONFAILED" in imap_from(srv, ip, WRONG)
    first = left()
    assert first and first[0] <= 2, first
    eventually(lambda: not left(), 10, what="first block ends")
    assert "AUTHENTICATIONFAILED" in imap_from(srv, ip, WRONG)
    second = left()
    assert second and 2 < second[0] <= 4, second
    block = next(b for b in blocks_of(api) if b["key"] == ip)
    assert block["start"] < block["end"]
