--[[
  中止する (R10): an open verification becomes cancelled; cancelled again answers the same.
  KEYS[1] v:{id}
  ARGV[1..5] see includes/verification.lua
  ARGV[6] the backend's tenant, '' for a poll token (already checked)   ARGV[7] cancel reason
  Output: JSON {r, now, v, changed}: r = 0; -1 unknown or another tenant's; -6 expired; -7 confirmed
]]
--- @include "verification"
local ctx = context()
local now = now_ms()
local v = hgetall(KEYS[1])
if not v or (ARGV[6] ~= '' and v.tenant ~= ARGV[6]) then return reply(-1, now, {}, {}) end
local changed = {}
if v.status == 'cancelled' then return reply(0, now, v, changed) end
expire_if_due(ctx, KEYS[1], v, now, changed)
if not is_open(v.status) then return reply(refusal_for(v.status), now, v, changed) end
transition(ctx, KEYS[1], v, { status = 'cancelled', cancelledAt = now, cancelReason = ARGV[7] }, now, changed)
return reply(0, now, v, changed)
