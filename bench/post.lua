-- wrk script for bench/run.sh: POST one GraphQL-over-HTTP JSON body.
--   BODY   (required) the JSON body, e.g. {"query":"{ __typename }"}
--   TOKEN  (optional) sent as "Authorization: Bearer TOKEN"
--   CHECK_BODIES=1 (optional) also count 2xx bodies that carry "errors"; off by
--          default because a Lua response() callback costs wrk CPU, and wrk
--          shares the machine's cores with the server under test.
-- Prints one line:
--   RESULT requests=N rps=R p50_ms=.. p90_ms=.. p99_ms=.. max_ms=.. non2xx=N socket_errors=N graphql_errors=N|-
local body = os.getenv("BODY")
assert(body and body ~= "", "BODY is not set")
wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"
local token = os.getenv("TOKEN")
if token and token ~= "" then wrk.headers["Authorization"] = "Bearer " .. token end

local check = os.getenv("CHECK_BODIES") == "1"
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init() gqlerr = 0 end
if check then
  function response(status, headers, rbody)
    if status >= 200 and status < 300 and rbody and rbody:find('"errors"', 1, true) then gqlerr = gqlerr + 1 end
  end
end

function done(summary, latency, requests)
  local g = "-"
  if check then
    g = 0
    for _, t in ipairs(threads) do g = g + t:get("gqlerr") end
  end
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f non2xx=%d socket_errors=%d graphql_errors=%s\n",
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1e3, latency:percentile(90) / 1e3, latency:percentile(99) / 1e3, latency.max / 1e3,
    e.status, e.connect + e.read + e.write + e.timeout, tostring(g)))
end
