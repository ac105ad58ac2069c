--[[
  Changes a pool number's state, weight, label or health, keeping allocation's view in step.
  KEYS[1] pool:n:{e164}   KEYS[2] pool:active
  ARGV[1] state   ARGV[2] weight   ARGV[3] label   ARGV[4] health   (each '' = unchanged;
  a label of a single NUL byte clears it)
  Output: JSON {before, after} of the number's hash, or -9 when it is not in the pool
]]
--- @include "pool"
local flat = redis.call('HGETALL', KEYS[1])
if #flat == 0 then return -9 end
local before, after = {}, {}
for i = 1, #flat, 2 do
  before[flat[i]] = flat[i + 1]
  after[flat[i]] = flat[i + 1]
end
local fields = { 'state', 'weight', 'label', 'health' }
for i, field in ipairs(fields) do
  if ARGV[i] ~= '' then after[field] = ARGV[i] end
end
if after.label == '\0' then
  after.label = nil
  redis.call('HDEL', KEYS[1], 'label')
end
for _, field in ipairs(fields) do
  if after[field] ~= nil then redis.call('HSET', KEYS[1], field, after[field]) end
end
sync_active(KEYS[2], after)
return cjson.encode({ before = before, after = after })
