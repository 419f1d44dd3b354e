"""The command line: settings, directory management, import, and errors."""

import os
import re
import socket
import subprocess

import pytest

from conftest import HERON, HOST, PASSWORD, USER, crlf

KEY_LINE = re.compile(r"^\W?([a-z0-9_]+(?:\.[a-z0-9_]+)+) = ")

KNOWN_DEFAULTS = {
    "pop.banner": "#HostName# Heron POP3 server ready",
    "pop.command_timeout": "300",
    "pop.max_bad_commands": "8",
    "pop.max_connections": "500",
    "log.pop": "exceptions",
    "log.retention_days": "30",
    "security.ip_blacklist": "",
}


def settings_entries(text):
    """{key: the text of its entry (key line plus the lines describing it)}."""
    entries, key = {}, None
    for line in text.splitlines():
        m = KEY_LINE.match(line)
        if m:
            key = m.group(1)
            entries[key] = line
        elif key:
            entries[key] += "\n" + line
    return entries


def test_settings_list_shows_values_defaults_and_meaning(heron):
    entries = settings_entries(heron.cli("settings", "list").stdout)
    assert len(entries) >= 30, entries.keys()
    for key, text in entries.items():
        assert "default" in text, f"{key}: no default shown"
        meaning = text.split("\n", 1)[1] if "\n" in text else ""
        assert len(re.findall(r"[A-Za-z]{3,}", meaning)) >= 3, f"{key}: no meaning shown"
    for key, default in KNOWN_DEFAULTS.items():
        assert key in entries, key
        assert f'default "{default}"' in entries[key], entries[key]
        assert f'{key} = "{default}"' in entries[key], entries[key]


def test_settings_set_get_reset(heron):
    assert heron.cli("settings", "get", "pop.command_timeout").stdout.strip() == "300"
    heron.cli("settings", "set", "pop.command_timeout", "45")
    assert heron.cli("settings", "get", "pop.command_timeout").stdout.strip() == "45"
    entry = settings_entries(heron.cli("settings", "list").stdout)["pop.command_timeout"]
    assert '"45"' in entry and 'default "300"' in entry, entry
    heron.cli("settings", "reset", "pop.command_timeout")
    assert heron.cli("settings", "get", "pop.command_timeout").stdout.strip() == "300"


@pytest.mark.parametrize("key,value", [
    ("pop.max_connections", "abc"),
    ("pop.command_timeout", "-5"),
    ("log.pop", "loud"),
    ("security.ip_blacklist", "not-an-ip pop3"),
    ("bind.listeners", "pop3 tls nowhere"),
    ("pop.banner", "two\nlines"),
])
def test_settings_set_invalid_value(heron, key, value):
    r = heron.cli("settings", "set", "--", key, value, check=False)
    assert r.returncode != 0
    assert key in r.stderr, r.stderr
    assert heron.cli("settings", "get", key).stdout.strip() != value


def test_listeners_only_for_protocols_this_version_serves(heron):
    """LDAP and XMPP are not served yet: the defaults have no such listener and an entry
    naming one is refused with the reason, leaving the listeners as they were."""
    before = heron.cli("settings", "get", "bind.listeners").stdout.strip()
    for proto in ("smtp", "submission", "pop3", "imap"):
        assert f"{proto} " in before, before
    assert "ldap" not in before and "xmpp" not in before, before
    for entry in ("ldap none 127.0.0.1:3389", "xmpp starttls 127.0.0.1:5223"):
        r = heron.cli("settings", "set", "bind.listeners", f"{before}, {entry}", check=False)
        assert r.returncode != 0
        assert "not served by this version" in r.stderr, r.stderr
    assert heron.cli("settings", "get", "bind.listeners").stdout.strip() == before
    listed = heron.cli("settings", "list").stdout
    for gone in ("ldap.", "xmpp.", "log.ldap", "log.xmpp"):
        assert gone not in listed, gone


@pytest.mark.parametrize("args", [("get", "no.such.key"), ("set", "no.such.key", "1"),
                                  ("reset", "no.such.key")])
def test_settings_unknown_key(heron, args):
    r = heron.cli("settings", *args, check=False)
    assert r.returncode != 0
    assert "no.such.key" in r.stderr and "unknown" in r.stderr.lower(), r.stderr


def test_weak_passwords_list_broken_rules(heron):
    heron.cli("domain", "add", "example.test")
    r = heron.cli("user", "add", USER, "--password", "abc", check=False)
    assert r.returncode != 0
    assert "8" in r.stderr and "digit" in r.stderr, r.stderr
    r = heron.cli("user", "add", USER, "--password", "ALICE12345", check=False)
    assert r.returncode != 0 and "lower" in r.stderr, r.stderr
    r = heron.cli("user", "add", USER, "--password", "alice2024x", check=False)
    assert r.returncode != 0 and "user name" in r.stderr, r.stderr
    assert USER not in heron.cli("user", "list", "example.test").stdout


def test_domains_and_users(heron):
    heron.cli("domain", "add", "example.test")
    r = heron.cli("domain", "add", "example.test", check=False)
    assert r.returncode != 0 and "example.test" in r.stderr, r.stderr
    assert "example.test" in heron.cli("domain", "list").stdout

    r = heron.cli("user", "add", "x@unknown.test", "--password", PASSWORD, check=False)
    assert r.returncode != 0 and "unknown.test" in r.stderr, r.stderr
    heron.cli("user", "add", USER, "--password", PASSWORD)
    r = heron.cli("user", "add", USER, "--password", PASSWORD, check=False)
    assert r.returncode != 0 and USER in r.stderr, r.stderr
    assert USER in heron.cli("user", "list", "example.test").stdout

    heron.cli("alias", "add", "info@example.test", USER)
    heron.cli("user", "delete", USER)
    assert USER not in heron.cli("user", "list", "example.test").stdout
    r = heron.cli("user", "delete", USER, check=False)
    assert r.returncode != 0 and USER in r.stderr, r.stderr

    r = heron.cli("domain", "delete", "example.test", check=False)
    assert r.returncode != 0 and "--yes" in r.stderr, r.stderr
    assert "example.test" in heron.cli("domain", "list").stdout
    heron.cli("domain", "delete", "example.test", "--yes")
    assert "example.test" not in heron.cli("domain", "list").stdout


def test_data_dir_from_environment(heron):
    heron.init()
    env = dict(os.environ, HERON_DATA=str(heron.data))
    subprocess.run([HERON, "domain", "add", "env.test"], check=True, env=env,
                   capture_output=True, stdin=subprocess.DEVNULL, timeout=60)
    assert "env.test" in heron.cli("domain", "list").stdout


def test_import_errors(heron, tmp_path):
    heron.cli("domain", "add", "example.test")
    heron.cli("user", "add", USER, "--password", PASSWORD)
    missing = tmp_path / "missing.mbox"
    r = heron.cli("import", USER, missing, check=False)
    assert r.returncode != 0 and str(missing) in r.stderr, r.stderr

    not_maildir = tmp_path / "not-a-maildir"
    (not_maildir / "sub").mkdir(parents=True)
    r = heron.cli("import", USER, not_maildir, check=False)
    assert r.returncode != 0 and str(not_maildir) in r.stderr, r.stderr

    eml = tmp_path / "one.eml"
    eml.write_bytes(b"Subject: x\n\nbody\n")
    r = heron.cli("import", "nobody@example.test", eml, check=False)
    assert r.returncode != 0 and "nobody@example.test" in r.stderr, r.stderr


def test_import_eml_and_maildir(server, tmp_path):
    eml = tmp_path / "single.eml"
    eml_bytes = b"Subject: single\nMessage-ID: <eml@blackbox.test>\n\nline one\n.line two\n"
    eml.write_bytes(eml_bytes)
    maildir = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True)
    md = [b"Subject: md%d\r\nMessage-ID: <md%d@blackbox.test>\r\n\r\nbody %d\r\n" % (i, i, i)
          for i in range(3)]
    (maildir / "new" / "1700000000.1.host").write_bytes(md[0])
    (maildir / "cur" / "1700000001.2.host:2,S").write_bytes(md[1])
    (maildir / "cur" / "1700000002.3.host:2,").write_bytes(md[2])

    server.cli("import", USER, eml)
    server.cli("import", USER, maildir)
    p = server.login()
    assert p.stat() == (4, sum(len(crlf(m)) for m in [eml_bytes, *md]))
    bodies = [b"\r\n".join(p.retr(i)[1]) + b"\r\n" for i in range(1, 5)]
    p.quit()
    assert crlf(eml_bytes) in bodies
    assert sorted(bodies) == sorted([crlf(eml_bytes), *md])


def test_serve_on_busy_port_fails_clearly(heron):
    with socket.socket() as busy:
        busy.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        busy.bind((HOST, heron.pop3_port))
        busy.listen()
        r = subprocess.run(heron.serve_args(), capture_output=True, text=True, timeout=60,
                           stdin=subprocess.DEVNULL)
    assert r.returncode != 0
    assert str(heron.pop3_port) in r.stderr, r.stderr
    assert "--port-offset" in r.stderr, r.stderr
