--[[
  Every pool number's state, health, weight and carrier in one round trip: the /metrics gauge reads it on each
  scrape, where listNumbers would cost 1 + 2N round trips. A read only; the number hashes are
  derived from the members, so their prefix comes in ARGV.
  KEYS[1] pool:all
  ARGV[1] key prefix (pool:n:{e164} hashes live under it)
  Output: a flat array e164, state, health, weight, carrier, … sorted by e164 (numbers without a hash left out)
]]
local members = redis.call('SMEMBERS', KEYS[1])
table.sort(members)
local out = {}
for _, e164 in ipairs(members) do
  local n = redis.call('HMGET', ARGV[1] .. 'pool:n:' .. e164, 'state', 'health', 'weight', 'carrier')
  if n[1] then
    out[#out + 1] = e164
    out[#out + 1] = n[1]
    out[#out + 1] = n[2] or 'ok'
    out[#out + 1] = n[3] or '0'
    out[#out + 1] = n[4] or 'twilio'
  end
end
return out
