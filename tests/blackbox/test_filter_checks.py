"""Spam filtering of arriving mail (FILTER-1..5): SPF, DMARC, reverse DNS, DNS blocklists and
custom header rules weigh a message; its level's action is seen by the user over IMAP; the
incoming threshold and an enforced DMARC reject refuse it at DATA. The resolver is a test DNS
server on 127.0.0.1; clients connect from 127.0.0.5, a bypass gateway, and the checks judge the
originating address its Received field names (see filtering.py)."""

import socket
import threading

from filtering import CLIENT_IP, JUNK, ORIGIN_IP, ORIGIN_REVERSED, filtered, message  # noqa: F401
from conftest import PASSWORD, USER, eventually

SENDER = "bob@sender.test"


def spf(f, record):
    f.zone.txt("sender.test", record)


def only(msgs):
    assert len(msgs) == 1, [m["Subject"] for m in msgs]
    return msgs[0]


def test_spf_pass_is_reported_and_weighs_nothing(filtered):
    f = filtered
    f.origin_has_reverse_dns()
    spf(f, f"v=spf1 ip4:{ORIGIN_IP} -all")
    code, _ = f.send(SENDER, [USER], message("pass"))
    assert code == 250
    m = only(f.wait_messages(1))
    results = m["Authentication-Results"]
    assert "spf=pass" in results and "smtp.mailfrom=bob@sender.test" in results, results
    assert f"iprev=pass policy.iprev={ORIGIN_IP}" in results, results
    assert m["X-Spam-Weight"] == "0"
    assert m["X-Spam-Level"] == "none"
    assert m["X-Spam-Checks"] is None
    assert m["X-Spam-Flag"] is None


def test_spf_softfail_is_low_and_gets_the_spam_flag(filtered):
    f = filtered
    f.origin_has_reverse_dns()
    spf(f, "v=spf1 ip4:192.0.2.1 ~all")
    assert f.send(SENDER, [USER], message("softfail"))[0] == 250
    m = only(f.wait_messages(1))
    assert "spf=softfail" in m["Authentication-Results"]
    assert m["X-Spam-Weight"] == "5"
    assert m["X-Spam-Level"] == "low"
    assert m["X-Spam-Checks"] == "spf-softfail=5"
    assert m["X-Spam-Flag"] == "YES"
    assert m["X-Spam-Tag"] == "[SPAM?]"


def test_spf_fail_is_medium_and_goes_to_junk(filtered):
    f = filtered
    f.origin_has_reverse_dns()
    spf(f, "v=spf1 ip4:192.0.2.1 -all")
    assert f.send(SENDER, [USER], message("fail"))[0] == 250
    m = only(f.wait_messages(1, JUNK))
    assert "spf=fail" in m["Authentication-Results"]
    assert m["X-Spam-Level"] == "medium"
    assert m["X-Spam-Checks"] == "spf-fail=10"
    assert f.messages("INBOX") == []


def test_missing_reverse_dns_scores(filtered):
    f = filtered
    spf(f, f"v=spf1 ip4:{ORIGIN_IP} -all")
    assert f.send(SENDER, [USER], message("no ptr"))[0] == 250
    m = only(f.wait_messages(1))
    assert "iprev=" in m["Authentication-Results"]
    assert "iprev=pass" not in m["Authentication-Results"]
    assert m["X-Spam-Checks"] == "reverse-dns=3"
    assert m["X-Spam-Level"] == "none"


def test_an_ip_in_a_dnsbl_gets_the_lists_weight(filtered):
    f = filtered
    f.origin_has_reverse_dns()
    spf(f, f"v=spf1 ip4:{ORIGIN_IP} -all")
    f.setting("filter.rbl_lists", "testbl 7 bl.test Test block list, otherbl 9 other.test")
    f.zone.a(f"{ORIGIN_REVERSED}.bl.test", "127.0.0.2")
    f.zone.a("other.test", "192.0.2.99")  # the zone exists, the IP is not in it
    assert f.send(SENDER, [USER], message("listed"))[0] == 250
    m = only(f.wait_messages(1))
    assert m["X-Spam-Checks"] == "rbl:testbl=7"
    assert m["X-Spam-Level"] == "low"
    assert f.zone.asked(f"{ORIGIN_REVERSED}.other.test", "A")


def test_the_incoming_threshold_refuses_at_data(filtered):
    f = filtered
    f.origin_has_reverse_dns()
    spf(f, f"v=spf1 ip4:{ORIGIN_IP} -all")
    f.setting("filter.rbl_lists", "bigbl 30 big.test")
    f.zone.a(f"{ORIGIN_REVERSED}.big.test", "127.0.0.2")
    code, text = f.send(SENDER, [USER], message("refused"))
    assert code == 550 and "5.7.1" in text, (code, text)
    f.setting("filter.reject_incoming", "0")
    code, _ = f.send(SENDER, [USER], message("kept"))
    assert code == 250
    m = only(f.wait_messages(1, JUNK))
    assert m["X-Spam-Level"] == "high"


def test_dmarc_reject_is_enforced_only_when_set(filtered):
    f = filtered
    f.origin_has_reverse_dns()
    spf(f, f"v=spf1 ip4:{ORIGIN_IP} -all")
    f.zone.txt("_dmarc.bank.test", "v=DMARC1; p=reject")
    f.zone.txt("bank.test", "v=spf1 ip4:192.0.2.1 -all")
    forged = message("forged", sender="ceo@bank.test")
    code, _ = f.send(SENDER, [USER], forged)
    assert code == 250
    m = only(f.wait_messages(1, JUNK))
    assert "dmarc=fail" in m["Authentication-Results"]
    assert "header.from=bank.test" in m["Authentication-Results"]
    assert "dmarc-fail=10" in m["X-Spam-Checks"]
    f.setting("filter.dmarc_enforce", "true")
    code, text = f.send(SENDER, [USER], forged)
    assert code == 550 and "DMARC" in text, (code, text)
    # Aligned mail of the same domain passes.
    f.zone.txt("bank.test", f"v=spf1 ip4:{ORIGIN_IP} -all")
    code, _ = f.send("ceo@bank.test", [USER], message("genuine", sender="ceo@bank.test"))
    assert code == 250
    m = only(f.wait_messages(1))
    assert "dmarc=pass" in m["Authentication-Results"]


def test_custom_header_rules_and_subject_action(filtered):
    f = filtered
    f.origin_has_reverse_dns()
    spf(f, f"v=spf1 ip4:{ORIGIN_IP} -all")
    f.setting("filter.header_rules", "X-Mailer 6 *mass mailer*, X-Campaign 1 *")
    f.setting("filter.action_low", "subject")
    msg = message("Great offer", extra="X-Mailer: The Mass Mailer 3\r\nX-Campaign: 42\r\n")
    assert f.send(SENDER, [USER], msg)[0] == 250
    m = only(f.wait_messages(1))
    assert m["Subject"] == "[SPAM?] Great offer"
    assert m["X-Spam-Checks"] == "header:X-Mailer=6, header:X-Campaign=1"
    assert m["X-Spam-Weight"] == "7"


def test_delete_and_bounce_actions(filtered):
    f = filtered
    f.heron.add_user("bob@sender.test")
    f.origin_has_reverse_dns()
    spf(f, "v=spf1 ip4:192.0.2.1 -all")
    f.setting("filter.action_medium", "delete")
    assert f.send(SENDER, [USER], message("deleted"))[0] == 250
    f.setting("filter.action_medium", "bounce")
    f.setting("filter.text_medium", "Refused as spam here")
    assert f.send(SENDER, [USER], message("bounced"))[0] == 250
    notice = only(f.wait_messages(1, user="bob@sender.test"))
    text = notice.as_string()
    assert "Refused as spam here" in text
    assert USER in text
    assert f.messages("INBOX") == [] and f.messages(JUNK) == []


def test_bounces_only_after_spf_pass_when_set(filtered):
    f = filtered
    f.heron.add_user("bob@sender.test")
    f.origin_has_reverse_dns()
    spf(f, "v=spf1 ip4:192.0.2.1 -all")
    f.setting("filter.action_medium", "bounce")
    f.setting("security.bounces", "spf-pass")
    assert f.send(SENDER, [USER], message("no notice"))[0] == 250
    # A later message proves the first was handled without a notice to the forged sender.
    f.setting("filter.action_medium", "junk")
    assert f.send(SENDER, [USER], message("marker"))[0] == 250
    f.wait_messages(1, JUNK)
    assert f.messages(user="bob@sender.test") == []


def test_without_the_gateway_setting_the_client_itself_is_judged(filtered):
    f = filtered
    f.setting("filter.bypass_gateways", "")
    f.setting("filter.rbl_lists", "testbl 4 bl.test")
    f.zone.a(f"{ORIGIN_REVERSED}.bl.test", "127.0.0.2")
    f.zone.a("5.0.0.127.bl.test", "127.0.0.3")
    spf(f, f"v=spf1 ip4:{ORIGIN_IP} -all")
    assert f.send(SENDER, [USER], message("direct"))[0] == 250
    m = only(f.wait_messages(1, JUNK))
    results = m["Authentication-Results"]
    assert "spf=fail" in results and f"policy.iprev={CLIENT_IP}" in results, results
    assert "rbl:testbl=4" in m["X-Spam-Checks"]
    assert "spf-fail=10" in m["X-Spam-Checks"]
    # A forged Received field from a client that is not a gateway changes nothing.
    assert f.zone.asked("5.0.0.127.bl.test", "A")


def test_local_and_whitelisted_clients_are_not_filtered(filtered):
    f = filtered
    spf(f, "v=spf1 ip4:192.0.2.1 -all")
    assert f.send(SENDER, [USER], message("from localhost"), source="127.0.0.1")[0] == 250
    m = only(f.wait_messages(1))
    assert m["X-Spam-Weight"] is None and m["Authentication-Results"] is None


def test_a_check_that_times_out_scores_nothing_and_says_so(filtered):
    f = filtered
    # A DNS server that never answers.
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))
    stop = threading.Event()

    def swallow():
        silent.settimeout(0.2)
        while not stop.is_set():
            try:
                silent.recvfrom(4096)
            except OSError:
                pass
    t = threading.Thread(target=swallow, daemon=True)
    t.start()
    try:
        f.setting("dns.servers", f"127.0.0.1:{silent.getsockname()[1]}")
        f.setting("filter.check_timeout", "1")
        assert f.send(SENDER, [USER], message("slow dns"))[0] == 250
        m = only(f.wait_messages(1))
        assert "authentication (timed out)" in m["X-Spam-Unanswered"]
        assert m["X-Spam-Weight"] == "0"
    finally:
        stop.set()
        t.join(5)
        silent.close()


def test_outgoing_mail_over_the_threshold_is_blocked_or_bounced(filtered):
    f = filtered
    f.heron.add_user("carol@other.test")
    f.setting("filter.header_rules", "X-Bulk 40 *")
    login = (USER, PASSWORD)
    port = f.heron.submission_port
    spam = message("buy now", sender=USER, to="dave@remote.test", extra="X-Bulk: yes\r\n")
    code, text = f.send(USER, ["dave@remote.test"], spam, login=login, port=port)
    assert code == 550 and "5.7.1" in text, (code, text)
    # Under the threshold it goes; no X-Spam headers leave with it.
    clean = message("lunch", sender=USER, to="carol@other.test")
    assert f.send(USER, ["carol@other.test"], clean, login=login, port=port)[0] == 250
    m = only(f.wait_messages(1, user="carol@other.test"))
    assert m["X-Spam-Weight"] is None
    f.setting("filter.bounce_outgoing", "true")
    code, _ = f.send(USER, ["dave@remote.test"], spam, login=login, port=port)
    assert code == 250
    notice = only(f.wait_messages(1))
    assert "blocked as spam" in notice.as_string()
    assert "dave@remote.test" in notice.as_string()


def test_delivery_reports_go_only_to_senders_that_passed_spf(filtered):
    """SEC-10 `spf-pass`: a failure report goes back only to a sender whose SPF passed when
    the message arrived, as this server recorded it."""
    f = filtered
    f.origin_has_reverse_dns()
    f.zone.null_mx("nomail.test")
    f.setting("smtp_in.relay", "anyone")
    f.setting("spool.delivery_delay", "0")
    f.setting("security.bounces", "spf-pass")
    f.setting("filter.action_low", "deliver")

    def reports_to(address):
        entries = f.admin.get("/spool").json()
        return [e for e in entries if e["sender"] == ""
                and any(r["address"] == address for r in e["recipients"])]

    spf(f, "v=spf1 ip4:192.0.2.1 ~all")  # softfail: delivered, but SPF did not pass
    assert f.send("carl@sender.test", ["x@nomail.test"], message("softfail"))[0] == 250
    spf(f, f"v=spf1 ip4:{ORIGIN_IP} -all")
    assert f.send("bob@sender.test", ["x@nomail.test"], message("pass"))[0] == 250
    eventually(lambda: reports_to("bob@sender.test"), 20, what="a report to bob")
    # Carl's message has failed too (it left the spool), without a report.
    eventually(lambda: all(e["sender"] != "carl@sender.test" for e in f.admin.get("/spool").json()),
               20, what="carl's message failed")
    assert reports_to("carl@sender.test") == []
