"""PROTO-8: a listener's own connection limit (`max=N` in its `bind.listeners` entry, `max`
in the API): past it, that port refuses new connections at accept while the protocol's
other listeners (here the other submission port) go on accepting; closing a session frees
its place. The limit is kept through the API."""

import socket
import ssl

from admin_api import admin  # noqa: F401 (fixture)
from conftest import HOST, eventually


def greeting(port, tls=False):
    s = socket.create_connection((HOST, port), timeout=10)
    if tls:
        ctx = ssl.create_default_context()
        ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
        s = ctx.wrap_socket(s)
    return s, s.recv(512)


def test_a_ports_own_limit(admin):  # noqa: F811
    h = admin.heron
    listeners = admin.get("/listeners").json()
    plain = next(l for l in listeners
                 if l["protocol"] == "submission" and l["encryption"] == "starttls")
    r = admin.put("/listeners", [dict(l, max=2) if l == plain else l for l in listeners])
    assert r.status_code == 200, r.text
    assert next(l for l in r.json() if l["address"] == plain["address"])["max"] == 2
    value = admin.get("/settings/bind.listeners").json()["value"]
    assert f"submission starttls {plain['address']} max=2" in value, value

    def two_held():
        held = [greeting(h.submission_port) for _ in range(2)]
        assert all(g.startswith(b"220") for _, g in held), held
        return held
    held = eventually(two_held, 10, what="the new limit applies")
    third, line = greeting(h.submission_port)
    assert b"421" in line and b"too many connections" in line.lower(), line
    third.close()
    # The implicit-TLS submission port is not limited by it.
    other, line = greeting(h.smtps_port, tls=True)
    assert line.startswith(b"220"), line
    other.close()
    # A freed place is taken again.
    held[0][0].close()
    eventually(lambda: greeting(h.submission_port)[1].startswith(b"220"), 10,
               what="a place is free again")
    for s, _ in held[1:]:
        s.close()
