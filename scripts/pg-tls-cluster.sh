#!/usr/bin/env bash
# A private PostgreSQL cluster that speaks TLS only, for the TLS tests
# (tests/api/pg_tls.rs), with a CA and a server certificate (for `localhost`)
# made now by openssl.
#
#   scripts/pg-tls-cluster.sh start   # prints `export …` lines: eval "$(… start)"
#   scripts/pg-tls-cluster.sh stop
#
# PG_TLS_DIR  where the cluster and certificates live (default: $TMPDIR/agora-pg-tls);
#             it may exist if empty (mktemp -d); `stop` removes it.
# PG_TLS_PORT (default 5433).
# Needs the PostgreSQL server binaries (/usr/lib/postgresql/*/bin) and openssl.
# Run as root, the cluster runs as the `postgres` OS user.
set -euo pipefail

dir="${PG_TLS_DIR:-${TMPDIR:-/tmp}/agora-pg-tls}"
port="${PG_TLS_PORT:-5433}"
marker="$dir/.agora-pg-tls"

bin="$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)"
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  echo "pg-tls-cluster: no PostgreSQL server binaries under /usr/lib/postgresql" >&2
  exit 1
fi

# PostgreSQL refuses to run as root.
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

stop() {
  [ -e "$dir" ] || return 0
  if [ -z "$(ls -A "$dir")" ]; then
    rmdir "$dir" # an empty directory given to `start` (mktemp -d)
    return 0
  fi
  if [ ! -e "$marker" ]; then
    echo "pg-tls-cluster: $dir was not made by this script; not touching it" >&2
    exit 1
  fi
  if [ -f "$dir/data/postmaster.pid" ]; then
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
  fi
  rm -rf "$dir"
}

start() {
  stop # what an interrupted earlier run left
  if pg_isready -q -h 127.0.0.1 -p "$port"; then
    echo "pg-tls-cluster: port $port is taken; set PG_TLS_PORT" >&2
    exit 1
  fi
  mkdir -p "$dir"
  touch "$marker"
  (
    cd "$dir"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
      -subj "/CN=Agora test CA" -addext "basicConstraints=critical,CA:TRUE" \
      -addext "keyUsage=critical,keyCertSign,cRLSign" -keyout ca.key -out ca.pem 2>/dev/null
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
      -subj "/CN=localhost" -keyout server.key -out server.csr 2>/dev/null
    printf '%s\n' "subjectAltName=DNS:localhost" "basicConstraints=CA:FALSE" \
      "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" >server.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 \
      -extfile server.ext -out server.pem 2>/dev/null
    chmod 600 server.key ca.key
  )
  if [ "$(id -u)" = 0 ]; then chown -R postgres: "$dir"; fi
  as_owner "$bin/initdb" -D "$dir/data" -U postgres -A trust --no-sync >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; exit 1; }
  cat >>"$dir/data/postgresql.conf" <<EOF
port = $port
listen_addresses = 'localhost'
unix_socket_directories = '$dir'
ssl = on
ssl_cert_file = '$dir/server.pem'
ssl_key_file = '$dir/server.key'
fsync = off
EOF
  # TLS or nothing over TCP.
  cat >"$dir/data/pg_hba.conf" <<EOF
local   all all               trust
hostssl all all 127.0.0.1/32  trust
hostssl all all ::1/128       trust
EOF
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 start >/dev/null ||
    { cat "$dir/server.log" >&2; exit 1; }
  echo "export TEST_TLS_CA='$dir/ca.pem'"
  echo "export TEST_TLS_DATABASE_URL='postgres://postgres@localhost:$port/postgres?sslmode=verify-full&sslrootcert=$dir/ca.pem'"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
