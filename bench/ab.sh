#!/usr/bin/env bash
# Agora against itself: the same binary under several configurations, side
# by side on one request, so that what a setting costs is read from one run.
#
#   bench/ab.sh [SECONDS=5] [CONNECTIONS=32] NAME='VAR=VALUE ...' [NAME='...' ...]
#
#   bench/ab.sh 5 32 off='RUST_LOG=info,agora::access=off' on='RUST_LOG=info' \
#       metrics='RUST_LOG=info METRICS_ADDR=127.0.0.1:19464'
#
# Each configuration is a server of its own (production mode, JSON logs to a
# file, RUST_LOG=info unless it sets it) over one fresh SQLite file, all
# started before the load. wrk then loads them in ROUNDS alternating rounds
# (A, B, C, A, B, C, ...), each after WARMUP unmeasured seconds, and the
# script prints, per configuration, the median req/s, p50 and CPU per request
# (utime + stime from /proc), and their ratios to the first configuration:
# the ratio of the medians, and the median of the round-by-round ratios
# ("paired"), which a shared machine's slower and faster spells, lasting
# longer than a round, disturb less. On a noisy machine, prefer many short
# rounds (ROUNDS=21 with 2-second rounds).
#
# Environment: AGORA_BIN (default $CARGO_TARGET_DIR/release/agora, built
# unless SKIP_BUILD=1), BODY (default {"query":"{ __typename }"}), ROUNDS=3,
# WARMUP=1, THREADS (default 2), KEEP=1 (keep the temporary directory),
# PIN=1 (the servers on the second core, wrk on the first, so that they do
# not trade places on the cores: steadier figures on a shared machine).
# Needs wrk and curl; only ever sends traffic to 127.0.0.1.
set -euo pipefail

die() { echo "bench/ab.sh: $*" >&2; exit 1; }

secs=${1:-5}
conns=${2:-32}
shift $(($# < 2 ? $# : 2))
[[ $secs =~ ^[0-9]+$ ]] && ((secs >= 1 && secs <= 300)) || die "SECONDS must be 1..300"
[[ $conns =~ ^[0-9]+$ ]] && ((conns >= 1 && conns <= 1000)) || die "CONNECTIONS must be 1..1000"
(($# >= 2)) || die "give at least two configurations, NAME='VAR=VALUE ...'"
rounds=${ROUNDS:-3}
warmup=${WARMUP:-1}
threads=${THREADS:-$((conns < 2 ? 1 : 2))}
body=${BODY:-'{"query":"{ __typename }"}'}
host=127.0.0.1

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
agora_bin=${AGORA_BIN:-$target/release/agora}
if [ -z "${AGORA_BIN:-}" ] && [ "${SKIP_BUILD:-0}" != 1 ]; then
    (cd "$root" && cargo build --release --bin agora)
fi
[ -x "$agora_bin" ] || die "$agora_bin is missing"
command -v wrk >/dev/null || die "wrk is required (apt-get install -y wrk)"
command -v curl >/dev/null || die "curl is required"

server_cpu=() client_cpu=()
if [ "${PIN:-0}" = 1 ]; then
    command -v taskset >/dev/null || die "PIN=1 needs taskset (util-linux)"
    (($(nproc) >= 2)) || die "PIN=1 needs two cores"
    server_cpu=(taskset -c 1) client_cpu=(taskset -c 0)
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/agora-ab.XXXXXX")
names=()
declare -A settings pid port
cleanup() {
    local name
    for name in "${names[@]}"; do kill -TERM "${pid[$name]:-}" 2>/dev/null || true; done
    wait 2>/dev/null || true
    if [ "${KEEP:-0}" = 1 ]; then echo "kept $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for arg in "$@"; do
    [[ $arg == *=* ]] || die "not NAME='VAR=VALUE ...': $arg"
    name=${arg%%=*}
    [[ $name =~ ^[A-Za-z0-9_-]+$ ]] || die "a configuration's name is letters, digits, - and _: $name"
    names+=("$name")
    settings[$name]=${arg#*=}
done

secret=$(head -c 48 /dev/urandom | base64 | tr -d '/+=\n')
base_env=(env -i -C "$tmp" PATH="$PATH" HOME="${HOME:-/}" APP_ENV=production JWT_SECRET="$secret"
    DATABASE_URL="sqlite://$tmp/ab.db" "HOST=$host" LOG_FORMAT=json RUST_LOG=info
    SMTP_URL=smtp://127.0.0.1:1 MAIL_FROM='Agora <bench@localhost>')
"${base_env[@]}" "$agora_bin" migrate >"$tmp/migrate.log" 2>&1 || { cat "$tmp/migrate.log" >&2; die "migrate failed"; }

next_port=$((30000 + RANDOM % 20000))
for name in "${names[@]}"; do
    read -r -a extra <<<"${settings[$name]}"
    port[$name]=$next_port
    next_port=$((next_port + 1))
    "${base_env[@]}" "${extra[@]}" PORT="${port[$name]}" "${server_cpu[@]}" "$agora_bin" serve >"$tmp/$name.log" 2>&1 &
    pid[$name]=$!
done
for name in "${names[@]}"; do
    for _ in $(seq 150); do
        curl -fs "http://$host:${port[$name]}/health/ready" >/dev/null 2>&1 && break
        kill -0 "${pid[$name]}" 2>/dev/null || { cat "$tmp/$name.log" >&2; die "$name exited during start"; }
        sleep 0.2
    done
    answer=$(curl -fsS -H 'content-type: application/json' -d "$body" "http://$host:${port[$name]}/graphql") ||
        die "$name refused the request"
    [[ $answer == *'"data"'* && $answer != *'"errors"'* ]] || die "$name answered $answer"
done

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"; }
load() { # PORT SECONDS -> RESULT line
    BODY=$body TOKEN='' timeout $(($2 + 30)) "${client_cpu[@]}" wrk -t"$threads" -c"$conns" -d"$2s" --timeout 10s \
        -s "$root/bench/post.lua" "http://$host:$1/graphql" | grep '^RESULT'
}
clk_tck=$(getconf CLK_TCK)
declare -A rps p50 cpu
for round in $(seq "$rounds"); do
    for name in "${names[@]}"; do
        ((warmup == 0)) || load "${port[$name]}" "$warmup" >/dev/null
        ticks=$(cpu_ticks "${pid[$name]}")
        r=$(load "${port[$name]}" "$secs")
        ticks=$(($(cpu_ticks "${pid[$name]}") - ticks))
        n=$(field "$r" requests)
        rps[$name]+="$(field "$r" rps) "
        p50[$name]+="$(field "$r" p50_ms) "
        cpu[$name]+="$(awk -v t="$ticks" -v hz="$clk_tck" -v n="$n" 'BEGIN { printf "%.1f", t * 1e6 / hz / n }') "
        echo "   round $round $name: $r" >&2
    done
done

median() { printf '%s\n' $1 | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
# Round by round, A's figure over B's (the rounds of one pass ran seconds apart).
paired() { paste -d' ' <(printf '%s\n' $1) <(printf '%s\n' $2) | awk '{ printf "%s ", $1 / $2 }'; }
first=${names[0]}
echo
echo "Agora configurations side by side: $body, ${secs}s × $rounds rounds, $conns connections," \
    "$threads wrk threads, $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "| configuration | settings | req/s (rounds) | median req/s | req/s ÷ $first | paired | p50 ms | CPU µs/req | CPU ÷ $first | paired |"
echo "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for name in "${names[@]}"; do
    echo "| $name | \`${settings[$name]}\` | ${rps[$name]% } | $(median "${rps[$name]}") |" \
        "$(ratio "$(median "${rps[$name]}")" "$(median "${rps[$first]}")") |" \
        "$(ratio "$(median "$(paired "${rps[$name]}" "${rps[$first]}")")" 1) | $(median "${p50[$name]}") |" \
        "$(median "${cpu[$name]}") | $(ratio "$(median "${cpu[$name]}")" "$(median "${cpu[$first]}")") |" \
        "$(ratio "$(median "$(paired "${cpu[$name]}" "${cpu[$first]}")")" 1) |"
done
