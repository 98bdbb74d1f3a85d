-- Rotates through many distinct tokens, one per request (BENCH_TOKENS file);
-- the requests are formatted once, at start, so that wrk spends little per request.
local reqs = {}
local i = 0
init = function(args)
  for line in io.lines(os.getenv("BENCH_TOKENS")) do
    reqs[#reqs + 1] = wrk.format("GET", nil, { ["Authorization"] = "Bearer " .. line })
  end
end
request = function()
  i = i % #reqs + 1
  return reqs[i]
end
