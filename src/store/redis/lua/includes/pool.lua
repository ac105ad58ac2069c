-- Pool number hash fields: e164 carrier state weight label health addedAt lastCallAt allocationsSinceCall.

-- domain/carrier.ts isWrongCarrier: a number verifies only through its own carrier (absent = twilio).
local function wrong_carrier(nkey, carrier)
  local own = redis.call('HGET', nkey, 'carrier')
  if not own or own == '' then own = 'twilio' end
  return own ~= carrier
end

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

-- Allocation's view (R2), derived from pool:active (active number → weight) as the key
-- pool:active:cdf: a sorted set of the numbers of weight > 0, each scored with the running total
-- of the weights up to and including it, so it owns the points [score − weight, score) and a
-- create finds the number at a random point with one ZRANGEBYSCORE (O(log pool)); the twin of
-- store/allocation.ts weightIndex. Rebuilt whole on a pool change, which is rare: O(pool) then.
local function cdf_key(active_key) return active_key .. ':cdf' end

-- R2: handed out only while active with a weight above 0 (domain/pool.ts isAllocatable).
local function is_allocatable(state, weight)
  return state == 'active' and weight > 0
end

local function rebuild_cdf(active_key)
  local cdf = cdf_key(active_key)
  redis.call('DEL', cdf)
  local active = redis.call('HGETALL', active_key)
  local args, total = {}, 0
  for i = 1, #active, 2 do
    local weight = tonumber(active[i + 1])
    if is_allocatable('active', weight) then -- pool:active holds active numbers only
      total = total + weight
      args[#args + 1] = total
      args[#args + 1] = active[i]
      -- unpack() is bounded by Lua's C stack: ZADD in slices.
      if #args >= 2000 then
        redis.call('ZADD', cdf, unpack(args))
        args = {}
      end
    end
  end
  if #args > 0 then redis.call('ZADD', cdf, unpack(args)) end
  return total
end

-- Keeps pool:active and its cdf (what allocation reads) in step with a number's state and weight.
local function sync_active(active_key, n)
  local before = tonumber(redis.call('HGET', active_key, n.e164) or '0')
  local after = 0
  if n.state == 'active' then
    redis.call('HSET', active_key, n.e164, n.weight)
    after = tonumber(n.weight)
  else
    redis.call('HDEL', active_key, n.e164)
  end
  if before == after then return end
  -- A number that had no share joins at the end (as addNumber does); anything else moves the
  -- running totals after it, so the set is built again. An empty set may be one not built yet.
  local last = redis.call('ZRANGE', cdf_key(active_key), -1, -1, 'WITHSCORES')
  if before <= 0 and #last > 0 then
    redis.call('ZADD', cdf_key(active_key), tonumber(last[2]) + after, n.e164)
  else
    rebuild_cdf(active_key)
  end
end

-- The one-time "have we seen this CallSid" gate: the carrier retries a webhook it got no answer to.
local function first_sighting(sid_key, ttl)
  return redis.call('SET', sid_key, '1', 'NX', 'PX', ttl) ~= false
end

-- Pool health: handed out `threshold` times with no call, an 'ok' number that is not retired is
-- silent (domain/pool.ts isSilentNumber).
local function is_silent(state, health, allocations, threshold)
  return state ~= 'retired' and health == 'ok' and allocations >= threshold
end

-- R6: we never answer, so a call with a duration was answered by someone else (isAnsweredCall).
local function is_answered(duration)
  return duration > 0
end

-- A pool number as the stores answer it (store/roles/pool.ts PoolNumber): its hash, the open
-- verifications pointing at it now, and today's calls and status callbacks by outcome (Japan
-- day); nil when it has no hash. The keys are derived from its number, so the prefix comes in.
-- The memory store's twin is memory/pool.ts numberView.
local function number_view(prefix, offset, nkey, now)
  local number = hgetall(nkey)
  if not number then return nil end
  local day = japan_day(now, offset)
  return {
    number = number,
    pending = redis.call('ZCOUNT', prefix .. 'pool:pending:' .. number.e164, '(' .. now, '+inf'),
    callsToday = tonumber(redis.call('GET', prefix .. 'calls:' .. number.e164 .. ':' .. day) or '0'),
    outcomesToday = hgetall(prefix .. 'outcomes:' .. number.e164 .. ':' .. day) or {},
  }
end
