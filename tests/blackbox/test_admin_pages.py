"""Admin pages over plain HTTP (no browser): who may see which page, paging and search of the
lists, security headers, and the shape of answers made outside the handlers (JSON under
/api/, HTML elsewhere)."""

import html
import re

import requests

from admin_api import ADMIN_PASSWORD, Api, admin, error_of  # noqa: F401
from conftest import PASSWORD, USER


def page_client(heron, username, password):
    """A requests session logged in through the API, for fetching pages."""
    api = Api(heron)
    assert api.login(username, password).status_code == 200
    base = f"http://127.0.0.1:{heron.admin_port}"
    return api, lambda path, **kw: api.http.get(base + path, allow_redirects=False,
                                                 timeout=30, **kw)


def test_pages_need_a_session(admin):
    base = f"http://127.0.0.1:{admin.heron.admin_port}"
    for path in ("/", "/domains", "/settings/pop", "/spool", "/logs", "/users/" + USER):
        r = requests.get(base + path, allow_redirects=False, timeout=10)
        assert r.status_code == 303 and r.headers["Location"] == "/login", (path, r.status_code)
    r = requests.get(base + "/login", timeout=10)
    assert r.status_code == 200 and 'id="login"' in r.text
    assert "default-src 'none'" in r.headers["Content-Security-Policy"]
    assert r.headers["Cache-Control"] == "no-store"
    assert r.headers["X-Frame-Options"] == "DENY"
    js = requests.get(base + "/static/heron.js", timeout=10)
    assert js.status_code == 200 and js.headers["Content-Type"].startswith("text/javascript")
    assert "X-CSRF-Token" in js.text


def test_domain_admin_sees_only_their_domain(admin):
    assert admin.post("/domains", {"name": "other.test"}).status_code == 201
    admin.heron.add_user("chief@example.test", "Boss-pass-77")
    assert admin.patch("/users/chief@example.test", {"role": "domain-admin"}).status_code == 200
    _, get = page_client(admin.heron, "chief@example.test", "Boss-pass-77")
    r = get("/")
    assert r.status_code == 303 and r.headers["Location"] == "/domains/example.test"
    r = get("/domains/example.test/users")
    assert r.status_code == 200 and USER in r.text
    assert 'name="role"' not in r.text  # only the system administrator gives roles
    for path in ("/domains/other.test", "/domains/other.test/users", "/domains",
                 "/settings/pop", "/spool", "/logs", "/connections", "/services",
                 "/bindings", "/tokens"):
        r = get(path)
        assert r.status_code == 403 and "Not permitted" in r.text, (path, r.status_code)
    assert get("/online").status_code == 200
    assert get("/messages").status_code == 200
    # A plain user reaches only their home page and the password page.
    _, user = page_client(admin.heron, USER, PASSWORD)
    r = user("/")
    assert r.status_code == 200 and "data-client-setup" in r.text
    assert user("/password").status_code == 200
    assert user("/domains/example.test").status_code == 403


def test_lists_are_paged_and_searchable(admin):
    for i in range(7):
        assert admin.post("/domains", {"name": f"page{i}.test"}).status_code == 201
    assert admin.put("/settings/admin.items_per_page", {"value": "3"}).status_code == 200
    _, get = page_client(admin.heron, "admin", ADMIN_PASSWORD)
    names = lambda html: re.findall(r'data-domain="([^"]+)"', html)  # noqa: E731
    r = get("/domains")
    assert names(r.text) == ["example.test", "page0.test", "page1.test"]
    assert "Page 1 of 3" in r.text and 'href="/domains?page=2"' in r.text
    assert names(get("/domains?page=3").text) == ["page5.test", "page6.test"]
    assert names(get("/domains?page=99").text) == ["page5.test", "page6.test"]
    r = get("/domains?q=PAGE&page=2")
    assert names(r.text) == ["page3.test", "page4.test", "page5.test"]
    links = [html.unescape(h) for h in re.findall(r'href="([^"]+)" rel="next"', r.text)]
    assert links == ["/domains?page=3&q=PAGE"], links
    assert names(get("/domains?q=nothing-like-this").text) == []
    for i in range(5):
        admin.heron.add_user(f"user{i}@example.test", "Kestrel42x")
    users = get("/domains/example.test/users?q=user")
    assert re.findall(r'data-user="([^"]+)"', users.text) == [
        "user0@example.test", "user1@example.test", "user2@example.test"]


def test_answers_outside_handlers_keep_their_shape(admin):
    base = f"http://127.0.0.1:{admin.heron.admin_port}"
    r = requests.put(base + "/api/v1/domains", timeout=10)
    assert r.status_code == 405 and "GET" in r.headers["Allow"]
    assert r.json()["error"]
    r = requests.post(base + "/api/v1/domains", data=b"{" * (2 * 1024 * 1024),
                      headers={"Content-Type": "application/json"}, timeout=30)
    assert r.status_code == 413 and r.json()["error"]
    error_of(requests.get(base + "/api/v1/no-such-thing", timeout=10), 404)
    r = requests.get(base + "/no-such-page", timeout=10)
    assert r.status_code == 404 and r.headers["Content-Type"].startswith("text/html")


def test_counts_and_sizes_read_as_words(admin):
    from conftest import smtp_client
    domain = USER.split("@")[1]
    admin.heron.cli("alias", "add", f"sales@{domain}", USER)
    s = smtp_client(admin.heron)
    s.sendmail("x@remote.test", [USER], b"Subject: size\r\n\r\n" + b"x" * 76 * 40 + b"\r\n")
    s.quit()
    _, get = page_client(admin.heron, "admin", ADMIN_PASSWORD)
    text = html.unescape(get(f"/domains/{domain}").text)
    # One user, one alias: singular nouns, and the size in KB, not "0 MB".
    assert re.search(r"1 user, 1 alias, \d(\.\d)? KB used\.", text), text
    page = html.unescape(get(f"/users/{USER}").text)
    crumbs = re.search(r'<nav class="crumbs"[^>]*>(.*?)</nav>', page, re.S)
    assert crumbs, page
    assert re.sub(r"<[^>]+>", "", crumbs.group(1)).split(" › ") == [
        "Domains", domain, "Users", USER], crumbs.group(1)
    assert re.search(r"Used: \d(\.\d)? KB\.", page), page


def test_dashboard_says_how_the_server_is(admin, tmp_path):
    import socket
    import subprocess

    from conftest import HERON, eventually, free_port, smtp_client
    from test_tls_certificate import make_pair
    _, get = page_client(admin.heron, "admin", ADMIN_PASSWORD)

    def cards():
        page = html.unescape(get("/").text)
        found = dict(re.findall(r'data-card="(\w+)"><div class="n">(.*?)</div>', page))
        problems = re.findall(r"<li>(.*?)</li>", page.split("data-problems", 1)[1]) \
            if "data-problems" in page else []
        return page, found, problems

    s = smtp_client(admin.heron)
    for i in range(2):
        s.sendmail("x@remote.test", [USER], b"Subject: %d\r\n\r\nhello\r\n" % i)
    s.quit()
    page, found, problems = eventually(lambda: (lambda c: c if c[1]["received"] == "2"
                                                 else None)(cards()),
                                       10, what="two messages received today")
    version = subprocess.run([HERON, "--version"], capture_output=True, text=True,
                             check=True).stdout.split()[-1]
    assert f"Heron {version} · up " in page, page
    assert found["domains"] == "1 domain" and found["users"] == "1 user", found
    assert found["messages"].startswith("2 messages ("), found
    assert found["spool"] == "0" and found["sent"] == "0", found
    assert problems == [], problems

    # A listener that cannot be bound, and a certificate about to expire, are listed.
    busy = socket.socket()
    busy.bind(("127.0.0.1", free_port()))
    busy.listen()
    port = busy.getsockname()[1]
    try:
        listeners = admin.heron.cli("settings", "get", "bind.listeners").stdout.strip()
        admin.heron.set("bind.listeners", f"{listeners}, pop3 none 127.0.0.1:{port}")
        cert, key = make_pair(tmp_path, "soon.example.test", days=2)
        admin.heron.set("tls.cert", str(cert))
        admin.heron.set("tls.key", str(key))

        def both():
            _, _, problems = cards()
            text = " | ".join(problems)
            return problems if f"127.0.0.1:{port}" in text and "expires in 1 day" in text \
                else None
        problems = eventually(both, 15, what="both problems on the dashboard")
        assert any(str(cert) in p for p in problems), problems
    finally:
        busy.close()


def test_mail_users_home_shows_their_mailbox_and_client_setup(admin):
    from conftest import smtp_client
    assert admin.patch(f"/users/{USER}", {"quota_mb": 10}).status_code == 200
    s = smtp_client(admin.heron)
    s.sendmail("x@remote.test", [USER], b"Subject: hi\r\n\r\n" + b"y" * 3000 + b"\r\n")
    s.quit()
    _, get = page_client(admin.heron, USER, PASSWORD)
    page = html.unescape(get("/").text)
    assert f"<h1>{USER}</h1>" in page, page
    assert re.search(r"Used: \d(\.\d)? KB of 10 MB\.", page), page
    rows = [re.sub(r"<[^>]+>", "|", r) for r in re.findall(r"<tr data-door>(.*?)</tr>", page)]
    cells = [[c for c in r.split("|") if c] for r in rows]
    h = admin.heron
    assert [(c[0], int(c[2]), c[3]) for c in cells] == [
        ("Incoming mail (IMAP)", h.imaps_port, "SSL/TLS"),
        ("Incoming mail (IMAP)", h.imap_port, "STARTTLS"),
        ("Incoming mail (POP3)", h.pop3s_port, "SSL/TLS"),
        ("Incoming mail (POP3)", h.pop3_port, "STARTTLS"),
        ("Outgoing mail (SMTP)", h.smtps_port, "SSL/TLS"),
        ("Outgoing mail (SMTP)", h.submission_port, "STARTTLS"),
    ], cells
    assert re.search(r'<a href="/"[^>]*>Home</a>', page), page
