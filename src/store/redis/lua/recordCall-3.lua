--[[
  A call from a number (not withheld) to a pool number. If it matches an open verification
  of that caller on that number, inside its window, a pending one becomes verified at once;
  a verified one counts one more call (R7). The same call id twice changes nothing twice.
  A number of another carrier verifies nothing (domain isWrongCarrier); a tenant whose policy
  the call's attestation falls short of (domain tenantsRefusing) is not verified.
  Every call counts in the number's day and hour counters (keys derived from ARGV[1], the
  prefix: calls:{to}:{day}, hourly:{to}:{hour}); the hour's also counts the call that verified.
  KEYS[1] sid:{carrier}:{callId}   KEYS[2] caller:{from}   KEYS[3] pool:n:{to}
  {from} is the caller's HMAC under PHONE_HASH_KEY: the caller's number is never stored, matched or not.
  ARGV[1..5] see includes/verification.lua   ARGV[6] to (E.164)   ARGV[7] call id memory in ms
  ARGV[8] the caller's HMAC under PHONE_HASH_PREVIOUS_KEY ('' = no rotation): caller:{…} from ARGV[1]
  ARGV[9] the webhook's carrier   ARGV[10] caller attestation ('' unknown; domain encodeAttestation)
  ARGV[11] refusing tenants as ',a,b,' ('' none)
  Output: JSON {r = 0, now, v = {outcome}, changed}; outcome is verified, repeat, expired,
  unmatched, unknown-number, duplicate, wrong-carrier or attestation-refused (store/types.ts CallOutcome)
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
if wrong_carrier(KEYS[3], ARGV[9]) then return outcome('wrong-carrier') end
local hourly = note_call(ctx, KEYS[3], ARGV[6], now)

local id = redis.call('HGET', KEYS[2], ARGV[6])
if not id and ARGV[8] ~= '' then id = redis.call('HGET', ctx.prefix .. 'caller:' .. ARGV[8], ARGV[6]) end
if not id then return outcome('unmatched') end
local vkey = ctx.prefix .. 'v:' .. id
local v = hgetall(vkey)
if not v then return outcome('unmatched') end
expire_if_due(ctx, vkey, v, now, changed)
if v.status == 'pending' then
  if ARGV[11] ~= '' and string.find(ARGV[11], ',' .. v.tenant .. ',', 1, true) then return outcome('attestation-refused') end
  local fields = { status = 'verified', verifiedAt = now, calls = tonumber(v.calls) + 1 }
  if ARGV[10] ~= '' then fields.attest = ARGV[10] end
  transition(ctx, vkey, v, fields, now, changed)
  redis.call('HINCRBY', hourly, 'verified', 1)
  return outcome('verified')
end
if v.status == 'verified' then
  v.calls = redis.call('HINCRBY', vkey, 'calls', 1)
  return outcome('repeat')
end
if v.status == 'expired' then return outcome('expired') end
return outcome('unmatched')
