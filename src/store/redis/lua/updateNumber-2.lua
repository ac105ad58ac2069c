--[[
  Changes a pool number's state, weight, label, health or carrier, keeping allocation's view in step.
  KEYS[1] pool:n:{e164}   KEYS[2] pool:active
  ARGV[1] state   ARGV[2] weight   ARGV[3] label   ARGV[4] health   (each '' = unchanged;
  a label of a single NUL byte clears it)
  ARGV[5] '1' = guard: refuse leaving no active number with weight > 0, or leaving 'retired'
  ARGV[6] carrier ('' = unchanged)
  Output: JSON {before, after} of the number's hash; -9 when it is not in the pool; -10 when
  the guard keeps the last allocatable number; -11 when it keeps a retired one retired
]]
--- @include "pool"
local flat = redis.call('HGETALL', KEYS[1])
if #flat == 0 then return -9 end
local before, after = {}, {}
for i = 1, #flat, 2 do
  before[flat[i]] = flat[i + 1]
  after[flat[i]] = flat[i + 1]
end
local fields = { 'state', 'weight', 'label', 'health', 'carrier' }
local argv = { ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[6] }
for i, field in ipairs(fields) do
  if argv[i] ~= '' then after[field] = argv[i] end
end
-- The guard reads pool:active in the same step as the write: two operators draining the last
-- two numbers at once cannot both pass it.
local function allocatable(n) return is_allocatable(n.state, tonumber(n.weight)) end
if ARGV[5] == '1' then
  if before.state == 'retired' and after.state ~= 'retired' then return -11 end
  if allocatable(before) and not allocatable(after) then
    local active, others = redis.call('HGETALL', KEYS[2]), 0
    for i = 1, #active, 2 do
      if active[i] ~= before.e164 and tonumber(active[i + 1]) > 0 then others = others + 1 end
    end
    if others == 0 then return -10 end
  end
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
