"""POP retrieval (ACCESS-4): a second Heron holds mail for a remote user; the first one's
user gets a POP-retrieval account pointing at it over STLS, and its messages arrive in the
user's mailbox once each, on "fetch now" (CLI) and on the schedule."""

import re

from conftest import HOST, PASSWORD, USER, Heron, drop, eventually, make_messages, \
    message_id, write_mbox

REMOTE_USER = "bob@remote.test"
REMOTE_PASSWORD = "Remote123x"


def remote_server(tmp_path):
    r = Heron(tmp_path / "remote")
    r.base.mkdir()
    r.start()
    r.add_user(REMOTE_USER, REMOTE_PASSWORD)
    return r


def give(remote, tmp_path, n, seed):
    msgs = make_messages(n, seed)
    remote.cli("import", REMOTE_USER, write_mbox(tmp_path / f"remote-{seed}.mbox", msgs))
    return {message_id(m) for m in msgs}


def add_account(server, remote, *extra, password=REMOTE_PASSWORD, check=True):
    r = server.cli("pop-retrieval", "add", USER, HOST, REMOTE_USER,
                   "--port", remote.pop3_port, "--tls", "starttls", "--no-verify-tls",
                   *extra, stdin=password + "\n", check=check)
    if not check:
        return r
    return int(re.search(r"account (\d+)", r.stdout).group(1))


def ids_in(heron, user=USER, password=PASSWORD):
    """The Message-IDs of every message in a maildrop, with repeats."""
    p = heron.login(user=user, password=password)
    try:
        count = p.stat()[0]
        ids = []
        for i in range(1, count + 1):
            for line in p.top(i, 0)[1]:
                if line.lower().startswith(b"message-id:"):
                    ids.append(line.split(b":", 1)[1].strip())
        return ids
    finally:
        p.quit()


def test_fetch_now_new_messages_once_then_delete(server, tmp_path):
    server.set("pop_retrieval.enabled", "false")
    remote = remote_server(tmp_path)
    try:
        first = give(remote, tmp_path, 100, seed=11)
        acct = add_account(server, remote)
        out = server.cli("pop-retrieval", "fetch", USER, acct).stdout
        assert "fetched 100 messages" in out, out
        got = ids_in(server)
        assert len(got) == 100 and set(got) == first

        # 10 more arrive; the next round fetches exactly those.
        second = give(remote, tmp_path, 10, seed=12)
        out = server.cli("pop-retrieval", "fetch", USER, acct).stdout
        assert "fetched 10 messages" in out, out
        got = ids_in(server)
        assert len(got) == 110 and set(got) == first | second
        # Nothing new: nothing fetched; the password never shows.
        assert "fetched 0 messages" in server.cli("pop-retrieval", "fetch", USER, acct).stdout
        listing = server.cli("pop-retrieval", "list", USER).stdout
        assert REMOTE_PASSWORD not in listing and "\tok" in listing, listing
        assert REMOTE_PASSWORD.encode() not in (server.data / "heron.db").read_bytes()

        # Left on the server so far; a second account that deletes empties the maildrop
        # (its own UIDL record starts empty, so it fetches the 110 again: a new account).
        server.cli("pop-retrieval", "remove", USER, acct)
        acct = add_account(server, remote, "--delete", "--folder", "Fetched")
        out = server.cli("pop-retrieval", "fetch", USER, acct).stdout
        assert "fetched 110 messages, deleted 110" in out, out
        assert ids_in(remote, REMOTE_USER, REMOTE_PASSWORD) == []
    finally:
        remote.stop()


def test_schedule_and_wrong_password(server, tmp_path):
    remote = remote_server(tmp_path)
    try:
        ids = give(remote, tmp_path, 5, seed=21)
        bad = add_account(server, remote, password="wrong-password")
        server.set("pop_retrieval.interval", "1")

        def error_recorded():
            listing = server.cli("pop-retrieval", "list", USER).stdout
            assert "PASS refused" in listing, listing
            return True
        eventually(error_recorded, 30, what="the wrong password recorded")
        # The remote session ended cleanly: bob's maildrop is not left locked.
        drop(remote.login(user=REMOTE_USER, password=REMOTE_PASSWORD))
        server.cli("pop-retrieval", "remove", USER, bad)

        add_account(server, remote)
        def all_fetched():
            got = ids_in(server)
            assert sorted(got) == sorted(ids), got
            return True
        eventually(all_fetched, 30, what="the scheduled fetch")
        logs = list((server.data / "logs").glob("pop-retrieval-*.log"))
        assert logs, "no POP-retrieval log"
        text = logs[0].read_text()
        assert "PASS refused" in text and "5 fetched" in text, text
        assert "wrong-password" not in text
    finally:
        remote.stop()


def test_account_limit(server, tmp_path):
    server.set("pop_retrieval.enabled", "false")
    remote = Heron(tmp_path / "remote")
    for _ in range(10):
        add_account(server, remote)
    r = add_account(server, remote, check=False)
    assert r.returncode != 0
    assert "allows 10 POP-retrieval accounts per user" in r.stderr, r.stderr


def test_admin_api(server, tmp_path):
    """The admin API: create (no password in answers), list, change, fetch now, over-limit
    422, delete."""
    import json
    import urllib.request

    server.set("pop_retrieval.enabled", "false")
    token = server.cli("token", "create", "pop-test").stdout.strip().split()[-1]
    base = f"http://127.0.0.1:{server.admin_port}/api/v1/users/{USER}/pop-retrieval"

    def call(method, url, body=None):
        req = urllib.request.Request(url, method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Authorization": f"Bearer {token}",
                                              "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                text = r.read()
                return r.status, json.loads(text) if text else None
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    remote = remote_server(tmp_path)
    try:
        ids = give(remote, tmp_path, 3, seed=31)
        body = {"host": HOST, "port": remote.pop3_port, "tls": "starttls", "verify_tls": False,
                "login": REMOTE_USER, "password": REMOTE_PASSWORD}
        code, a = call("POST", base, body)
        assert code == 201, a
        assert a["password_set"] is True and "password" not in a
        code, got = call("GET", base)
        assert code == 200 and [x["id"] for x in got] == [a["id"]]
        assert REMOTE_PASSWORD not in json.dumps(got)
        code, r = call("POST", f"{base}/{a['id']}/fetch")
        assert code == 200 and r["fetched"] == 3, r
        assert sorted(ids_in(server)) == sorted(ids)
        code, r = call("PUT", f"{base}/{a['id']}", {**body, "password": "wrong", "folder": "X"})
        assert code == 200 and r["folder"] == "X"
        code, r = call("POST", f"{base}/{a['id']}/fetch")
        assert code == 502 and "PASS refused" in r["error"], r
        for _ in range(9):
            assert call("POST", base, body)[0] == 201
        code, r = call("POST", base, body)
        assert code == 422 and r.get("field") == "limit", r
        assert call("DELETE", f"{base}/{a['id']}")[0] == 204
        assert call("DELETE", f"{base}/{a['id']}")[0] == 404
    finally:
        remote.stop()


def test_user_themself_and_ui_panel(server):
    """A user manages their own POP-retrieval accounts but no one else's; the user page of
    the admin UI lists them (no password) with the form to add one."""
    from admin_api import logged_in, logged_in_admin, wait_for_api

    server.set("pop_retrieval.enabled", "false")
    server.add_user("carol@example.test", "Secret456y")
    wait_for_api(server)
    me = logged_in(server, USER, PASSWORD)
    body = {"host": "pop.example.net", "login": "alice", "password": "Hidden123x"}
    r = me.post(f"/users/{USER}/pop-retrieval", body)
    assert r.status_code == 201, r.text
    assert r.json()["password_set"] is True and r.json()["tls"] == "starttls"
    assert r.json()["port"] == 110 and r.json()["leave_on_server"] is True
    assert me.get(f"/users/{USER}/pop-retrieval").status_code == 200
    assert me.get("/users/carol@example.test/pop-retrieval").status_code == 403
    r = me.post("/users/carol@example.test/pop-retrieval", body)
    assert r.status_code == 403, r.text

    admin = logged_in_admin(server)
    page = admin.http.get(f"http://127.0.0.1:{server.admin_port}/users/{USER}", timeout=30)
    assert page.status_code == 200, page.text
    assert "POP retrieval" in page.text and "pop.example.net:110" in page.text
    assert 'id="new-pop-account"' in page.text and "Hidden123x" not in page.text


def test_mailbox_full_stops_the_run(server, tmp_path):
    """Past the user's quota the run stops with "mailbox full"; the rest stays remote."""
    server.set("pop_retrieval.enabled", "false")
    server.cli("user", "set", USER, "--quota-mb", "1")
    remote = remote_server(tmp_path)
    try:
        # 20 messages of about 100 KB: 2 MB for a 1 MB quota.
        msgs = [(f"From: a@example.org\nSubject: big {i}\nMessage-ID: <big{i}@example.org>\n\n"
                 + ("x" * 76 + "\n") * 1300).encode() for i in range(20)]
        remote.cli("import", REMOTE_USER, write_mbox(tmp_path / "big.mbox", msgs))
        acct = add_account(server, remote, "--delete")
        r = server.cli("pop-retrieval", "fetch", USER, acct, check=False)
        assert r.returncode != 0 and "mailbox full" in r.stderr, r.stderr
        here = len(ids_in(server))
        left = len(ids_in(remote, REMOTE_USER, REMOTE_PASSWORD))
        assert 0 < here < 20 and here + left == 20, (here, left)
        assert "mailbox full" in server.cli("pop-retrieval", "list", USER).stdout
    finally:
        remote.stop()
