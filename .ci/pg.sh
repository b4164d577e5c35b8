#!/usr/bin/env bash
# Starts (or stops) a PostgreSQL cluster for development and prints the URL to use, e.g.
#   eval "$(.ci/pg.sh start)"   # exports IAMD_TEST_DATABASE_URL; tests then reuse this server
#   .ci/pg.sh stop
# The cluster lives in ${PGDEV_DIR:-/tmp/iamd-pgdev}, listens on 127.0.0.1:${PGDEV_PORT:-55432} and trusts
# local connections: for tests and development only. Runs the server as the postgres user when root.
set -euo pipefail
dir=${PGDEV_DIR:-/tmp/iamd-pgdev}
port=${PGDEV_PORT:-55432}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$bin" ]; then bin=$(dirname "$(command -v pg_ctl || echo /nonexistent/pg_ctl)"); fi
[ -x "$bin/pg_ctl" ] || { echo "PostgreSQL not installed: apt-get install postgresql" >&2; exit 1; }
as=()
if [ "$(id -u)" = 0 ]; then as=(runuser -u postgres --); fi

case "${1:-start}" in
start)
  if [ ! -d "$dir/data" ]; then
    mkdir -p "$dir"
    [ ${#as[@]} -gt 0 ] && chown postgres: "$dir"
    chmod 700 "$dir"
    "${as[@]}" "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-locale >/dev/null
  fi
  if ! "${as[@]}" "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=200" start >/dev/null
  fi
  echo "export IAMD_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
  ;;
stop)
  "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null && echo "stopped"
  ;;
*)
  echo "usage: $0 start|stop" >&2; exit 2
  ;;
esac
