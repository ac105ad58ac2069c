--[[
  Every pool number as the console lists it (store/roles/pool.ts PoolNumber), sorted by e164, in
  one round trip: the number hashes and their counters are derived from the members, so their
  prefix comes in ARGV. A read only.
  KEYS[1] pool:all
  ARGV[1] key prefix (pool:n:{e164} and its counters live under it)   ARGV[2] Japan's UTC offset in ms
  Output: JSON array of includes/pool.lua number_view, one per number with a hash ({} when none)
]]
-- For its clock, Japan day and hash reads only (now_ms, japan_day, hgetall).
--- @include "verification"
--- @include "pool"
local members = redis.call('SMEMBERS', KEYS[1])
table.sort(members)
local now = now_ms()
local offset = tonumber(ARGV[2])
local views = {}
for _, e164 in ipairs(members) do
  local view = number_view(ARGV[1], offset, ARGV[1] .. 'pool:n:' .. e164, now)
  if view then views[#views + 1] = view end
end
return cjson.encode(views)
