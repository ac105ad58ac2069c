--[[
  A call from a number (not withheld) to a pool number. If it matches an open verification
  of that caller on that number, inside its window, a pending one becomes verified at once;
  a verified one counts one more call (R7). The same CallSid twice changes nothing twice.
  Every call counts in the number's day and hour counters (keys derived from ARGV[1], the
  prefix: calls:{to}:{day}, hourly:{to}:{hour}); the hour's also counts the call that verified.
  KEYS[1] sid:{callSid}   KEYS[2] caller:{from}   KEYS[3] pool:n:{to}
  {from} is the caller's HMAC under PHONE_HASH_KEY: the caller's number is never stored, matched or not.
  ARGV[1..5] see includes/verification.lua   ARGV[6] to (E.164)   ARGV[7] CallSid memory in ms
  ARGV[8] the caller's HMAC under PHONE_HASH_PREVIOUS_KEY ('' = no rotation): caller:{…} from ARGV[1]
  Output: JSON {r = 0, now, v = {outcome}, changed}; outcome is verified, repeat, expired,
  unmatched, unknown-number or duplicate (store/types.ts CallOutcome)
]]
--- @include "verification"
--- @include "pool"
local ctx = context()
local now = now_ms()
local changed = {}
local function outcome(name) return reply(0, now, { outcome = name }, changed) end

if not first_sighting(KEYS[1], ARGV[7]) then return outcome('duplicate') end
local state = redis.call('HGET', KEYS[3], 'state')
if not state or state == 'retired' then return outcome('unknown-number') end
local hourly = note_call(ctx, KEYS[3], ARGV[6], now)

local id = redis.call('HGET', KEYS[2], ARGV[6])
if not id and ARGV[8] ~= '' then id = redis.call('HGET', ctx.prefix .. 'caller:' .. ARGV[8], ARGV[6]) end
if not id then return outcome('unmatched') end
local vkey = ctx.prefix .. 'v:' .. id
local v = hgetall(vkey)
if not v then return outcome('unmatched') end
expire_if_due(ctx, vkey, v, now, changed)
if v.status == 'pending' then
  transition(ctx, vkey, v, { status = 'verified', verifiedAt = now, calls = tonumber(v.calls) + 1 }, now, changed)
  redis.call('HINCRBY', hourly, 'verified', 1)
  return outcome('verified')
end
if v.status == 'verified' then
  v.calls = redis.call('HINCRBY', vkey, 'calls', 1)
  return outcome('repeat')
end
if v.status == 'expired' then return outcome('expired') end
return outcome('unmatched')
