--[[
  A call status callback: records the carrier's outcome on its pool number (today's count per
  outcome, and the last outcome with its duration). A call with a duration was answered, which
  this service never does: the number is misconfigured at the carrier, so it is marked answered
  and quarantined.
  KEYS[1] pool:n:{to}   KEYS[2] pool:active
  ARGV[1] duration in seconds   ARGV[2] the call's status (busy, no-answer, failed, completed…)
  ARGV[3] key prefix, for the derived outcomes:{to}:{day} hash   ARGV[4] Japan's UTC offset in ms
  ARGV[5] the callback's carrier: another carrier's callback cannot quarantine this number
  Output: JSON of the number as it is now (includes/pool.lua number_view), answered or not: the
  caller needs no second read; -9 not a pool number (or another carrier's)
]]
-- For its clock, Japan day and hash reads only (now_ms, japan_day, hgetall): its ARGV are its
-- own, not context()'s.
--- @include "verification"
--- @include "pool"
if redis.call('EXISTS', KEYS[1]) == 0 or wrong_carrier(KEYS[1], ARGV[5]) then return -9 end
local now = now_ms()
local e164 = redis.call('HGET', KEYS[1], 'e164')
local offset = tonumber(ARGV[4])
local day = japan_day(now, offset)
local outcomes = ARGV[3] .. 'outcomes:' .. e164 .. ':' .. day
redis.call('HINCRBY', outcomes, ARGV[2], 1)
redis.call('PEXPIREAT', outcomes, (day + 2) * DAY_MS - offset)
redis.call('HSET', KEYS[1], 'lastOutcome', ARGV[2], 'lastOutcomeDuration', ARGV[1], 'lastOutcomeAt', now)
if is_answered(tonumber(ARGV[1])) then
  redis.call('HSET', KEYS[1], 'health', 'answered')
  if redis.call('HGET', KEYS[1], 'state') ~= 'retired' then
    redis.call('HSET', KEYS[1], 'state', 'quarantined')
    sync_active(KEYS[2], { e164 = e164, state = 'quarantined' })
  end
end
return cjson.encode(number_view(ARGV[3], offset, KEYS[1], now))
