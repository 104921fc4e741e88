#!/usr/bin/env bash
# A local PostgreSQL cluster for a DuckLake catalog (README "Scaling out"; the lake tests).
#
#   scripts/postgres.sh start DATA_DIR [PORT] [DBNAME]   init (first time), start on 127.0.0.1, create DBNAME
#   scripts/postgres.sh stop DATA_DIR
#   scripts/postgres.sh status DATA_DIR
#
# Defaults: PORT 5433, DBNAME ducklake_catalog. The cluster trusts local connections as the
# role `postgres` and listens on 127.0.0.1 only (its socket is in DATA_DIR): it is for tests
# and for trying the lake on one machine, not a production catalog. Run as root, the server
# runs as the `postgres` user (PostgreSQL refuses to run as root); otherwise as the caller.
# Needs Debian's `postgresql` package (initdb, pg_ctl from /usr/lib/postgresql/*/bin or PATH).
set -euo pipefail

usage() {
    echo "usage: $0 start|stop|status DATA_DIR [PORT] [DBNAME]" >&2
    exit 2
}
[ $# -ge 2 ] || usage
action=$1
data=$(realpath -m "$2")
port=${3:-5433}
dbname=${4:-ducklake_catalog}

bindir=""
for candidate in /usr/lib/postgresql/*/bin; do
    [ -x "$candidate/pg_ctl" ] && bindir=$candidate
done
if [ -z "$bindir" ]; then
    if command -v pg_ctl >/dev/null 2>&1; then
        bindir=$(dirname "$(command -v pg_ctl)")
    else
        echo "PostgreSQL is not installed: install Debian's postgresql package" \
            "(apt-get install postgresql) and run this again." >&2
        exit 1
    fi
fi

# As root, run the server tools as `postgres` (PostgreSQL refuses to run as root).
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

case "$action" in
start)
    if [ ! -f "$data/PG_VERSION" ]; then
        mkdir -p "$data"
        [ "$(id -u)" -eq 0 ] && chown postgres: "$data"
        chmod 700 "$data"
        as_owner "$bindir/initdb" -D "$data" -A trust -U postgres -E UTF8 --no-sync >/dev/null
    fi
    if ! as_owner "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; then
        as_owner "$bindir/pg_ctl" -D "$data" -w -t 60 -l "$data/server.log" \
            -o "-p $port -k $data -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" \
            start >/dev/null
    fi
    if ! as_owner "$bindir/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -tAc \
        "select 1 from pg_database where datname = '$dbname'" | grep -q 1; then
        as_owner "$bindir/createdb" -h 127.0.0.1 -p "$port" -U postgres "$dbname"
    fi
    echo "postgres:dbname=$dbname host=127.0.0.1 port=$port user=postgres"
    ;;
stop)
    if [ -f "$data/PG_VERSION" ] && as_owner "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; then
        as_owner "$bindir/pg_ctl" -D "$data" -w -m fast stop >/dev/null
    fi
    ;;
status)
    as_owner "$bindir/pg_ctl" -D "$data" status
    ;;
*)
    usage
    ;;
esac
