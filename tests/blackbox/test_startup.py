"""At start the server says where everything is: each mail listener with its TLS mode, the
admin UI's address, where the logs are and, until it is changed, the first login."""

import glob

from admin_api import logged_in_admin, wait_for_api
from conftest import eventually

# Default listeners with a service: (protocol, default port, TLS mode shown).
LISTENERS = [("smtp", 25, "STARTTLS"), ("submission", 587, "STARTTLS"),
             ("submission", 465, "TLS"), ("pop3", 110, "STARTTLS"), ("pop3", 995, "TLS"),
             ("imap", 143, "STARTTLS"), ("imap", 993, "TLS")]


def events_log(heron):
    return "".join(open(f).read() for f in glob.glob(str(heron.data / "logs" / "events-*.log")))


def startup_text(heron):
    """The server's output once its start-up report is complete."""
    return eventually(lambda: "logs:" in heron.output.read_text() and heron.output.read_text(),
                      15, what="start-up report printed")


def assert_where_everything_is(heron, text):
    lines = text.splitlines()
    for proto, port, mode in LISTENERS:
        addr = f"{heron.host}:{port + heron.offset}"
        assert any(addr in line.split() and proto in line.split() and mode in line.split()
                   for line in lines), (proto, addr, mode, text)
    assert f"http://127.0.0.1:{heron.admin_port}/" in text, text
    assert str(heron.data / "logs") in text, text


def test_first_start_says_where_everything_is_and_the_first_login(heron):
    heron.start()
    text = startup_text(heron)
    assert_where_everything_is(heron, text)
    first = [line for line in text.splitlines() if "first login" in line]
    assert first and "admin" in first[0] and "must" in first[0] and "new password" in first[0], text
    log = eventually(lambda: "first login" in events_log(heron) and events_log(heron), 10,
                     what="report in the events log")
    assert_where_everything_is(heron, log)


def test_first_login_is_not_shown_once_the_password_changed(server):
    wait_for_api(server)
    logged_in_admin(server)
    server.stop()
    server.start()
    text = startup_text(server)
    assert_where_everything_is(server, text)
    assert "first login" not in text, text
