"""Admin API: the Bayesian classifier's database (GET /api/v1/bayes, POST
/api/v1/bayes/reset): what it learned, a reset, and who may use them. Learning itself is
tested in test_filter_bayes.py."""

import imaplib

from admin_api import admin, error_of  # noqa: F401
from conftest import HOST, PASSWORD, USER, eventually
from test_admin_api_ops import refused, two_domains

JUNK = '"Junk E-Mail"'


def junk_one_message(heron):
    """APPEND one message to the INBOX and MOVE it into the Junk folder."""
    m = imaplib.IMAP4(HOST, heron.imap_port, timeout=15)
    try:
        m.login(USER, PASSWORD)
        msg = (b"From: promo@sender.test\r\nTo: alice@example.test\r\n"
               b"Subject: unclaimed jackpot waiting\r\n\r\nClaim your lottery prize now.\r\n")
        typ, _ = m.append("INBOX", None, None, msg)
        assert typ == "OK"
        m.select("INBOX")
        typ, data = m.uid("MOVE", "1:*", JUNK)
        assert typ == "OK", data
    finally:
        m.logout()


def test_bayes_totals_reset_and_roles(admin):
    r = admin.get("/bayes")
    assert r.status_code == 200, r.text
    assert r.json() == {"spam": 0, "ham": 0, "tokens": 0, "ready": False}

    junk_one_message(admin.heron)
    learned = eventually(lambda: (b := admin.get("/bayes").json())["spam"] == 1 and b, 15,
                         what="the moved message learned")
    assert learned["ham"] == 0 and learned["tokens"] > 5 and learned["ready"] is False

    r = admin.post("/bayes/reset")
    assert r.status_code == 200, r.text
    assert r.json() == {"spam": 0, "ham": 0, "tokens": 0, "ready": False}
    assert admin.get("/bayes").json()["tokens"] == 0

    roles = two_domains(admin)
    refused(roles, "GET", "/bayes")
    refused(roles, "POST", "/bayes/reset")
    # A state-changing request without the CSRF token is refused.
    error_of(admin.post("/bayes/reset", csrf=False), 403)
