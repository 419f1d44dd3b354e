"""Sending throttles (DOM-7): per user and per domain, messages and MB sent per hour, and
bounces received per hour; over a limit, mail is deferred with 451 4.7.0 naming the limit
until the window (`throttle.window_seconds`, shortened here) is over; each throttle is logged
once per window."""

import smtplib
import time

from admin_api import admin  # noqa: F401
from conftest import PASSWORD, smtp_client, submission

ALICE = "alice@example.test"
CAROL = "carol@example.test"
DAVE = "dave@other.test"
WINDOW = 6


def message(sender, rcpt, body="hello", subject="throttle"):
    return (f"From: {sender}\r\nTo: {rcpt}\r\nSubject: {subject}\r\n\r\n{body}\r\n")


def setup(heron, **extra):
    settings = {"throttle.enabled": "true", "throttle.window_seconds": str(WINDOW), **extra}
    for k, v in settings.items():
        heron.set(k, v)
    for u in (ALICE, CAROL, DAVE):
        heron.add_user(u, PASSWORD)


def send(heron, user, n, rcpt=DAVE, body="hello"):
    """Submit `n` messages as `user` in one session; the (code, text) of each."""
    s = submission(heron, user, PASSWORD)
    out = []
    try:
        for _ in range(n):
            try:
                s.sendmail(user, [rcpt], message(user, rcpt, body))
                out.append((250, ""))
            except (smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as e:
                # Refused at MAIL FROM once the limit is reached (at DATA if reached meanwhile).
                out.append((e.smtp_code, e.smtp_error.decode()))
                s.rset()
    finally:
        s.quit()
    return out


def wait_next_window():
    """Sleep into the next counting window."""
    now = time.time()
    time.sleep(WINDOW - (now % WINDOW) + 0.2)


def at_window_start():
    """Sleep until a fresh window with most of its length ahead."""
    if WINDOW - (time.time() % WINDOW) < WINDOW * 0.7:
        wait_next_window()


def events_log(heron):
    return "\n".join(p.read_text(errors="replace")
                     for p in sorted((heron.data / "logs").glob("*.log")))


def test_user_limit_defers_the_51st_and_others_still_send(heron):
    setup(heron, **{"throttle.user_messages_per_hour": "50",
                    "throttle.window_seconds": "3600"})
    heron.start()
    replies = send(heron, ALICE, 52, rcpt=CAROL)
    assert all(c == 250 for c, _ in replies[:50]), replies[:50]
    for code, text in replies[50:]:
        assert code == 451 and text.startswith("4.7.0"), (code, text)
        assert "alice@example.test" in text and "50 messages sent per hour" in text, text
    # Another user of another domain still sends.
    assert send(heron, DAVE, 1, rcpt=ALICE) == [(250, "")]
    log = events_log(heron)
    assert log.count("User Throttled") == 1, log[-2000:]


def test_domain_limit_is_shared_and_lifts_the_next_window(heron):
    setup(heron)
    heron.cli("domain", "set", "example.test", "--messages-per-hour", "3")
    out = heron.cli("domain", "show", "example.test").stdout
    assert "messages 3" in out, out
    heron.start()
    at_window_start()
    assert send(heron, ALICE, 2) == [(250, "")] * 2
    r = send(heron, CAROL, 2)
    assert r[0] == (250, "")
    assert r[1][0] == 451 and "domain example.test" in r[1][1], r
    assert send(heron, ALICE, 1)[0][0] == 451
    assert send(heron, DAVE, 1, rcpt=ALICE) == [(250, "")]
    wait_next_window()
    assert send(heron, ALICE, 1) == [(250, "")]
    assert "Domain Throttled" in events_log(heron)


def test_mb_limit(heron):
    setup(heron, **{"throttle.user_mb_per_hour": "1"})
    heron.start()
    at_window_start()
    big = ("x" * 76 + "\r\n") * 8000  # about 600 KB
    r = send(heron, ALICE, 3, body=big)
    assert r[:2] == [(250, "")] * 2, r
    assert r[2][0] == 451 and "1 MB sent per hour" in r[2][1], r


def test_bounce_limit(heron):
    setup(heron)
    heron.cli("domain", "set", "example.test", "--bounces-per-hour", "2")
    heron.start()
    at_window_start()
    codes = []
    for _ in range(3):
        s = smtp_client(heron)
        try:
            s.sendmail("", [ALICE], message("mailer-daemon@far.test", ALICE))
            codes.append(250)
        except smtplib.SMTPDataError as e:
            codes.append((e.smtp_code, e.smtp_error.decode()))
        finally:
            s.close()
    assert codes[:2] == [250, 250], codes
    assert codes[2][0] == 451 and "2 bounces received per hour" in codes[2][1], codes
    # Ordinary mail to the domain is not a bounce.
    s = smtp_client(heron)
    try:
        s.sendmail("someone@far.test", [ALICE], message("someone@far.test", ALICE))
    finally:
        s.close()
    wait_next_window()
    s = smtp_client(heron)
    try:
        s.sendmail("", [ALICE], message("mailer-daemon@far.test", ALICE))
    finally:
        s.close()


def test_off_by_default(heron):
    for u in (ALICE, CAROL):
        heron.add_user(u, PASSWORD)
    heron.cli("domain", "set", "example.test", "--messages-per-hour", "1")
    heron.start()
    assert send(heron, ALICE, 3, rcpt=CAROL) == [(250, "")] * 3


def test_domain_limits_over_the_api_and_page(admin):
    heron = admin.heron
    for key, value in {"throttle.enabled": "true",
                       "throttle.window_seconds": "3600"}.items():
        assert admin.put(f"/settings/{key}", {"value": value}).status_code == 200
    limits = admin.get("/domains/example.test").json()["limits"]
    assert "messages_per_hour" not in limits, limits
    r = admin.patch("/domains/example.test", {"messages_per_hour": 1, "mb_per_hour": 0})
    assert r.status_code == 200, r.text
    limits = r.json()["limits"]
    assert limits["messages_per_hour"] == 1 and limits["mb_per_hour"] == 0, limits
    page = admin.http.get(f"http://127.0.0.1:{heron.admin_port}/domains/example.test",
                          timeout=30)
    assert page.status_code == 200
    assert 'name="messages_per_hour" type="number" min="-1" data-json="number" value="1"' \
        in page.text
    user = ALICE
    replies = send(heron, user, 2, rcpt=user)
    assert replies[0] == (250, "") and replies[1][0] == 451, replies
    # -1 returns to the server's default (5000).
    r = admin.patch("/domains/example.test", {"messages_per_hour": -1})
    assert "messages_per_hour" not in r.json()["limits"], r.text
    assert send(heron, user, 1, rcpt=user) == [(250, "")]


def bounce(heron, rcpt):
    """A null-sender message to `rcpt` from another server; 250 or (code, text)."""
    s = smtp_client(heron)
    try:
        s.sendmail("", [rcpt], message("mailer-daemon@far.test", rcpt))
        return 250
    except smtplib.SMTPDataError as e:
        return (e.smtp_code, e.smtp_error.decode())
    finally:
        s.close()


def test_user_bounce_limit(heron):
    setup(heron, **{"throttle.user_bounces_per_hour": "1",
                    "throttle.window_seconds": "3600"})
    heron.start()
    assert bounce(heron, ALICE) == 250
    code, text = bounce(heron, ALICE)
    assert code == 451 and "user alice@example.test" in text, (code, text)
    assert bounce(heron, CAROL) == 250


def test_users_own_limits_over_the_api_and_cli(admin):
    heron = admin.heron
    for key, value in {"throttle.enabled": "true",
                       "throttle.window_seconds": "3600"}.items():
        assert admin.put(f"/settings/{key}", {"value": value}).status_code == 200
    assert admin.post("/users", {"address": CAROL, "password": PASSWORD}).status_code == 201
    assert admin.get(f"/users/{ALICE}").json()["throttle"] == {}
    r = admin.patch(f"/users/{ALICE}", {"messages_per_hour": 1})
    assert r.status_code == 200 and r.json()["throttle"] == {"messages_per_hour": 1}, r.text
    replies = send(heron, ALICE, 2, rcpt=CAROL)
    assert replies[0] == (250, "") and replies[1][0] == 451, replies
    assert "user alice@example.test" in replies[1][1], replies
    # Her domain's other users are not throttled by her limit.
    assert send(heron, CAROL, 2, rcpt=ALICE) == [(250, "")] * 2
    out = heron.cli("user", "set", ALICE, "--messages-per-hour", "-1").stdout
    assert "messages server default" in out, out
    assert send(heron, ALICE, 1, rcpt=CAROL) == [(250, "")]


def test_a_users_throttles_and_greylisting_are_set_from_its_page_in_the_browser(heron):
    from admin_api import ADMIN_PASSWORD, logged_in_admin, wait_for_api
    from browser import run_ui
    setup(heron)
    heron.start()
    wait_for_api(heron)
    api = logged_in_admin(heron)
    assert api.get(f"/users/{ALICE}").json()["greylisting"] is True
    out = run_ui(heron, "user-throttles", "user-throttles", admin_password=ADMIN_PASSWORD,
                 user=ALICE)
    assert out["ok"] == "Saved.", out
    view = api.get(f"/users/{ALICE}").json()
    assert view["greylisting"] is False, view
    assert view["throttle"] == {"messages_per_hour": 40, "mb_per_hour": 0}, view
    page = api.http.get(f"http://127.0.0.1:{heron.admin_port}/users/{ALICE}", timeout=30).text
    assert 'name="messages_per_hour"' in page and 'value="40"' in page
