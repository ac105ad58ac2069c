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
local function take_counts(first, at)
  for i = first, #KEYS do
    local current, ttl = hit(KEYS[i], tonumber(ARGV[at]))
    if current > tonumber(ARGV[at + 1]) then return ttl end
    at = at + 2
  end
  return nil
end
