-- wrk script: counts the answers by status class (and, when the
-- environment names one, those whose body lacks a required string), and
-- prints one line the test reads:
--   COUNTS 2xx=N 4xx=N 5xx=N other=N bad=N
-- LOAD_METHOD, LOAD_BODY: the request (default GET, no body).
-- LOAD_EXPECT: a string every 2xx body must hold.
-- LOAD_ACKED: a file prefix; the "id" of every 201 answer is appended to
-- <prefix>.<thread>, for the durability check.
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
end

function init(args)
  n2, n4, n5, nother, nbad = 0, 0, 0, 0, 0
  seq = 0
  expect = os.getenv("LOAD_EXPECT")
  method = os.getenv("LOAD_METHOD") or "GET"
  body = os.getenv("LOAD_BODY")
  local acked = os.getenv("LOAD_ACKED")
  if acked then ackfile = io.open(acked .. "." .. tid, "a") end
  wrk.method = method
  if body then
    wrk.body = body
    wrk.headers["Content-Type"] = "application/json"
  end
end

function request()
  if body and body:find("@SEQ@", 1, true) then
    seq = seq + 1
    local b = body:gsub("@SEQ@", tid .. "-" .. seq)
    return wrk.format(method, nil, nil, b)
  end
  return wrk.format()
end

function response(status, headers, resp)
  if status >= 200 and status < 300 then
    n2 = n2 + 1
    if expect and not resp:find(expect, 1, true) then nbad = nbad + 1 end
    if ackfile and status == 201 then
      local id = resp:match('"id":"([^"]+)"')
      if id then ackfile:write(id, "\n"); ackfile:flush() end
    end
  elseif status >= 400 and status < 500 then n4 = n4 + 1
  elseif status >= 500 and status < 600 then n5 = n5 + 1
  else nother = nother + 1 end
end

function done(summary, latency, requests)
  local a, b, c, d, e = 0, 0, 0, 0, 0
  for _, t in ipairs(threads) do
    a = a + t:get("n2"); b = b + t:get("n4"); c = c + t:get("n5")
    d = d + t:get("nother"); e = e + t:get("nbad")
  end
  io.write(string.format("COUNTS 2xx=%d 4xx=%d 5xx=%d other=%d bad=%d\n", a, b, c, d, e))
end
