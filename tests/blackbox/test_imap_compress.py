"""IMAP COMPRESS=DEFLATE (RFC 4978): raw DEFLATE both ways after the tagged OK, over plain
TCP and TLS, with imaplib reading and writing through zlib."""

import imaplib
import zlib

import pytest

from conftest import HOST, PASSWORD, USER, client_tls, imap_client, imap_raw
from imapdeflate import Deflating

MESSAGE = (b"From: bob@example.test\r\nTo: alice@example.test\r\nSubject: squeezed\r\n\r\n"
           + b"".join(b"line %d of a body that compresses well\r\n" % i for i in range(400)))


class ZImap(Deflating, imaplib.IMAP4):
    pass


class ZImapTls(Deflating, imaplib.IMAP4_SSL):
    pass


def connect(heron, tls):
    if tls:
        m = ZImapTls(heron.host, heron.imaps_port, ssl_context=client_tls(), timeout=15)
    else:
        m = ZImap(heron.host, heron.imap_port, timeout=15)
    m.login(USER, PASSWORD)
    return m


@pytest.mark.parametrize("tls", [False, True], ids=["plain", "tls"])
def test_a_compressed_session_appends_fetches_and_idles(imap_server, tls):
    m = connect(imap_server, tls)
    assert b"COMPRESS=DEFLATE" in m.capability()[1][0].split()
    typ, data = m.compress()
    assert (typ, data) == ("OK", [b"DEFLATE active"])
    assert m.select("INBOX") == ("OK", [b"0"])
    typ, data = m.append("INBOX", None, None, MESSAGE)
    assert typ == "OK", data
    typ, data = m.fetch("1", "(BODY.PEEK[])")
    assert typ == "OK"
    assert data[0][1] == MESSAGE

    # IDLE: an EXISTS pushed while compressed arrives at once (the server sync-flushes).
    tag = m._new_tag()
    m.send(tag + b" IDLE\r\n")
    assert m.readline().startswith(b"+ ")
    other = imap_client(imap_server)
    other.append("INBOX", None, None, MESSAGE)
    other.logout()
    seen = [m.readline() for _ in range(1)]
    while not any(b"EXISTS" in line for line in seen):
        seen.append(m.readline())
    assert b"* 2 EXISTS\r\n" in seen, seen
    m.send(b"DONE\r\n")
    while not (line := m.readline()).startswith(tag + b" "):
        pass
    assert line.startswith(tag + b" OK"), line

    # A second COMPRESS is refused and changes nothing.
    typ, data = m.compress()
    assert typ == "NO"
    assert data == [b"[COMPRESSIONACTIVE] DEFLATE active via COMPRESS"]
    assert m.noop()[0] == "OK"
    assert m.logout()[0] == "BYE"


@pytest.mark.parametrize("tls", [False, True], ids=["plain", "tls"])
def test_an_oversized_compressed_line_is_refused_and_the_session_goes_on(imap_server, tls):
    m = connect(imap_server, tls)
    assert m.compress()[0] == "OK"
    # 8 MiB of one letter: a few KiB compressed, far above the 64 KiB line limit.
    line = b"X1 NOOP " + b"x" * (8 << 20) + b"\r\n"
    packed = m.zout.compress(line) + m.zout.flush(zlib.Z_SYNC_FLUSH)
    assert len(packed) < 64 * 1024
    m.sock.sendall(packed)
    assert m.readline() == b"X1 BAD command line too long\r\n"
    assert m.noop()[0] == "OK"
    assert m.select("INBOX")[0] == "OK"
    assert m.logout()[0] == "BYE"


def test_compress_needs_login_and_a_known_algorithm(imap_server):
    r = imap_raw(imap_server, greet=False)
    greeting = r.line()
    assert b"COMPRESS=DEFLATE" not in greeting
    _, done = r.cmd(b"a", b"COMPRESS DEFLATE")
    assert done == b"a BAD COMPRESS requires login first"
    done = r.login()
    assert b"COMPRESS=DEFLATE" in done
    _, done = r.cmd(b"b", b"COMPRESS LZW")
    assert done.startswith(b"b BAD "), done
    # Still uncompressed: the session goes on in clear text.
    _, done = r.cmd(b"c", b"NOOP")
    assert done == b"c OK NOOP completed"
    r.close()


def test_bytes_pipelined_after_compress_are_read_compressed(imap_server):
    """A client that sends its first compressed command right behind COMPRESS (in one
    write) is understood: those bytes go to the decompressor, not the clear-text reader."""
    r = imap_raw(imap_server, login=True)
    zout = zlib.compressobj(wbits=-15)
    zin = zlib.decompressobj(wbits=-15)
    r.send(b"z COMPRESS DEFLATE\r\n" + zout.compress(b"n NOOP\r\n") + zout.flush(zlib.Z_SYNC_FLUSH))
    assert r.line() == b"z OK DEFLATE active"
    got = zin.decompress(r.buf)
    r.buf = b""
    while b"n OK" not in got:
        got += zin.decompress(r.sock.recv(65536))
    assert got.endswith(b"n OK NOOP completed\r\n"), got
    r.close()
