"""Message archiving (OPS-5): copies of a domain's mail kept apart from the mailboxes, by
rule, searched and exported as mbox through the admin API and the CLI."""

import mailbox
from email.message import EmailMessage

from admin_api import Api, logged_in_admin, wait_for_api
from conftest import (PASSWORD, USER, eventually, imap_client, smtp_client,
                      submission)

BOB = "bob@example.test"


def message(subject, body, sender="carol@remote.test", to=USER):
    m = EmailMessage()
    m["From"] = sender
    m["To"] = to
    m["Subject"] = subject
    m["Message-ID"] = f"<{subject.replace(' ', '.')}@remote.test>"
    m.set_content(body)
    return m


def start(heron, rule):
    heron.add_user()
    heron.add_user(BOB)
    heron.set("archive.rule", rule)
    heron.set("spool.enabled", "false")
    heron.start()
    wait_for_api(heron)
    return logged_in_admin(heron)


def search(api: Api, **q):
    r = api.get("/archive", params=q)
    assert r.status_code == 200, r.text
    return r.json(), r.headers


def test_incoming_copy_outlives_expunge_and_exports_as_mbox(heron, tmp_path):
    api = start(heron, "incoming")
    original = message("Quarterly numbers", "From the top: revenue is up.\nsecret-figure 42\n")
    with smtp_client(heron) as s:
        s.send_message(original, from_addr="carol@remote.test", to_addrs=[USER, BOB])

    # The user deletes and expunges it, and removes a folder for good measure.
    m = imap_client(heron)
    m.select("INBOX")
    typ, data = m.search(None, "ALL")
    uids = data[0].split()
    assert len(uids) == 1
    m.store(uids[0], "+FLAGS", "\\Deleted")
    m.expunge()
    assert m.search(None, "ALL")[1][0] == b""
    m.logout()

    # Found by each kind of filter; archived once, listing both local recipients.
    rows, headers = search(api, subject="quarterly")
    assert headers["x-total-count"] == "1"
    assert len(rows) == 1
    row = rows[0]
    assert row["direction"] == "incoming" and row["domain"] == "example.test"
    assert sorted(row["recipients"]) == sorted([USER, BOB])
    assert row["sender"] == "carol@remote.test"
    assert search(api, sender="CAROL@")[0][0]["id"] == row["id"]
    assert search(api, recipient="bob@")[0][0]["id"] == row["id"]
    assert search(api, since="2000-01-01", until="2999-12-31")[0][0]["id"] == row["id"]
    assert search(api, until="2000-01-01")[0] == []
    assert search(api, text="SECRET-FIGURE")[0][0]["id"] == row["id"]
    assert search(api, text="not in there")[0] == []
    assert search(api, header="quarterly.numbers@remote")[0][0]["id"] == row["id"]
    assert search(api, subject="quar\x00terly", limit=0)[0] == []
    assert search(api, text="secret", limit=0)[0] == []
    r = api.get("/archive", params={"since": "last week"})
    assert r.status_code == 422 and r.json()["field"] == "since"

    # The export parses as mbox and holds the original message, >From-quoted line included.
    r = api.get("/archive/export", params={"subject": "quarterly"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/mbox")
    path = tmp_path / "export.mbox"
    path.write_bytes(r.content)
    box = mailbox.mbox(str(path))
    got = list(box)
    assert len(got) == 1
    assert got[0]["Subject"] == "Quarterly numbers"
    assert got[0]["Message-ID"] == original["Message-ID"]
    assert got[0]["Return-Path"] == "<carol@remote.test>"
    assert ">From the top: revenue is up." in got[0].get_payload()
    assert "secret-figure 42" in got[0].get_payload()
    box.close()
    # By ids too.
    r = api.get("/archive/export", params={"ids": str(row["id"])})
    assert r.status_code == 200 and r.content.startswith(b"From carol@remote.test ")

    # The CLI finds and exports the same.
    out = heron.cli("archive", "search", "--subject", "quarterly").stdout
    assert f"#{row['id']} " in out and "1 shown of 1 matching" in out
    cli_box = tmp_path / "cli.mbox"
    heron.cli("archive", "export", "--recipient", "bob@", "--output", cli_box)
    assert [m["Subject"] for m in mailbox.mbox(str(cli_box))] == ["Quarterly numbers"]

    # Users and domain administrators cannot read the archive.
    user_api = Api(heron)
    assert user_api.login(USER, PASSWORD).status_code == 200
    assert user_api.get("/archive").status_code == 403


def test_rule_none_archives_nothing_and_a_domain_rule_overrides(heron):
    api = start(heron, "none")
    with smtp_client(heron) as s:
        s.send_message(message("not kept", "x\n"), to_addrs=[USER])
    eventually(lambda: imap_client(heron).select("INBOX")[1][0] == b"1", 10,
               what="message delivered")
    rows, headers = search(api)
    assert rows == [] and headers["x-total-count"] == "0"

    # The domain's own rule wins over the server's.
    r = api.patch("/domains/example.test", {"archive_rule": "all"})
    assert r.status_code == 200, r.text
    assert r.json()["archive_rule"] == "all"
    with smtp_client(heron) as s:
        s.send_message(message("kept now", "y\n"), to_addrs=[USER])
    rows, _ = search(api)
    assert [r["subject"] for r in rows] == ["kept now"]
    r = api.patch("/domains/example.test", {"archive_rule": "sideways"})
    assert r.status_code == 422 and r.json()["field"] == "archive_rule"
    r = api.patch("/domains/example.test", {"archive_rule": "default"})
    assert r.status_code == 200 and r.json()["archive_rule"] is None


def test_outgoing_rule_archives_submitted_mail_once(heron):
    api = start(heron, "outgoing")
    # Incoming mail from elsewhere is not kept under this rule.
    with smtp_client(heron) as s:
        s.send_message(message("inbound", "z\n"), to_addrs=[USER])
    # A submission by alice to bob (local) and to a remote address (held in the spool).
    out = message("Outbound plan", "the plan\n", sender=USER, to=BOB)
    with submission(heron) as s:
        s.send_message(out, from_addr=USER, to_addrs=[BOB, "dave@remote.test"])
    rows, headers = search(api)
    assert headers["x-total-count"] == "1", rows
    row = rows[0]
    assert row["direction"] == "outgoing" and row["subject"] == "Outbound plan"
    assert row["sender"] == USER
    assert sorted(row["recipients"]) == sorted([BOB, "dave@remote.test"])
    assert search(api, direction="incoming")[0] == []


def test_backup_and_restore_carry_archived_files(heron, tmp_path):
    import subprocess

    from conftest import HERON, Heron
    api = start(heron, "incoming")
    big = message("big one", "line of text\n" * 30_000)  # ~390 KB: a file, not a row
    with smtp_client(heron) as s:
        s.send_message(big, to_addrs=[USER])
    m = imap_client(heron)
    m.select("INBOX")
    m.store("1", "+FLAGS", "\\Deleted")
    m.expunge()
    m.logout()
    assert len(search(api, subject="big one")[0]) == 1
    dest = tmp_path / "backup"
    heron.cli("backup", dest)
    restored = Heron(tmp_path / "restored")
    r = subprocess.run([HERON, "--data", str(restored.data), "restore", str(dest)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    out = tmp_path / "restored.mbox"
    restored.cli("archive", "export", "--subject", "big one", "--output", out)
    got = list(mailbox.mbox(str(out)))
    assert len(got) == 1
    assert got[0].get_payload().count("line of text") == 30_000


def test_store_copy_carries_the_archive_to_postgres(tmp_path, pg_url):
    import subprocess

    from conftest import HERON, Heron
    from test_store_postgres import PgHeron
    src = Heron(tmp_path / "src")
    start(src, "incoming")
    with smtp_client(src) as s:
        s.send_message(message("small kept", "tiny\n"), to_addrs=[USER])
        s.send_message(message("large kept", "many lines\n" * 40_000), to_addrs=[USER])
    src.stop()
    before = tmp_path / "before.mbox"
    src.cli("archive", "export", "--output", before)
    r = subprocess.run([HERON, "store", "copy", "--from", str(src.data), "--to", pg_url],
                       capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stdout + r.stderr
    node = PgHeron(tmp_path / "node", pg_url)
    after = tmp_path / "after.mbox"
    node.cli("archive", "export", "--output", after)
    assert after.read_bytes() == before.read_bytes()
    assert [m["Subject"] for m in mailbox.mbox(str(after))] == ["small kept", "large kept"]
    out = node.cli("archive", "search", "--text", "MANY LINES").stdout
    assert "large kept" in out and "small kept" not in out

    # A node on PostgreSQL archives what it delivers, under the domain's own rule.
    node.cli("domain", "set", "example.test", "--archive", "all")
    assert "archive rule: all" in node.cli("domain", "show", "example.test").stdout
    node.cli("settings", "set", "archive.rule", "none")
    node.start()
    try:
        with smtp_client(node) as s:
            s.send_message(message("on postgres", "pg\n"), to_addrs=[USER])
        out = node.cli("archive", "search", "--subject", "postgres").stdout
        assert "1 shown of 1 matching" in out, out
    finally:
        node.stop()


def test_archive_page_searches_and_links_the_export(heron):
    api = start(heron, "all")
    with smtp_client(heron) as s:
        s.send_message(message("Page visible", "hello page\n"), to_addrs=[USER])
    base = f"http://127.0.0.1:{heron.admin_port}"
    page = api.http.get(f"{base}/archive", params={"subject": "visible"}, timeout=30)
    assert page.status_code == 200, page.text
    assert "Page visible" in page.text and "1 matching messages" in page.text
    assert "/api/v1/archive/export?subject=visible" in page.text
    none = api.http.get(f"{base}/archive", params={"subject": "absent"}, timeout=30)
    assert "0 matching messages" in none.text and "Page visible" not in none.text
    bad = api.http.get(f"{base}/archive", params={"since": "soon"}, timeout=30)
    assert bad.status_code == 200 and "since is a date" in bad.text
    text = api.http.get(f"{base}/archive", params={"text": "HELLO PAGE"}, timeout=30)
    assert "Page visible" in text.text
    settings = api.http.get(f"{base}/settings/archive", timeout=30)
    assert settings.status_code == 200 and "archive.retention_days" in settings.text
    domain = api.http.get(f"{base}/domains/example.test", timeout=30)
    assert 'name="archive_rule"' in domain.text
    # Not for users.
    user = Api(heron)
    assert user.login(USER, PASSWORD).status_code == 200
    assert "Page visible" not in user.http.get(f"{base}/archive", timeout=30).text
