--[[
  A call from a number (not withheld) to a pool number. If it matches an open verification
  of that caller on that number, inside its window, a pending one becomes verified at once;
  a verified one counts one more call (R7). The same call id twice changes nothing twice.
  A number of another carrier verifies nothing (domain isWrongCarrier); a tenant whose policy
  the call's attestation falls short of (domain tenantsRefusing) is not verified.
  KEYS[1] sid:{carrier}:{callId}   KEYS[2] caller:{from}   KEYS[3] pool:n:{to}
  ARGV[1..4] see includes/verification.lua   ARGV[5] to (E.164)   ARGV[6] call id memory in ms
  ARGV[7] the webhook's carrier   ARGV[8] caller attestation ('' unknown; domain encodeAttestation)
  ARGV[9] refusing tenants as ',a,b,' ('' none)
  Output: JSON {r = 0, now, v = {outcome}, changed}; outcome is verified, repeat, expired,
  unmatched, unknown-number, duplicate, wrong-carrier or attestation-refused (store/types.ts CallOutcome)
]]
--- @include "verification"
--- @include "pool"
local ctx = context()
local now = now_ms()
local changed = {}
local function outcome(name) return reply(0, now, { outcome = name }, changed) end

if not first_sighting(KEYS[1], ARGV[6]) then return outcome('duplicate') end
local state = redis.call('HGET', KEYS[3], 'state')
if not state or state == 'retired' then return outcome('unknown-number') end
if wrong_carrier(KEYS[3], ARGV[7]) then return outcome('wrong-carrier') end
note_call(ctx, KEYS[3], ARGV[5], now)

local id = redis.call('HGET', KEYS[2], ARGV[5])
if not id then return outcome('unmatched') end
local vkey = ctx.prefix .. 'v:' .. id
local v = hgetall(vkey)
if not v then return outcome('unmatched') end
expire_if_due(ctx, vkey, v, now, changed)
if v.status == 'pending' then
  if ARGV[9] ~= '' and string.find(ARGV[9], ',' .. v.tenant .. ',', 1, true) then return outcome('attestation-refused') end
  local fields = { status = 'verified', verifiedAt = now, calls = tonumber(v.calls) + 1 }
  if ARGV[8] ~= '' then fields.attest = ARGV[8] end
  transition(ctx, vkey, v, fields, now, changed)
  return outcome('verified')
end
if v.status == 'verified' then
  v.calls = redis.call('HINCRBY', vkey, 'calls', 1)
  return outcome('repeat')
end
if v.status == 'expired' then return outcome('expired') end
return outcome('unmatched')
