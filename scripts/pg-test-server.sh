#!/usr/bin/env bash
# A throwaway PostgreSQL server for tests. Never touches the system's default cluster.
#
#   scripts/pg-test-server.sh start DIR   fresh cluster in DIR/data, 127.0.0.1 on a free port,
#                                         unix socket in DIR, trust auth, fsync off, database
#                                         kiln_test; writes its URI to DIR/uri
#   scripts/pg-test-server.sh stop DIR    stops that server and removes DIR
#
# `start` on a DIR that already holds a server stops and removes it first. Run as root, the server
# runs as the `postgres` system user (initdb refuses root) and DIR is owned by it; otherwise it
# runs as the current user. PG_BINDIR overrides where initdb/pg_ctl are found (default: the newest
# /usr/lib/postgresql/*/bin, then PATH). PG_START_TIMEOUT (seconds, default 30) bounds the wait.
set -euo pipefail

die() {
  echo "pg-test-server: $*" >&2
  exit 1
}

usage() {
  echo "usage: $0 start|stop DIR" >&2
  exit 2
}

[[ $# -eq 2 ]] || usage
action=$1
dir=$2
[[ -n "$dir" && "$dir" != "/" ]] || die "expected a directory for the test server, found '$dir'"
mkdir -p "$(dirname "$dir")"
dir="$(cd "$(dirname "$dir")" && pwd)/$(basename "$dir")"
data="$dir/data"
log="$dir/server.log"

find_bindir() {
  if [[ -n "${PG_BINDIR:-}" ]]; then
    [[ -x "$PG_BINDIR/pg_ctl" ]] || die "PG_BINDIR=$PG_BINDIR has no pg_ctl"
    echo "$PG_BINDIR"
    return
  fi
  local newest
  newest=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [[ -n "$newest" && -x "$newest/pg_ctl" ]]; then
    echo "$newest"
  elif command -v pg_ctl >/dev/null 2>&1; then
    dirname "$(command -v pg_ctl)"
  else
    die "expected PostgreSQL server binaries (initdb, pg_ctl) under /usr/lib/postgresql/*/bin" \
      "or on PATH, found none; install the 'postgresql' package"
  fi
}
bindir=$(find_bindir)

# Runs a command as the user that owns the cluster.
if [[ $(id -u) -eq 0 ]]; then
  id postgres >/dev/null 2>&1 || die "running as root needs the 'postgres' system user to own" \
    "the cluster (initdb refuses root); no such user"
  as_owner() { (cd / && runuser -u postgres -- "$@"); }
else
  as_owner() { "$@"; }
fi

server_running() {
  [[ -f "$data/PG_VERSION" ]] && as_owner "$bindir/pg_ctl" status -D "$data" >/dev/null 2>&1
}

stop_server() {
  if server_running; then
    as_owner "$bindir/pg_ctl" stop -D "$data" -m fast -w -t 30 >/dev/null ||
      die "pg_ctl stop failed for $data"
  fi
  rm -rf "$dir"
}

port_in_use() {
  # Something already accepts connections on 127.0.0.1:$1.
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
  return 1
}

pick_port() {
  local port
  for _ in $(seq 1 50); do
    port=$((20000 + RANDOM % 40000))
    port_in_use "$port" || {
      echo "$port"
      return
    }
  done
  die "expected a free port on 127.0.0.1 in 20000-59999, found none in 50 tries"
}

start_server() {
  stop_server
  mkdir -p "$dir"
  if [[ $(id -u) -eq 0 ]]; then chown postgres: "$dir"; fi
  as_owner test -w "$dir" || die "expected $dir to be writable by $(as_owner id -un)," \
    "found it is not (check the permissions of its parent directories)"

  as_owner "$bindir/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
    --no-sync >"$dir/initdb.log" 2>&1 || {
    cat "$dir/initdb.log" >&2
    die "initdb failed for $data (output above)"
  }
  # A unix socket path is limited to 107 bytes; clients here use TCP, so a deep DIR goes without.
  local socket_dir=$dir
  if ((${#dir} + 18 > 107)); then socket_dir=''; fi
  cat >>"$data/postgresql.conf" <<EOF

# pg-test-server.sh: throwaway test data.
listen_addresses = '127.0.0.1'
unix_socket_directories = '$socket_dir'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 50
EOF

  local timeout=${PG_START_TIMEOUT:-30} port attempt
  for attempt in 1 2 3; do
    port=$(pick_port)
    if as_owner "$bindir/pg_ctl" start -D "$data" -l "$log" -w -t "$timeout" \
      -o "-p $port" >/dev/null 2>&1; then
      break
    fi
    # Lost a race for the port, or a real failure: the log says which. Each try gets a fresh log.
    if ! grep -q "could not bind\|Address already in use" "$log" 2>/dev/null || [[ $attempt -eq 3 ]]; then
      echo "---- $log ----" >&2
      cat "$log" >&2 || true
      die "expected the server in $data to start within ${timeout}s on port $port, it did not" \
        "(server log above)"
    fi
    mv "$log" "$log.$attempt"
  done

  local deadline=$((SECONDS + timeout))
  until "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres -t 1; do
    if ((SECONDS >= deadline)); then
      echo "---- $log ----" >&2
      cat "$log" >&2 || true
      die "expected 127.0.0.1:$port to accept connections within ${timeout}s, it did not" \
        "(server log above)"
    fi
    sleep 0.1
  done

  "$bindir/createdb" -h 127.0.0.1 -p "$port" -U postgres kiln_test ||
    die "createdb kiln_test failed on 127.0.0.1:$port"
  echo "postgresql://postgres@127.0.0.1:$port/kiln_test" >"$dir/uri"
  echo "pg-test-server: $(cat "$dir/uri") (data $data, log $log)"
}

case "$action" in
  start) start_server ;;
  stop) stop_server ;;
  *) usage ;;
esac
