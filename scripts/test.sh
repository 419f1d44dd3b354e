#!/usr/bin/env bash
# Runs every test of the project: the Rust unit/integration tests, then the
# black-box tests that drive the built `heron` binary with real clients.
# Works from a fresh clone, without a terminal, as root or with sudo.
set -euo pipefail

cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

section() { printf '\n==== %s ====\n' "$*"; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi
}

section "Test dependencies"
if ! command -v fetchmail >/dev/null 2>&1 || ! command -v swaks >/dev/null 2>&1 \
    || ! command -v mbsync >/dev/null 2>&1 || ! command -v neomutt >/dev/null 2>&1; then
    echo "installing fetchmail, swaks, isync (mbsync) and neomutt"
    as_root apt-get update -qq
    as_root apt-get install -y -qq fetchmail swaks isync neomutt >/dev/null
fi
# SpamAssassin's spamd and ClamAV's clamd (and clamscan) for the filtering tests
# (test_filter_daemons.py): private daemons with the shipped rules and a test signature.
if ! command -v spamd >/dev/null 2>&1 || ! command -v clamd >/dev/null 2>&1 \
    || ! command -v clamscan >/dev/null 2>&1; then
    echo "installing spamassassin, spamd, clamav-daemon and clamav"
    as_root apt-get update -qq
    as_root apt-get install -y -qq spamassassin spamd clamav-daemon clamav >/dev/null
fi
# Dovecot's imaptest (tests/imaptest, its scripted suite in test_imaptest_suite.py) is built
# from source on first use against Debian's dovecot-dev.
if [ ! -e /usr/lib/dovecot/dovecot-config ] || [ ! -e /usr/lib/dovecot/libdovecot.so ] \
    || [ ! -e /usr/include/openssl/ssl.h ] \
    || ! command -v autoreconf >/dev/null 2>&1 || ! command -v libtoolize >/dev/null 2>&1 \
    || ! command -v pkg-config >/dev/null 2>&1 || ! command -v cc >/dev/null 2>&1; then
    # dovecot-core holds libdovecot.so, which imaptest links against (dovecot-dev alone
    # does not bring it).
    echo "installing imaptest's build packages (dovecot-dev, dovecot-core, build-essential, autoconf, automake, libtool, pkg-config, libssl-dev)"
    as_root apt-get update -qq
    as_root apt-get install -y -qq dovecot-dev dovecot-core build-essential autoconf automake \
        libtool pkg-config libssl-dev >/dev/null
fi
# Pebble, a small ACME certificate authority for testing, for the ACME tests (test_acme.py).
if ! command -v pebble >/dev/null 2>&1; then
    echo "installing pebble"
    as_root apt-get update -qq
    as_root apt-get install -y -qq pebble >/dev/null
fi
# testssl.sh scans the TLS listeners and the admin HTTPS port (test_testssl.py).
if ! command -v testssl >/dev/null 2>&1; then
    as_root apt-get update -qq
    as_root apt-get install -y -qq testssl.sh >/dev/null
fi
# systemd-analyze checks the service unit (tests/blackbox/test_service_unit.py).
if ! command -v systemd-analyze >/dev/null 2>&1; then
    echo "installing systemd (systemd-analyze)"
    as_root apt-get update -qq
    as_root apt-get install -y -qq systemd >/dev/null
fi
# DANE through real DNSSEC (test_outbound_dane_dnssec.py): ldns-keygen/ldns-signzone sign a
# zone, NSD serves it, unbound validates it; the test runs private instances of both, so the
# system services the packages install are kept from starting (policy-rc.d) and disabled.
if ! PATH="$PATH:/usr/sbin:/sbin" command -v unbound >/dev/null 2>&1 \
    || ! PATH="$PATH:/usr/sbin:/sbin" command -v nsd >/dev/null 2>&1 \
    || ! command -v ldns-signzone >/dev/null 2>&1; then
    echo "installing unbound, nsd and ldnsutils"
    as_root apt-get update -qq
    no_start=""
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        no_start=/usr/sbin/policy-rc.d
        printf '#!/bin/sh\nexit 101\n' | as_root tee "$no_start" >/dev/null
        as_root chmod 755 "$no_start"
    fi
    installed=0
    as_root apt-get install -y -qq unbound nsd ldnsutils >/dev/null || installed=$?
    if [ -n "$no_start" ]; then as_root rm -f "$no_start"; fi
    [ "$installed" -eq 0 ] || exit "$installed"
    if [ -d /run/systemd/system ]; then
        as_root systemctl disable --now unbound nsd >/dev/null 2>&1 || true
    fi
fi
# Python modules of tests/blackbox/requirements.txt (pytest, pytest-xdist, dnslib, aiosmtpd, dkimpy, PyNaCl,
# requests, openapi-spec-validator, IMAPClient, prometheus-client).
if ! python3 -c 'import pytest, xdist, dnslib, aiosmtpd, dkim, nacl, requests, openapi_spec_validator, imapclient, prometheus_client' >/dev/null 2>&1; then
    echo "installing the black-box test requirements"
    pip_install=(python3 -m pip install -q --disable-pip-version-check -r tests/blackbox/requirements.txt)
    # A system Python managed by the OS refuses plain pip installs (PEP 668).
    "${pip_install[@]}" || "${pip_install[@]}" --break-system-packages
fi
# Outbound TLS policy tests: the cryptography module makes their test certificate authority.
if ! python3 -c 'import cryptography' >/dev/null 2>&1; then
    echo "installing cryptography for the TLS policy tests"
    crypto_install=(python3 -m pip install -q --disable-pip-version-check cryptography==48.0.0)
    "${crypto_install[@]}" || "${crypto_install[@]}" --break-system-packages
fi
# Schemathesis (fuzzes the admin API from its OpenAPI document) wants a newer pytest than the
# one pinned above, so it lives in a virtual environment of its own.
schemathesis_env="${TMPDIR:-/tmp}/heron-test-schemathesis"
if [ ! -x "$schemathesis_env/bin/schemathesis" ]; then
    echo "installing schemathesis into $schemathesis_env"
    python3 -m venv "$schemathesis_env"
    "$schemathesis_env/bin/pip" install -q --disable-pip-version-check -r tests/blackbox/requirements-schemathesis.txt
fi
export HERON_SCHEMATHESIS="$schemathesis_env/bin/schemathesis"
# Browser tests of the admin pages: Debian's Chromium driven by playwright-core (npm; its own
# browser download is not used).
# Only what is missing is installed: a Node.js from another source ships its own npm, which
# Debian's npm package conflicts with.
browser_packages=()
command -v chromium >/dev/null 2>&1 || browser_packages+=(chromium)
command -v node >/dev/null 2>&1 || browser_packages+=(nodejs)
command -v npm >/dev/null 2>&1 || browser_packages+=(npm)
if [ ${#browser_packages[@]} -gt 0 ]; then
    echo "installing ${browser_packages[*]}"
    as_root apt-get update -qq
    as_root apt-get install -y -qq "${browser_packages[@]}" >/dev/null
fi
if [ ! -d tests/browser/node_modules/playwright-core ]; then
    echo "installing playwright-core (tests/browser)"
    (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
fi
echo "chromium:  $(command -v chromium)"
echo "fetchmail: $(command -v fetchmail)"
echo "swaks:     $(command -v swaks)"
echo "spamd:     $(command -v spamd)"
echo "clamd:     $(command -v clamd)"
echo "pytest:    $(python3 -c 'import pytest; print(pytest.__version__)')"

df -h . | tail -n 1 | awk '{ print "disk: " $4 " free" }'

section "Build (cargo build --workspace --locked)"
cargo build --workspace --locked

section "Rust tests"
if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --workspace --locked
else
    cargo test --workspace --locked
fi

section "Store tests on PostgreSQL"
# The store suite against PostgreSQL (feature `postgres`, not in the workspace build above): a
# private cluster from Debian's packages, or the server HERON_TEST_PG names.
scripts/pg-test.sh

section "Fuzz targets (${HERON_FUZZ_SECONDS:-30} s each)"
# Every cargo-fuzz target of crates/*/fuzz on its corpus, one at a time; any crash, timeout
# or out-of-memory input fails the run (bench/fuzz prints where the input was written).
# Stable Rust: bench/fuzz sets RUSTC_BOOTSTRAP=1 for cargo-fuzz's sanitizer flags. Cost from
# nothing on 2 cores: about 7 minutes of build (unoptimised, --dev, is the cheapest) plus
# HERON_FUZZ_SECONDS per target; 30 s (the default) makes the section about 13 minutes.
# `bench/fuzz 30` is the long release run.
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi
fuzz_start=$(date +%s)
bench/fuzz --dev --seconds "${HERON_FUZZ_SECONDS:-30}"
echo "fuzz section: $(($(date +%s) - fuzz_start)) s"
if [ -n "${CI:-}" ]; then
    # The sanitizer builds take several GB that the black-box tests do not need.
    rm -rf target/fuzz
fi
df -h . | tail -n 1 | awk '{ print "disk: " $4 " free" }'

section "Black-box tests (tests/blackbox)"
export HERON_BIN="$PWD/target/debug/heron"
parallel=()
if python3 -c 'import xdist' >/dev/null 2>&1; then
    parallel=(-n auto)
fi
python3 -m pytest tests/blackbox -q "${parallel[@]}"
