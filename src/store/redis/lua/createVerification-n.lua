--[[
  Opens a verification. Supersedes the tenant's older open one for the number (or expires it,
  if its window is over: R11 counts it here at the latest), refuses while locked, and picks a
  verification number at random by weight (R2) among active numbers that no open
  verification of this caller holds. Running as one script is the race gate: 50 concurrent
  creates for one number leave one pending, and one caller never holds a number twice.
  {phone} is the number's HMAC under PHONE_HASH_KEY, never the number (includes/verification.lua).
  KEYS[1] caller:{phone}           pool number → verification id (how a call finds its match),
                                   latest:{tenant} → that tenant's newest verification id, and
                                   the tenant's per-number count: n:{tenant} hits, w:{tenant} the
                                   ms its window ends (R13, RATE_LIMIT_PHONE_PER_HOUR)
  KEYS[2] pool:active              active pool number → weight; allocation reads pool:active:cdf
                                   derived from it (includes/pool.lua), built from it when missing
  KEYS[3] lock:{tenant}:{phone}    the day lock (R11), value lockedUntil
  KEYS[4] v:{id}                   the new verification
  KEYS[5…] rl:{name}               rate-limit counts, taken first (includes/counts.lua)
  ARGV[1..5] see includes/verification.lua
  ARGV[6] id  ARGV[7] tenant  ARGV[8] phone (HMAC)  ARGV[9] sha256 of the poll token
  ARGV[10] window in ms  ARGV[11] random in [0, 1)  ARGV[12] reference  ARGV[13] callbackUrl ('' = none)
  ARGV[14] the R1 mask  ARGV[15] the HMAC under PHONE_HASH_PREVIOUS_KEY ('' = no rotation): its
  caller:{…} and lock:{tenant}:{…} (built from ARGV[1]) are honoured as KEYS[1] and KEYS[3] are
  ARGV[16] the per-number count's max ('' = none)  ARGV[17] its window in ms
  ARGV[18…] per count: window in ms, max (includes/counts.lua)
  Output: opened: {0, now, the verification number}, and a 4th item, the JSON array of the
  verifications it changed, when there are any (the caller knows the rest of what it opened:
  store/allocation.ts openedVerification). Refused: JSON {r, now, v, changed}: -2 locked
  (v.lockedUntil); -3 pool exhausted; -12 a count past its max (v.retryAfterMs)
]]
--- @include "verification"
--- @include "counts"
--- @include "pool"
local ctx = context()
local now = now_ms()
local changed = {}

local over = take_counts(5, 18)
if over then return reply(-12, now, { retryAfterMs = over }, changed) end

-- During a rotation the previous key's caller hash and lock are this number's too.
local previous = ARGV[15]
-- The caller's hash also holds each tenant's newest id and per-number count: one read finds them
-- all, one write keeps them all.
local held = hgetall(KEYS[1]) or {}
if previous ~= '' then
  -- What was written under the previous key: fields of the current key's hash win (they are newer).
  for k, val in pairs(hgetall(ctx.prefix .. 'caller:' .. previous) or {}) do
    if held[k] == nil then held[k] = val end
  end
end

-- The per-number count, after the counts and before the lock (the order of the refusals): a
-- fixed window from its first hit, as take_counts counts, kept in the caller's hash rather than
-- a counter key of its own (one key and two commands fewer per create, npm run bench). During a
-- rotation the previous key's count goes on under the current key (the merge above).
local count
if ARGV[16] ~= '' then
  local hits_field, ends_field = 'n:' .. ARGV[7], 'w:' .. ARGV[7]
  local ends, hits = tonumber(held[ends_field] or '0'), 1
  if now < ends then hits = tonumber(held[hits_field] or '0') + 1 else ends = now + tonumber(ARGV[17]) end
  count = { hits_field, hits, ends_field, ends }
end
-- A refused create keeps its count; the hash lives at least as long as the count's window.
local function refuse(code, v)
  if count then
    redis.call('HSET', KEYS[1], unpack(count))
    local left = count[4] - now
    if redis.call('PTTL', KEYS[1]) < left then redis.call('PEXPIRE', KEYS[1], left) end
  end
  return reply(code, now, v, changed)
end
if count and count[2] > tonumber(ARGV[16]) then return refuse(-12, { retryAfterMs = count[4] - now }) end
local previous_lock = previous ~= '' and ctx.prefix .. 'lock:' .. ARGV[7] .. ':' .. previous or nil
local function lock_until()
  local locked = redis.call('GET', KEYS[3])
  if not locked and previous_lock then locked = redis.call('GET', previous_lock) end
  return locked
end

local locked = lock_until()
if locked then return refuse(-2, { lockedUntil = locked }) end

local latest = 'latest:' .. ARGV[7]
local older_id = held[latest]
if older_id then
  local okey = ctx.prefix .. 'v:' .. older_id
  local older = hgetall(okey)
  if older and is_open(older.status) then
    transition(ctx, okey, older, superseded_fields(older, now), now, changed)
    locked = lock_until()
    if locked then return refuse(-2, { lockedUntil = locked }) end
  end
end

-- R2 in O(log pool): pool:active:cdf (includes/pool.lua) places each allocatable number on
-- the points [end − weight, end) of a line as long as the total weight; one point drawn over
-- the free weight is moved past the points of the caller's busy numbers below it, so every
-- free number keeps exactly its weight's share. The twin of allocation.ts pickWeighted.
local cdf = cdf_key(KEYS[2])
local function allocate()
  local last = redis.call('ZRANGE', cdf, -1, -1, 'WITHSCORES')
  local total = tonumber(last[2] or rebuild_cdf(KEYS[2]))
  local skipped, free = {}, total
  for number, holder in pairs(held) do
    -- Pool numbers are E.164 ('+', byte 43); the latest:, n: and w: fields are not.
    local stop = string.byte(number, 1) == 43 and redis.call('ZSCORE', cdf, number)
    if stop then
      local h = redis.call('HMGET', ctx.prefix .. 'v:' .. holder, 'status', 'expiresAt')
      if h[1] and is_open(h[1]) and now < tonumber(h[2]) then
        stop = tonumber(stop)
        local below = redis.call('ZREVRANGEBYSCORE', cdf, '(' .. stop, '-inf', 'WITHSCORES', 'LIMIT', 0, 1)
        local start = tonumber(below[2] or 0)
        skipped[#skipped + 1] = { start, stop - start }
        free = free - (stop - start)
      end
    end
  end
  if free <= 0 then return nil end
  local point = math.min(math.floor(tonumber(ARGV[11]) * free), free - 1)
  table.sort(skipped, function(a, b) return a[1] < b[1] end)
  for _, s in ipairs(skipped) do
    if point >= s[1] then point = point + s[2] end
  end
  return redis.call('ZRANGEBYSCORE', cdf, '(' .. point, '+inf', 'LIMIT', 0, 1)[1]
end
local chosen = allocate()
-- pool:active has the last word: a set left behind by a pool change through an older release
-- (one that knew no cdf) is rebuilt rather than hand out a number that left allocation.
if chosen and tonumber(redis.call('HGET', KEYS[2], chosen) or '0') <= 0 then
  rebuild_cdf(KEYS[2])
  chosen = allocate()
end
if not chosen then return refuse(-3, {}) end

local window = tonumber(ARGV[10])
-- Numbers written more than once are made strings once (Lua formats a number on every call).
local expires_at = tostring(now + window)
local v = {
  id = ARGV[6], tenant = ARGV[7], phone = ARGV[8], mask = ARGV[14], to = chosen, status = 'pending',
  createdAt = now, expiresAt = expires_at, calls = '0', tokenHash = ARGV[9],
}
if previous ~= '' then v.phone2 = previous end
if ARGV[12] ~= '' then v.reference = ARGV[12] end
if ARGV[13] ~= '' then v.callbackUrl = ARGV[13] end
local ttl = window + ctx.retention
hset(KEYS[4], v)
redis.call('PEXPIRE', KEYS[4], ttl)
if count then
  redis.call('HSET', KEYS[1], chosen, v.id, latest, v.id, unpack(count))
  redis.call('PEXPIRE', KEYS[1], math.max(ttl, count[4] - now))
else
  redis.call('HSET', KEYS[1], chosen, v.id, latest, v.id)
  redis.call('PEXPIRE', KEYS[1], ttl)
end
-- The expiry sweep (expireDue-1.lua) finds open windows here and removes what ended; a due
-- member stays until it has been expired, so that its `expired` event is never skipped (and a
-- number's set, emptied by the sweep, is gone: no TTL of its own to renew on every create).
redis.call('ZADD', ctx.prefix .. 'pool:pending:' .. chosen, expires_at, v.id)
redis.call('HINCRBY', ctx.prefix .. 'pool:n:' .. chosen, 'allocationsSinceCall', 1)
if #changed > 0 then return { 0, now, chosen, cjson.encode(changed) } end
return { 0, now, chosen }
