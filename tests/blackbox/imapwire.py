"""Reading IMAP responses off a raw socket: lines, literals `{n}` (and `{n+}`), and a small
parser turning a response into atoms, quoted strings, literals and parenthesized lists.
Bounded everywhere: lines up to 1 MiB, literals up to 64 MiB, a socket timeout on every read.
"""

import re
import socket

LITERAL = re.compile(rb"\{(\d+)\+?\}$")
CODE = re.compile(rb"^\[([A-Za-z0-9.-]+)(?: ([^\]]*))?\]")
MAX_LINE = 1 << 20
MAX_LITERAL = 64 << 20


class Lit(bytes):
    """A literal's bytes inside a response."""


class Str(bytes):
    """A quoted string inside a response."""


class Dropped(Exception):
    """The connection closed, failed or stalled."""


class Conn:
    """One socket; `response()` reads one response (line plus any literals it carries)."""

    def __init__(self, host, port, timeout):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def send(self, data):
        try:
            self.sock.sendall(data)
        except OSError as e:
            raise Dropped(f"send failed: {e!r}") from e

    def _fill(self):
        try:
            chunk = self.sock.recv(262144)
        except (socket.timeout, TimeoutError) as e:
            raise Dropped("no answer within the socket timeout") from e
        except OSError as e:
            raise Dropped(f"recv failed: {e!r}") from e
        if not chunk:
            raise Dropped("server closed the connection")
        self.buf += chunk

    def _line(self):
        start = 0
        while True:
            i = self.buf.find(b"\r\n", start)
            if i >= 0:
                line, self.buf = self.buf[:i], self.buf[i + 2:]
                return line
            if len(self.buf) > MAX_LINE:
                raise Dropped("response line longer than 1 MiB")
            start = max(0, len(self.buf) - 1)
            self._fill()

    def _exact(self, n):
        while len(self.buf) < n:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def response(self):
        """A response as parts: text pieces (bytes) and literals (Lit)."""
        parts = []
        for _ in range(100000):
            line = self._line()
            m = LITERAL.search(line)
            if not m:
                parts.append(line)
                return parts
            n = int(m.group(1))
            if n > MAX_LITERAL:
                raise Dropped(f"literal of {n} bytes")
            parts.append(line[:m.start()])
            parts.append(Lit(self._exact(n)))
        raise Dropped("response with more than 100000 literals")

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def show(parts, limit=300):
    """A response as one printable line, literals shortened."""
    out = b""
    for p in parts:
        if isinstance(p, Lit):
            out += b"{%d}" % len(p) + (p[:40] + b"..." if len(p) > 40 else p)
        else:
            out += p
    text = out.decode("utf-8", "replace").replace("\r\n", "\\r\\n")
    return text if len(text) <= limit else text[:limit] + "..."


def tokens(parts):
    """Tokens of a response: "(", ")", atoms (bytes), Str, Lit."""
    for p in parts:
        if isinstance(p, Lit):
            yield p
            continue
        i, n = 0, len(p)
        while i < n:
            c = p[i]
            if c == 0x20:
                i += 1
            elif c in (0x28, 0x29):
                yield "(" if c == 0x28 else ")"
                i += 1
            elif c == 0x22:
                j, s = i + 1, bytearray()
                while j < n and p[j] != 0x22:
                    if p[j] == 0x5C and j + 1 < n:
                        j += 1
                    s.append(p[j])
                    j += 1
                yield Str(bytes(s))
                i = j + 1
            else:
                j, depth = i, 0
                while j < n:
                    ch = p[j]
                    if ch == 0x5B:
                        depth += 1
                    elif ch == 0x5D:
                        depth -= 1
                    elif depth <= 0 and ch in (0x20, 0x28, 0x29):
                        break
                    j += 1
                yield p[i:j]
                i = j


def parse(parts):
    """A response as a list of values: bytes (atoms), Str, Lit, and lists for (...)."""
    stack = [[]]
    for t in tokens(parts):
        if t == "(":
            stack.append([])
        elif t == ")":
            if len(stack) == 1:
                raise ValueError("unbalanced )")
            inner = stack.pop()
            stack[-1].append(inner)
        else:
            stack[-1].append(t)
    if len(stack) != 1:
        raise ValueError("unbalanced (")
    return stack[0]


def status_of(text):
    """(status, code, code argument) of `OK [CODE arg] text` (bytes after the tag)."""
    status, _, rest = text.partition(b" ")
    m = CODE.match(rest)
    if m:
        return status.upper(), m.group(1).upper(), m.group(2) or b""
    return status.upper(), None, b""


def uid_set(text):
    """The numbers of a UID set like `1:3,7` in the order given."""
    out = []
    for piece in text.split(b","):
        a, _, b = piece.partition(b":")
        a = int(a)
        b = int(b) if b else a
        step = 1 if b >= a else -1
        if abs(b - a) > 100000:
            raise ValueError("range too large")
        out.extend(range(a, b + step, step))
    return out


def seq_text(numbers):
    """A sequence set for sorted distinct numbers, as ranges."""
    out, run = [], None
    for n in numbers:
        if run and n == run[1] + 1:
            run[1] = n
        else:
            if run:
                out.append(run)
            run = [n, n]
    if run:
        out.append(run)
    return b",".join(b"%d" % a if a == b else b"%d:%d" % (a, b) for a, b in out)
