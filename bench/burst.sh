#!/usr/bin/env bash
# Sign-up and sign-in bursts against a release Agora server: how much memory
# argon2id takes under load, and whether it is given back.
#
#   bench/burst.sh [REGISTRATIONS=600] [CONCURRENCY=32]
#
# Starts the server (production mode, one fresh SQLite file, free 127.0.0.1
# port), then, CONCURRENCY requests at a time (one curl process, --parallel):
#   register 1  REGISTRATIONS `register` mutations, each with a new email
#   register 2  as many again, with other emails
#   login       one `login` per account of register 1 (right password)
# Before each burst, every 100 ms during it and 5 s after it, it reads the
# server's VmRSS (/proc/PID/status), and prints per burst: answers with a
# token, wall time, requests/s, RSS before, peak and after.
#
# Environment:
#   AGORA_BIN       the server binary (default $CARGO_TARGET_DIR/release/agora,
#                   built unless SKIP_BUILD=1); set it to compare two builds
#   SKIP_BUILD=1    do not build
#   SETTLE=5        seconds between the end of a burst and the "after" sample
#   BENCH_RUST_LOG  the server's RUST_LOG (default info)
#   KEEP=1          keep the temporary directory (database, log, answers)
# Mail goes to SMTP_URL=smtp://127.0.0.1:1 (closed: it waits in the outbox),
# and the sign-in limits per address are raised so that they do not throttle
# the bursts. Needs curl (7.66 or later). Only ever sends traffic to 127.0.0.1.
set -euo pipefail

die() { echo "bench/burst.sh: $*" >&2; exit 1; }

count=${1:-600}
conns=${2:-32}
settle=${SETTLE:-5}
[[ $count =~ ^[0-9]+$ ]] && ((count >= 1 && count <= 100000)) || die "REGISTRATIONS must be 1..100000 (got $count)"
[[ $conns =~ ^[0-9]+$ ]] && ((conns >= 1 && conns <= 1000)) || die "CONCURRENCY must be 1..1000 (got $conns)"
[[ $settle =~ ^[0-9]+$ ]] && ((settle <= 600)) || die "SETTLE must be 0..600 (got $settle)"

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
case $target in /*) ;; *) target=$PWD/$target ;; esac
export CARGO_TARGET_DIR=$target
agora_bin=${AGORA_BIN:-$target/release/agora}
host=127.0.0.1

command -v curl >/dev/null || die "curl is required (apt-get install -y curl)"
if [ -z "${AGORA_BIN:-}" ] && [ "${SKIP_BUILD:-0}" != 1 ]; then
    echo "== building the release binary into $target" >&2
    (cd "$root" && cargo build --release --bin agora)
fi
[ -x "$agora_bin" ] || die "$agora_bin is missing"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/agora-burst.XXXXXX")
agora_pid=
sampler_pid=
stop_sampler() {
    [ -n "$sampler_pid" ] || return 0
    kill "$sampler_pid" 2>/dev/null || true
    wait "$sampler_pid" 2>/dev/null || true
    sampler_pid=
}
cleanup() {
    stop_sampler
    if [ -n "$agora_pid" ] && kill -TERM "$agora_pid" 2>/dev/null; then
        for _ in $(seq 50); do kill -0 "$agora_pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$agora_pid" 2>/dev/null || true
        wait "$agora_pid" 2>/dev/null || true
    fi
    if [ "${KEEP:-0}" = 1 ]; then echo "kept $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port=
for _ in $(seq 200); do
    p=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/$host/$p") 2>/dev/null; then port=$p; break; fi
done
[ -n "$port" ] || die "no free port"

secret=$(head -c 48 /dev/urandom | base64 | tr -d '/+=\n')
env -i -C "$tmp" PATH="$PATH" HOME="${HOME:-/}" APP_ENV=production JWT_SECRET="$secret" \
    DATABASE_URL="sqlite://$tmp/agora-burst.db" HOST=$host PORT="$port" LOG_FORMAT=json \
    RUST_LOG="${BENCH_RUST_LOG:-info}" SMTP_URL=smtp://127.0.0.1:1 MAIL_FROM='Agora <bench@localhost>' \
    LOGIN_MAX_FAILURES_PER_IP=1000000 STORAGE_URL="file://$tmp/uploads" \
    "$agora_bin" serve >>"$tmp/agora.log" 2>&1 &
agora_pid=$!
for i in $(seq 300); do
    curl -fsS --max-time 2 -o /dev/null "http://$host:$port/health/ready" 2>/dev/null && break
    kill -0 "$agora_pid" 2>/dev/null || { cat "$tmp/agora.log" >&2; die "the server exited during start"; }
    ((i < 300)) || die "the server is not ready after 30 s"
    sleep 0.1
done
[ "$(readlink "/proc/$agora_pid/exe")" = "$(readlink -f "$agora_bin")" ] || die "PID $agora_pid is not the agora server"

rss() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$agora_pid/status"; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
now_us() { echo "${EPOCHREALTIME/./}"; }

password=burst-password-1
register_body() { # EMAIL
    printf '{"query":"mutation($i: RegisterInput!) { register(input: $i) { accessToken } }","variables":{"i":{"email":"%s","password":"%s","name":"Burst User","role":"CLIENT"}}}' \
        "$1" "$password"
}
login_body() { # EMAIL
    printf '{"query":"mutation($i: LoginInput!) { login(input: $i) { accessToken } }","variables":{"i":{"email":"%s","password":"%s"}}}' \
        "$1" "$password"
}

declare -a names
declare -A result
burst() { # NAME KIND EMAIL-PREFIX: one request per email, $conns at a time
    local name=$1 kind=$2 prefix=$3 cfg=$tmp/$1.curl out=$tmp/$1.out i body t0 us ok before peak after
    mkdir "$out"
    : >"$cfg"
    for ((i = 1; i <= count; i++)); do
        body=$("${kind}_body" "$prefix-$i@example.com")
        body=${body//\\/\\\\}
        ((i == 1)) || echo next >>"$cfg"
        printf 'url = "http://%s:%s/graphql"\nheader = "content-type: application/json"\ndata = "%s"\noutput = "%s/%d"\n' \
            "$host" "$port" "${body//\"/\\\"}" "$out" "$i" >>"$cfg"
    done
    before=$(rss)
    (while awk '$1 == "VmRSS:" { print $2 }' "/proc/$agora_pid/status" 2>/dev/null; do sleep 0.1; done) \
        >"$tmp/$name.rss" &
    sampler_pid=$!
    echo "== $name: $count $kind requests, $conns at a time" >&2
    t0=$(now_us)
    curl -sS --parallel --parallel-immediate --parallel-max "$conns" --max-time 60 -K "$cfg" 2>"$tmp/$name.err" || true
    us=$(($(now_us) - t0))
    stop_sampler
    ok=$(grep -l '"accessToken":"' -r "$out" | wc -l)
    # curl's errors, without its progress meter (shown in parallel mode despite -s).
    tr '\r' '\n' <"$tmp/$name.err" | grep '^curl:' | sort | uniq -c | head -5 >&2 || true
    peak=$( (rss; cat "$tmp/$name.rss") | sort -n | tail -1)
    sleep "$settle"
    after=$(rss)
    names+=("$name")
    result[$name]="$kind $ok $us $before $peak $after"
    echo "   $ok/$count with a token in $(awk -v us="$us" 'BEGIN { printf "%.1f", us / 1e6 }') s;" \
        "RSS $(mib "$before") -> peak $(mib "$peak") -> $(mib "$after") MiB" >&2
}

sleep 1
idle=$(rss)
run=$$-$RANDOM
burst "register-1" register "b1-$run"
burst "register-2" register "b2-$run"
burst "login" login "b1-$run"

echo
echo "Bursts of $count requests, $conns at a time, $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ), $agora_bin"
echo "RSS idle (ready, no request yet): $(mib "$idle") MiB"
echo
echo "| burst | with a token | seconds | req/s | RSS before MiB | RSS peak MiB | RSS ${settle} s after MiB |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
for name in "${names[@]}"; do
    read -r _ ok us before peak after <<<"${result[$name]}"
    echo "| $name | $ok/$count | $(awk -v us="$us" 'BEGIN { printf "%.1f", us / 1e6 }')" \
        "| $(awk -v n="$ok" -v us="$us" 'BEGIN { printf "%.1f", n * 1e6 / us }')" \
        "| $(mib "$before") | $(mib "$peak") | $(mib "$after") |"
done
