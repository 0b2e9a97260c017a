#!/usr/bin/env bash
# Checks the image's runtime stage without a container engine: builds a
# minimal Debian root of the runtime's release with debootstrap, replays the
# Dockerfile's last stage in it (its RUN, ENV, WORKDIR, USER and COPY lines,
# the built binary standing in for the build stage's), then, as the image's
# user, runs the entry point: `--help`, `migrate` and `serve` on PostgreSQL
# and on SQLite in the data directory, the HEALTHCHECK command, a GraphQL
# POST from the host, and `ldd` of the binary inside the root.
#
# Needs root, debootstrap, psql, curl, network access to a Debian mirror,
# a PostgreSQL server, and `cargo build --release` done first.
#
#   sudo docker/verify-rootfs.sh
#
# Variables: ROOTFS (/var/tmp/agora-rootfs: made anew on every run from the
# debootstrap output kept in $ROOTFS.base, as an engine starts a stage from
# its cached base image; its logs go to $ROOTFS.logs), MIRROR (http://deb.debian.org/debian), BIN
# (${CARGO_TARGET_DIR:-target}/release/agora), PG_BASE
# (postgres://postgres@127.0.0.1:5432: the scratch database
# agora_container_check is created there and dropped after), CHECK_PORT
# (where the server listens during the check; 8080 may be taken on a shared
# host, and the root shares the host's network).
set -euo pipefail
cd "$(dirname "$0")/.."

ROOTFS=${ROOTFS:-/var/tmp/agora-rootfs}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
BIN=${BIN:-${CARGO_TARGET_DIR:-target}/release/agora}
PG_BASE=${PG_BASE:-postgres://postgres@127.0.0.1:5432}
CHECK_PORT=${CHECK_PORT:-18080}
SCRATCH_DB=agora_container_check
BASE=$ROOTFS.base
LOGS=$ROOTFS.logs

step() { printf '\n== %s\n' "$*"; }
fail() { printf 'FAILED: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || fail "run as root (debootstrap, chroot)"
for tool in debootstrap psql curl awk; do
  command -v "$tool" >/dev/null || fail "$tool is not installed"
done
[ -x "$BIN" ] || fail "$BIN not found: run cargo build --release first"

# The Dockerfile's last stage, one instruction per line: comments dropped,
# continuation lines joined.
runtime_stage() {
  awk '
    /^[[:space:]]*#/ { next }
    {
      line = line $0
      if (line ~ /\\[[:space:]]*$/) { sub(/\\[[:space:]]*$/, " ", line); next }
      if (line ~ /^[[:space:]]*$/) { line = ""; next }
      lines[n++] = line; line = ""
    }
    END {
      for (i = 0; i < n; i++) if (lines[i] ~ /^FROM /) last = i
      for (i = last; i < n; i++) print lines[i]
    }' Dockerfile
}

# The words of an exec-form JSON array: ["agora", "healthcheck"] → agora healthcheck.
json_words() { sed -e 's/^[^[]*\[//' -e 's/\].*$//' -e 's/"//g' -e 's/,/ /g' <<<"$1"; }

base_image=$(runtime_stage | awk 'NR == 1 { print $2 }')
release=$(sed -E 's/^debian:([a-z]+)-slim$/\1/' <<<"$base_image")
[ "$release" != "$base_image" ] || fail "the runtime stage is not FROM debian:<release>-slim: $base_image"

mounted=()
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[i]}" 2>/dev/null || true; done
  psql -q "$PG_BASE/postgres" -c "DROP DATABASE IF EXISTS $SCRATCH_DB WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT

step "Debian $release, minbase, in $ROOTFS"
mkdir -p "$LOGS"
if [ ! -f "$BASE/etc/debian_version" ]; then
  rm -rf --one-file-system "$BASE"
  debootstrap --variant=minbase "$release" "$BASE" "$MIRROR" >"$LOGS/debootstrap.log" 2>&1 \
    || fail "debootstrap (log: $LOGS/debootstrap.log)"
fi
rm -rf --one-file-system "$ROOTFS"
cp -a "$BASE" "$ROOTFS"
echo "Debian $(cat "$ROOTFS/etc/debian_version"), $(chroot "$ROOTFS" ldd --version | head -1 | sed 's/^ldd //')"
cp /etc/resolv.conf "$ROOTFS/etc/resolv.conf"
for fs in proc dev; do
  mount --bind "/$fs" "$ROOTFS/$fs"
  mounted+=("$ROOTFS/$fs")
done

step "the runtime stage of the Dockerfile"
env_vars=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin)
workdir=/
user=
entrypoint=()
cmd=()
healthcheck=()
while read -r keyword args; do
  case "$keyword" in
    FROM | EXPOSE) echo "$keyword $args" ;;
    RUN)
      echo "RUN $args"
      env -i "${env_vars[@]}" chroot "$ROOTFS" /bin/sh -c "cd $workdir && $args" </dev/null >>"$LOGS/run.log" 2>&1 \
        || fail "RUN $args (log: $LOGS/run.log)"
      ;;
    ENV)
      [[ "$args" != *[\"\']* ]] || fail "quoted ENV values are not replayed: $args"
      read -ra pairs <<<"$args"
      env_vars+=("${pairs[@]}")
      echo "ENV ${pairs[*]}"
      ;;
    WORKDIR) workdir=$args; mkdir -p "$ROOTFS$workdir"; echo "WORKDIR $workdir" ;;
    USER) user=$args; echo "USER $user" ;;
    COPY)
      read -r from src dst <<<"$args"
      [ "$from $src" = "--from=build /out/agora" ] || fail "unexpected COPY $args"
      install -D -m 0755 -o root -g root "$BIN" "$ROOTFS$dst"
      echo "COPY $BIN (sha256 $(sha256sum "$BIN" | cut -c1-16)…) → $dst"
      ;;
    HEALTHCHECK)
      read -ra healthcheck <<<"$(json_words "${args#*CMD }")"
      echo "HEALTHCHECK ${healthcheck[*]}"
      ;;
    ENTRYPOINT) read -ra entrypoint <<<"$(json_words "$args")"; echo "ENTRYPOINT ${entrypoint[*]}" ;;
    CMD) read -ra cmd <<<"$(json_words "$args")"; echo "CMD ${cmd[*]}" ;;
    *) fail "instruction not replayed: $keyword" ;;
  esac
done < <(runtime_stage)
if [ -z "$user" ] || [ "${user%%:*}" = 0 ]; then fail "the runtime stage runs as root"; fi
[ -s "$ROOTFS/etc/ssl/certs/ca-certificates.crt" ] || fail "no system CA bundle (ca-certificates)"
if [ ${#entrypoint[@]} = 0 ] || [ ${#healthcheck[@]} = 0 ]; then fail "no ENTRYPOINT or HEALTHCHECK"; fi

# As the image's user, in its working directory, with its environment (and
# HOME, as an engine sets it from /etc/passwd) and production's required
# variables: `as_user [NAME=VALUE…] -- COMMAND…` runs it, `user_command`
# only puts it in `command_line` (to start it in the background with its
# own PID, not a subshell's).
secret=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
production=(JWT_SECRET="$secret" SMTP_URL=smtp://127.0.0.1:2525 MAIL_FROM="Agora <no-reply@example.com>"
  PORT="$CHECK_PORT" LOG_FORMAT=json RUST_LOG=warn)
home=$(chroot "$ROOTFS" getent passwd "${user%%:*}" | cut -d: -f6)
user_command() {
  local extra=()
  while [ "$1" != -- ]; do extra+=("$1"); shift; done
  shift
  # shellcheck disable=SC2016 # expanded by the shell inside the root
  command_line=(env -i "${env_vars[@]}" HOME="$home" "${production[@]}" "${extra[@]}"
    chroot --userspec="$user" "$ROOTFS" /bin/sh -c 'cd "$0" && exec "$@"' "$workdir" "$@")
}
as_user() {
  user_command "$@"
  "${command_line[@]}"
}

step "ldd inside the root"
binary=$(env -i "${env_vars[@]}" chroot "$ROOTFS" /bin/sh -c "command -v ${entrypoint[0]}")
chroot "$ROOTFS" ldd "$binary" | tee "$LOGS/ldd"
! grep -q 'not found' "$LOGS/ldd" || fail "a library is missing"
echo "$binary: $(stat -c '%U:%G %a' "$ROOTFS$binary")"

step "who runs it"
as_user -- id
as_user -- "${entrypoint[@]}" --version

step "${entrypoint[*]} --help"
as_user -- "${entrypoint[@]}" --help

# migrate, serve, the health check and a GraphQL POST on one database:
# `check_database NAME [NAME=VALUE…]`.
check_database() {
  local name=$1
  shift
  local vars=("$@" --)
  local out
  step "$name: ${entrypoint[*]} migrate"
  out=$(as_user RUST_LOG=info "${vars[@]}" "${entrypoint[@]}" migrate 2>&1) || { echo "$out"; fail "$name: migrate"; }
  echo "$out"

  step "$name: ${entrypoint[*]} ${cmd[*]} (port $CHECK_PORT)"
  user_command "${vars[@]}" "${entrypoint[@]}" "${cmd[@]}"
  "${command_line[@]}" >"$LOGS/serve.log" 2>&1 &
  server_pid=$!
  local up=
  for _ in $(seq 60); do
    if as_user "${vars[@]}" "${healthcheck[@]}" 2>/dev/null; then up=1; break; fi
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.5
  done
  [ -n "$up" ] || { cat "$LOGS/serve.log"; fail "$name: the server did not become healthy"; }
  as_user "${vars[@]}" "${healthcheck[@]}"
  echo "HEALTHCHECK (${healthcheck[*]}) as $user: exit 0"
  echo "GET /health/ready from the host: $(curl -sS "http://127.0.0.1:$CHECK_PORT/health/ready")"
  local answer
  answer=$(curl -sS "http://127.0.0.1:$CHECK_PORT/graphql" -H 'content-type: application/json' \
    -d '{"query":"{ __typename }"}')
  echo "POST /graphql { __typename } from the host: $answer"
  [ "$answer" = '{"data":{"__typename":"Query"}}' ] || fail "$name: GraphQL answer"

  kill -TERM "$server_pid"
  local status=0
  wait "$server_pid" || status=$?
  server_pid=
  echo "SIGTERM: the server exited with $status"
  [ "$status" = 0 ] || { cat "$LOGS/serve.log"; fail "$name: shutdown"; }
  local after=0
  as_user "${vars[@]}" "${healthcheck[@]}" || after=$?
  echo "HEALTHCHECK with the server stopped: exit $after"
  [ "$after" != 0 ] || fail "$name: the health check passed with no server"
}

PGOPTIONS='-c client_min_messages=warning' psql -q "$PG_BASE/postgres" \
  -c "DROP DATABASE IF EXISTS $SCRATCH_DB WITH (FORCE)" -c "CREATE DATABASE $SCRATCH_DB"
check_database PostgreSQL DATABASE_URL="$PG_BASE/$SCRATCH_DB"
echo "tables: $(psql -At "$PG_BASE/$SCRATCH_DB" -c "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")"

check_database "SQLite (the image's DATABASE_URL)"
step "what the server wrote in $workdir"
ls -lnR "$ROOTFS$workdir"

step "verified"
