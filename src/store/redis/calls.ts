import { hashedPhone } from '../../domain/phonehash.js'
import { isAnsweredCall } from '../../domain/pool.js'
import { Refusal } from '../refusals.js'
import type { CallOutcome, CallStore } from '../roles/calls.js'
import { decodeStep, toPoolNumber, type NumberView } from './codecs.js'
import type { RedisContext } from './context.js'

// The calls role in Redis: recordCall-3.lua, recordWithheldCall-2.lua, recordCallStatus-2.lua,
// one round trip each.

export function redisCalls({ scripts, options }: RedisContext): CallStore {
  return {
    async recordCall(input) {
      const { now, fields, changed } = decodeStep(await scripts.recordCall(input, hashedPhone(options.phoneHash, input.from)))
      return { outcome: fields.outcome as CallOutcome, now, changed }
    },

    async recordWithheldCall(to, callSid, carrier) {
      await scripts.recordWithheldCall({ to, callSid, carrier })
    },

    async recordCallStatus(input) {
      const reply = await scripts.recordCallStatus(input)
      const number = reply === Refusal.NumberUnknown ? null : toPoolNumber(JSON.parse(reply) as NumberView)
      return { answered: isAnsweredCall(input.durationSeconds), number }
    },
  }
}
