"""The test DNS server for outbound delivery: a zone the test edits while the server answers
over UDP and TCP (dnslib)."""

import random
import threading

from dnslib import AAAA, CNAME, MX, PTR, QTYPE, RCODE, RR, SOA, TLSA, TXT, A
from dnslib.server import BaseResolver, DNSServer

TTL = 1


def normal(name):
    """A DNS name in the zone's spelling: lower case, no trailing dot."""
    if isinstance(name, bytes):
        name = name.decode()
    return str(name).rstrip(".").lower()


class Zone:
    """DNS records by name; safe to change while the server answers. Values: A/AAAA an
    address, MX a (preference, host) pair, TXT a string, CNAME/PTR a name."""

    def __init__(self):
        self.lock = threading.Lock()
        self.records = {}
        self.queries = []
        # Names whose answers carry the AD bit, as from a validating resolver (DANE tests).
        self.secure = set()

    def add(self, name, rtype, value):
        with self.lock:
            self.records.setdefault(normal(name), []).append((rtype.upper(), value))

    def set(self, name, rtype, *values):
        """Replace every `rtype` record of `name` by `values` (none: remove them)."""
        name, rtype = normal(name), rtype.upper()
        with self.lock:
            kept = [r for r in self.records.get(name, []) if r[0] != rtype]
            kept += [(rtype, v) for v in values]
            if kept:
                self.records[name] = kept
            else:
                self.records.pop(name, None)

    def remove(self, name, rtype=None):
        """Remove `name`'s records of `rtype`, or the name altogether (then NXDOMAIN)."""
        if rtype is None:
            with self.lock:
                self.records.pop(normal(name), None)
        else:
            self.set(name, rtype)

    def mx(self, domain, *hosts):
        """Set the MX records of `domain`: (preference, host) pairs."""
        self.set(domain, "MX", *[(int(pref), normal(host)) for pref, host in hosts])

    def null_mx(self, domain):
        """RFC 7505: the domain accepts no mail."""
        self.set(domain, "MX", (0, ""))

    def a(self, name, *ips):
        self.set(name, "A", *ips)

    def aaaa(self, name, *ips):
        self.set(name, "AAAA", *ips)

    def txt(self, name, *texts):
        self.set(name, "TXT", *texts)

    def tlsa(self, name, *records):
        """Set the TLSA records of `name`: (usage, selector, matching, bytes) tuples."""
        self.set(name, "TLSA", *records)

    def authenticate(self, *names):
        """Answers for `names` carry the AD bit (DNSSEC-authenticated) from now on."""
        with self.lock:
            self.secure.update(normal(n) for n in names)

    def lookup(self, name, rtype):
        with self.lock:
            return [v for t, v in self.records.get(normal(name), []) if t == rtype.upper()]

    def known(self, name):
        """The name exists: it has records, or a name below it has (empty non-terminal)."""
        name = normal(name)
        with self.lock:
            return any(n == name or n.endswith("." + name) for n in self.records)

    def dkim_dns(self, name, timeout=5):
        """A `dnsfunc` for dkimpy: the TXT record of `name` from this zone, as bytes."""
        texts = self.lookup(name, "TXT")
        return texts[0].encode() if texts else None

    def asked(self, name, rtype=None):
        """Whether a query for `name` (of `rtype`) reached the server."""
        name = normal(name)
        with self.lock:
            return any(n == name and (rtype is None or t == rtype) for n, t in self.queries)


def _rdata(rtype, value):
    if rtype == "A":
        return A(value)
    if rtype == "AAAA":
        return AAAA(value)
    if rtype == "MX":
        pref, host = value
        return MX(host + "." if host else ".", pref)
    if rtype == "TXT":
        data = value.encode()
        return TXT([data[i:i + 255] for i in range(0, len(data), 255)] or [b""])
    if rtype == "CNAME":
        return CNAME(value + ".")
    if rtype == "PTR":
        return PTR(value + ".")
    if rtype == "TLSA":
        usage, selector, matching, data = value
        return TLSA(usage, selector, matching, data)
    raise ValueError(f"record type {rtype} not supported")


class ZoneResolver(BaseResolver):
    """Answers from a Zone: NXDOMAIN for unknown names, NOERROR without answers for known
    names without records of the type asked (with an SOA, TTL 1, for negative caching)."""

    def __init__(self, zone):
        self.zone = zone

    def resolve(self, request, handler):
        reply = request.reply()
        qname = request.q.qname
        name = normal(qname)
        try:
            qtype = QTYPE[request.q.qtype]
        except Exception:
            qtype = f"TYPE{request.q.qtype}"
        with self.zone.lock:
            self.zone.queries.append((name, qtype))
            records = list(self.zone.records.get(name, []))
        for _ in range(8):  # follow CNAME chains, bounded
            target = None
            for rtype, value in records:
                if rtype == qtype or qtype == "ANY":
                    reply.add_answer(RR(qname, getattr(QTYPE, rtype), rdata=_rdata(rtype, value),
                                        ttl=TTL))
                elif rtype == "CNAME":
                    reply.add_answer(RR(qname, QTYPE.CNAME, rdata=_rdata(rtype, value), ttl=TTL))
                    target = value
            if target is None:
                break
            qname, name = target + ".", target
            with self.zone.lock:
                records = list(self.zone.records.get(name, []))
        if not self.zone.known(name):
            reply.header.rcode = RCODE.NXDOMAIN
        with self.zone.lock:
            # The reply copies the query's flags: AD only for names marked secure.
            reply.header.ad = int(normal(request.q.qname) in self.zone.secure)
        if not reply.rr:
            apex = ".".join(name.split(".")[-2:]) + "."
            reply.add_auth(RR(apex, QTYPE.SOA, ttl=TTL, rdata=SOA(
                "ns." + apex, "hostmaster." + apex, (1, 60, 60, 60, TTL))))
        return reply


class _QuietLogger:
    def __getattr__(self, name):
        return lambda *args, **kwargs: None


class DnsServer:
    """A DNS server on 127.0.0.1:`port`, UDP and TCP, answering from `zone`."""

    def __init__(self, zone=None, host="127.0.0.1", avoid=()):
        self.zone = zone or Zone()
        self.host = host
        self.avoid = set(avoid)
        self.port = None
        self.servers = []

    def start(self):
        resolver = ZoneResolver(self.zone)
        for _ in range(200):
            port = random.randint(41000, 60000)
            if port in self.avoid:
                continue
            servers = []
            try:
                for tcp in (False, True):
                    servers.append(DNSServer(resolver, port=port, address=self.host, tcp=tcp,
                                             logger=_QuietLogger()))
            except OSError:
                for s in servers:
                    s.server.server_close()
                continue
            self.port, self.servers = port, servers
            for s in servers:
                s.start_thread()
            return self
        raise RuntimeError("no free port for the DNS server")

    @property
    def address(self):
        """The value for the `dns.servers` setting."""
        return f"{self.host}:{self.port}"

    def stop(self):
        for s in self.servers:
            s.server.shutdown()
            s.server.server_close()
        self.servers = []


def dns_query(port, name, rtype, tcp=False, host="127.0.0.1", timeout=5):
    """Ask the server directly (for harness checks): the parsed dnslib reply."""
    from dnslib import DNSRecord
    q = DNSRecord.question(name, rtype)
    return DNSRecord.parse(q.send(host, port, tcp=tcp, timeout=timeout))
