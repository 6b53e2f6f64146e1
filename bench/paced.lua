-- wrk script: requests to PATHS (comma-separated) in turn, each connection pausing
-- PAUSE_MS between requests, so the rate is held near connections × 1000 / (PAUSE_MS +
-- latency) instead of as fast as the server answers. Headers come from wrk's -H.
local paths = {}
for p in string.gmatch(os.getenv("PATHS") or "/", "[^,]+") do
  table.insert(paths, p)
end
local pause = tonumber(os.getenv("PAUSE_MS") or "10")
local n = 0

request = function()
  n = n + 1
  return wrk.format("GET", paths[(n % #paths) + 1])
end

delay = function()
  return pause
end
