-- Pool number hash fields: e164 state weight label health addedAt lastCallAt allocationsSinceCall.

local HOUR_MS = 3600000
-- The console's 24-hour chart reads hourly:{to}:{hour}; a day and an hour later it is gone (types.ts HOURLY_HOURS).
local HOURLY_KEPT_MS = 25 * HOUR_MS

-- A call reached a pool number: it is alive, whatever the call was (health job's "silent" ends).
-- Returns this hour's counter hash, where recordCall adds the call that verified.
local function note_call(ctx, nkey, to, now)
  local day = japan_day(now, ctx.offset)
  local ckey = ctx.prefix .. 'calls:' .. to .. ':' .. day
  redis.call('INCR', ckey)
  redis.call('PEXPIREAT', ckey, (day + 2) * DAY_MS - ctx.offset)
  local hour = math.floor(now / HOUR_MS)
  local hkey = ctx.prefix .. 'hourly:' .. to .. ':' .. hour
  redis.call('HINCRBY', hkey, 'calls', 1)
  redis.call('PEXPIREAT', hkey, hour * HOUR_MS + HOURLY_KEPT_MS)
  redis.call('HSET', nkey, 'lastCallAt', now, 'allocationsSinceCall', 0)
  if redis.call('HGET', nkey, 'health') == 'silent' then redis.call('HSET', nkey, 'health', 'ok') end
  return hkey
end

-- Keeps pool:active (what allocation reads) in step with a number's state and weight.
local function sync_active(active_key, n)
  if n.state == 'active' then
    redis.call('HSET', active_key, n.e164, n.weight)
  else
    redis.call('HDEL', active_key, n.e164)
  end
end

-- The one-time "have we seen this CallSid" gate: the carrier retries a webhook it got no answer to.
local function first_sighting(sid_key, ttl)
  return redis.call('SET', sid_key, '1', 'NX', 'PX', ttl) ~= false
end
