-- wrk script: sign-ins through the API as seeded people, each connection pausing between
-- requests so the total rate is about connections × 1000 / (SIGNIN_PAUSE_MS + latency).
local password = os.getenv("BENCH_PASSWORD") or "bench-password-2030"
local pause = tonumber(os.getenv("SIGNIN_PAUSE_MS") or "200")
local n = 0

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

request = function()
  n = n + 1
  -- Spread across many people, as a morning's sign-ins are.
  local person = 100 + (n * 7 + math.random(0, 6)) % 1800
  local body = string.format('{"email":"person-%05d@bench.example","password":"%s"}', person, password)
  return wrk.format(nil, "/api/v1/auth/token", nil, body)
end

delay = function()
  return pause
end
