--[[
  確定する (R9): a verified verification inside its window becomes confirmed; confirmed again
  answers the same. Racing the expiry sweep, exactly one wins: both run here, one at a time.
  KEYS[1] v:{id}
  ARGV[1..5] see includes/verification.lua   ARGV[6] the backend's tenant
  Output: JSON {r, now, v, changed}: r = 0; -1 unknown or another tenant's; -4 pending;
  -5 cancelled; -6 expired
]]
--- @include "verification"
local ctx = context()
local now = now_ms()
local v = hgetall(KEYS[1])
if not v or v.tenant ~= ARGV[6] then return reply(-1, now, {}, {}) end
local changed = {}
if v.status == 'confirmed' then return reply(0, now, v, changed) end
expire_if_due(ctx, KEYS[1], v, now, changed)
if v.status ~= 'verified' then return reply(refusal_for(v.status), now, v, changed) end
transition(ctx, KEYS[1], v, { status = 'confirmed', confirmedAt = now }, now, changed)
return reply(0, now, v, changed)
