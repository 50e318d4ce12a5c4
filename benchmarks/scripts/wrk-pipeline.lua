-- wrk script: send `depth` HTTP hello requests back to back per round trip (HTTP pipelining).
-- Used by `bench load --tool wrk --depth D` and `bench compare --wrk`; depth comes as the first
-- script argument (wrk ... -s wrk-pipeline.lua -- D).
local batch

function init(args)
  local depth = tonumber(args[1] or "1")
  local one = wrk.format("GET", "/")
  local parts = {}
  for i = 1, depth do parts[i] = one end
  batch = table.concat(parts)
end

function request()
  return batch
end
