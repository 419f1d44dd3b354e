"""Local delivery over SMTP: what arrives in the mailbox is what was sent."""

import subprocess

import pytest

from conftest import (OTHER, OTHER_PASSWORD, PASSWORD, USER, crlf, fetch_all, header_values,
                      make_messages, smtp_client, smtp_raw, smtp_settle, strip_trace, submission)

SENDER = "sender@remote.test"
UTF8_USER = "用户@例子.测试"
UTF8_PASSWORD = "Mima12345x"


def only_message(server, user=USER, password=PASSWORD):
    msgs = fetch_all(server, user, password)
    assert len(msgs) == 1, msgs
    return msgs[0]


def test_smtplib_delivers_to_local_user(smtp_server):
    sent = [crlf(m) for m in make_messages(6, seed=7)]
    # A message without Message-ID or Date: mail from outside is not touched.
    sent.append(b"From: someone@remote.test\r\nSubject: bare\r\n\r\nno id, no date\r\n")
    s = smtp_client(smtp_server)
    for msg in sent:
        assert s.sendmail(SENDER, [USER], msg) == {}
    s.quit()

    got = fetch_all(smtp_server)
    assert len(got) == len(sent)
    for msg, arrived in zip(sent, got):
        assert arrived.startswith(b"Return-Path: <" + SENDER.encode() + b">\r\nReceived: ")
        received = header_values(arrived, "Received")[0]
        assert b"for <" + USER.encode() + b">" in received, received
        assert strip_trace(arrived) == msg


def test_swaks_delivers_to_local_user(smtp_server, tmp_path):
    body = (b"From: swaks@remote.test\r\nTo: alice@example.test\r\nSubject: via swaks\r\n"
            b"Message-ID: <swaks.1@remote.test>\r\n\r\nfirst line\r\n.leading dot\r\n"
            b"\r\nlast line\r\n")
    path = tmp_path / "msg.eml"
    # swaks adds a line break and the terminator unless the data ends with "." on its own.
    path.write_bytes(body + b".\r\n")
    r = subprocess.run(
        ["swaks", "--server", "127.0.0.1", "--port", str(smtp_server.smtp_port),
         "--helo", "client.test", "--from", SENDER, "--to", USER, "--data", str(path)],
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "250 2.0.0 Message accepted as" in r.stdout, r.stdout
    assert strip_trace(only_message(smtp_server)) == body


def test_alias_with_two_targets_delivers_to_both(smtp_server):
    smtp_server.add_user(OTHER, OTHER_PASSWORD)
    smtp_server.cli("alias", "add", "team@example.test", USER, OTHER)
    msg = b"From: x@remote.test\r\nTo: team@example.test\r\nSubject: team\r\n\r\nhello both\r\n"
    s = smtp_client(smtp_server)
    assert s.sendmail(SENDER, ["team@example.test"], msg) == {}
    s.quit()
    for user, password in ((USER, PASSWORD), (OTHER, OTHER_PASSWORD)):
        arrived = only_message(smtp_server, user, password)
        assert strip_trace(arrived) == msg


def test_alias_and_its_target_in_one_transaction_deliver_once(smtp_server):
    smtp_server.cli("alias", "add", "me@example.test", USER)
    msg = b"Subject: once\r\n\r\none copy\r\n"
    s = smtp_client(smtp_server)
    assert s.sendmail(SENDER, [USER, "me@example.test"], msg) == {}
    s.quit()
    assert strip_trace(only_message(smtp_server)) == msg


def test_8bit_body_round_trips(smtp_server):
    msg = (b"From: x@remote.test\r\nSubject: 8bit\r\nContent-Type: text/plain; charset=latin1\r\n"
           b"Content-Transfer-Encoding: 8bit\r\n\r\n"
           b"Gr\xfc\xdfe aus K\xf6ln\r\n" + bytes(range(0x80, 0x100)) + b"\r\n"
           b"UTF-8 too: \xe2\x80\x94 \xf0\x9f\x93\xa8\r\n")
    s = smtp_client(smtp_server)
    assert "8bitmime" in s.esmtp_features
    assert s.sendmail(SENDER, [USER], msg, mail_options=["BODY=8BITMIME"]) == {}
    s.quit()
    assert strip_trace(only_message(smtp_server)) == msg


def test_smtputf8_address_round_trips(smtp_server):
    smtp_server.cli("domain", "add", "例子.测试")
    smtp_server.cli("user", "add", UTF8_USER, "--password", UTF8_PASSWORD)
    msg = ("From: 发件人@例子.测试\r\nTo: " + UTF8_USER + "\r\nSubject: 你好\r\n\r\n"
           "正文 — ünïcödé\r\n").encode()
    s = smtp_client(smtp_server)
    assert "smtputf8" in s.esmtp_features
    refused = s.sendmail("发件人@例子.测试", [UTF8_USER], msg,
                         mail_options=["SMTPUTF8", "BODY=8BITMIME"])
    assert refused == {}
    s.quit()
    arrived = only_message(smtp_server, UTF8_USER, UTF8_PASSWORD)
    assert arrived.startswith("Return-Path: <发件人@例子.测试>\r\n".encode())
    assert strip_trace(arrived) == msg


def test_non_ascii_recipient_without_smtputf8_is_refused(smtp_server):
    smtp_server.cli("domain", "add", "例子.测试")
    smtp_server.cli("user", "add", UTF8_USER, "--password", UTF8_PASSWORD)
    r = smtp_raw(smtp_server)
    r.ehlo()
    assert r.cmd(b"MAIL FROM:<x@remote.test>")[0] == 250
    code, text = r.cmd(b"RCPT TO:<" + UTF8_USER.encode() + b">")
    assert code == 553 and text.startswith(b"5.6.7"), (code, text)
    assert r.cmd(b"NOOP")[0] == 250
    r.close()


def test_bdat_in_two_chunks(smtp_server):
    msg = (b"From: x@remote.test\r\nSubject: chunked\r\n\r\n"
           b".a line starting with a dot stays as is in BDAT\r\n.\r\n"
           b"line that is split across the two chunks\r\nend\r\n")
    cut = msg.index(b"split across") + 5
    one, two = msg[:cut], msg[cut:]
    r = smtp_raw(smtp_server)
    assert "CHUNKING" in [c.decode() for c in r.ehlo()]
    assert r.cmd(b"MAIL FROM:<x@remote.test>")[0] == 250
    assert r.cmd(b"RCPT TO:<" + USER.encode() + b">")[0] == 250
    r.send(b"BDAT %d\r\n" % len(one) + one)
    code, text = r.reply()
    assert code == 250, (code, text)
    r.send(b"BDAT %d LAST\r\n" % len(two) + two)
    code, text = r.reply()
    assert code == 250 and text.startswith(b"2.0.0 Message accepted as "), (code, text)
    assert r.cmd(b"QUIT")[0] == 221
    r.close()
    assert strip_trace(only_message(smtp_server)) == msg


def test_dot_stuffed_lines_are_unstuffed(smtp_server):
    lines = [b"Subject: dots", b"", b".hidden", b".", b"..", b"...three", b". space",
             b"middle . dot", b"."]
    msg = b"".join(line + b"\r\n" for line in lines)
    stuffed = b"".join((b"." + line if line.startswith(b".") else line) + b"\r\n"
                       for line in lines)
    r = smtp_raw(smtp_server)
    r.ehlo()
    assert r.cmd(b"MAIL FROM:<x@remote.test>")[0] == 250
    assert r.cmd(b"RCPT TO:<" + USER.encode() + b">")[0] == 250
    assert r.cmd(b"DATA")[0] == 354
    r.send(stuffed + b".\r\n")
    code, text = r.reply()
    assert code == 250, (code, text)
    assert r.cmd(b"QUIT")[0] == 221
    r.close()
    assert strip_trace(only_message(smtp_server)) == msg


def test_pipelined_mail_rcpt_data_in_one_write(smtp_server):
    msg = b"Subject: pipelined\r\n\r\nall at once\r\n"
    r = smtp_raw(smtp_server)
    assert b"PIPELINING" in r.ehlo()
    r.send(b"MAIL FROM:<x@remote.test>\r\n"
           b"RCPT TO:<" + USER.encode() + b">\r\n"
           b"RCPT TO:<nobody@example.test>\r\n"
           b"DATA\r\n")
    replies = [r.reply() for _ in range(4)]
    assert [c for c, _ in replies] == [250, 250, 550, 354], replies
    r.send(msg + b".\r\n")
    code, text = r.reply()
    assert code == 250, (code, text)
    r.close()
    assert strip_trace(only_message(smtp_server)) == msg


def test_pipelined_transaction_with_bdat_and_quit_in_one_write(smtp_server):
    msg = b"Subject: one write\r\n\r\nthe whole session in one packet\r\n"
    r = smtp_raw(smtp_server)
    r.send(b"EHLO client.test\r\n"
           b"MAIL FROM:<x@remote.test>\r\n"
           b"RCPT TO:<" + USER.encode() + b">\r\n"
           b"BDAT %d LAST\r\n" % len(msg) + msg +
           b"QUIT\r\n")
    replies = [r.reply() for _ in range(5)]
    assert [c for c, _ in replies] == [250, 250, 250, 250, 221], replies
    assert replies[3][1].startswith(b"2.0.0 Message accepted as ")
    r.close()
    assert strip_trace(only_message(smtp_server)) == msg


def test_submission_adds_message_id_and_date(smtp_server):
    msg = b"From: alice@example.test\r\nTo: alice@example.test\r\nSubject: bare\r\n\r\nbody\r\n"
    s = submission(smtp_server)
    assert s.sendmail(USER, [USER], msg) == {}
    s.quit()
    arrived = only_message(smtp_server)
    ids = header_values(arrived, "Message-ID")
    dates = header_values(arrived, "Date")
    assert len(ids) == 1 and ids[0].startswith(b"<") and ids[0].endswith(b">"), ids
    assert len(dates) == 1 and dates[0], dates
    # Apart from the two added headers, the message is unchanged.
    rest = [line for line in strip_trace(arrived).split(b"\r\n")
            if not line.startswith((b"Message-ID:", b"Date:"))]
    assert b"\r\n".join(rest) == msg


def test_submission_keeps_existing_message_id_and_date(smtp_server):
    msg = (b"From: alice@example.test\r\nTo: alice@example.test\r\nSubject: full\r\n"
           b"Date: Mon, 01 Jan 2024 10:00:00 +0000\r\nMessage-ID: <kept.1@example.test>\r\n"
           b"\r\nbody\r\n")
    s = submission(smtp_server)
    assert s.sendmail(USER, [USER], msg) == {}
    s.quit()
    assert strip_trace(only_message(smtp_server)) == msg


def test_data_after_bdat_refused(smtp_server):
    r = smtp_raw(smtp_server)
    r.ehlo()
    assert r.cmd(b"MAIL FROM:<x@remote.test>")[0] == 250
    assert r.cmd(b"RCPT TO:<" + USER.encode() + b">")[0] == 250
    r.send(b"BDAT 5\r\nHELLO")
    assert r.reply()[0] == 250
    code, text = r.cmd(b"DATA")
    if code == 354:
        r.send(b"Subject: data part\r\n\r\nx\r\n.\r\n")
        r.reply()
    r.close()
    assert code == 503, (code, text)


def test_quoted_local_part_of_local_recipient(smtp_server):
    msg = b"Subject: quoted rcpt\r\n\r\nx\r\n"
    s = smtp_client(smtp_server)
    assert s.sendmail(SENDER, ['"alice"@example.test'], msg) == {}
    s.quit()
    assert strip_trace(only_message(smtp_server)) == msg


def test_quoted_sender_kept_in_return_path(smtp_server):
    msg = b"Subject: quoted sender\r\n\r\nx\r\n"
    r = smtp_raw(smtp_server)
    r.ehlo()
    assert r.cmd(b'MAIL FROM:<"john doe"@remote.test>')[0] == 250
    assert r.cmd(b"RCPT TO:<" + USER.encode() + b">")[0] == 250
    assert r.cmd(b"DATA")[0] == 354
    r.send(msg + b".\r\n")
    assert r.reply()[0] == 250
    r.close()
    arrived = only_message(smtp_server)
    assert arrived.startswith(b'Return-Path: <"john doe"@remote.test>\r\n'), arrived[:80]


def test_null_sender_return_path(smtp_server):
    msg = b"Subject: bounce\r\n\r\nx\r\n"
    s = smtp_client(smtp_server)
    assert s.sendmail("<>", [USER], msg) == {}
    s.quit()
    arrived = only_message(smtp_server)
    assert arrived.startswith(b"Return-Path: <>\r\n"), arrived[:80]
    assert strip_trace(arrived) == msg


def test_authentication_results_in_our_name_are_removed(smtp_server):
    # RFC 8601 §5: only this server may write results under its own name.
    smtp_server.set("server.hostname", "mx.heron.test")
    smtp_settle(smtp_server)
    msg = (b"From: someone@remote.test\r\n"
           b"Authentication-Results: mx.heron.test; dkim=pass header.d=bank.test\r\n"
           b"Authentication-Results: (forged) MX.Heron.Test;\r\n\tspf=pass\r\n"
           b"Authentication-Results : mx.heron.test; dmarc=pass\r\n"
           b"Authentication-Results: relay.remote.test; spf=pass\r\n"
           b"Subject: results\r\n\r\n"
           b"Authentication-Results: mx.heron.test; in the body, kept\r\n")
    s = smtp_client(smtp_server)
    assert s.sendmail(SENDER, [USER], msg) == {}
    s.quit()
    arrived = only_message(smtp_server)
    assert header_values(arrived, "Authentication-Results") == [b"relay.remote.test; spf=pass"]
    assert b"\r\n\r\nAuthentication-Results: mx.heron.test; in the body, kept\r\n" in arrived
    assert b"Subject: results\r\n" in arrived
    assert b"dmarc=pass" not in arrived, "white space before the colon hides nothing"
