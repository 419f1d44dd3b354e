"""DOM-2: a domain's alternate SMTP port, served besides the standard SMTP port (for users
whose provider blocks port 25): set with `heron domain set --smtp-alt-port` or the API, it
opens an SMTP listener like the standard one at once, takes mail and AUTH there, and closes
when cleared."""

import smtplib
import socket

from admin_api import admin, error_of  # noqa: F401 (fixture)
from conftest import HOST, PASSWORD, USER, client_tls, eventually, fetch_all, free_port


def refused(port):
    try:
        socket.create_connection((HOST, port), timeout=1).close()
    except OSError:
        return True
    return False


def send_on(port, subject, login=None):
    s = smtplib.SMTP(HOST, port, timeout=30)
    try:
        code, banner = s.ehlo("client.test")
        assert code == 250, banner
        s.starttls(context=client_tls())
        s.ehlo("client.test")
        if login:
            s.login(*login)
        msg = f"From: {USER}\r\nTo: {USER}\r\nSubject: {subject}\r\n\r\nHello.\r\n"
        s.sendmail(USER, [USER], msg)
    finally:
        s.quit()


def test_alternate_smtp_port(heron):
    heron.add_user()
    alt = free_port()
    r = heron.cli("domain", "set", "example.test", "--smtp-alt-port", alt)
    assert f"alternate SMTP port: {alt}" in r.stdout
    heron.start()
    eventually(lambda: not refused(alt), 10, what="the alternate port opens")
    banner = smtplib.SMTP(HOST, alt, timeout=15)
    try:
        assert banner.ehlo("client.test")[0] == 250
        assert "starttls" in banner.esmtp_features
    finally:
        banner.quit()
    send_on(alt, "over the alternate port")
    send_on(alt, "authenticated", login=(USER, PASSWORD))
    got = eventually(lambda: (m := fetch_all(heron)) and len(m) == 2 and m, 15,
                     what="both messages delivered")
    assert any(b"Subject: over the alternate port" in m for m in got)

    # Through the API: cleared, the port closes; moved, the new one opens.
    from admin_api import logged_in_admin, wait_for_api
    wait_for_api(heron)
    api = logged_in_admin(heron)
    assert api.get("/domains/example.test").json()["smtp_alt_port"] == alt
    r = api.patch("/domains/example.test", {"smtp_alt_port": 0})
    assert r.status_code == 200 and r.json()["smtp_alt_port"] is None, r.text
    eventually(lambda: refused(alt), 10, what="the alternate port closes")
    other = free_port()
    r = api.patch("/domains/example.test", {"smtp_alt_port": other})
    assert r.status_code == 200 and r.json()["smtp_alt_port"] == other, r.text
    eventually(lambda: not refused(other), 10, what="the new alternate port opens")
    page = api.http.get(f"http://127.0.0.1:{heron.admin_port}/domains/example.test",
                        timeout=30).text
    assert f'name="smtp_alt_port" type="number" min="0" max="65535" data-json="number" value="{other}"' in page
    assert api.patch("/domains/example.test", {"smtp_alt_port": 70000}).status_code == 400
