"""imaplib through IMAP COMPRESS=DEFLATE (RFC 4978): a mixin for `imaplib.IMAP4` and
`imaplib.IMAP4_SSL` whose socket I/O goes through raw DEFLATE (no zlib header) once
`compress()` has succeeded. Each write is compressed and sync-flushed alone, as a client
writes it."""

import imaplib
import zlib

imaplib.Commands.setdefault("COMPRESS", ("AUTH", "SELECTED"))


class Deflating:
    """imaplib with its socket I/O through raw DEFLATE (no zlib header) once
    `compress()` has succeeded."""

    zin = zout = None
    zbuf = b""

    def compress(self):
        typ, data = self._simple_command("COMPRESS", "DEFLATE")
        if typ == "OK":
            self.zout = zlib.compressobj(wbits=-15)
            self.zin = zlib.decompressobj(wbits=-15)
        return typ, data

    def send(self, data):
        if self.zout is None:
            return super().send(data)
        self.sock.sendall(self.zout.compress(data) + self.zout.flush(zlib.Z_SYNC_FLUSH))

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise imaplib.IMAP4.abort("server closed the connection")
        self.zbuf += self.zin.decompress(chunk)

    def readline(self):
        if self.zin is None:
            return super().readline()
        while b"\n" not in self.zbuf:
            self._fill()
        i = self.zbuf.index(b"\n") + 1
        line, self.zbuf = self.zbuf[:i], self.zbuf[i:]
        return line

    def read(self, size):
        if self.zin is None:
            return super().read(size)
        while len(self.zbuf) < size:
            self._fill()
        out, self.zbuf = self.zbuf[:size], self.zbuf[size:]
        return out
