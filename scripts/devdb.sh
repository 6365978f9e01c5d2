#!/usr/bin/env bash
# The embedded default database of `make run`: a throwaway PostgreSQL cluster in
# .run/ (git-ignored), created once, started on demand, loaded with conf/demo.sql.
#   scripts/devdb.sh start | stop | status
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
run="$top/.run"
data="$run/pgdata"
port="${PGRESTD_DEMO_PORT:-54329}"
bindir="${PG_BIN:-/usr/lib/postgresql/15/bin}"

as_pg() {
  # PostgreSQL refuses to run as root: use the postgres account then.
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-start}" in
start)
  mkdir -p "$run"
  if [ ! -s "$data/PG_VERSION" ]; then
    echo "devdb: creating a cluster in $data (port $port)"
    [ "$(id -u)" = 0 ] && chown postgres: "$run"
    as_pg "$bindir/initdb" -D "$data" -U postgres --auth=trust --encoding=UTF8 --no-locale >"$run/initdb.log"
    cat >>"$data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$run'
max_connections = 100
CONF
    fresh=1
  fi
  if ! as_pg "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    as_pg "$bindir/pg_ctl" -D "$data" -l "$run/postgres.log" -w start >/dev/null
  fi
  if [ -n "${fresh:-}" ]; then
    as_pg "$bindir/psql" -h 127.0.0.1 -p "$port" -U postgres -qc "CREATE DATABASE demo"
    as_pg "$bindir/psql" -h 127.0.0.1 -p "$port" -U postgres -d demo -q -v ON_ERROR_STOP=1 -f "$top/conf/demo.sql" >/dev/null
    echo "devdb: loaded conf/demo.sql into database demo"
  elif [ "$(as_pg "$bindir/psql" -h 127.0.0.1 -p "$port" -U postgres -d demo -tAc \
            "SELECT to_regnamespace('pgrestd_live') IS NULL")" = t ]; then
    # A cluster made before the demo had live endpoints: add their change capture.
    as_pg "$bindir/psql" -h 127.0.0.1 -p "$port" -U postgres -d demo -q -v ON_ERROR_STOP=1 -f "$top/conf/demo-live.sql" >/dev/null
    echo "devdb: loaded conf/demo-live.sql into database demo"
  fi
  echo "devdb: PostgreSQL running on 127.0.0.1:$port (logs: $run/postgres.log)"
  ;;
stop)
  if [ -s "$data/PG_VERSION" ]; then as_pg "$bindir/pg_ctl" -D "$data" -m fast stop || true; fi
  ;;
status)
  as_pg "$bindir/pg_ctl" -D "$data" status
  ;;
*)
  echo "usage: $0 start|stop|status" >&2; exit 2
  ;;
esac
