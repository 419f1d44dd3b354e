"""The SMTP session: greeting, EHLO/HELO, extensions, HELP, VRFY/EXPN, RSET, QUIT."""

import pytest

from conftest import OTHER, OTHER_PASSWORD, USER, eventually, smtp_raw, smtp_settle


def test_ehlo_extensions_on_mx_port(smtp_server):
    r = smtp_raw(smtp_server)
    code, text = r.cmd(b"EHLO client.test")
    assert code == 250, (code, text)
    first, *exts = text.split(b"\n")
    assert b"Hello" in first, first
    assert exts == [b"PIPELINING", b"SIZE 31457280", b"8BITMIME", b"SMTPUTF8",
                    b"ENHANCEDSTATUSCODES", b"CHUNKING", b"DSN", b"STARTTLS",
                    b"AUTH SCRAM-SHA-256 CRAM-MD5 PLAIN LOGIN", b"HELP"], exts
    r.close()


def test_ehlo_after_starttls_drops_starttls(smtp_server):
    r = smtp_raw(smtp_server, port=smtp_server.submission_port)
    r.ehlo()
    r.starttls()
    exts = r.ehlo()
    assert b"STARTTLS" not in exts and b"PIPELINING" in exts, exts
    assert any(e.startswith(b"AUTH ") for e in exts), exts
    r.close()


def test_greeting(smtp_server):
    r = smtp_raw(smtp_server, greet=False)
    code, text = r.reply()
    r.close()
    assert code == 220, (code, text)
    assert b"Heron ESMTP ready" in text, text


def test_greeting_names_the_host_once(smtp_server):
    r = smtp_raw(smtp_server, greet=False)
    code, text = r.reply()
    r.close()
    host, _, rest = text.partition(b" ")
    assert host and not rest.startswith(host + b" "), text


def test_banner_setting(smtp_server):
    smtp_server.set("smtp_in.banner", "Hello #ConnectedIP# from blackbox")

    def shows_banner():
        r = smtp_raw(smtp_server, greet=False)
        try:
            code, text = r.reply()
        finally:
            r.close()
        assert code == 220 and text.endswith(b"Hello 127.0.0.1 from blackbox"), text
        assert b"#" not in text, text
        return True

    eventually(shows_banner, 10, what="new banner shown")


def test_helo(smtp_server):
    r = smtp_raw(smtp_server)
    code, text = r.cmd(b"HELO client.test")
    assert code == 250 and b"\n" not in text, (code, text)
    assert r.cmd(b"MAIL FROM:<x@remote.test>")[0] == 250
    assert r.cmd(b"RCPT TO:<" + USER.encode() + b">")[0] == 250
    r.close()


def test_ehlo_without_argument(smtp_server):
    r = smtp_raw(smtp_server)
    code, text = r.cmd(b"EHLO")
    assert code == 501, (code, text)
    r.close()


def test_ehlo_resets_transaction(smtp_server):
    r = smtp_raw(smtp_server)
    r.ehlo()
    assert r.cmd(b"MAIL FROM:<x@remote.test>")[0] == 250
    r.ehlo()
    assert r.cmd(b"RCPT TO:<" + USER.encode() + b">")[0] == 503
    r.close()


def test_rset(smtp_server):
    r = smtp_raw(smtp_server)
    r.ehlo()
    assert r.cmd(b"MAIL FROM:<x@remote.test>")[0] == 250
    assert r.cmd(b"RCPT TO:<" + USER.encode() + b">")[0] == 250
    assert r.cmd(b"RSET")[0] == 250
    assert r.cmd(b"DATA")[0] == 503
    assert r.cmd(b"MAIL FROM:<x@remote.test>")[0] == 250
    r.close()


def test_nested_mail_refused(smtp_server):
    r = smtp_raw(smtp_server)
    r.ehlo()
    assert r.cmd(b"MAIL FROM:<x@remote.test>")[0] == 250
    code, text = r.cmd(b"MAIL FROM:<y@remote.test>")
    assert code == 503, (code, text)
    r.close()


def test_data_without_recipients(smtp_server):
    r = smtp_raw(smtp_server)
    r.ehlo()
    assert r.cmd(b"MAIL FROM:<x@remote.test>")[0] == 250
    code, text = r.cmd(b"DATA")
    assert code == 554 and text.startswith(b"5.5.1"), (code, text)
    r.close()


def test_null_sender_accepted(smtp_server):
    r = smtp_raw(smtp_server)
    r.ehlo()
    assert r.cmd(b"MAIL FROM:<>")[0] == 250
    assert r.cmd(b"RCPT TO:<" + USER.encode() + b">")[0] == 250
    r.close()


def test_help(smtp_server):
    r = smtp_raw(smtp_server)
    code, text = r.cmd(b"HELP")
    assert code == 214, (code, text)
    assert r.cmd(b"HELP MAIL")[0] == 214
    r.close()


def test_quit(smtp_server):
    r = smtp_raw(smtp_server)
    r.send(b"QUIT\r\n")
    lines = r.until_eof(5)
    assert len(lines) == 1 and lines[0].startswith(b"221 2.0.0"), lines
    r.close()


def test_vrfy_and_expn_disabled_by_default(smtp_server):
    r = smtp_raw(smtp_server)
    r.ehlo()
    code, text = r.cmd(b"VRFY " + USER.encode())
    assert code == 252, (code, text)
    code, text = r.cmd(b"EXPN " + USER.encode())
    assert code == 502, (code, text)
    r.close()


def test_vrfy_and_expn_enabled(smtp_server):
    smtp_server.add_user(OTHER, OTHER_PASSWORD)
    smtp_server.cli("alias", "add", "team@example.test", USER, OTHER)
    smtp_server.set("smtp_in.vrfy", "true")
    smtp_server.set("smtp_in.expn", "true")
    smtp_settle(smtp_server)
    r = smtp_raw(smtp_server)
    r.ehlo()
    code, text = r.cmd(b"VRFY " + USER.encode())
    assert code == 250 and USER.encode() in text, (code, text)
    code, text = r.cmd(b"VRFY nobody@example.test")
    assert code == 550, (code, text)
    code, text = r.cmd(b"VRFY someone@remote.test")
    assert code == 550, (code, text)
    code, text = r.cmd(b"EXPN team@example.test")
    assert code == 250, (code, text)
    assert sorted(line.split()[-1] for line in text.split(b"\n")) == sorted(
        [b"<" + USER.encode() + b">", b"<" + OTHER.encode() + b">"]), text
    r.close()
