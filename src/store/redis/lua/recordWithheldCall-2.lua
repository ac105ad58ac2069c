--[[
  R5: a withheld call to a pool number verifies nothing; it still shows the number is reachable.
  KEYS[1] sid:{carrier}:{callId}   KEYS[2] pool:n:{to}
  ARGV[1..5] see includes/verification.lua   ARGV[6] to (E.164)   ARGV[7] call id memory in ms
  ARGV[8] the webhook's carrier
  Output: 1 when counted, 0 for a retry, a number not in the pool or of another carrier
]]
--- @include "verification"
--- @include "pool"
local ctx = context()
if not first_sighting(KEYS[1], ARGV[7]) then return 0 end
local state = redis.call('HGET', KEYS[2], 'state')
if not state or state == 'retired' or wrong_carrier(KEYS[2], ARGV[8]) then return 0 end
note_call(ctx, KEYS[2], ARGV[6], now_ms())
return 1
