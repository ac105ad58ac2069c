--[[
  Reads a verification, expiring it first if its window is over (R3) so that every reader,
  and the expiry sweep (expireDue-1.lua), sees the same answer and the failure is counted once.
  Takes rate-limit counts first (includes/counts.lua), whether or not the verification exists.
  KEYS[1] v:{id}   KEYS[2…] rl:{name}, one per count (none: no count)
  ARGV[1..4] see includes/verification.lua   ARGV[5…] per count: window in ms, max
  Output: {-12, ms until the window ends} when a count is past its max; -1 when unknown; else
  {expired, now, field, value, field, value …}: the hash as HGETALL gives it, after the expiry
  when this call made one (expired = 1, else 0).
  A flat array rather than the JSON reply of the other scripts: this runs on every status poll,
  and cjson was a fifth of its time in Redis (INFO commandstats: 10 µs a call, 8 without).
]]
--- @include "verification"
--- @include "counts"
local over = take_counts(2, 5)
if over then return { -12, over } end
local now = now_ms()
local flat = redis.call('HGETALL', KEYS[1])
if #flat == 0 then return -1 end
local status, expires_at
for i = 1, #flat, 2 do
  if flat[i] == 'status' then status = flat[i + 1] elseif flat[i] == 'expiresAt' then expires_at = flat[i + 1] end
end
if not (is_open(status) and now >= tonumber(expires_at)) then return { 0, now, unpack(flat) } end

local v = {}
for i = 1, #flat, 2 do v[flat[i]] = flat[i + 1] end
expire_if_due(context(), KEYS[1], v, now, {})
local out = { 1, now }
for k, value in pairs(v) do
  out[#out + 1] = k
  out[#out + 1] = value
end
return out
