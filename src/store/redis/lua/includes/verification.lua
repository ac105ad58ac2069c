-- Shared by the verification scripts (pasted in by the loader at `--- @include "verification"`).
-- Every verification script takes the same first five ARGV:
--   ARGV[1] key prefix: for keys derived from what a script reads (ioredis adds it to KEYS only)
--   ARGV[2] LOCK_AFTER_FAILURES   ARGV[3] Japan's UTC offset in ms   ARGV[4] retention in ms
--   ARGV[5] the outbox's cap (OUTBOX_MAX_LENGTH)
-- Verification hash fields: id tenant phone mask to status createdAt expiresAt verifiedAt
-- confirmedAt cancelledAt cancelReason calls tokenHash reference callbackUrl attest (times in ms;
-- attest: the verifying call's caller attestation), and phone2 while a key rotation runs (only
-- the scripts read it). phone is HMAC-SHA256(PHONE_HASH_KEY, E.164), never the number
-- (domain/phonehash.ts); phone2 the same under PHONE_HASH_PREVIOUS_KEY; mask the R1 form for display.

local DAY_MS = 86400000

local function context()
  return {
    prefix = ARGV[1], lockAfter = tonumber(ARGV[2]), offset = tonumber(ARGV[3]), retention = tonumber(ARGV[4]),
    outboxMax = ARGV[5],
  }
end

-- The window is judged by the store's clock, never the client's (docs/contract.md "Rules that hold everywhere").
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- Asia/Tokyo has no daylight saving, so a fixed offset gives the Japan day (R11).
local function japan_day(ms, offset)
  return math.floor((ms + offset) / DAY_MS)
end

local function next_japan_midnight(ms, offset)
  return (japan_day(ms, offset) + 1) * DAY_MS - offset
end

local function hgetall(key)
  local flat = redis.call('HGETALL', key)
  if #flat == 0 then return nil end
  local t = {}
  for i = 1, #flat, 2 do t[flat[i]] = flat[i + 1] end
  return t
end

local function hset(key, fields)
  local flat = {}
  for k, v in pairs(fields) do
    flat[#flat + 1] = k
    flat[#flat + 1] = v
  end
  redis.call('HSET', key, unpack(flat))
end

local function is_open(status)
  return status == 'pending' or status == 'verified'
end

local function reply(code, now, v, changed)
  return cjson.encode({ r = code, now = now, v = v, changed = changed })
end

-- The transactional outbox (store/types.ts Outbox): the event is appended in the step that makes
-- the change, so it exists exactly when the change does; the callbacks are fed from here
-- (jobs/outbox.ts), never from pub/sub, which only wakes long-polls and streams on every instance.
-- The stream is the deployment's one queue of events (no TTL: it is emptied as it is read); its
-- cap only guards the store against a relay that stopped (MAXLEN ~: whole nodes, cheap).
local function publish(ctx, v)
  local entry = { 'id', v.id, 'status', v.status, 'tenant', v.tenant }
  if v.callbackUrl then
    entry[#entry + 1] = 'callback'
    entry[#entry + 1] = '1'
  end
  if v.status ~= 'verified' and v.verifiedAt then
    entry[#entry + 1] = 'wasVerified'
    entry[#entry + 1] = '1'
  end
  redis.call('XADD', ctx.prefix .. 'outbox', 'MAXLEN', '~', ctx.outboxMax, '*', unpack(entry))
  redis.call('PUBLISH', ctx.prefix .. 'events', cjson.encode({ id = v.id, status = v.status }))
end

-- R11: a verification that ended unconfirmed counts once, in the Japan day it began; at the
-- limit, and if that day is today, the number locks until the next midnight. During a key
-- rotation the day's count under the previous key's hash (phone2) counts too.
local function count_failure(ctx, v, now)
  local day = japan_day(tonumber(v.createdAt), ctx.offset)
  local fkey = ctx.prefix .. 'fail:' .. v.tenant .. ':' .. v.phone .. ':' .. day
  local count = redis.call('INCR', fkey)
  redis.call('PEXPIREAT', fkey, (day + 2) * DAY_MS - ctx.offset)
  if v.phone2 then
    count = count + tonumber(redis.call('GET', ctx.prefix .. 'fail:' .. v.tenant .. ':' .. v.phone2 .. ':' .. day) or '0')
  end
  if count >= ctx.lockAfter and day == japan_day(now, ctx.offset) then
    local until_ms = next_japan_midnight(now, ctx.offset)
    redis.call('SET', ctx.prefix .. 'lock:' .. v.tenant .. ':' .. v.phone, until_ms, 'PXAT', until_ms)
  end
end

-- Moves a verification to a new status, publishes it and records it as changed.
local function transition(ctx, vkey, v, fields, now, changed)
  hset(vkey, fields)
  for k, val in pairs(fields) do v[k] = val end
  if not is_open(v.status) then
    redis.call('ZREM', ctx.prefix .. 'pool:pending:' .. v.to, v.id)
    if v.status ~= 'confirmed' then count_failure(ctx, v, now) end
  end
  publish(ctx, v)
  changed[#changed + 1] = v
end

-- R3: an open verification whose window is over is expired (a verified one too).
local function expire_if_due(ctx, vkey, v, now, changed)
  if is_open(v.status) and now >= tonumber(v.expiresAt) then
    transition(ctx, vkey, v, { status = 'expired' }, now, changed)
  end
end

-- The contract's refusal for a status a step cannot move from (store/refusals.ts).
local function refusal_for(status)
  if status == 'cancelled' then return -5 end
  if status == 'confirmed' then return -7 end
  if status == 'expired' then return -6 end
  return -4
end

-- A newer verification for the same tenant and number supersedes an open one; one whose window
-- already ran out ends expired instead (domain/verification.ts applySupersede).
local function superseded_fields(v, now)
  if now >= tonumber(v.expiresAt) then return { status = 'expired' } end
  return { status = 'cancelled', cancelledAt = now, cancelReason = 'superseded' }
end
