"""Malformed input: each gets its error reply and the session (and server) survive."""

import pytest

from conftest import USER, fetch_all, smtp_raw, strip_trace


@pytest.fixture
def session(smtp_server):
    """An SMTP session after EHLO; afterwards, the server still greets new clients."""
    r = smtp_raw(smtp_server)
    r.ehlo()
    yield r
    r.close()
    fresh = smtp_raw(smtp_server)
    assert fresh.cmd(b"NOOP")[0] == 250
    fresh.close()
    assert smtp_server.alive()


def survives(r):
    code, text = r.cmd(b"NOOP")
    assert code == 250, (code, text)


def start(r):
    assert r.cmd(b"MAIL FROM:<x@remote.test>")[0] == 250
    assert r.cmd(b"RCPT TO:<" + USER.encode() + b">")[0] == 250
    assert r.cmd(b"DATA")[0] == 354


def test_bare_lf_in_body(session, smtp_server):
    start(session)
    session.send(b"Subject: bare lf\r\n\r\nline one\nline two\r\n.\r\n")
    code, text = session.reply()
    assert code == 550 and text.startswith(b"5.6.11"), (code, text)
    survives(session)
    assert fetch_all(smtp_server) == []


def test_bare_cr_in_body(session, smtp_server):
    start(session)
    session.send(b"Subject: bare cr\r\n\r\nline one\rline two\r\n.\r\n")
    code, text = session.reply()
    assert code == 550 and text.startswith(b"5.6.11"), (code, text)
    survives(session)
    assert fetch_all(smtp_server) == []


def test_smuggled_message_after_bare_lf_dot(session, smtp_server):
    # "\n.\r\n" is not the end of the message: what follows must not be run as commands.
    start(session)
    session.send(b"Subject: outer\r\n\r\ntext\n.\r\nMAIL FROM:<evil@remote.test>\r\n"
                 b"RCPT TO:<" + USER.encode() + b">\r\nDATA\r\nSubject: smuggled\r\n\r\n"
                 b"hidden\r\n.\r\n")
    code, text = session.reply()
    assert code == 550 and text.startswith(b"5.6.11"), (code, text)
    survives(session)
    assert fetch_all(smtp_server) == []


def test_command_line_over_2kb(session):
    code, text = session.cmd(b"NOOP " + b"x" * 3000)
    assert code == 500 and text.startswith(b"5.5.6"), (code, text)
    code, text = session.cmd(b"MAIL FROM:<" + b"a" * 2100 + b"@remote.test>")
    assert code == 500 and text.startswith(b"5.5.6"), (code, text)
    survives(session)


def test_one_megabyte_line(session):
    session.send(b"X" * (1 << 20) + b"\r\n")
    code, text = session.reply()
    assert code == 500 and text.startswith(b"5.5.6"), (code, text)
    survives(session)
    # The session still carries mail.
    start(session)
    session.send(b"Subject: after\r\n\r\nfine\r\n.\r\n")
    assert session.reply()[0] == 250


def test_nul_in_command(session):
    code, text = session.cmd(b"NO\x00OP")
    assert code == 500 and text.startswith(b"5.5.2"), (code, text)
    code, text = session.cmd(b"MAIL FROM:<x\x00@remote.test>")
    assert code == 500, (code, text)
    survives(session)


def test_control_character_in_command(session):
    code, text = session.cmd(b"NOOP \x1b[31m")
    assert code == 500 and text.startswith(b"5.5.2"), (code, text)
    survives(session)


def test_8bit_bytes_in_command(session):
    code, text = session.cmd(b"HELP caf\xc3\xa9")
    assert code == 500 and text.startswith(b"5.5.2"), (code, text)
    code, text = session.cmd(b"EHLO h\xe9llo.test")
    assert code == 500, (code, text)
    code, text = session.cmd(b"\xff\xfe\xfd")
    assert code == 500, (code, text)
    survives(session)


def test_8bit_in_mail_parameters(session):
    code, text = session.cmd(b"MAIL FROM:<x@remote.test> BODY=8BIT\xe9MIME")
    assert code in (500, 501, 555), (code, text)
    survives(session)


def test_invalid_utf8_address(session):
    code, text = session.cmd(b"MAIL FROM:<\xff\xfe@remote.test> SMTPUTF8")
    assert 500 <= code < 600, (code, text)
    survives(session)


def test_unknown_commands(session):
    for line in (b"FOO", b"XYZZY bar", b"MAILFROM:<x@remote.test>", b"GET / HTTP/1.1"):
        code, text = session.cmd(line)
        assert code == 500 and text.startswith(b"5.5.2"), (line, code, text)
    survives(session)


def test_empty_line(session):
    code, text = session.cmd(b"")
    assert code == 500, (code, text)
    survives(session)


def test_bad_arguments(session):
    for line, want in ((b"MAIL FROM:x@remote.test", 501),
                       (b"MAIL TO:<x@remote.test>", 501),
                       (b"MAIL FROM:<x@remote.test> FOO=BAR", 555),
                       (b"MAIL FROM:<x@remote.test> SIZE=abc", 501),
                       (b"QUIT now", 501),
                       (b"DATA please", 501),
                       (b"BDAT x", 501)):
        code, text = session.cmd(line)
        assert code == want, (line, code, text)
    survives(session)


def test_garbage_pipelined_after_data_terminator(session, smtp_server):
    start(session)
    msg = b"Subject: then garbage\r\n\r\nbody\r\n"
    session.send(msg + b".\r\nGARBAGE ONE\r\n\x00\x01\x02\r\nMAIL FROM\r\nNOOP\r\n")
    replies = [session.reply() for _ in range(5)]
    assert [c for c, _ in replies] == [250, 500, 500, 501, 250], replies
    survives(session)
    (arrived,) = fetch_all(smtp_server)
    assert strip_trace(arrived) == msg


def test_bdat_without_transaction_keeps_stream_in_step(session):
    # The chunk is read and discarded, not run as commands.
    chunk = b"RSET\r\nQUIT\r\n"
    session.send(b"BDAT %d LAST\r\n" % len(chunk) + chunk)
    code, text = session.reply()
    assert code == 503, (code, text)
    survives(session)


def test_bad_commands_until_the_limit_close_the_session(smtp_server):
    r = smtp_raw(smtp_server)
    for i in range(7):
        assert r.cmd(b"BAD%d" % i)[0] == 500
    survives(r)
    r.send(b"BAD7\r\n")
    lines = r.until_eof(5)
    assert [line[:4] for line in lines] == [b"500 ", b"421 "], lines
    r.close()
    fresh = smtp_raw(smtp_server)
    survives(fresh)
    fresh.close()
