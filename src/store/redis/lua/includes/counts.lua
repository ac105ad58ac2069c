-- Rate-limit counters (store/types.ts RateCount): a fixed window from a counter's first hit,
-- counted as @fastify/rate-limit's Redis store counts (INCR, PEXPIRE on the first hit).

-- One hit on `key`: the hits in this window, this one included, and the ms until it ends.
local function hit(key, window)
  local current = redis.call('INCR', key)
  local ttl = -1
  if current > 1 then ttl = redis.call('PTTL', key) end
  if ttl < 0 then -- the first hit (or a counter somehow left without a TTL): the window starts now
    redis.call('PEXPIRE', key, window)
    ttl = window
  end
  return current, ttl
end

-- Takes the counts KEYS[first..#KEYS], each with the ARGV pair (window ms, max) from `at` on, in
-- order. The first past its max stops there: its ms until the window ends; nil when all pass.
-- (Create's per-number count is not one of these: createVerification-n.lua keeps it in the
-- caller's hash.)
-- Under the max a count is one INCR (and the PEXPIRE of a first hit): the time left is read only
-- past it, where a counter left without a TTL is also mended, so it refuses for one window at most.
local function take_counts(first, at)
  for i = first, #KEYS do
    local window, max = tonumber(ARGV[at]), tonumber(ARGV[at + 1])
    local key = KEYS[i]
    local current = redis.call('INCR', key)
    if current == 1 then redis.call('PEXPIRE', key, window) end
    if current > max then
      local ttl = redis.call('PTTL', key)
      if ttl < 0 then
        redis.call('PEXPIRE', key, window)
        ttl = window
      end
      return ttl
    end
    at = at + 2
  end
  return nil
end
