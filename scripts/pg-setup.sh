#!/usr/bin/env bash
# Set up PostgreSQL + PostGIS for the test suite and print the database URL.
#
# Run as root on Debian 12 (CI does so with CI=true and no terminal).
# Idempotent: installs postgresql-15-postgis-3 only when missing, starts the
# cluster only when it is not running, lets the test database be reached
# without a password by any local OS user, and recreates the database
# `zonewatch_test` from scratch with the postgis extension. The last line on
# stdout is `export ZONEWATCH_TEST_PG=...`; everything else goes to stderr,
# so callers can `eval "$(bash scripts/pg-setup.sh | tail -n 1)"`.
set -euo pipefail

PG_PACKAGE="postgresql-15-postgis-3"
PG_CLUSTER="${PG_CLUSTER:-main}"
PG_PORT="${PG_PORT:-5432}"
PG_SOCKET_DIR="/var/run/postgresql"
DB_NAME="${ZONEWATCH_TEST_DB:-zonewatch_test}"

log() { echo "pg-setup: $*" >&2; }

as_postgres() {
    # Peer authentication lets the postgres OS user in on a fresh cluster.
    runuser -u postgres -- "$@"
}

psql_admin() {
    as_postgres psql -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCKET_DIR" -p "$PG_PORT" "$@"
}

install_postgis() {
    if dpkg-query -W -f='${Status}' "$PG_PACKAGE" 2>/dev/null | grep -q "ok installed"; then
        return
    fi
    log "installing $PG_PACKAGE"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends "$PG_PACKAGE" postgresql-15 >&2
}

pg_version() {
    # The newest major version with a cluster directory; 15 (the package's) if none yet.
    local newest=""
    if [ -d /etc/postgresql ]; then
        newest="$(ls /etc/postgresql | sort -n | tail -n 1)"
    fi
    echo "${newest:-15}"
}

start_cluster() {
    local version="$1"
    if ! pg_lsclusters -h | awk -v v="$version" -v c="$PG_CLUSTER" '$1 == v && $2 == c' | grep -q .; then
        log "creating cluster $version/$PG_CLUSTER"
        pg_createcluster "$version" "$PG_CLUSTER" --port "$PG_PORT" >&2
    fi
    # An existing cluster keeps its own port.
    PG_PORT="$(pg_lsclusters -h | awk -v v="$version" -v c="$PG_CLUSTER" '$1 == v && $2 == c {print $3}')"
    if ! pg_ctlcluster "$version" "$PG_CLUSTER" status >/dev/null 2>&1; then
        log "starting cluster $version/$PG_CLUSTER"
        pg_ctlcluster --skip-systemctl-redirect "$version" "$PG_CLUSTER" start >&2
    fi
    for _ in $(seq 1 60); do
        if pg_isready -q -h "$PG_SOCKET_DIR" -p "$PG_PORT"; then
            return
        fi
        sleep 1
    done
    log "PostgreSQL $version/$PG_CLUSTER did not become ready on port $PG_PORT"
    exit 1
}

allow_local_trust() {
    # Debian's default is peer authentication, so root could not log in as
    # postgres. Trust only the test database over the local socket; the first
    # matching pg_hba.conf line wins, so the rule goes above the others.
    local version="$1"
    local hba="/etc/postgresql/$version/$PG_CLUSTER/pg_hba.conf"
    local rule="local   $DB_NAME   postgres   trust   # zonewatch test database"
    if grep -qF "$rule" "$hba"; then
        return
    fi
    log "allowing password-less local connections to $DB_NAME in $hba"
    { echo "$rule"; cat "$hba"; } >"$hba.zonewatch"
    cat "$hba.zonewatch" >"$hba"
    rm -f "$hba.zonewatch"
    psql_admin -d postgres -c "SELECT pg_reload_conf()" >/dev/null
}

create_database() {
    log "recreating database $DB_NAME"
    psql_admin -d postgres -c "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)"
    psql_admin -d postgres -c "CREATE DATABASE $DB_NAME OWNER postgres"
    psql_admin -d "$DB_NAME" -c "CREATE EXTENSION postgis"
}

main() {
    if [ "$(id -u)" -ne 0 ]; then
        log "run me as root (I may install packages and edit pg_hba.conf)"
        exit 1
    fi
    install_postgis
    local version
    version="$(pg_version)"
    start_cluster "$version"
    allow_local_trust "$version"
    create_database
    local url="postgresql://postgres@/$DB_NAME?host=$PG_SOCKET_DIR&port=$PG_PORT"
    # Prove the URL works for whoever runs the tests (root here, or postgres).
    psql -X -q -At "$url" -c "SELECT postgis_lib_version()" >/dev/null
    as_postgres psql -X -q -At "$url" -c "SELECT 1" >/dev/null
    echo "export ZONEWATCH_TEST_PG='$url'"
}

main "$@"
