-- Pool number hash fields: e164 carrier state weight label health addedAt lastCallAt allocationsSinceCall.

-- domain/carrier.ts isWrongCarrier: a number verifies only through its own carrier (absent = twilio).
local function wrong_carrier(nkey, carrier)
  local own = redis.call('HGET', nkey, 'carrier')
  if not own or own == '' then own = 'twilio' end
  return own ~= carrier
end

-- A call reached a pool number: it is alive, whatever the call was (health job's "silent" ends).
local function note_call(ctx, nkey, to, now)
  local day = japan_day(now, ctx.offset)
  local ckey = ctx.prefix .. 'calls:' .. to .. ':' .. day
  redis.call('INCR', ckey)
  redis.call('PEXPIREAT', ckey, (day + 2) * DAY_MS - ctx.offset)
  redis.call('HSET', nkey, 'lastCallAt', now, 'allocationsSinceCall', 0)
  if redis.call('HGET', nkey, 'health') == 'silent' then redis.call('HSET', nkey, 'health', 'ok') end
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
