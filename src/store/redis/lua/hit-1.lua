--[[
  One hit on a rate-limit counter (Store.hit), for the limits not taken inside a store step.
  KEYS[1] rl:{name}   ARGV[1] window in ms
  Output: {hits in this window, ms until it ends}
]]
--- @include "counts"
local current, ttl = hit(KEYS[1], tonumber(ARGV[1]))
return { current, ttl }
