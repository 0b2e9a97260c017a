#!/usr/bin/env bash
# Load a release Agora server and a bare axum baseline doing the same SQL
# (examples/bench_baseline.rs), and print the ratios agora / baseline.
#
#   bench/run.sh [SECONDS=10] [CONNECTIONS=32]
#
# Builds both in release (honours CARGO_TARGET_DIR; SKIP_BUILD=1 reuses the
# binaries; AGORA_BIN and BASE_BIN run prebuilt ones), times Agora's start over
# one fresh SQLite file (or, with BENCH_DATABASE_URL, one freshly recreated
# PostgreSQL database), fills it with `agora seed-demo --projects
# $SEED_PROJECTS`, starts both servers on free 127.0.0.1 ports over it,
# registers a user, then loads each with wrk, one server at a time:
#   typename  POST {"query":"{ __typename }"}             (no auth, no SQL)
#   me        POST {"query":"{ me { id name email } }"}   (Bearer token: JWT check,
#             session check cached 5 s, one user SELECT)
#   projects  POST the anonymous page {"query":"{ projects(first: 20) { totalCount
#             edges { node { id title budgetMax { amount currency } client { name }
#             proposalCount } } } }"}  (page + COUNT, one users IN (..), one
#             proposal count GROUP BY)
# and reports requests/s, p50/p90/p99 latency and CPU time per request (on
# PostgreSQL also the CPU per request of the PostgreSQL backends serving each
# server: the pids of pg_stat_activity with that server's application_name,
# read from /proc, so PostgreSQL must run on this machine, else "n/a").
# Also records Agora's start-to-ready time (fresh database, then the median of
# three starts over the existing one, then one over the seeded one), the seeding
# time, and its RSS idle, during and after load.
#
# Environment:
#   WARMUP=2        seconds of unmeasured load before each measurement
#   THREADS         wrk threads (default min(2, CONNECTIONS))
#   LOGIN=1         also load `login` (argon2id) for LOGIN_SECONDS (20) s on
#                   Agora and on the baseline, whose `login` is the argon2
#                   bound (the user by email and the same password check,
#                   nothing else), with every answer checked for errors, and
#                   report Agora's RSS; off by default. At ~50 logins/s, the
#                   32 in flight when wrk stops are not counted: 20 s keeps
#                   that under 4 %
#   BURST=1         then run bench/burst.sh (sign-up and sign-in bursts with
#                   their RSS, see its header) on the same binary; BURST_COUNT
#                   registrations per batch (default 600), CONNECTIONS at a time
#   CHECK_BODIES=1  count 2xx bodies with "errors" (costs wrk CPU)
#   BENCH_RUST_LOG  the servers' RUST_LOG (default info, as in production)
#   BENCH_ENV       more NAME=VALUE settings for Agora, space-separated
#                   (`METRICS_ADDR=127.0.0.1:9464`)
#   SEED_PROJECTS=10000  projects `agora seed-demo` creates before the load
#   SKIP_BUILD=1    use the binaries already in $CARGO_TARGET_DIR/release
#   AGORA_BIN       the agora binary (default $CARGO_TARGET_DIR/release/agora)
#   BASE_BIN        the baseline (default .../release/examples/bench_baseline);
#                   with both set nothing is built
#   BENCH_DATABASE_URL  postgres://USER@HOST:PORT/NAME: run on PostgreSQL, in
#                   that database, DROPPED AND RECREATED at the start (names
#                   starting agora_test_ are refused; needs psql); unset: SQLite
#   KEEP=1          keep the temporary directory (database, logs, RSS samples)
# Needs wrk (Debian package `wrk`; installed when run as root) and curl.
# BURST=1 runs burst.sh on SQLite whatever BENCH_DATABASE_URL says.
# Only ever sends traffic to 127.0.0.1.
set -euo pipefail

die() { echo "bench/run.sh: $*" >&2; exit 1; }

secs=${1:-10}
conns=${2:-32}
warmup=${WARMUP:-2}
[[ $secs =~ ^[0-9]+$ ]] && ((secs >= 1 && secs <= 300)) || die "SECONDS must be 1..300 (got $secs)"
[[ $conns =~ ^[0-9]+$ ]] && ((conns >= 1 && conns <= 1000)) || die "CONNECTIONS must be 1..1000 (got $conns)"
[[ $warmup =~ ^[0-9]+$ ]] && ((warmup <= 60)) || die "WARMUP must be 0..60 (got $warmup)"
seed_projects=${SEED_PROJECTS:-10000}
[[ $seed_projects =~ ^[0-9]+$ ]] && ((seed_projects >= 21 && seed_projects <= 1000000)) ||
    die "SEED_PROJECTS must be 21..1000000 (got $seed_projects)"
threads=${THREADS:-$((conns < 2 ? 1 : 2))}
[[ $threads =~ ^[0-9]+$ ]] && ((threads >= 1 && threads <= conns)) || die "THREADS must be 1..CONNECTIONS"

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
case $target in /*) ;; *) target=$PWD/$target ;; esac
export CARGO_TARGET_DIR=$target
agora_bin=${AGORA_BIN:-$target/release/agora}
base_bin=${BASE_BIN:-$target/release/examples/bench_baseline}
host=127.0.0.1

# PostgreSQL (BENCH_DATABASE_URL) or SQLite.
pg_url=${BENCH_DATABASE_URL:-}
if [ -n "$pg_url" ]; then
    [[ $pg_url =~ ^postgres(ql)?://[^/?]+/([A-Za-z_][A-Za-z0-9_]*)$ ]] ||
        die "BENCH_DATABASE_URL must be postgres://USER@HOST:PORT/NAME without a query (got $pg_url)"
    pg_name=${BASH_REMATCH[2]}
    [[ $pg_name != agora_test_* && $pg_name != postgres && $pg_name != template* ]] ||
        die "refusing to drop the database $pg_name: pick another name in BENCH_DATABASE_URL"
    pg_admin_url=${pg_url%/*}/postgres
    command -v psql >/dev/null || die "psql is required with BENCH_DATABASE_URL (apt-get install -y postgresql-client)"
    psql "$pg_admin_url" -XAtqc 'SELECT 1' >/dev/null 2>&1 || die "cannot connect to PostgreSQL at $pg_admin_url"
fi

# --- tools -------------------------------------------------------------------
command -v curl >/dev/null || die "curl is required (apt-get install -y curl)"
if ! command -v wrk >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "wrk not found: installing the Debian package wrk" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get install -y -qq wrk >&2 || { apt-get update -qq && apt-get install -y -qq wrk >&2; }
    else
        die "wrk is required: sudo apt-get install -y wrk (Debian/Ubuntu), then run again"
    fi
fi

# --- build -------------------------------------------------------------------
if [ "${SKIP_BUILD:-0}" != 1 ] && { [ -z "${AGORA_BIN:-}" ] || [ -z "${BASE_BIN:-}" ]; }; then
    echo "== building release binaries into $target" >&2
    (cd "$root" && cargo build --release --bin agora --example bench_baseline)
fi
[ -x "$agora_bin" ] || die "$agora_bin is missing (run without SKIP_BUILD=1)"
[ -x "$base_bin" ] || die "$base_bin is missing (run without SKIP_BUILD=1)"

# --- processes, stopped on any exit ------------------------------------------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/agora-bench.XXXXXX")
agora_pid=
base_pid=
sampler_pid=

stop() { # PID: SIGTERM, wait up to 5 s, then SIGKILL
    local pid=$1 _
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
start_sampler() { # VmRSS of the agora server every 100 ms, appended to $1
    (while awk '$1 == "VmRSS:" { print $2 }' "/proc/$agora_pid/status" 2>/dev/null; do sleep 0.1; done) \
        >>"$1" &
    sampler_pid=$!
}
stop_sampler() {
    [ -n "$sampler_pid" ] || return 0
    kill "$sampler_pid" 2>/dev/null || true
    wait "$sampler_pid" 2>/dev/null || true
    sampler_pid=
}
cleanup() {
    stop_sampler
    stop "$agora_pid"
    stop "$base_pid"
    if [ "${KEEP:-0}" = 1 ]; then echo "kept $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { # a port nothing answers on at 127.0.0.1, not in $*
    local p _
    for _ in $(seq 200); do
        p=$((20000 + RANDOM % 40000))
        [[ " $* " == *" $p "* ]] && continue
        if ! (exec 3<>"/dev/tcp/$host/$p") 2>/dev/null; then echo "$p"; return 0; fi
    done
    return 1
}
agora_port=$(free_port) || die "no free port"
base_port=$(free_port "$agora_port") || die "no free port"

# One configuration for both: production mode, a random secret, a fresh file
# (or database), mail to a closed local port (it waits in the outbox; production
# needs SMTP_URL). `env -i -C` runs the server in the temp dir (no .env is read)
# and keeps $! the server's own PID (env execs it). On PostgreSQL each process
# gets its own application_name, which tells its backends apart.
if [ -n "$pg_url" ]; then
    db=$pg_url
    backend=PostgreSQL
    psql "$pg_admin_url" -XAtq -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS \"$pg_name\" WITH (FORCE)" \
        -c "CREATE DATABASE \"$pg_name\"" >/dev/null || die "could not recreate the database $pg_name"
    db_url() { echo "$pg_url?application_name=$1"; } # ROLE
else
    db=$tmp/agora-bench.db
    backend=SQLite
    db_url() { echo "sqlite://$db"; }
fi
secret=$(head -c 48 /dev/urandom | base64 | tr -d '/+=\n')
server_env=(env -i -C "$tmp" PATH="$PATH" HOME="${HOME:-/}" APP_ENV=production JWT_SECRET="$secret"
    HOST="$host" LOG_FORMAT=json RUST_LOG="${BENCH_RUST_LOG:-info}"
    SMTP_URL=smtp://127.0.0.1:1 MAIL_FROM='Agora <bench@localhost>'
    LOGIN_MAX_FAILURES=1000000 LOGIN_MAX_FAILURES_PER_IP=1000000)
read -r -a bench_env <<<"${BENCH_ENV:-}"
server_env+=("${bench_env[@]}")

now_us() { echo "${EPOCHREALTIME/./}"; }

probe_ready() { # PORT: GET /health/ready from bash itself (a curl per poll costs ~20 ms)
    local line=
    { exec 3<>"/dev/tcp/$host/$1"; } 2>/dev/null || return 1
    printf 'GET /health/ready HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' "$host" >&3 2>/dev/null || true
    IFS= read -r -t 2 line <&3 || true
    exec 3>&-
    [[ $line == "HTTP/1.1 200"* ]]
}

wait_ready() { # PORT PID LOG: poll /health/ready for up to 30 s
    local deadline=$(($(now_us) + 30000000))
    until probe_ready "$1"; do
        kill -0 "$2" 2>/dev/null || { cat "$3" >&2; die "server on port $1 exited during start"; }
        (($(now_us) < deadline)) || die "server on port $1 not ready after 30 s"
        sleep 0.002
    done
}

start_agora() { # sets agora_pid and ready_ms (spawn to the first 200 from /health/ready)
    local t0
    ready_lines_before=$(ready_lines)
    t0=$(now_us)
    "${server_env[@]}" DATABASE_URL="$(db_url bench-agora)" PORT="$agora_port" "$agora_bin" serve >>"$tmp/agora.log" 2>&1 &
    agora_pid=$!
    wait_ready "$agora_port" "$agora_pid" "$tmp/agora.log"
    ready_ms=$((($(now_us) - t0) / 1000))
    [ "$(readlink "/proc/$agora_pid/exe")" = "$(readlink -f "$agora_bin")" ] || die "PID $agora_pid is not the agora server"
}

kib() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; } # utime + stime
ready_lines() { local n; n=$(grep -c '"ready_ms":' "$tmp/agora.log" 2>/dev/null) || true; echo "${n:-0}"; }
inner_ready_ms() { # this start's in-process ready_ms; the log is buffered: wait up to 2 s for its line
    local _
    for _ in $(seq 40); do
        (($(ready_lines) > ready_lines_before)) && break
        sleep 0.05
    done
    (($(ready_lines) > ready_lines_before)) || return 0
    grep -o '"ready_ms":[0-9]*' "$tmp/agora.log" | tail -1 | cut -d: -f2
}
median3() { printf '%s\n' "$@" | sort -n | sed -n 2p; }
clk_tck=$(getconf CLK_TCK)

echo "== machine: $(nproc) cores, $(uname -sr); wrk $(wrk -v 2>&1 | head -1 | awk '{print $2}')" >&2
echo "== agora on $host:$agora_port, baseline on $host:$base_port, $backend database $db" >&2

# Start-to-ready: a fresh file (migrations run), then three starts over it.
start_agora
ready_fresh_ms=$ready_ms
inner_fresh_ms=$(inner_ready_ms)
existing=()
inner_existing=()
for _ in 1 2 3; do
    stop "$agora_pid"
    agora_pid=
    start_agora
    existing+=("$ready_ms")
    inner_existing+=("$(inner_ready_ms)")
done
ready_existing_ms=$(median3 "${existing[@]}")
inner_existing_ms=$(median3 "${inner_existing[@]}")
stop "$agora_pid"
agora_pid=

# Demo data for the projects scenario, seeded once with no server running.
echo "== seeding: agora seed-demo --projects $seed_projects" >&2
t0=$(now_us)
"${server_env[@]}" DATABASE_URL="$(db_url bench-seed)" "$agora_bin" seed-demo --projects "$seed_projects" >"$tmp/seed.out" 2>>"$tmp/seed.log" ||
    { cat "$tmp/seed.log" "$tmp/seed.out" >&2; die "seed-demo failed"; }
seed_s=$(awk -v us=$(($(now_us) - t0)) 'BEGIN { printf "%.1f", us / 1e6 }')
grep -v '^{' "$tmp/seed.out" | sed 's/^/   /' >&2 || true
start_agora
ready_seeded_ms=$ready_ms
inner_seeded_ms=$(inner_ready_ms)
sleep 1
rss_idle=$(kib "$agora_pid" VmRSS)

"${server_env[@]}" DATABASE_URL="$(db_url bench-baseline)" PORT="$base_port" "$base_bin" >>"$tmp/baseline.log" 2>&1 &
base_pid=$!
wait_ready "$base_port" "$base_pid" "$tmp/baseline.log"
[ "$(readlink "/proc/$base_pid/exe")" = "$(readlink -f "$base_bin")" ] || die "PID $base_pid is not the baseline"

# --- a user and a token ----------------------------------------------------------
email="bench-$$-$RANDOM@example.com"
password=bench-password-1
register='{"query":"mutation { register(input: {email: \"'$email'\", password: \"'$password'\", name: \"Bench User\", role: CLIENT}) { accessToken } }"}'
reply=$(curl -fsS --max-time 30 -H 'content-type: application/json' -d "$register" "http://$host:$agora_port/graphql")
token=$(sed -n 's/.*"accessToken":"\([^"]*\)".*/\1/p' <<<"$reply")
[ -n "$token" ] || die "register failed: $reply"
rss_registered=$(kib "$agora_pid" VmRSS)

typename_body='{"query":"{ __typename }"}'
me_body='{"query":"{ me { id name email } }"}'
login_body='{"query":"mutation($email: String!, $password: String!) { login(input: {email: $email, password: $password}) { accessToken } }","variables":{"email":"'$email'","password":"'$password'"}}'
projects_body='{"query":"{ projects(first: 20) { totalCount edges { node { id title budgetMax { amount currency } client { name } proposalCount } } } }"}'
scenarios=(typename me projects)
body_of() { # SCENARIO -> sets body and tok
    case $1 in
        typename) body=$typename_body tok= ;;
        me) body=$me_body tok=$token ;;
        projects) body=$projects_body tok= ;;
    esac
}

post() { # PORT BODY [TOKEN]
    local auth=()
    [ -z "${3:-}" ] || auth=(-H "authorization: Bearer $3")
    curl -fsS --max-time 10 -H 'content-type: application/json' "${auth[@]}" -d "$2" "http://$host:$1/graphql"
}

# Both must answer alike before any figure means anything.
for scenario in "${scenarios[@]}"; do
    body_of $scenario
    a=$(post "$agora_port" "$body" "$tok") || die "agora refused $scenario"
    b=$(post "$base_port" "$body" "$tok") || die "baseline refused $scenario"
    echo "   $scenario: agora    ${a:0:300}" >&2
    echo "   $scenario: baseline ${b:0:300}" >&2
    [[ $a == *'"data"'* && $a != *'"errors"'* && $a != *'"me":null'* ]] || die "agora's $scenario answer is wrong"
    if [ $scenario = projects ]; then
        # The page must be full and the same data on both sides.
        [ "$(grep -o '"node":' <<<"$a" | wc -l)" = 20 ] || die "agora's projects page does not have 20 projects"
        [ "$a" = "$b" ] || die "the two projects answers differ"
        echo "   projects: the two answers are identical (20 projects," \
            "$(grep -o '"totalCount":[0-9]*' <<<"$a" | cut -d: -f2) open)" >&2
    else
        [ "$a" = "$b" ] || echo "   warning: the two $scenario answers differ" >&2
    fi
done

# --- load --------------------------------------------------------------------------
load() { # PORT BODY TOKEN SECONDS -> RESULT line
    BODY=$2 TOKEN=$3 timeout $(($4 + 30)) wrk -t"$threads" -c"$conns" -d"$4s" --timeout 10s \
        -s "$root/bench/post.lua" "http://$host:$1/graphql" | grep '^RESULT'
}
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"; }
# On PostgreSQL: the CPU ticks of the backends with application_name APP, as
# "pid ticks" lines (nothing on SQLite). Backends that end during a measurement
# are lost (the pools keep theirs); those that start during it count from 0.
pg_backend_ticks() {
    [ -n "$pg_url" ] || return 0
    local pid
    for pid in $(psql "$pg_url" -XAtqc "SELECT pid FROM pg_stat_activity
        WHERE datname = current_database() AND application_name = '$1'"); do
        [ -r "/proc/$pid/stat" ] && echo "$pid $(cpu_ticks "$pid" 2>/dev/null || echo 0)"
    done
    return 0
}
pg_us_per_req() { # BEFORE AFTER REQUESTS: µs of backend CPU per request, or n/a
    awk -v hz="$clk_tck" -v n="$3" 'NR == FNR { before[$1] = $2; next } { d += $2 - before[$1]; k++ }
        END { if (k && n > 0) printf "%.1f", d * 1e6 / hz / n; else print "n/a" }' \
        <(printf '%s\n' "$1") <(printf '%s\n' "$2")
}

declare -A result cpu_us pg_us
for scenario in "${scenarios[@]}"; do
    body_of $scenario
    for server in agora baseline; do
        if [ $server = agora ]; then port=$agora_port pid=$agora_pid; else port=$base_port pid=$base_pid; fi
        ((warmup == 0)) || load "$port" "$body" "$tok" "$warmup" >/dev/null
        echo "== $scenario on $server: ${secs}s, $conns connections, $threads wrk threads" >&2
        [ $server = baseline ] || start_sampler "$tmp/rss.samples"
        pg_before=$(pg_backend_ticks "bench-$server")
        ticks=$(cpu_ticks "$pid")
        r=$(load "$port" "$body" "$tok" "$secs")
        ticks=$(($(cpu_ticks "$pid") - ticks))
        pg_after=$(pg_backend_ticks "bench-$server")
        stop_sampler
        result[$scenario.$server]=$r
        cpu_us[$scenario.$server]=$(awk -v t="$ticks" -v hz="$clk_tck" -v n="$(field "$r" requests)" \
            'BEGIN { if (n > 0) printf "%.1f", t * 1e6 / hz / n; else print "n/a" }')
        pg_us[$scenario.$server]=$(pg_us_per_req "$pg_before" "$pg_after" "$(field "$r" requests)")
        echo "   $r cpu_us_per_req=${cpu_us[$scenario.$server]} pg_cpu_us_per_req=${pg_us[$scenario.$server]}" >&2
    done
done
rss_under_load=$(sort -n "$tmp/rss.samples" | tail -1)
rss_loaded=$(kib "$agora_pid" VmRSS)
base_rss=$(kib "$base_pid" VmRSS)

if [ "${LOGIN:-0}" = 1 ]; then
    login_secs=${LOGIN_SECONDS:-20}
    a=$(post "$agora_port" "$login_body") || die "agora refused login"
    b=$(post "$base_port" "$login_body") || die "baseline refused login"
    [[ $a == *'"accessToken"'* && $b == *'"verified":true'* ]] || die "login answers are wrong: $a / $b"
    declare -A login_result login_cpu
    for server in agora baseline; do
        if [ $server = agora ]; then port=$agora_port pid=$agora_pid; else port=$base_port pid=$base_pid; fi
        echo "== login on $server: ${login_secs}s, $conns connections" >&2
        [ $server = baseline ] || start_sampler "$tmp/rss.login"
        ticks=$(cpu_ticks "$pid")
        login_result[$server]=$(CHECK_BODIES=1 load "$port" "$login_body" "" "$login_secs")
        ticks=$(($(cpu_ticks "$pid") - ticks))
        [ $server = baseline ] || stop_sampler
        r=${login_result[$server]}
        login_cpu[$server]=$(awk -v t="$ticks" -v hz="$clk_tck" -v n="$(field "$r" requests)" \
            'BEGIN { if (n > 0) printf "%.0f", t * 1e6 / hz / n; else print "n/a" }')
        echo "   $r cpu_us_per_req=${login_cpu[$server]}" >&2
        [ "$(field "$r" graphql_errors)" = 0 ] && [ "$(field "$r" non2xx)" = 0 ] ||
            die "login on $server answered errors under load: $r"
    done
    rss_login_max=$(sort -n "$tmp/rss.login" | tail -1)
    rss_after_login=$(kib "$agora_pid" VmRSS)
fi

# --- report ------------------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "n/a" && b != "n/a" && b > 0) printf "%.2f", a / b; else print "n/a" }'; }
verdict() { awk -v v="$1" -v max="$2" 'BEGIN { print (v != "n/a" && v + 0 <= max + 0) ? "met" : "MISSED" }'; }

echo
echo "Agora vs bare axum baseline on $backend: ${secs}s per scenario, $conns connections, $threads wrk threads," \
    "$(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)"
echo
if [ -n "$pg_url" ]; then
    echo "| scenario | server | req/s | p50 ms | p90 ms | p99 ms | CPU µs/req | PG CPU µs/req | server+PG µs/req | non-2xx | socket errors |"
    echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
else
    echo "| scenario | server | req/s | p50 ms | p90 ms | p99 ms | CPU µs/req | non-2xx | socket errors |"
    echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
fi
sum() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "n/a" && b != "n/a") printf "%.1f", a + b; else print "n/a" }'; }
for scenario in "${scenarios[@]}"; do
    for server in agora baseline; do
        k=$scenario.$server
        r=${result[$k]}
        pg_cols=
        [ -z "$pg_url" ] || pg_cols="| ${pg_us[$k]} | $(sum "${cpu_us[$k]}" "${pg_us[$k]}") "
        echo "| $scenario | $server | $(field "$r" rps) | $(field "$r" p50_ms) | $(field "$r" p90_ms)" \
            "| $(field "$r" p99_ms) | ${cpu_us[$k]} ${pg_cols}| $(field "$r" non2xx) | $(field "$r" socket_errors) |"
    done
done
echo
pg_head='' pg_rule=''
[ -z "$pg_url" ] || pg_head=" server+PG CPU/req agora/bare |" pg_rule=" ---: |"
echo "| scenario | req/s agora/bare | bare is N× faster | p50 agora/bare | p99 agora/bare | CPU/req agora/bare |$pg_head within 3x |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |$pg_rule --- |"
for scenario in "${scenarios[@]}"; do
    a=${result[$scenario.agora]}
    b=${result[$scenario.baseline]}
    slower=$(ratio "$(field "$b" rps)" "$(field "$a" rps)")
    pg_cols=
    [ -z "$pg_url" ] || pg_cols=" $(ratio "$(sum "${cpu_us[$scenario.agora]}" "${pg_us[$scenario.agora]}")" \
        "$(sum "${cpu_us[$scenario.baseline]}" "${pg_us[$scenario.baseline]}")") |"
    echo "| $scenario | $(ratio "$(field "$a" rps)" "$(field "$b" rps)") | $slower" \
        "| $(ratio "$(field "$a" p50_ms)" "$(field "$b" p50_ms)") | $(ratio "$(field "$a" p99_ms)" "$(field "$b" p99_ms)")" \
        "| $(ratio "${cpu_us[$scenario.agora]}" "${cpu_us[$scenario.baseline]}") |$pg_cols $(verdict "$slower" 3) |"
done
echo
echo "| agora | measured | budget | |"
echo "| --- | ---: | ---: | --- |"
echo "| start to ready, fresh database (spawn to first 200 on /health/ready) | ${ready_fresh_ms} ms" \
    "(in-process ready_ms ${inner_fresh_ms:-?}) | 200 ms | $(verdict "$ready_fresh_ms" 200) |"
echo "| start to ready, existing database (median of 3: ${existing[*]}) | ${ready_existing_ms} ms" \
    "(in-process ready_ms ${inner_existing_ms:-?}) | 200 ms | $(verdict "$ready_existing_ms" 200) |"
echo "| start to ready, seeded database ($seed_projects projects) | ${ready_seeded_ms} ms" \
    "(in-process ready_ms ${inner_seeded_ms:-?}) | 200 ms | $(verdict "$ready_seeded_ms" 200) |"
echo "| seed-demo --projects $seed_projects (release build, $backend) | $seed_s s | | |"
echo "| RSS idle (ready, no request yet) | $(mib "$rss_idle") MiB | 30 MiB | $(verdict "$(mib "$rss_idle")" 30) |"
echo "| RSS after one register (argon2id hash) | $(mib "$rss_registered") MiB | | |"
echo "| RSS under load (max of 100 ms samples, typename, me and projects) | $(mib "$rss_under_load") MiB | 150 MiB" \
    "| $(verdict "$(mib "$rss_under_load")" 150) |"
echo "| RSS after load | $(mib "$rss_loaded") MiB | | |"
echo "| baseline RSS after load | $(mib "$base_rss") MiB | | |"
if [ "${LOGIN:-0}" = 1 ]; then
    echo "| RSS max during the login load | $(mib "$rss_login_max") MiB | 150 MiB | $(verdict "$(mib "$rss_login_max")" 150) |"
    echo "| RSS after login load | $(mib "$rss_after_login") MiB | | |"
    echo
    a=${login_result[agora]} b=${login_result[baseline]}
    echo "| login | req/s | p50 ms | p99 ms | CPU µs/req | errors |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: |"
    for server in agora baseline; do
        r=${login_result[$server]}
        echo "| $server$([ $server = agora ] || echo ' (the argon2 bound)') | $(field "$r" rps) | $(field "$r" p50_ms)" \
            "| $(field "$r" p99_ms) | ${login_cpu[$server]} | $(field "$r" graphql_errors) |"
    done
    echo "| agora / bound | $(ratio "$(field "$a" rps)" "$(field "$b" rps)") | | | $(ratio "${login_cpu[agora]}" "${login_cpu[baseline]}") | |"
fi

if [ "${BURST:-0}" = 1 ]; then
    echo
    stop "$agora_pid"
    agora_pid=
    stop "$base_pid"
    base_pid=
    AGORA_BIN=$agora_bin "$root/bench/burst.sh" "${BURST_COUNT:-600}" "$conns"
fi
