--[[
  Adds a pool number, active.
  KEYS[1] pool:n:{e164}   KEYS[2] pool:all   KEYS[3] pool:active
  ARGV[1] e164   ARGV[2] weight   ARGV[3] label ('' = none)   ARGV[4] carrier
  Output: JSON of the number's hash, or -8 when it is already in the pool
]]
--- @include "pool"
if redis.call('EXISTS', KEYS[1]) == 1 then return -8 end
local t = redis.call('TIME')
local n = {
  e164 = ARGV[1], carrier = ARGV[4], state = 'active', weight = ARGV[2], health = 'ok',
  addedAt = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000), allocationsSinceCall = 0,
}
if ARGV[3] ~= '' then n.label = ARGV[3] end
for k, v in pairs(n) do redis.call('HSET', KEYS[1], k, v) end
redis.call('SADD', KEYS[2], ARGV[1])
sync_active(KEYS[3], n)
return cjson.encode(n)
