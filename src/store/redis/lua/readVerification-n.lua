--[[
  Reads a verification, expiring it first if its window is over (R3) so that every reader,
  and the expiry sweep (expireDue-1.lua), sees the same answer and the failure is counted once.
  Takes rate-limit counts first (includes/counts.lua), whether or not the verification exists.
  KEYS[1] v:{id}   KEYS[2…] rl:{name}, one per count (none: no count)
  ARGV[1..5] see includes/verification.lua   ARGV[6…] per count: window in ms, max
  Output: {-12, ms until the window ends} when a count is past its max; -1 when unknown; else
  one string: expired, now, then the values of FIELDS in their order ('' when absent), joined
  by the unit separator (\31); expired = 1 when this call expired it, else 0.
  One string rather than JSON or a field/value array: this runs on every status poll; cjson
  was a fifth of its time in Redis (INFO commandstats), and the client decodes each item of an
  array reply on its own, which was a tenth of the app's CPU per poll (npm run bench).
  FIELDS ends with what a client chose (callbackUrl, reference): a separator inside either can
  only spill into the last value, never into the status, tenant or token hash before them.
]]
--- @include "verification"
--- @include "counts"
-- The order store/redis/codecs.ts READ_FIELDS parses (test/store/scripts.test.ts keeps them one).
local FIELDS = {
  'id', 'tenant', 'phone', 'mask', 'to', 'status', 'createdAt', 'expiresAt', 'calls', 'tokenHash',
  'verifiedAt', 'confirmedAt', 'cancelledAt', 'cancelReason', 'attest', 'callbackUrl', 'reference',
}
local STATUS, EXPIRES_AT = 6, 8

local over = take_counts(2, 6)
if over then return { -12, over } end
local now = now_ms()
local values = redis.call('HMGET', KEYS[1], unpack(FIELDS))
if not values[1] then return -1 end

local expired = 0
if is_open(values[STATUS]) and now >= tonumber(values[EXPIRES_AT]) then
  local v = hgetall(KEYS[1])
  expire_if_due(context(), KEYS[1], v, now, {})
  for i, field in ipairs(FIELDS) do values[i] = v[field] end
  expired = 1
end
for i = 1, #FIELDS do values[i] = values[i] or '' end
return expired .. '\31' .. now .. '\31' .. table.concat(values, '\31')
