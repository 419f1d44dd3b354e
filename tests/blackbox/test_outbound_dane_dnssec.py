"""DANE (RFC 7672) through real DNSSEC: c.test is signed with a fresh key (ldns-keygen,
ldns-signzone) and served by NSD; Heron asks a validating unbound that holds the zone's key
as its only trust anchor, reaches c.test through a stub zone and forwards every other name
to the test's DNS server (so the rest of the test network resolves, insecure).

The sink mx.c.test (127.0.0.2) shows a certificate from an authority Heron does not know:
only a TLSA record can make it acceptable. With the signatures broken (an RRset changed after
signing, or expired signatures) unbound answers SERVFAIL and the mail must wait: never plain
text, never an unauthenticated certificate (RFC 7672 §2.1.1)."""

import os
import random
import re
import shutil
import socket
import subprocess
import time

import pytest
from dnslib import EDNS0, QTYPE, RCODE, DNSRecord

from admin_api import logged_in_admin, wait_for_api
from conftest import eventually, pick_ports
from outbound import (ALICE, make_message, mailnet, recipient, spool,  # noqa: F401
                      submit, wait_quietly)

crypto = pytest.importorskip("cryptography")
from test_outbound_tls_policy import Ca, spki_sha256  # noqa: E402

CAROL = "carol@c.test"
SINK_IP = "127.0.0.2"
ZONE = "c.test"
# Daemons live in sbin, which an unprivileged user's PATH may lack.
SEARCH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
TOOLS = ("nsd", "unbound", "ldns-keygen", "ldns-signzone")


def tool(name):
    return shutil.which(name, path=SEARCH)


@pytest.fixture(autouse=True)
def tools_present():
    missing = [t for t in TOOLS if tool(t) is None]
    if missing:
        why = f"{', '.join(missing)} not installed (Debian: nsd, unbound, ldnsutils)"
        if os.environ.get("CI"):
            pytest.fail(why + "; scripts/test.sh installs them")
        pytest.skip(why)


# ---------------------------------------------------------------- the signed zone


def sign_zone(directory, records, tamper=None):
    """Sign c.test with `records` (zone-file lines relative to c.test.) by a new key; returns
    (signed zone file, trust anchor file). `tamper`: "mx" or "tlsa" changes that RRset after
    signing; "expired" signs with signatures that expired last year."""
    directory.mkdir(parents=True, exist_ok=True)
    zone = directory / f"{ZONE}.zone"
    zone.write_text("\n".join([
        f"$ORIGIN {ZONE}.",
        "$TTL 5",
        f"@ IN SOA ns.{ZONE}. hostmaster.{ZONE}. 1 60 60 3600 5",
        f"@ IN NS ns.{ZONE}.",
        "ns IN A 127.0.0.1",
        *records,
    ]) + "\n")
    made = run([tool("ldns-keygen"), "-a", "ECDSAP256SHA256", "-k", ZONE], directory)
    key = made.stdout.strip()
    options = []
    if tamper == "expired":
        year = time.gmtime().tm_year - 1
        options = ["-i", f"{year}0101000000", "-e", f"{year}0201000000"]
    run([tool("ldns-signzone"), *options, zone.name, key], directory)
    signed = directory / f"{ZONE}.zone.signed"
    if tamper in ("mx", "tlsa"):
        # The record's first field (MX preference, TLSA usage) gets its low bit flipped; its
        # RRSIG still covers the old value.
        rtype = tamper.upper()
        text = signed.read_text()
        changed = re.sub(rf"^(\S+\s+\d+\s+IN\s+{rtype}\s+)(\d+)",
                         lambda m: m.group(1) + str(int(m.group(2)) ^ 1), text, count=1,
                         flags=re.M)
        assert changed != text, f"no {rtype} record to tamper with"
        signed.write_text(changed)
    return signed, directory / f"{key}.key"


def run(argv, cwd):
    r = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, f"{argv}: {r.stdout}{r.stderr}"
    return r


# ---------------------------------------------------------------- the daemons


def dns_port():
    """A port free for TCP and UDP on 127.0.0.1, reserved against other test processes."""
    def candidate():
        while True:
            port = random.randint(41000, 60000)
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                try:
                    s.bind(("127.0.0.1", port))
                except OSError:
                    continue
            return port
    return pick_ports(candidate, lambda p: [p])


def ask(port, name, rtype, timeout=3):
    """A query with the DO bit to 127.0.0.1:`port`: the parsed reply."""
    q = DNSRecord.question(name, rtype)
    q.add_ar(EDNS0(flags="do", udp_len=4096))
    return DNSRecord.parse(q.send("127.0.0.1", port, timeout=timeout))


class Daemon:
    """A DNS daemon in the foreground with its own configuration; `start` retries on another
    port when the chosen one was taken meanwhile."""

    name = "daemon"

    def __init__(self, directory):
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        self.proc, self.port = None, None
        self.log = self.dir / f"{self.name}.out"

    def argv(self, conf):
        raise NotImplementedError

    def config(self, port):
        raise NotImplementedError

    def start(self, probe):
        for _ in range(5):
            port = dns_port()
            conf = self.dir / f"{self.name}.conf"
            conf.write_text(self.config(port))
            with open(self.log, "ab") as out:
                self.proc = subprocess.Popen(self.argv(conf), cwd=self.dir, stdout=out,
                                             stderr=subprocess.STDOUT)
            self.port = port
            if self._answers(probe):
                return self
            self.stop()
        raise AssertionError(f"{self.name} did not start:\n{self.tail()}")

    def _answers(self, probe):
        deadline = time.time() + 15
        while time.time() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                ask(self.port, probe, "SOA", timeout=1)
                return True
            except OSError:
                time.sleep(0.1)
        return False

    def tail(self):
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""

    def stop(self):
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)


class Nsd(Daemon):
    """NSD serving one signed zone file."""

    name = "nsd"

    def __init__(self, directory, zonefile):
        super().__init__(directory)
        self.zonefile = zonefile

    def argv(self, conf):
        return [tool("nsd"), "-d", "-c", str(conf)]

    def config(self, port):
        d = self.dir
        return f"""server:
    ip-address: 127.0.0.1
    port: {port}
    do-ip6: no
    username: ""
    chroot: ""
    zonesdir: "{d}"
    pidfile: "{d}/nsd.pid"
    database: ""
    zonelistfile: "{d}/zone.list"
    xfrdfile: "{d}/xfrd.state"
    xfrdir: "{d}"
    server-count: 1
    verbosity: 1
remote-control:
    control-enable: no
zone:
    name: "{ZONE}"
    zonefile: "{self.zonefile}"
"""


class Unbound(Daemon):
    """A validating unbound: `anchor` is c.test's only trust anchor, c.test is asked of NSD
    on `stub_port`, everything else of the test DNS server `forward` (host:port)."""

    name = "unbound"

    def __init__(self, directory, anchor, stub_port, forward):
        super().__init__(directory)
        self.anchor, self.stub_port, self.forward = anchor, stub_port, forward

    def argv(self, conf):
        # A copy of the binary: a distribution's AppArmor profile for /usr/sbin/unbound
        # would confine it to /etc/unbound and keep it from reading this configuration.
        binary = self.dir / "unbound"
        if not binary.exists():
            shutil.copy2(tool("unbound"), binary)
        return [str(binary), "-d", "-c", str(conf)]

    def config(self, port):
        d = self.dir
        host, fport = self.forward.rsplit(":", 1)
        return f"""server:
    interface: 127.0.0.1
    port: {port}
    do-ip6: no
    username: ""
    chroot: ""
    directory: "{d}"
    pidfile: "{d}/unbound.pid"
    use-syslog: no
    logfile: ""
    verbosity: 1
    val-log-level: 2
    num-threads: 1
    do-not-query-localhost: no
    # RFC 6761 makes test. a local zone that unbound answers itself by default.
    local-zone: "test." nodefault
    trust-anchor-file: "{self.anchor}"
    trust-anchor-signaling: no
    root-key-sentinel: no
    # Outgoing queries from the kernel's range for client ports, as other clients use.
    outgoing-port-avoid: 0-32767
remote-control:
    control-enable: no
stub-zone:
    name: "{ZONE}"
    stub-addr: 127.0.0.1@{self.stub_port}
forward-zone:
    name: "."
    forward-addr: {host}@{fport}
"""

    @property
    def address(self):
        """The value for Heron's `dns.servers` setting."""
        return f"127.0.0.1:{self.port}"


# ---------------------------------------------------------------- fixture


class Dnssec:
    """The sink, the CA of its certificate (unknown to Heron) and, once `serve` ran, NSD and
    unbound; `start` starts Heron a.test resolving through unbound with DANE on."""

    def __init__(self, net, tmp):
        self.net, self.tmp = net, tmp
        self.ca = Ca(tmp)
        self.sink = net.sink(SINK_IP, tls=self.ca.server_context(f"mx.{ZONE}"))
        self.spki = spki_sha256(tmp / f"mx.{ZONE}.pem")
        self.tlsa_name = f"_{net.port}._tcp.mx.{ZONE}"
        self.daemons = []

    def serve(self, tlsa_digest, tamper=None):
        records = [f"@ IN MX 10 mx.{ZONE}.", f"mx IN A {SINK_IP}",
                   f"_{self.net.port}._tcp.mx IN TLSA 3 1 1 {tlsa_digest.hex()}"]
        signed, anchor = sign_zone(self.tmp / "zone", records, tamper)
        nsd = Nsd(self.tmp / "nsd", signed)
        self.daemons.append(nsd)
        nsd.start(ZONE)
        self.unbound = Unbound(self.tmp / "unbound", anchor, nsd.port, self.net.dns.address)
        self.daemons.append(self.unbound)
        self.unbound.start("a.test")
        return self.unbound

    def ask(self, name, rtype):
        return ask(self.unbound.port, name, rtype, timeout=10)

    def start(self):
        return self.heron(self.unbound.address)

    def heron(self, dns_servers):
        """Heron a.test with DANE on, asking `dns_servers`; a deferred message waits a
        minute, so it stays in the spool while the test looks."""
        node = self.net.heron("a", "127.0.0.1", users=[ALICE], retry="1m", settings={
            "dns.servers": dns_servers,
            "smtp_out.dane": "true",
        })
        wait_for_api(node)
        return node

    def logs(self):
        return "\n".join(f"--- {d.name}\n{d.tail()}" for d in self.daemons)

    def close(self):
        for d in self.daemons:
            d.stop()


@pytest.fixture
def dnssec(mailnet, tmp_path):
    d = Dnssec(mailnet, tmp_path)
    try:
        yield d
    finally:
        d.close()


def rrsigs(reply, rtype):
    return [rr for rr in reply.rr if rr.rtype == QTYPE.RRSIG and rr.rdata.covered == rtype]


def deferred(node, what):
    """Carol's recipient entry in the spool once an attempt deferred her mail."""
    (entry,) = eventually(lambda: [e for e in spool(node) if e["attempts"] >= 1] or None, 30,
                          what=what)
    r = recipient(entry, CAROL)
    assert r["status"] == "pending", entry
    return r


# ---------------------------------------------------------------- cases


def test_validated_tlsa_match_delivers_over_tls(mailnet, dnssec):
    dnssec.serve(dnssec.spki)
    # unbound validated the answers: AD set, with their signatures.
    for name, rtype in ((ZONE, "MX"), (dnssec.tlsa_name, "TLSA")):
        reply = dnssec.ask(name, rtype)
        assert reply.header.rcode == RCODE.NOERROR and reply.header.ad == 1, (
            f"{name} {rtype} not validated:\n{reply}\n{dnssec.logs()}")
        assert rrsigs(reply, getattr(QTYPE, rtype)), reply
    # A name outside the signed zone is answered by the test DNS server, unauthenticated.
    mailnet.zone.a("plain.b.test", "127.0.0.9")
    plain = dnssec.ask("plain.b.test", "A")
    assert plain.header.ad == 0 and [str(rr.rdata) for rr in plain.rr] == ["127.0.0.9"]
    node = dnssec.start()
    submit(node, [CAROL], make_message("dane dnssec ok", ALICE, to=CAROL), ALICE)
    d = dnssec.sink.wait(1, 30)[0]
    assert d.tls and d.rcpt_tos == [CAROL]
    rows = eventually(lambda: logged_in_admin(node).get("/tlsrpt/results").json() or None, 10,
                      what="the DANE session is counted")
    assert [(r["policy_type"], r["result"]) for r in rows] == [("tlsa", "success")], rows
    # c.test came from NSD through unbound, not from the test DNS server.
    assert not mailnet.zone.asked(ZONE, "MX")


def test_validated_tlsa_mismatch_defers_and_never_sends_plain(mailnet, dnssec):
    dnssec.serve(bytes(32))
    reply = dnssec.ask(dnssec.tlsa_name, "TLSA")
    assert reply.header.ad == 1, f"{reply}\n{dnssec.logs()}"
    node = dnssec.start()
    submit(node, [CAROL], make_message("dane dnssec bad", ALICE, to=CAROL), ALICE)
    admin = logged_in_admin(node)
    rows = eventually(lambda: admin.get("/tlsrpt/results").json() or None, 30,
                      what="the DANE failure is counted")
    assert rows[0]["policy_type"] == "tlsa" and rows[0]["result"] == "validation-failure", rows
    assert rows[0]["domain"] == ZONE and rows[0]["mx_host"] == f"mx.{ZONE}", rows
    r = deferred(node, "the delivery was deferred")
    assert r["last_reply"] and r["last_reply"].startswith("4"), r
    assert dnssec.sink.messages() == [] and dnssec.sink.rcpts_seen == []


@pytest.mark.parametrize("tamper", ["tlsa", "mx", "expired"])
def test_bogus_answers_defer(mailnet, dnssec, tamper):
    """A changed TLSA or MX RRset, or expired signatures: unbound answers SERVFAIL and Heron
    waits, even though the TLSA record would match the sink's certificate."""
    dnssec.serve(dnssec.spki, tamper=tamper)
    bogus = dnssec.tlsa_name if tamper == "tlsa" else ZONE
    rtype = "TLSA" if tamper == "tlsa" else "MX"
    reply = dnssec.ask(bogus, rtype)
    assert reply.header.rcode == RCODE.SERVFAIL, f"{reply}\n{dnssec.logs()}"
    if tamper == "tlsa":
        assert dnssec.ask(ZONE, "MX").header.ad == 1
    node = dnssec.start()
    submit(node, [CAROL], make_message(f"bogus {tamper}", ALICE, to=CAROL), ALICE)
    r = deferred(node, "the delivery was deferred")
    assert r["last_reply"] and r["last_reply"].startswith("451"), r
    if tamper == "tlsa":
        assert "TLSA" in r["last_reply"], r
        rows = logged_in_admin(node).get("/tlsrpt/results").json()
        assert [(x["policy_type"], x["result"]) for x in rows] == [("tlsa", "tlsa-invalid")], rows
    else:
        assert "DNS" in r["last_reply"], r
    wait_quietly(2)
    assert dnssec.sink.messages() == [] and dnssec.sink.rcpts_seen == []
    assert recipient(spool(node)[0], CAROL)["status"] == "pending"


def test_unanswered_dnssec_check_defers(mailnet, dnssec):
    """The first `dns.servers` entry (the resolver whose AD bit Heron trusts) is down while
    the next one answers the MX lookup: DANE cannot be checked, so the mail waits instead of
    going to a certificate the TLSA record does not match."""
    unbound = dnssec.serve(bytes(32))
    node = dnssec.heron(f"127.0.0.1:{dns_port()}, {unbound.address}")
    submit(node, [CAROL], make_message("dnssec unchecked", ALICE, to=CAROL), ALICE)
    r = deferred(node, "the delivery was deferred")
    assert r["last_reply"].startswith("451 4.4.3 DNSSEC check of c.test failed"), r
    wait_quietly(2)
    assert dnssec.sink.messages() == [] and dnssec.sink.rcpts_seen == []
