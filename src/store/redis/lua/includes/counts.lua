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

-- Takes the counts KEYS[first..#KEYS], each with the ARGV triple (window ms, max, previous) from
-- `at` on, in order. previous = 1: the next KEYS entry is the same counter under the previous
-- PHONE_HASH_KEY (a rotation), whose hits count too, so a rotation resets no limit. The first past
-- its max stops there: its ms until the window ends; nil when all pass.
-- Under the max a count is one INCR (and the PEXPIRE of a first hit): the time left is read only
-- past it, where a counter left without a TTL is also mended, so it refuses for one window at most.
local function take_counts(first, at)
  local i = first
  while i <= #KEYS do
    local window, max, previous = tonumber(ARGV[at]), tonumber(ARGV[at + 1]), ARGV[at + 2] == '1'
    local key = KEYS[i]
    local current = redis.call('INCR', key)
    if current == 1 then redis.call('PEXPIRE', key, window) end
    if previous then
      i = i + 1
      current = current + tonumber(redis.call('GET', KEYS[i]) or '0')
    end
    if current > max then
      local ttl = redis.call('PTTL', key)
      if ttl < 0 then
        redis.call('PEXPIRE', key, window)
        ttl = window
      end
      return ttl
    end
    i = i + 1
    at = at + 3
  end
  return nil
end
