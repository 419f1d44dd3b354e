"""Routes: a backup MX holds mail for its primaries until they return; domain forwarding
accepts mail for a domain and relays it to a fixed server, unless the domain is blacklisted."""

from conftest import eventually, smtp_client, smtp_raw
from outbound import (ALICE, BOB, count_id, inbox, mailnet, make_message,  # noqa: F401
                      message_id_of, spool, submit, wait_spool_empty)

RETRY_LONG = ", ".join(["2s"] * 15)


def rcpt_reply(node, recipient, sender="someone@outside.test"):
    """The reply to RCPT TO:<recipient> from an unauthenticated client on the MX port."""
    r = smtp_raw(node)
    try:
        r.ehlo()
        code, text = r.cmd(b"MAIL FROM:<" + sender.encode() + b">")
        assert code == 250, (code, text)
        reply = r.cmd(b"RCPT TO:<" + recipient.encode() + b">")
        assert r.cmd(b"RSET")[0] == 250
        assert r.cmd(b"QUIT")[0] == 221
        return reply
    finally:
        r.close()


def assert_refused(node, recipient):
    code, text = rcpt_reply(node, recipient)
    assert code in (550, 554) and text.startswith(b"5."), (recipient, code, text)


def backup(mailnet, retry=RETRY_LONG):
    """C on 127.0.0.3: the backup MX of b.test, whose primary is B on 127.0.0.2."""
    c = mailnet.heron("c", "127.0.0.3", retry=retry,
                      settings={"route.backup_primaries": "127.0.0.2"})
    mailnet.mx("b.test", "127.0.0.2", pref=10, host="mx.b.test")
    mailnet.mx("b.test", "127.0.0.3", pref=20, host="mx.c.test")
    return c


def test_backup_mx_holds_mail_until_the_primary_returns(mailnet):
    b = mailnet.heron("b", "127.0.0.2", users=[BOB], start=False)
    c = backup(mailnet)
    a = mailnet.heron("a", "127.0.0.1", users=[ALICE], retry=RETRY_LONG)
    msg = make_message("via the backup", ALICE, to=BOB)
    mid = message_id_of(msg)
    submit(a, [BOB], msg, ALICE)

    def held_by_c():
        return [e for e in spool(c)
                if [r["address"].lower() for r in e["recipients"]] == [BOB]]

    (entry,) = eventually(held_by_c, 20, what="C holds the message for b.test")
    assert entry["sender"] == ALICE
    wait_spool_empty(a)
    (entry,) = eventually(lambda: [e for e in held_by_c() if e["attempts"] >= 1], 20,
                          what="C tried the primary")
    b.start()
    eventually(lambda: count_id(inbox(b, BOB), mid) >= 1, 30, what="message in B's INBOX")
    wait_spool_empty(c)
    assert count_id(inbox(b, BOB), mid) == 1
    assert len(inbox(b, BOB)) == 1


def test_backup_mx_accepts_only_domains_of_its_primaries(mailnet):
    c = backup(mailnet)
    # other.test also names C as its backup, but its primary is not one of C's.
    mailnet.mx("other.test", "127.0.0.5", pref=10, host="mx.other.test")
    mailnet.mx("other.test", "127.0.0.3", pref=20, host="mx.c.test")
    code, text = rcpt_reply(c, BOB)
    assert code == 250, (code, text)
    assert_refused(c, "x@other.test")
    assert_refused(c, "x@nowhere.test")
    assert spool(c) == []


def test_domain_forwarding_accepts_and_relays(mailnet):
    sink = mailnet.sink("127.0.0.4")
    c = mailnet.heron("c", "127.0.0.3",
                      settings={"route.forwarding": f"f.test=127.0.0.4:{mailnet.port}"})
    msg = make_message("forward me", "someone@outside.test", to="user@f.test")
    s = smtp_client(c)
    try:
        assert s.sendmail("someone@outside.test", ["user@f.test"], msg) == {}
    finally:
        s.close()
    (d,) = sink.wait(1, 20)
    assert d.rcpt_tos == ["user@f.test"] and d.mail_from == "someone@outside.test"
    assert d.content.endswith(msg)
    wait_spool_empty(c)
    # f.test has no DNS records: the route alone took the mail there.
    assert not mailnet.zone.known("f.test")


def test_forwarding_blacklist_overrides_a_route(mailnet):
    sink = mailnet.sink("127.0.0.4")
    route = f"127.0.0.4:{mailnet.port}"
    c = mailnet.heron("c", "127.0.0.3", settings={
        "route.forwarding": f"f.test={route}, g.test={route}",
        "security.forwarding_blacklist": "g.test"})
    assert_refused(c, "user@g.test")
    assert rcpt_reply(c, "user@f.test")[0] == 250
    s = smtp_client(c)
    try:
        refused = s.sendmail("someone@outside.test", ["user@f.test", "user@g.test"],
                             make_message("half forwarded", "someone@outside.test"))
    finally:
        s.close()
    assert list(refused) == ["user@g.test"], refused
    (d,) = sink.wait(1, 20)
    assert d.rcpt_tos == ["user@f.test"]
    wait_spool_empty(c)
    assert sink.rcpts() == ["user@f.test"]


def test_forwarding_blacklist_applies_to_a_running_server(mailnet):
    mailnet.sink("127.0.0.4")
    c = mailnet.heron("c", "127.0.0.3",
                      settings={"route.forwarding": f"g.test=127.0.0.4:{mailnet.port}"})
    assert rcpt_reply(c, "user@g.test")[0] == 250
    c.set("security.forwarding_blacklist", "g.test")
    eventually(lambda: rcpt_reply(c, "user@g.test")[0] in (550, 554), 10,
               what="g.test refused once blacklisted")
