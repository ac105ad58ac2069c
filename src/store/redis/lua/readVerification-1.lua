--[[
  Reads a verification, expiring it first if its window is over (R3) so that every reader,
  and the expiry job, sees the same answer and the failure is counted once.
  KEYS[1] v:{id}
  ARGV[1..4] see includes/verification.lua
  Output: JSON {r = 0, now, v, changed}, or -1 when unknown
]]
--- @include "verification"
local ctx = context()
local now = now_ms()
local v = hgetall(KEYS[1])
if not v then return reply(-1, now, {}, {}) end
local changed = {}
expire_if_due(ctx, KEYS[1], v, now, changed)
return reply(0, now, v, changed)
