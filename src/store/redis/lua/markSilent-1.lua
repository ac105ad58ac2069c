--[[
  The pool health job's step: a number handed out ARGV[1] times since its last call is silent.
  Deciding here rather than in the job settles the race with a call arriving meanwhile:
  note_call (includes/pool.lua) resets the count and a silent health in one step too.
  KEYS[1] pool:n:{e164}
  ARGV[1] threshold (HEALTH_SILENT_AFTER)
  Output: 1 marked silent; 0 not (not in the pool, retired, not 'ok', or under the threshold)
]]
--- @include "pool"
local n = redis.call('HMGET', KEYS[1], 'state', 'health', 'allocationsSinceCall')
if not n[1] or not is_silent(n[1], n[2], tonumber(n[3] or '0'), tonumber(ARGV[1])) then return 0 end
redis.call('HSET', KEYS[1], 'health', 'silent')
return 1
