-- POST an availability check of a random machine and window, for either server:
-- the machine uniform over MACHINES (comma-separated), the first day 1..60 days
-- after today, 1..7 days long (the design reference's lua/check.lua).
-- env: LUA_DIR, CHECK_PATH, AUTH (the Authorization header), MACHINES,
--      BODY (a string.format pattern: machine, first day, last day)
package.path = (os.getenv("LUA_DIR") or "benchmarks/lua") .. "/?.lua;" .. package.path
require "common"

local machines = {}
for m in string.gmatch(os.getenv("MACHINES"), "[^,]+") do table.insert(machines, m) end
local path, form = os.getenv("CHECK_PATH"), os.getenv("BODY")
local headers = { ["Content-Type"] = "application/json", ["Authorization"] = os.getenv("AUTH") }

function request()
  local s = os.time() + math.random(1, 60) * 86400
  local e = s + math.random(0, 6) * 86400
  local body = string.format(form, machines[math.random(#machines)],
    os.date("!%Y-%m-%d", s), os.date("!%Y-%m-%d", e))
  return wrk.format("POST", path, headers, body)
end
