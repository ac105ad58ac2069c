--[[
  A call status callback. A call with a duration was answered, which this service never does:
  the number is misconfigured at the carrier, so it is marked answered and quarantined.
  KEYS[1] pool:n:{to}   KEYS[2] pool:active
  ARGV[1] duration in seconds
  Output: 1 answered, 0 not answered, -9 not a pool number
]]
--- @include "pool"
if redis.call('EXISTS', KEYS[1]) == 0 then return -9 end
if tonumber(ARGV[1]) <= 0 then return 0 end
redis.call('HSET', KEYS[1], 'health', 'answered')
local e164 = redis.call('HGET', KEYS[1], 'e164')
if redis.call('HGET', KEYS[1], 'state') ~= 'retired' then
  redis.call('HSET', KEYS[1], 'state', 'quarantined')
  redis.call('HDEL', KEYS[2], e164)
end
return 1
