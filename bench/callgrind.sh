#!/usr/bin/env bash
# Instructions per request, counted by valgrind's callgrind (repeatable
# whatever else the machine does, unlike time), and the profile behind them.
#
#   bench/callgrind.sh OUT BODY [VAR=VALUE ...]
#   bench/callgrind.sh /tmp/typename '{"query":"{ __typename }"}' RUST_LOG=info,agora::access=off
#
# Runs the release server (AGORA_BIN, default $CARGO_TARGET_DIR/release/agora)
# under callgrind twice over a fresh SQLite file (production mode, JSON logs,
# RUST_LOG=info unless given), once answering 100 requests and once 2 100 on
# one keep-alive connection, and prints (second total - first total) / 2 000:
# start-up, shutdown and the first requests cancel out. OUT.big keeps the
# second run's profile (`callgrind_annotate --inclusive=yes OUT.big`).
# LOGIN=1 registers a user first and sends its token; SEED=N runs
# `agora seed-demo --projects N` first. BASE_BIN=path runs that baseline
# (examples/bench_baseline) instead of `agora serve`, over a database Agora
# migrated (and seeded), for the same count of the bare handler (not with
# LOGIN=1: the baseline cannot register). Needs valgrind, curl and python3.
set -euo pipefail
die() { echo "bench/callgrind.sh: $*" >&2; exit 1; }
(($# >= 2)) || die "usage: bench/callgrind.sh OUT BODY [VAR=VALUE ...]"
out=$1 body=$2
shift 2
extra=("$@")
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=${AGORA_BIN:-${CARGO_TARGET_DIR:-$root/target}/release/agora}
[ -x "$bin" ] || die "$bin is missing: cargo build --release"
[ -z "${BASE_BIN:-}" ] || [ "${LOGIN:-0}" != 1 ] || die "the baseline cannot register: BASE_BIN and LOGIN=1 do not go together"
command -v valgrind >/dev/null || die "valgrind is required (apt-get install -y valgrind)"
export USER=${USER:-root}

client() { # PORT N TOKEN: N requests on one connection
    python3 - "$@" "$body" <<'PY'
import http.client, sys
port, n, token, body = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
conn = http.client.HTTPConnection("127.0.0.1", port)
headers = {"content-type": "application/json"}
if token:
    headers["authorization"] = "Bearer " + token
for _ in range(n):
    conn.request("POST", "/graphql", body, headers)
    reply = conn.getresponse()
    text = reply.read()
    if reply.status != 200 or b'"errors"' in text:
        sys.exit(f"answered {reply.status}: {text[:300]!r}")
PY
}

one() { # N -> total instructions
    local n=$1 dir port token='' vpid
    dir=$(mktemp -d "${TMPDIR:-/tmp}/agora-cg.XXXXXX")
    port=$((20000 + RANDOM % 20000))
    local envs=(env -i PATH="$PATH" USER="$USER" HOME="${HOME:-/}" APP_ENV=production
        JWT_SECRET=callgrind-secret-callgrind-secret-callgrind DATABASE_URL="sqlite://$dir/a.db"
        STORAGE_URL="file://$dir/files" HOST=127.0.0.1 PORT="$port" LOG_FORMAT=json RUST_LOG=info
        SMTP_URL=smtp://127.0.0.1:1 'MAIL_FROM=Agora <bench@localhost>' "${extra[@]}")
    "${envs[@]}" "$bin" migrate >"$dir/migrate.log" 2>&1 || { cat "$dir/migrate.log" >&2; die "migrate failed"; }
    if [ -n "${SEED:-}" ]; then "${envs[@]}" "$bin" seed-demo --projects "$SEED" >/dev/null 2>&1; fi
    local serve=("$bin" serve)
    [ -z "${BASE_BIN:-}" ] || serve=("$BASE_BIN")
    "${envs[@]}" valgrind --tool=callgrind --callgrind-out-file="$out.$n" "${serve[@]}" >"$dir/serve.log" 2>&1 &
    vpid=$!
    for _ in $(seq 300); do curl -fs "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1 && break; sleep 0.2; done
    if [ "${LOGIN:-0}" = 1 ]; then
        local reply
        reply=$(curl -fsS -H 'content-type: application/json' -d '{"query":"mutation { register(input: {email: \"cg@example.com\", password: \"callgrind-password-1\", name: \"Cg\", role: CLIENT}) { accessToken } }"}' "http://127.0.0.1:$port/graphql")
        token=$(sed -n 's/.*"accessToken":"\([^"]*\)".*/\1/p' <<<"$reply")
        [ -n "$token" ] || die "register failed: $reply"
    fi
    client "$port" "$n" "$token" || { kill "$vpid"; die "the server refused the request"; }
    kill -TERM "$vpid"
    wait "$vpid" || true
    awk '/^summary:/ { print $2 }' "$out.$n"
    rm -rf "$dir"
}

small=$(one 100)
big=$(one 2100)
mv "$out.2100" "$out.big"
rm -f "$out.100"
echo "instructions/request: $(((big - small) / 2000))"
