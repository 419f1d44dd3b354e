"""testssl.sh (Debian's package) against a running server: implicit TLS on submission (465),
IMAP (993) and POP3 (995), STARTTLS on submission (587), and the admin listener's HTTPS.
No finding of severity MEDIUM or above is allowed except those that come from the
certificate being the self-signed one (no chain of trust, hence no revocation source)."""

import json
import os
import shutil
import subprocess
import threading

import pytest

from admin_api import wait_for_api
from conftest import HOST

TESTSSL = shutil.which("testssl") or shutil.which("testssl.sh")

# Severities that fail the test.
FAILING = {"MEDIUM", "HIGH", "CRITICAL"}

# Findings allowed, by id, with the text they must carry: the self-signed certificate is not
# trusted (chain of trust), and a self-signed certificate has no CRL or OCSP address.
SELF_SIGNED = {
    "cert_chain_of_trust": "self signed",
    "cert_revocation": "Neither CRL nor OCSP URI provided",
}

# Checks: protocols, server cipher order, forward secrecy, vulnerabilities, server defaults
# (certificate, renegotiation, resumption); -h (HTTP headers, BREACH's HTTP part) for HTTPS.
CHECKS = ["-p", "-P", "-f", "-U", "-S"]
OPTIONS = ["--quiet", "--warnings", "off", "--color", "0", "--ip", "one",
           "--openssl-timeout", "5", "--connect-timeout", "5", "--sneaky"]


def scan(name, target, extra, out_dir, results):
    jsonfile = out_dir / f"{name}.json"
    cmd = [TESTSSL, *OPTIONS, *CHECKS, *extra, "--jsonfile", str(jsonfile), target]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=240,
                           stdin=subprocess.DEVNULL)
        log = r.stdout + r.stderr
    except subprocess.TimeoutExpired as e:
        log = f"timed out: {e}"
    try:
        findings = json.loads(jsonfile.read_text())
    except (OSError, ValueError) as e:
        findings = None
        log += f"\nno JSON output: {e}"
    results[name] = (findings, log)


def problems(findings):
    """The findings of severity MEDIUM or above that are not allowed."""
    bad = []
    for f in findings:
        if f.get("severity") not in FAILING:
            continue
        fid = f.get("id", "").split(" ")[0]
        allowed = SELF_SIGNED.get(fid)
        if allowed is not None and allowed in f.get("finding", ""):
            continue
        bad.append(f"{f.get('severity')} {f.get('id')}: {f.get('finding')}")
    return bad


def test_no_medium_or_worse_findings(server, tmp_path):
    if TESTSSL is None:
        if os.environ.get("CI"):
            pytest.fail("testssl.sh is not installed (scripts/test.sh installs it)")
        pytest.skip("testssl.sh is not installed")
    wait_for_api(server)
    o = server.offset
    targets = {
        "submissions": (f"{HOST}:{465 + o}", []),
        "submission-starttls": (f"{HOST}:{587 + o}", ["--starttls", "smtp"]),
        "imaps": (f"{HOST}:{993 + o}", []),
        "pop3s": (f"{HOST}:{995 + o}", []),
        "admin-https": (f"https://{HOST}:{server.admin_port}/", ["-h"]),
    }
    results = {}
    threads = [threading.Thread(target=scan, args=(n, t, x, tmp_path, results))
               for n, (t, x) in targets.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    report = []
    for name in targets:
        findings, log = results.get(name, (None, "no result"))
        if not findings:
            report.append(f"{name}: testssl gave no findings\n{log[-3000:]}")
            continue
        ids = {f.get("id", "").split(" ")[0] for f in findings}
        # The scan reached the server: protocols and certificate were looked at.
        for needed in ("TLS1_2", "TLS1_3", "cert_chain_of_trust"):
            if needed not in ids:
                report.append(f"{name}: no {needed} finding (scan incomplete?)\n{log[-3000:]}")
        report.extend(f"{name}: {p}" for p in problems(findings))
        by_id = {f["id"]: f for f in findings if "id" in f}
        for old in ("SSLv2", "SSLv3", "TLS1", "TLS1_1"):
            if old in by_id:
                assert "not offered" in by_id[old]["finding"], (name, by_id[old])
    assert not report, "\n".join(report)


def test_problems_allow_only_the_self_signed_findings():
    findings = [
        {"id": "cert_chain_of_trust", "severity": "CRITICAL", "finding": "failed (self signed)."},
        {"id": "cert_revocation", "severity": "HIGH",
         "finding": "Neither CRL nor OCSP URI provided"},
        {"id": "cert_chain_of_trust", "severity": "CRITICAL", "finding": "failed (expired)."},
        {"id": "BREACH", "severity": "MEDIUM", "finding": "potentially VULNERABLE"},
        {"id": "HSTS", "severity": "LOW", "finding": "not offered"},
    ]
    assert problems(findings) == [
        "CRITICAL cert_chain_of_trust: failed (expired).",
        "MEDIUM BREACH: potentially VULNERABLE",
    ]
