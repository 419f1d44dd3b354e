"""Partial BINARY fetches (`BINARY[n]<origin.length>`, RFC 3516 §4.2, RFC 9051 §7.5.2):
the bytes of the decoded section from `origin` on, at most `length` of them, answered as
`BINARY[n]<origin>` with a literal (a literal8 when they hold NUL). Checked on the raw wire
against answers worked out from the message by hand, beside BINARY.SIZE and BINARY.PEEK."""

import pytest

from conftest import imap_client, imap_raw

# Part 1: quoted-printable, decodes to "hello\r\nbar\r\nfoo\tbar" (19 bytes: trailing
# spaces dropped, soft line breaks joined).
# Part 2: base64 of "abcdefg\rhijkl\r\nmno\npqrstuvqxyz" (30 bytes: a bare CR and a bare LF).
# Part 3: base64 of "ab\0cd" (5 bytes, one NUL).
MESSAGE = (
    b"From: user@domain.org\r\n"
    b"Mime-Version: 1.0\r\n"
    b"Content-Type: multipart/mixed; boundary=\"xx\"\r\n"
    b"\r\n"
    b"--xx\r\n"
    b"Content-Type: text/plain; charset=us-ascii\r\n"
    b"Content-Transfer-Encoding: quoted-printable\r\n"
    b"\r\n"
    b"hello  \r\nbar=\r\n\r\nfoo\t=\r\nbar\r\n"
    b"--xx\r\n"
    b"Content-Type: application/octet-stream\r\n"
    b"Content-Transfer-Encoding: base64\r\n"
    b"\r\n"
    b"YWJjZGVmZw1oaWprbA0KbW5vCnBxcnN0dXZxeHl6\r\n"
    b"--xx\r\n"
    b"Content-Type: application/octet-stream\r\n"
    b"Content-Transfer-Encoding: base64\r\n"
    b"\r\n"
    b"YWIAY2Q=\r\n"
    b"--xx--\r\n"
)
PART1 = b"hello\r\nbar\r\nfoo\tbar"
PART2 = b"abcdefg\rhijkl\r\nmno\npqrstuvqxyz"


@pytest.fixture
def raw(imap_server):
    m = imap_client(imap_server)
    typ, _ = m.append("INBOX", None, None, MESSAGE)
    assert typ == "OK"
    m.logout()
    c = imap_raw(imap_server, login=True)
    _, done = c.cmd(b"s", b"SELECT INBOX")
    assert done.startswith(b"s OK"), done
    yield c
    c.close()


def fetch(c, items, tag=b"f"):
    lines, done = c.cmd(tag, b"FETCH 1 " + items)
    assert done.startswith(tag + b" OK"), (lines, done)
    return lines


def test_sizes_and_whole_parts(raw):
    assert len(PART1) == 19 and len(PART2) == 30
    assert fetch(raw, b"(BINARY.SIZE[1] BINARY.SIZE[2] BINARY.SIZE[3])") == [
        b"* 1 FETCH (BINARY.SIZE[1] 19 BINARY.SIZE[2] 30 BINARY.SIZE[3] 5)"]
    assert fetch(raw, b"(BINARY.PEEK[2])") == [
        b"* 1 FETCH (BINARY[2] {30}\r\n" + PART2 + b")"]


@pytest.mark.parametrize("origin,length", [(0, 7), (0, 8), (10, 10), (5, 10), (15, 100),
                                           (29, 1), (30, 5), (200, 3)])
def test_partial_base64(raw, origin, length):
    data = PART2[origin:origin + length]
    got = fetch(raw, f"(BINARY.PEEK[2]<{origin}.{length}>)".encode())
    assert got == [f"* 1 FETCH (BINARY[2]<{origin}> {{{len(data)}}}\r\n".encode() + data + b")"]


def test_partial_quoted_printable_and_literal8(raw):
    assert fetch(raw, b"(BINARY.PEEK[1]<0.10>)") == [
        b"* 1 FETCH (BINARY[1]<0> {10}\r\nhello\r\nbar)"]
    assert fetch(raw, b"(BINARY.PEEK[1]<10.100>)") == [
        b"* 1 FETCH (BINARY[1]<10> {9}\r\n\r\nfoo\tbar)"]
    # A NUL in the bytes sent: a literal8; without one, a plain literal.
    assert fetch(raw, b"(BINARY.PEEK[3]<1.3>)") == [b"* 1 FETCH (BINARY[3]<1> ~{3}\r\nb\0c)"]
    assert fetch(raw, b"(BINARY.PEEK[3]<3.9>)") == [b"* 1 FETCH (BINARY[3]<3> {2}\r\ncd)"]


def test_partial_beside_other_items_and_seen(raw):
    lines, done = raw.cmd(b"u", b"UID FETCH 1 (BINARY.SIZE[2] BINARY.PEEK[2]<3.4> FLAGS "
                                b"BINARY.PEEK[1]<7.3>)")
    assert done.startswith(b"u OK"), done
    assert lines == [b"* 1 FETCH (UID 1 BINARY.SIZE[2] 30 BINARY[2]<3> {4}\r\ndefg FLAGS (\\Recent) "
                     b"BINARY[1]<7> {3}\r\nbar)"]
    # Without PEEK the fetch sets \Seen and says so (\Recent: this session saw it arrive).
    assert fetch(raw, b"(BINARY[2]<0.2>)") == [
        b"* 1 FETCH (BINARY[2]<0> {2}\r\nab FLAGS (\\Seen \\Recent))"]
    assert fetch(raw, b"(FLAGS)") == [b"* 1 FETCH (FLAGS (\\Seen \\Recent))"]
