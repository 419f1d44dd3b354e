"""Health and metrics on the admin listener (OPS-3): `/healthz`, `/readyz` and `/metrics`.

- `/healthz` answers 200; `/readyz` answers 200 with every listener bound, 503 naming the
  listeners when one configured listener cannot bind.
- `/metrics` parses with Prometheus's own parser (the `prometheus_client` package) and its
  counters move with traffic: SMTP connections, replies and messages, IMAP commands,
  outbound deliveries; gauges give the sessions and the queue.
- From 127.0.0.1 no token is needed; from another address (127.0.0.2 here) it takes a
  system administrator's API token, or the address listed in `admin.metrics_ips`."""

import http.client
import imaplib
import smtplib
import socket

import requests
from prometheus_client.parser import text_string_to_metric_families

from conftest import PASSWORD, USER, eventually, free_port
from outbound import mailnet  # noqa: F401


def get(heron, path, src=None, token=None):
    """(status, body) of GET `path` on the admin listener from source address `src`."""
    c = http.client.HTTPConnection("127.0.0.1", heron.admin_port, timeout=15,
                                   source_address=(src, 0) if src else None)
    try:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        c.request("GET", path, headers=headers)
        r = c.getresponse()
        return r.status, r.read().decode()
    finally:
        c.close()


def samples(text):
    """{(name, frozenset(labels)): value} of every sample."""
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def value(metrics, name, **labels):
    return metrics.get((name, frozenset(labels.items())), 0.0)


def scrape(heron):
    status, body = get(heron, "/metrics")
    assert status == 200, body
    return samples(body)


def test_health_and_readiness(server):
    assert get(server, "/healthz") == (200, "ok\n")
    status, body = get(server, "/readyz")
    assert status == 200 and '"ready":true' in body, body


def test_readiness_fails_while_a_listener_cannot_bind(server):
    """A listener added while running on a port another program holds: the server goes on
    without it and is not ready until the entry is fixed."""
    taken = socket.socket()
    taken.bind(("127.0.0.1", free_port()))
    taken.listen(1)
    before = server.cli("settings", "get", "bind.listeners").stdout.strip()
    try:
        port = taken.getsockname()[1]
        server.set("bind.listeners", f"{before}, imap none 127.0.0.1:{port}")

        def not_ready():
            r = requests.get(f"http://127.0.0.1:{server.admin_port}/readyz", timeout=10)
            return r.status_code == 503 and r.json()
        body = eventually(not_ready, 15, what="/readyz answers 503")
        assert body == {"ready": False, "store": True, "listeners": False}, body
        assert get(server, "/healthz")[0] == 200
        server.set("bind.listeners", before)
        eventually(lambda: get(server, "/readyz")[0] == 200, 15, what="ready again")
    finally:
        taken.close()


def test_metrics_parse_and_move_with_traffic(server):
    before = scrape(server)
    assert ("heron_sessions", frozenset({("protocol", "imap")})) in before
    assert value(before, "heron_queue_messages") == 0

    s = smtplib.SMTP(server.host, server.smtp_port, timeout=30)
    s.sendmail("someone@remote.test", [USER],
               "From: someone@remote.test\r\nSubject: m\r\n\r\nhello\r\n")
    s.quit()
    m = imaplib.IMAP4(server.host, server.imap_port, timeout=30)
    m.login(USER, PASSWORD)
    m.select("INBOX")
    eventually(lambda: m.search(None, "ALL")[1][0].split(), 10, what="the message is in")
    m.fetch("1", "(BODY.PEEK[])")
    after = scrape(server)
    m.logout()

    def grew(name, by=1, **labels):
        assert value(after, name, **labels) >= value(before, name, **labels) + by, \
            (name, labels, value(before, name, **labels), value(after, name, **labels))

    grew("heron_connections_total", protocol="smtp")
    grew("heron_connections_total", protocol="imap")
    grew("heron_smtp_replies_total", by=3, door="smtp", **{"class": "2xx"})
    grew("heron_messages_received_total", door="smtp")
    grew("heron_store_write_seconds_count")
    grew("heron_imap_command_seconds_count", command="FETCH")
    grew("heron_imap_command_seconds_count", command="LOGIN")
    assert value(after, "heron_sessions", protocol="imap") >= 1


def test_metrics_from_elsewhere_take_a_token_or_a_listed_address(server):
    assert get(server, "/metrics", src="127.0.0.2")[0] == 401
    token = server.cli("token", "create", "monitoring").stdout.strip()
    status, body = get(server, "/metrics", src="127.0.0.2", token=token)
    assert status == 200 and samples(body), body[:300]
    assert get(server, "/metrics", src="127.0.0.2", token="nope")[0] == 401
    server.set("admin.metrics_ips", "127.0.0.2")
    eventually(lambda: get(server, "/metrics", src="127.0.0.2")[0] == 200, 10,
               what="a listed address reads without a token")
    assert get(server, "/metrics", src="127.0.0.3")[0] == 401


def test_outbound_deliveries_are_counted(mailnet):
    from outbound import ALICE, make_message, submit, wait_spool_empty
    mailnet.sink("127.0.0.2", domains=["c.test"])
    a = mailnet.heron("a", "127.0.0.1", users=[ALICE])
    submit(a, ["carol@c.test"], make_message("counted", ALICE), ALICE)
    wait_spool_empty(a)
    m = eventually(lambda: (lambda m: value(m, "heron_deliveries_total", result="delivered")
                            >= 1 and m)(scrape(a)), 10, what="the delivery is counted")
    assert value(m, "heron_delivery_latency_seconds_count") >= 1
    assert value(m, "heron_queue_messages") == 0
    assert value(m, "heron_smtp_replies_total", door="submission", **{"class": "2xx"}) >= 3
