--[[
  The expiry sweep's step (R3 as an event): expires open verifications whose window is over,
  oldest window first per pool number, so `expired` is published and the failure counted (R11)
  even if nobody reads them. The same expire_if_due as every reader: a confirm racing this
  step has one winner, and a verification is expired, counted and published once.
  pool:pending:<number> holds every open verification scored by expiresAt (createVerification,
  transition removes it when it ends); a member whose hash is gone (past retention) or already
  ended is stale and removed here.
  KEYS[1] pool:all                 every pool number
  ARGV[1..5] see includes/verification.lua (ARGV[1] builds pool:pending:<number> and v:<id>)
  ARGV[6] limit: at most this many members examined, so one call stays short
  Output: JSON {r = 0, now, v = {}, changed}: changed lists the verifications expired now
]]
--- @include "verification"
local ctx = context()
local now = now_ms()
local budget = tonumber(ARGV[6])
local changed = {}

for _, number in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if budget <= 0 then break end
  local pending = ctx.prefix .. 'pool:pending:' .. number
  -- Inclusive: expire_if_due ends a window at now >= expiresAt.
  local due = redis.call('ZRANGEBYSCORE', pending, '-inf', now, 'LIMIT', 0, budget)
  budget = budget - #due
  for _, id in ipairs(due) do
    local vkey = ctx.prefix .. 'v:' .. id
    local v = hgetall(vkey)
    if v and is_open(v.status) then
      expire_if_due(ctx, vkey, v, now, changed)
    else
      redis.call('ZREM', pending, id)
    end
  end
end
return reply(0, now, {}, changed)
