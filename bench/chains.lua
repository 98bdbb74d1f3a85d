-- POST /auth/refresh along refresh token chains: every answer's new refresh
-- token is sent by a later request, as a client rotating its token does.
-- BENCH_CHAINS names a file of refresh tokens, one a line; of BENCH_NTHREADS
-- threads, thread i takes lines i, i + n, ... (give at least as many as
-- connections). A refused refresh ends its chain; a thread with no chain
-- left sends an empty token, which is refused and counted (non-2xx).
local counter = 0
setup = function(thread)
  thread:set("id", counter)
  counter = counter + 1
end

local pool = {}
init = function(args)
  local n = tonumber(os.getenv("BENCH_NTHREADS") or "1")
  local k = 0
  for line in io.lines(os.getenv("BENCH_CHAINS")) do
    if k % n == id then pool[#pool + 1] = line end
    k = k + 1
  end
end

-- wrk calls request() once in thread 0 before the run, only to check what
-- it builds: that call must not spend a chain.
local checked = false
request = function()
  local t
  if id == 0 and not checked then
    checked = true
    t = pool[#pool] or ""
  else
    t = table.remove(pool) or ""
  end
  return wrk.format("POST", nil, { ["Content-Type"] = "application/json" },
    '{"refresh_token":"' .. t .. '"}')
end

response = function(status, headers, body)
  if status == 200 then
    local t = body:match('"refresh_token"%s*:%s*"([^"]+)"')
    if t then pool[#pool + 1] = t end
  end
end
