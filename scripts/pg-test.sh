#!/usr/bin/env bash
# Runs heron-store's PostgreSQL tests (the store suite and the shared-database checks). With
# HERON_TEST_PG set, against that server; otherwise against a private cluster from Debian's
# packages (installed when missing) on a free port of 127.0.0.1, removed at exit.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi
}

if [ -z "${HERON_TEST_PG:-}" ]; then
    pg_bin() { find /usr/lib/postgresql -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1; }
    if [ -z "$(pg_bin)" ]; then
        echo "installing postgresql"
        as_root apt-get update -qq
        DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq postgresql >/dev/null
    fi
    bin=$(pg_bin)
    dir=$(mktemp -d "${TMPDIR:-/tmp}/heron-pg.XXXXXX")
    # PostgreSQL refuses to run as root: the cluster belongs to the postgres account then.
    as_pg() { if [ "$(id -u)" -eq 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }
    [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    as_pg "'$bin/initdb' -D '$dir/data' -A trust -U postgres -E UTF8 --locale=C.UTF-8" >/dev/null
    as_pg "'$bin/pg_ctl' -D '$dir/data' -l '$dir/log' -w \
        -o \"-p $port -k '$dir' -c listen_addresses=127.0.0.1 -c max_connections=300\" start" >/dev/null
    stop() {
        as_pg "'$bin/pg_ctl' -D '$dir/data' -m fast -w stop" >/dev/null || true
        rm -rf "$dir"
    }
    trap stop EXIT
    export HERON_TEST_PG="postgres://postgres@127.0.0.1:$port/postgres"
fi

echo "PostgreSQL for the store tests: $HERON_TEST_PG"
cargo test -p heron-store --features postgres --locked --lib --test pg_suite
