-- GET the URL given on wrk's command line (the design reference's lua/events.lua),
-- with the Authorization and If-None-Match headers from the environment when set.
-- env: LUA_DIR, AUTH, IF_NONE_MATCH
package.path = (os.getenv("LUA_DIR") or "benchmarks/lua") .. "/?.lua;" .. package.path
require "common"

local auth, etag = os.getenv("AUTH"), os.getenv("IF_NONE_MATCH")
if auth and auth ~= "" then wrk.headers["Authorization"] = auth end
if etag and etag ~= "" then wrk.headers["If-None-Match"] = etag end
