--[[
  The status poll's read, for what changes nothing: its count (when given) and the
  verification's fields. A window past its end that is still open is left for
  readVerification-n.lua, which expires it atomically: this answers 0 then, and has taken the count.
  KEYS[1] v:{id}   KEYS[2…] rl:{name}: none or one count (readVerification-n.lua takes more)
  ARGV[1] the count's window in ms, ARGV[2] its max (with a count)
  Output: {-12, ms until the window ends} past the max; -1 when unknown; 0 when due; else one
  string as readVerification-n.lua's (expired always 0).
  Kept to what a poll needs, no context ARGV and only the counts' include: Redis runs the whole
  script text on every call (its local functions made anew each time), and each argument costs it too.
]]
--- @include "counts"
local over = take_counts(2, 1)
if over then return { -12, over } end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
-- store/redis/codecs.ts READ_FIELDS, in its order (test/store/scripts.test.ts keeps them one).
local v = redis.call('HMGET', KEYS[1],
  'id', 'tenant', 'phone', 'mask', 'to', 'status', 'createdAt', 'expiresAt', 'calls', 'tokenHash',
  'verifiedAt', 'confirmedAt', 'cancelledAt', 'cancelReason', 'attest', 'callbackUrl', 'reference')
if not v[1] then return -1 end
if (v[6] == 'pending' or v[6] == 'verified') and now >= tonumber(v[8]) then return 0 end
for i = 1, 17 do
  if not v[i] then v[i] = '' end
end
return '0\31' .. now .. '\31' .. table.concat(v, '\31')
