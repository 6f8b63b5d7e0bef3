-- Shared by the web benchmark's wrk scripts (benchmarks/web.py): a random seed per
-- thread, a tally of response statuses, and one SUMMARY line that web.py reads.
-- The same shape as the design reference's lua/common.lua, so both servers meet
-- the same client.
local counter = 0
local threads = {}

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(os.time() * 1000 + tid)
  statuses = {}
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total, bad = {}, 0
  for _, t in ipairs(threads) do
    for code, n in pairs(t:get("statuses")) do
      total[code] = (total[code] or 0) + n
      if code < 200 or code >= 400 then bad = bad + n end
    end
  end
  local parts = {}
  for code, n in pairs(total) do table.insert(parts, code .. "=" .. n) end
  table.sort(parts)
  local e = summary.errors
  io.write(string.format("SUMMARY rps=%.1f p50_ms=%.3f p99_ms=%.3f requests=%d "
    .. "socket_errors=%d bad_status=%d status=%s\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, summary.requests,
    e.connect + e.read + e.write + e.timeout, bad, table.concat(parts, ",")))
end
